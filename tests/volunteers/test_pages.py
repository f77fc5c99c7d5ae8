"""Volunteer pages: every page for the right role, the wrong role and the other community."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.volunteers.actions import answers, calls, registration, teams
from fangkong.volunteers.models import Assignment, PhoneCode, Volunteer
from tests.conftest import actor_for

from .conftest import form


@pytest.fixture
def setup(world, make_volunteer):
    staff = actor_for(world.users.staff)
    vols = [make_volunteer(n) for n in range(1, 4)]
    pending = make_volunteer(9, approve=False)
    team = teams.create_team(staff, world.community, "封控五组", area=world.building, leader=vols[0])
    teams.add_member(staff, team, vols[1])
    start = timezone.now() + datetime.timedelta(hours=2)
    call = calls.create_call(staff, world.community, {
        "task": "sampling", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=3)).isoformat(), "slots": 1,
        "audience": "community"})
    return dict(vols=vols, pending=pending, team=team, call=call,
                link=registration.join_link(staff, world.community))


def staff_urls(world, s):
    c = world.community.id
    return [reverse("volunteers_community", args=[c]), reverse("volunteers_people", args=[c]),
            reverse("volunteers_people", args=[c]) + "?status=approved",
            reverse("volunteers_teams", args=[c]), reverse("volunteers_calls", args=[c]),
            reverse("volunteers_call_new", args=[c]), reverse("volunteers_honour", args=[c]),
            reverse("volunteers_poster", args=[c]),
            reverse("volunteers_person", args=[s["vols"][0].id]),
            reverse("volunteers_team", args=[s["team"].id]),
            reverse("volunteers_call", args=[s["call"].id]),
            reverse("volunteers_call_qr", args=[s["call"].id])]


def test_staff_sees_every_page(world, setup, login, django_assert_max_num_queries):
    client = login(world.users.staff)
    for url in staff_urls(world, setup):
        with django_assert_max_num_queries(25):
            r = client.get(url)
        assert r.status_code == 200, url
    r = client.get(reverse("volunteers_home"))
    assert r.status_code == 302


@pytest.mark.parametrize("who", ["other_staff", "grid", "leader", "lab", "supplier", "resident", "nobody"])
def test_other_roles_and_other_community_get_404(world, setup, login, who):
    client = login(getattr(world.users, who))
    for url in staff_urls(world, setup):
        if who == "grid" and "volunteers_person" in url:
            continue
        r = client.get(url)
        # a call's page is also open to volunteers in its audience; none of these are
        assert r.status_code == 404, (who, url)


def test_missing_and_forbidden_look_the_same(world, setup, login):
    client = login(world.users.other_staff)
    a = client.get(reverse("volunteers_call", args=[setup["call"].id]))
    b = client.get(reverse("volunteers_call", args=[999999]))
    assert a.status_code == b.status_code == 404

    def strip_csrf(html):
        html = re.sub(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', b"", html)
        return re.sub(rb'name="next" type="hidden" value="[^"]+', b"", html)

    assert strip_csrf(a.content) == strip_csrf(b.content)


def test_command_reads_but_cannot_manage(world, setup, login):
    client = login(world.users.street)
    assert client.get(reverse("volunteers_community", args=[world.community.id])).status_code == 200
    assert client.get(reverse("volunteers_call_new", args=[world.community.id])).status_code == 403
    r = client.post(reverse("volunteers_decide", args=[setup["pending"].id]), {"decision": "approve"})
    assert r.status_code == 403
    assert Volunteer.objects.get(pk=setup["pending"].id).status == "pending"


def test_anonymous_is_sent_to_log_in(client, setup, world):
    r = client.get(reverse("volunteers_community", args=[world.community.id]))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_staff_approves_and_rejects_with_reason(world, setup, login, codes):
    client = login(world.users.staff)
    p = setup["pending"]
    r = client.post(reverse("volunteers_decide", args=[p.id]), {"decision": "reject", "reason": ""})
    assert r.status_code == 302
    assert Volunteer.objects.get(pk=p.id).status == "pending"  # a reason is required
    client.post(reverse("volunteers_decide", args=[p.id]), {"decision": "reject", "reason": "不在本社区居住"})
    p.refresh_from_db()
    assert p.status == "rejected" and p.reason == "不在本社区居住"
    client.post(reverse("volunteers_decide", args=[p.id]), {"decision": "approve"})
    p.refresh_from_db()
    assert p.status == "approved" and p.user is not None


def test_volunteer_answers_and_cancels_on_the_page(world, setup, login):
    v1, v2 = setup["vols"][1], setup["vols"][2]
    call = setup["call"]
    c1 = login(v1.user)
    home = c1.get(reverse("volunteers_home"))
    assert home.status_code == 200 and call.title in home.content.decode()
    r = c1.post(reverse("volunteers_call_sign_up", args=[call.id]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "报名成功，谢谢您！" in r.content.decode()
    assert "1/1" in r.content.decode()  # the fragment shows the new count
    from django.test import Client

    c2 = Client()
    c2.force_login(v2.user)
    r = c2.post(reverse("volunteers_call_sign_up", args=[call.id]))
    assert r.status_code == 302
    assert Assignment.objects.get(call=call, volunteer=v2).status == "waitlisted"
    asked = c1.post(reverse("volunteers_call_cancel", args=[call.id])).content.decode()
    assert "放弃「" in asked and "候补的人会立即补上" in asked  # asked first: it may not come back
    assert Assignment.objects.get(call=call, volunteer=v2).status == "waitlisted"
    c1.post(reverse("volunteers_call_cancel", args=[call.id]), {"confirm": "1"})
    assert Assignment.objects.get(call=call, volunteer=v2).status == "confirmed"
    # a volunteer cannot use the staff pages
    assert c1.get(reverse("volunteers_people", args=[world.community.id])).status_code == 404
    assert c1.post(reverse("volunteers_call_assign", args=[call.id]), {"volunteer": v1.id}).status_code == 404


def test_scan_checks_in_and_out(world, setup, login, monkeypatch):
    v = setup["vols"][1]
    call = setup["call"]
    answers.sign_up(actor_for(v.user), call)
    client = login(v.user)
    url = reverse("volunteers_scan", args=[call.token])
    monkeypatch.setattr(timezone, "now", lambda: call.starts_at - datetime.timedelta(minutes=5))
    assert 'value="in"' in client.get(url).content.decode()
    client.post(url, {"op": "in"})
    monkeypatch.setattr(timezone, "now", lambda: call.starts_at + datetime.timedelta(hours=2))
    asked = client.post(url, {"op": "out"}).content.decode()  # checking out asks first
    assert "2.1" in asked and 'name="confirm" value="1"' in asked
    assert Assignment.objects.get(call=call, volunteer=v).check_out_at is None
    client.post(url, {"op": "out", "confirm": "1"})
    a = Assignment.objects.get(call=call, volunteer=v)
    assert a.minutes == 125
    # someone without a place cannot check in
    other = login(setup["vols"][2].user)
    r = other.post(url, {"op": "in"})
    assert r.status_code == 200 and Assignment.objects.filter(volunteer=setup["vols"][2]).count() == 0
    # … and is led to the call to sign up (found walking the demo: no way on from there)
    link = reverse("volunteers_call", args=[call.id])
    assert f'href="{link}"' in r.content.decode() and other.get(link).status_code == 200


@pytest.mark.parametrize("typed", ["1号楼 1单元 102", "1-1-102", "1号楼1单元102", "１-１-１０２",
                                   "光明小区 1号楼 1单元 102"])
def test_registration_finds_the_home_by_its_address(client, world, setup, typed):
    r = client.get(reverse("volunteers_join_homes", args=[setup["link"].token]), {"home_q": typed})
    html = r.content.decode()
    assert f'value="{world.hh102.id}"' in html and f'value="{world.hh101.id}"' not in html
    assert "光明小区 1号楼 1单元 102" in html  # the building is in the label


def test_registration_also_finds_by_building_or_door(client, world, setup):
    url = reverse("volunteers_join_homes", args=[setup["link"].token])
    html = client.get(url, {"home_q": "1号楼"}).content.decode()
    assert all(f'value="{h.id}"' in html for h in (world.hh101, world.hh102, world.hh201))
    html = client.get(url, {"home_q": "201"}).content.decode()
    assert f'value="{world.hh201.id}"' in html and "1号楼 2单元 201" in html


def test_staff_see_the_volunteers_home_with_its_building(world, setup, login):
    v = setup["vols"][0]  # registered at 1号楼 1单元 101
    html = login(world.users.staff).get(reverse("volunteers_person", args=[v.id])).content.decode()
    assert "光明小区 1号楼 1单元 101" in html


def test_registration_page_end_to_end(client, world, setup, codes):
    link = setup["link"]
    url = reverse("volunteers_join", args=[link.token])
    assert client.get(url).status_code == 200
    r = client.post(reverse("volunteers_join_code", args=[link.token]), {"phone": "13912345678"})
    assert r.status_code == 200 and "13912345678" in codes
    r = client.get(reverse("volunteers_join_homes", args=[link.token]), {"home_q": "101"})
    assert f'value="{world.hh101.id}"' in r.content.decode()
    # homes of the other community are never offered
    r = client.get(reverse("volunteers_join_homes", args=[link.token]), {"home_q": "301"})
    assert f'value="{world.other_hh.id}"' not in r.content.decode()
    data = form(world, 50, phone="13912345678")
    data["code"] = "000000" if codes["13912345678"] != "000000" else "111111"
    r = client.post(url, data)
    assert r.status_code == 200 and "验证码不正确" in r.content.decode()
    data["code"] = codes["13912345678"]
    r = client.post(url, data)
    assert r.status_code == 302 and r.url == url  # the link's page then shows the registration's status
    assert "您的报到正在等待光明社区审核。" in client.get(url).content.decode()
    v = Volunteer.objects.get(phone="13912345678")
    assert v.status == "pending" and v.community_id == world.community.id
    assert client.get(reverse("volunteers_join", args=["nope"])).status_code == 404


def test_code_login_for_approved_volunteers(client, world, setup, codes):
    v = setup["vols"][0]
    url = reverse("volunteers_login")
    client.post(url, {"phone": v.phone})
    assert PhoneCode.objects.filter(phone=v.phone, purpose="login").count() == 1
    # "send the code" tapped again at once: told to wait, and the code's box stays, since the
    # code already sent still works (found walking the demo: it was hidden for a minute)
    again = client.post(url, {"phone": v.phone}).content.decode()
    assert 'name="code"' in again and "一分钟" not in again  # the same answer as for any phone
    unknown = client.post(url, {"phone": "13900000000"}).content.decode()
    import re

    def strip(html):  # the page's answer, without the phone typed and the form's token
        main = html.split("<main")[1].split("</main>")[0].replace(v.phone, "").replace("13900000000", "")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main)
    assert strip(again) == strip(unknown)
    assert PhoneCode.objects.filter(phone=v.phone, purpose="login").count() == 1
    r = client.post(url, {"phone": v.phone, "code": codes[v.phone]})
    assert r.status_code == 302
    assert client.get(reverse("volunteers_home")).status_code == 200
    # a phone that is not an approved volunteer gets the same answer and no code
    client.logout()
    r = client.post(url, {"phone": setup["pending"].phone})
    assert r.status_code == 200
    assert not PhoneCode.objects.filter(phone=setup["pending"].phone, purpose="login").exists()


def test_exports_by_team_work_unit_and_branch(world, setup, login):
    from io import BytesIO

    from openpyxl import load_workbook

    client = login(world.users.staff)
    for dim in ("team", "work_unit", "party_branch"):
        r = client.get(reverse("volunteers_export", args=[world.community.id, dim]))
        assert r.status_code == 200
        ws = load_workbook(BytesIO(r.content)).active
        assert ws.max_row >= 2
    assert client.get(reverse("volunteers_export", args=[world.community.id, "bogus"])).status_code == 404
    assert login(world.users.other_staff).get(
        reverse("volunteers_export", args=[world.community.id, "team"])).status_code == 404


@pytest.mark.parametrize("who", ["other_staff", "grid", "leader", "resident", "nobody"])
def test_every_write_page_refuses_other_communities_and_roles(world, setup, login, who):
    v, call = setup["vols"][1], setup["call"]
    a = answers.sign_up(actor_for(v.user), call)
    client = login(getattr(world.users, who))
    posts = [
        (reverse("volunteers_decide", args=[setup["pending"].id]), {"decision": "approve"}),
        (reverse("volunteers_lend", args=[v.id]), {"to_community": world.other.id, "until": "2099-01-01 00:00"}),
        (reverse("volunteers_call_assign", args=[call.id]), {"volunteer": setup["vols"][2].id}),
        (reverse("volunteers_call_slots", args=[call.id]), {"slots": 9}),
        (reverse("volunteers_call_close", args=[call.id]), {}),
        (reverse("volunteers_assignment_cancel", args=[a.id]), {}),
        (reverse("volunteers_attend", args=[a.id]), {}),
        (reverse("volunteers_correct", args=[a.id]), {"minutes": 600, "reason": "x y"}),
        (reverse("volunteers_teams", args=[world.community.id]), {"name": "新队"}),
        (reverse("volunteers_team", args=[setup["team"].id]), {"volunteer": v.id, "op": "add"}),
        (reverse("volunteers_call_sign_up", args=[call.id]), {}),
        (reverse("volunteers_call_cancel", args=[call.id]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, (who, url)
    call.refresh_from_db()
    a.refresh_from_db()
    assert (call.slots, call.status, a.status, a.minutes, a.check_in_at) == (1, "full", "confirmed", 0, None)
    assert Volunteer.objects.get(pk=setup["pending"].id).status == "pending"
    assert not v.loans.exists()


def test_malformed_form_input_gets_messages_not_errors(world, setup, login):
    client = login(world.users.staff)
    r = client.post(reverse("volunteers_call_new", args=[world.community.id]),
                    {"task": "x", "slots": "lots", "starts_at": "tomorrow", "place": "abc"})
    assert r.status_code == 200
    page = r.content.decode()
    assert "请选择任务" in page and "请填写所需人数" in page and "请选择地点" in page
    a = answers.sign_up(actor_for(setup["vols"][1].user), setup["call"])
    r = client.post(reverse("volunteers_correct", args=[a.id]), {"minutes": "-5", "reason": "少算了"},
                    follow=True)
    assert "请填写服务分钟数" in r.content.decode()
    assert client.get(reverse("volunteers_person", args=["99999999"])).status_code == 404
    r = client.post(reverse("volunteers_call_assign", args=[setup["call"].id]), {"volunteer": "abc"})
    assert r.status_code == 404


def test_a_volunteer_account_without_a_registration_is_told_what_to_do(world, login):
    r = login(world.users.volunteer).get(reverse("volunteers_home"))
    assert r.status_code == 200 and "没有关联已审核的报到信息" in r.content.decode()


def test_my_history_counts_what_is_still_to_do_and_what_was_answered(world, setup, login, monkeypatch):
    """Found walking the demo: "待执行 1" counted a shift already checked out, and "响应召集 2"
    a sign-up the volunteer had cancelled."""
    v = setup["vols"][1]
    call = setup["call"]
    answers.sign_up(actor_for(v.user), call)
    staff = actor_for(world.users.staff)
    later = calls.create_call(staff, world.community, {
        "task": "sampling", "place": world.building.id, "slots": 2, "audience": "community",
        "starts_at": (call.starts_at + datetime.timedelta(days=1)).isoformat(),
        "ends_at": (call.ends_at + datetime.timedelta(days=1)).isoformat()})
    answers.cancel(actor_for(v.user), answers.sign_up(actor_for(v.user), later))
    client = login(v.user)
    url = reverse("volunteers_scan", args=[call.token])
    monkeypatch.setattr(timezone, "now", lambda: call.starts_at - datetime.timedelta(minutes=5))
    client.post(url, {"op": "in"})
    monkeypatch.setattr(timezone, "now", lambda: call.starts_at + datetime.timedelta(hours=1))
    client.post(url, {"op": "out", "confirm": "1"})  # left early: the shift is still running
    html = client.get(reverse("volunteers_me")).content.decode()
    stats = dict((label, n) for n, label in re.findall(r"<strong>([\d.]+)</strong><span>([^<]+)</span>", html))
    assert stats["待执行"] == "0" and stats["响应召集"] == "1", stats


def test_the_roll_of_honour_reads_cleanly_without_a_work_unit(world, setup, login):
    from fangkong.volunteers.actions import attendance

    v = setup["vols"][1]
    Volunteer.objects.filter(pk=v.pk).update(work_unit="", party_member=False)
    a = answers.sign_up(actor_for(v.user), setup["call"])
    attendance.correct_minutes(actor_for(world.users.staff), a, 90, "补记：现场签到漏扫")
    html = login(world.users.staff).get(reverse("volunteers_honour", args=[world.community.id])).content.decode()
    line = re.search(r"<small>([^<]*次)</small>", html).group(1)
    assert line.strip() == "1 次", line  # no dangling "· " before it


def test_correcting_hours_beyond_the_shift_asks_first_and_names_the_person(world, setup, login):
    """A three-hour shift (180 minutes): 150 is saved at once; 600 (hours typed as minutes,
    or a slip) asks first and is saved only when confirmed; past the shift's window (540 +
    the margins: 60 before, 360 after = 600 here) it is refused. The form says "minutes"."""
    v = setup["vols"][1]
    a = answers.sign_up(actor_for(v.user), setup["call"])
    c = login(world.users.staff)
    html = c.get(reverse("volunteers_call", args=[setup["call"].id])).content.decode()
    assert "服务分钟数（不是小时）" in html
    url = reverse("volunteers_correct", args=[a.id])
    r = c.post(url, {"minutes": "150", "reason": "早退"}, follow=True)
    assert f"已更正{v.name}的服务时长。" in r.content.decode()
    r = c.post(url, {"minutes": "500", "reason": "补记"})
    page = r.content.decode()
    assert r.status_code == 200 and f"给{v.name}记这么多时长？" in page
    assert "超过了整个班次" in page and "共 180 分钟" in page and 'value="500"' in page
    assert Assignment.objects.get(pk=a.pk).minutes == 150  # nothing saved by the question
    c.post(url, {"minutes": "500", "reason": "补记", "confirm": "1"})
    assert Assignment.objects.get(pk=a.pk).minutes == 500
    r = c.post(url, {"minutes": "700", "reason": "补记", "confirm": "1"}, follow=True)
    assert "最多可记 600 分钟" in r.content.decode()
    assert Assignment.objects.get(pk=a.pk).minutes == 500
    # the volunteer sees the hours credited and that staff corrected them, with the reason
    mine = login(v.user).get(reverse("volunteers_call", args=[setup["call"].id])).content.decode()
    assert "8.3 h" in mine and "已更正：补记" in mine


def test_the_community_pages_waiting_line_opens_the_people_to_approve(world, setup, login):
    """"1 人等待审核" on the community's page opens the list of those people, not the
    volunteers' overview (one tap less at the moment it matters)."""
    c = login(world.users.staff)
    html = c.get(reverse("place", args=[world.community.id])).content.decode()
    link = reverse("volunteers_people", args=[world.community.id]) + "?status=pending"
    assert f'href="{link}"><span class="grow">1 人等待审核' in html
    assert setup["pending"].name in c.get(link).content.decode()


def test_a_leader_answering_their_teams_call_gets_the_whole_page_back(world, setup, login):
    """A team leader sees the call's roster below their own answer: "I'll come" reloads the
    whole page (no htmx swap of the answer alone), so the roster says they are confirmed and
    the assign list no longer offers them (a demo walker saw "Nobody yet." and herself still
    offered until a reload). A volunteer who is not the leader keeps the quick swap."""
    staff = actor_for(world.users.staff)
    start = timezone.now() + datetime.timedelta(hours=2)
    call = calls.create_call(staff, world.community, {
        "task": "delivery", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "slots": 3,
        "audience": "team", "team": setup["team"].id})
    leader, member = setup["vols"][0], setup["vols"][1]
    url = reverse("volunteers_call", args=[call.id])
    sign_up = reverse("volunteers_call_sign_up", args=[call.id])

    page = login(leader.user).get(url).content.decode()
    form = re.search(r'<form[^>]*action="' + re.escape(sign_up) + r'"[^>]*>', page).group(0)
    assert "hx-post" not in form
    assert re.search(f'<option value="{leader.id}">', page)  # offered before answering
    r = login(leader.user).post(sign_up, follow=True)
    page = r.content.decode()
    confirmed = page.split('id="confirmed"')[1].split('id="waitlisted"')[0]
    assert leader.name in confirmed and "Nobody yet" not in confirmed and "还没有人" not in confirmed
    assert not re.search(f'<option value="{leader.id}">', page)

    page = login(member.user).get(url).content.decode()
    form = re.search(r'<form[^>]*action="' + re.escape(sign_up) + r'"[^>]*>', page).group(0)
    assert "hx-post" in form  # no roster on a member's page: the quick swap stays
