"""Found walking the volunteers' 2 a.m. call: a team leader verified her own hours; staff
assigned ten people without the call's required training with no word; the check-in QR
showed another community's call to anyone; the check-out was announced as an arrival;
leaving the waitlist asked nothing and said a place was cancelled; a call that could not
fill was published without a warning."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.core.errors import Conflict, Forbidden
from fangkong.volunteers.actions import answers, attendance, registration, teams
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for
from tests.volunteers.conftest import register


def at(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


def call_at(world, start, end, **over):
    data = {"task": "sampling", "place": world.building.id, "starts_at": start.isoformat(),
            "ends_at": end.isoformat(), "slots": 5}
    data.update(over)
    return vol_calls.create_call(actor_for(world.users.staff), world.community, data)


def hm(t):
    return timezone.localtime(t).strftime("%H:%M")


@pytest.fixture
def scene(world, make_volunteer, monkeypatch):
    """田晓燕 leads 封控五组 (member 赵文静); both hold a place on a call starting at T;
    now is T+20 min."""
    staff = actor_for(world.users.staff)
    t = (timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    leader, member = make_volunteer(1, name="田晓燕"), make_volunteer(2, name="赵文静")
    team = teams.create_team(staff, world.community, "封控五组", leader=leader)
    teams.add_member(staff, team, member)
    at(monkeypatch, t - datetime.timedelta(hours=1))
    call = call_at(world, t, t + datetime.timedelta(hours=3), task="order")
    hers = answers.sign_up(actor_for(leader.user), call)
    mine = answers.sign_up(actor_for(member.user), call)
    at(monkeypatch, t + datetime.timedelta(minutes=20))
    return dict(t=t, leader=leader, member=member, call=call, hers=hers, mine=mine)


# --- 1. nobody confirms their own attendance ----------------------------------------

def test_a_leader_is_not_offered_to_confirm_her_own_row_and_is_refused_if_she_tries(scene, login):
    client = login(scene["leader"].user)
    page = client.get(reverse("volunteers_call", args=[scene["call"].id])).content.decode()
    own = reverse("volunteers_attend", args=[scene["hers"].id])
    assert reverse("volunteers_attend", args=[scene["mine"].id]) in page  # her member's row: hers
    assert own not in page and "由社区工作人员确认" in page
    r = client.post(own, {"check_in_at": hm(scene["t"])}, follow=True)
    assert "不能确认或更正自己的到岗" in r.content.decode()
    client.post(own, {"out": "now"})
    a = Assignment.objects.get(pk=scene["hers"].id)
    assert a.check_in_at is None and a.check_out_at is None and a.minutes == 0


def test_the_api_refuses_her_own_attendance_with_403(scene, login):
    client = login(scene["leader"].user)
    url = f"/api/v1/volunteers/assignments/{scene['hers'].id}/attend"
    for body in ({"check_in_at": scene["t"].isoformat()},
                 {"check_out_at": (scene["t"] + datetime.timedelta(minutes=10)).isoformat()}):
        r = client.post(url, json.dumps(body), content_type="application/json")
        assert r.status_code == 403 and r.json()["error"]["code"] == "own_attendance", r.content
    assert Assignment.objects.get(pk=scene["hers"].id).check_in_at is None
    # her member's: still hers to confirm
    r = client.post(f"/api/v1/volunteers/assignments/{scene['mine'].id}/attend", "{}",
                    content_type="application/json")
    assert r.status_code == 200


def test_staff_on_the_call_neither_confirm_nor_correct_their_own_hours(scene, world):
    user = scene["member"].user
    Membership.objects.create(user=user, role=Role.STAFF, place=world.community)
    me = actor_for(user)
    with pytest.raises(Forbidden):
        attendance.confirm_attendance(me, scene["mine"], scene["t"])
    with pytest.raises(Forbidden):
        attendance.correct_minutes(me, scene["mine"], 180, "补录")
    a = Assignment.objects.get(pk=scene["mine"].id)
    assert a.check_in_at is None and a.minutes == 0
    # another's row, as staff: allowed
    attendance.confirm_attendance(me, scene["hers"], scene["t"])
    assert Assignment.objects.get(pk=scene["hers"].id).check_in_by == user


def test_her_own_scan_of_the_qr_stays_her_own_check_in(scene):
    a = attendance.check_in(actor_for(scene["leader"].user), scene["call"].token)
    assert a.check_in_at is not None and a.check_in_by == scene["leader"].user


# --- 4. the check-out is announced as a check-out -----------------------------------

def test_confirming_the_check_out_says_so_with_its_time(scene, login, monkeypatch):
    client = login(scene["leader"].user)
    attend = reverse("volunteers_attend", args=[scene["mine"].id])
    r = client.post(attend, {"check_in_at": hm(scene["t"]), "confirm": "1"}, follow=True)
    assert "已确认到岗" in r.content.decode()
    out = scene["t"] + datetime.timedelta(hours=2)
    at(monkeypatch, out)
    text = client.post(attend, {"out": "now", "confirm": "1"}, follow=True).content.decode()
    assert f"已确认签退（{hm(out)}）" in text and "已确认到岗" not in text
    assert Assignment.objects.get(pk=scene["mine"].id).check_out_at == out


# --- 2. the call's required skill when staff assign ---------------------------------

@pytest.fixture
def sampling(world, make_volunteer):
    start = timezone.now() + datetime.timedelta(hours=4)
    call = call_at(world, start, start + datetime.timedelta(hours=3), slots=3, skills=["sampling"])
    trained = make_volunteer(5, name="王芳", skills=["sampling"])
    untrained = make_volunteer(6, name="刘静")
    return dict(call=call, trained=trained, untrained=untrained)


def test_assigning_someone_without_the_skill_asks_first_and_the_call_counts_them(sampling, world, login):
    client = login(world.users.staff)
    call = sampling["call"]
    url = reverse("volunteers_call_assign", args=[call.id])
    asked = client.post(url, {"volunteer": sampling["untrained"].id}).content.decode()
    assert "刘静 没有采样培训，仍要指派？" in asked and "confirm-yes" in asked
    assert not Assignment.objects.filter(call=call, volunteer=sampling["untrained"]).exists()
    assert client.post(url, {"volunteer": sampling["untrained"].id, "confirm": "1"}).status_code == 302
    assert client.post(url, {"volunteer": sampling["trained"].id}).status_code == 302  # no question
    assert Assignment.objects.filter(call=call, status="confirmed").count() == 2
    page = client.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert "2/3" in page and "，其中 1 人无采样培训" in page
    def row(name):
        return page.split(f"<strong>{name}</strong>")[1].split("</li>")[0]

    assert "无采样培训" in row("刘静") and "无采样培训" not in row("王芳")


def test_the_action_and_the_api_refuse_without_confirm(sampling, world, login):
    staff = actor_for(world.users.staff)
    with pytest.raises(Conflict) as e:
        vol_calls.assign(staff, sampling["call"], sampling["untrained"])
    assert e.value.code == "untrained"
    client = login(world.users.staff)
    url = f"/api/v1/volunteers/calls/{sampling['call'].id}/assign"
    body = {"volunteer": sampling["untrained"].id}
    r = client.post(url, json.dumps(body), content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "untrained", r.content
    r = client.post(url, json.dumps(dict(body, confirm=True)), content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "confirmed", r.content


# --- 3. the QR's page for those who may not see the call ----------------------------

def test_the_scan_page_is_missing_for_those_who_may_not_see_the_call(world, codes, make_volunteer, login, client):
    start = timezone.now() + datetime.timedelta(minutes=30)
    call = call_at(world, start, start + datetime.timedelta(hours=2), title="夜间核酸采样")
    url = reverse("volunteers_scan", args=[call.token])
    other_link = registration.join_link(actor_for(world.users.other_staff), world.other)
    elsewhere = registration.approve(actor_for(world.users.other_staff), register(
        world, codes, 7, link=other_link, household=world.other_hh.id))
    for user in (world.users.other_staff, world.users.resident, elsewhere.user):
        r = login(user).get(url)
        assert r.status_code == 404 and "夜间核酸采样" not in r.content.decode(), user
        assert login(user).post(url, {"op": "in"}).status_code == 404
    # those who may: staff of the community, a volunteer holding a place who checks in
    assert login(world.users.staff).get(url).status_code == 200
    v = make_volunteer(8)
    answers.sign_up(actor_for(v.user), call)
    c = login(v.user)
    assert "夜间核酸采样" in c.get(url).content.decode()
    assert c.post(url, {"op": "in"}).status_code == 302
    assert Assignment.objects.get(call=call, volunteer=v).check_in_at is not None


# --- 5. leaving the waitlist ---------------------------------------------------------

def test_leaving_the_waitlist_asks_first_with_the_place_in_the_queue(world, make_volunteer, login):
    start = timezone.now() + datetime.timedelta(hours=4)
    call = call_at(world, start, start + datetime.timedelta(hours=2), slots=1)
    first, second = make_volunteer(1), make_volunteer(2)
    answers.sign_up(actor_for(first.user), call)
    waiting = answers.sign_up(actor_for(second.user), call)
    assert waiting.status == "waitlisted"
    client = login(second.user)
    url = reverse("volunteers_call_cancel", args=[call.id])
    asked = client.post(url).content.decode()
    assert "离开候补？" in asked and "第 1 位" in asked and "confirm-yes" in asked
    assert Assignment.objects.get(pk=waiting.id).status == "waitlisted"
    done = client.post(url, {"confirm": "1"}, follow=True).content.decode()
    assert "已离开候补" in done and "名额已取消" not in done
    assert Assignment.objects.get(pk=waiting.id).status == "cancelled"


# --- 6. a call that cannot fill -------------------------------------------------------

def test_publishing_a_call_fewer_can_answer_than_it_needs_says_so_in_red(world, make_volunteer, login):
    make_volunteer(4)  # number 4 drives (conftest.form); the only driver
    make_volunteer(1)
    client = login(world.users.staff)
    new = reverse("volunteers_call_new", args=[world.community.id])
    start = timezone.localtime() + datetime.timedelta(hours=3)
    body = {"task": "delivery", "title": "夜间转运", "place": world.building.id, "slots": "12",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "audience": "skill", "audience_skill": "driving"}
    asked = client.post(new, body).content.decode()
    assert "只有 1 人符合条件，少于需要的 12 人" in asked and "召集全社区" in asked
    enough = client.post(new, dict(body, slots="1")).content.decode()
    assert "少于需要的" not in enough and "confirm-yes" in enough
