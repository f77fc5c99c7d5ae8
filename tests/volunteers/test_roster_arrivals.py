"""The call page at 05:50 (found walking a night call to the hours export): nothing counted
who had arrived, the missing were mixed into a long list, the team leader's roster had no
phone numbers; one tap confirmed someone in with no question and no undo; corrected hours
vanished from the roster when nobody had checked out; and the volunteer's own pages said
"已确认" after her check-in and offered no check-out away from the QR."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.volunteers.actions import answers, attendance, teams
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for


def at(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


def local(day, h, m=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(h, m)))


@pytest.fixture
def dawn(world, make_volunteer, monkeypatch):
    """采样点协助 06:00–14:00, answered by 杨娟's team (孔俊勇, 贾晓燕) and 张波 (no team);
    杨娟 leads 采样保障组 and holds no place. At 05:50 孔俊勇 and 张波 have checked in by
    the QR; 贾晓燕 has not."""
    staff = actor_for(world.users.staff)
    d = timezone.localdate() + datetime.timedelta(days=2)
    leader, kong, jia, zhang = (make_volunteer(1, name="杨娟"), make_volunteer(2, name="孔俊勇"),
                                make_volunteer(3, name="贾晓燕"), make_volunteer(4, name="张波"))
    team = teams.create_team(staff, world.community, "采样保障组", leader=leader)
    for v in (kong, jia):
        teams.add_member(staff, team, v)
    at(monkeypatch, local(d, 0, 30))
    call = vol_calls.create_call(staff, world.community, {
        "task": "sampling", "place": world.building.id, "title": "采样点协助", "slots": 5,
        "starts_at": local(d, 6).isoformat(), "ends_at": local(d, 14).isoformat()})
    places = {v.name: answers.sign_up(actor_for(v.user), call) for v in (kong, jia, zhang)}
    at(monkeypatch, local(d, 5, 40))
    for v in (kong, zhang):
        attendance.check_in(actor_for(v.user), call.token)
    at(monkeypatch, local(d, 5, 50))
    return dict(d=d, call=call, leader=leader, kong=kong, jia=jia, zhang=zhang, team=team, places=places)


def _page(client, call):
    return client.get(reverse("volunteers_call", args=[call.id])).content.decode()


# --- 2. who has arrived, the missing first, with their phones -----------------------------

def test_staff_see_arrived_and_due_at_the_top_and_the_missing_first_with_a_phone(dawn, world, login,
                                                                                  monkeypatch):
    at(monkeypatch, local(dawn["d"], 4, 59))  # before check-in opens: nothing to count yet
    assert 'id="arrivals"' not in _page(login(world.users.staff), dawn["call"])
    at(monkeypatch, local(dawn["d"], 5, 50))
    page = _page(login(world.users.staff), dawn["call"])
    assert "已到 2 / 应到 3" in page and "未到 1" in page
    assert page.index('id="arrivals"') < page.index('id="answer"')  # at the top
    roster = page.split('id="confirmed"')[1]
    assert roster.index("贾晓燕") < roster.index("孔俊勇") and roster.index("贾晓燕") < roster.index("张波")
    assert f'href="tel:{dawn["jia"].phone}"' in roster


def test_the_leader_sees_her_part_counted_and_her_members_phones_audited(dawn, login):
    before = AuditEvent.objects.filter(action="volunteer.view_phones").count()
    page = _page(login(dawn["leader"].user), dawn["call"])
    assert "已到 1 / 应到 2" in page and "未到 1" in page  # her two members
    roster = page.split('id="confirmed"')[1]
    assert f'href="tel:{dawn["jia"].phone}"' in roster and f'href="tel:{dawn["kong"].phone}"' in roster
    assert "张波" not in roster and dawn["zhang"].phone not in page  # not hers
    ev = AuditEvent.objects.filter(action="volunteer.view_phones").latest("id")
    assert AuditEvent.objects.filter(action="volunteer.view_phones").count() == before + 1
    assert ev.changes["where"] == f"call:{dawn['call'].id}"
    assert sorted(ev.changes["volunteers"]) == sorted([dawn["jia"].id, dawn["kong"].id])


def test_a_member_who_leads_nothing_sees_no_count_and_no_phones(dawn, login):
    page = _page(login(dawn["jia"].user), dawn["call"])
    assert 'id="arrivals"' not in page and dawn["kong"].phone not in page


def test_the_api_counts_the_arrived_and_lists_the_missing_first(dawn, world, login):
    r = login(world.users.staff).get(f"/api/v1/volunteers/calls/{dawn['call'].id}").json()
    assert r["checked_in"] == 2 and r["not_arrived"] == 1
    assert r["confirmed_people"][0]["volunteer_name"] == "贾晓燕"
    assert [p["state"] for p in r["confirmed_people"]] == ["due", "in", "in"]
    r = login(dawn["leader"].user).get(f"/api/v1/volunteers/calls/{dawn['call'].id}").json()
    assert r["checked_in"] == 1 and r["not_arrived"] == 1
    r = login(dawn["jia"].user).get(f"/api/v1/volunteers/calls/{dawn['call'].id}").json()
    assert r["checked_in"] is None and r["confirmed_people"] is None
    assert login(world.users.other_staff).get(f"/api/v1/volunteers/calls/{dawn['call'].id}").status_code == 404


# --- 3. 确认签到 asks first, and can be undone for a few minutes ----------------------

def test_confirming_an_arrival_asks_first_naming_the_person(dawn, login):
    client = login(dawn["leader"].user)
    url = reverse("volunteers_attend", args=[dawn["places"]["贾晓燕"].id])
    asked = client.post(url, {"check_in_at": ""})
    assert asked.status_code == 200 and "确认 贾晓燕 已到岗？" in asked.content.decode()
    assert Assignment.objects.get(pk=dawn["places"]["贾晓燕"].id).check_in_at is None
    client.post(url, {"check_in_at": "", "confirm": "1"})
    assert Assignment.objects.get(pk=dawn["places"]["贾晓燕"].id).check_in_at == local(dawn["d"], 5, 50)


def test_a_check_in_is_undone_within_minutes_and_audited_then_no_more(dawn, login, monkeypatch):
    client = login(dawn["leader"].user)
    a = dawn["places"]["贾晓燕"]
    client.post(reverse("volunteers_attend", args=[a.id]), {"confirm": "1"})
    undo = reverse("volunteers_undo_check_in", args=[a.id])
    assert f'action="{undo}"' in _page(client, dawn["call"])
    at(monkeypatch, local(dawn["d"], 5, 55))
    r = client.post(undo, follow=True)
    assert "已撤销 贾晓燕 的签到" in r.content.decode()
    assert Assignment.objects.get(pk=a.id).check_in_at is None
    assert AuditEvent.objects.filter(action="call.undo_check_in", target_id=a.id).exists()
    # confirmed again; eleven minutes later it stays (staff correct the hours instead)
    client.post(reverse("volunteers_attend", args=[a.id]), {"confirm": "1"})
    at(monkeypatch, local(dawn["d"], 6, 6))
    assert f'action="{undo}"' not in _page(client, dawn["call"])
    r = client.post(f"/api/v1/volunteers/assignments/{a.id}/undo-check-in", "{}", content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "undo_too_late"
    assert Assignment.objects.get(pk=a.id).check_in_at == local(dawn["d"], 5, 55)


def test_undo_in_the_api_and_who_may_not(dawn, world, login):
    a = dawn["places"]["贾晓燕"]
    attendance.confirm_attendance(actor_for(world.users.staff), a)
    url = f"/api/v1/volunteers/assignments/{a.id}/undo-check-in"
    for user, status in ((world.users.other_staff, 404), (dawn["kong"].user, 404), (world.users.street, 403)):
        assert login(user).post(url, "{}", content_type="application/json").status_code == status
    assert Assignment.objects.get(pk=a.id).check_in_at is not None
    r = login(dawn["leader"].user).post(url, "{}", content_type="application/json")
    assert r.status_code == 200 and r.json()["check_in_at"] is None and r.json()["state"] == "due"


# --- 5. corrected hours are one figure everywhere -----------------------------------------

def test_corrected_hours_without_a_check_out_show_on_the_roster_with_no_check_out_offered(dawn, world, login,
                                                                                           monkeypatch):
    at(monkeypatch, local(dawn["d"], 15))
    a = Assignment.objects.get(pk=dawn["places"]["孔俊勇"].id)
    attendance.correct_minutes(actor_for(world.users.staff), a, 390, "组长漏签退")
    page = _page(login(world.users.staff), dawn["call"])
    row = page.split("孔俊勇")[1].split("</li>")[0]
    assert "6.5 h" in row and "已更正：组长漏签退" in row
    assert reverse("volunteers_attend", args=[a.id]) not in row  # no 确认签退 left
    mine = _page(login(dawn["kong"].user), dawn["call"]).split('id="answer"')[1]
    assert "6.5 h" in mine.split('<p class="msg">')[1].split("</p>")[0]  # her own line too
    assert reverse("volunteers_call_check_out", args=[dawn["call"].id]) not in mine


# --- 6. the volunteer's own pages after checking in ---------------------------------------

def test_home_says_checked_in_with_the_time(dawn, login):
    home = login(dawn["kong"].user).get(reverse("volunteers_home")).content.decode()
    tasks = home.split('id="home-visits"')[1].split("</ul>")[0]
    assert "已签到 05:40" in tasks and "已确认" not in tasks


def test_her_own_call_page_checks_her_out_asking_first(dawn, login, monkeypatch):
    client = login(dawn["zhang"].user)
    url = reverse("volunteers_call_check_out", args=[dawn["call"].id])
    assert f'action="{url}"' in _page(client, dawn["call"])
    at(monkeypatch, local(dawn["d"], 9, 10))
    asked = client.post(url).content.decode()
    assert "现在签退？" in asked and "签到 05:40，签退 09:10：将记 3.5 小时" in asked
    assert Assignment.objects.get(pk=dawn["places"]["张波"].id).check_out_at is None
    client.post(url, {"confirm": "1"})
    a = Assignment.objects.get(pk=dawn["places"]["张波"].id)
    assert a.check_out_at == local(dawn["d"], 9, 10) and a.minutes == 210
    assert f'action="{url}"' not in _page(client, dawn["call"])
    # a place not checked in to: nothing to check out (said on the page)
    assert login(dawn["jia"].user).post(url, {"confirm": "1"}).status_code == 302  # not checked in: said
    assert Assignment.objects.get(pk=dawn["places"]["贾晓燕"].id).check_out_at is None


def test_the_check_out_button_is_missing_for_another_community(dawn, world, login):
    url = reverse("volunteers_call_check_out", args=[dawn["call"].id])
    assert login(world.users.other_staff).post(url).status_code == 404


def test_the_counts_are_one_rule(dawn):
    """The page's and the API's counts are `queries.arrivals` of the rows shown."""
    from fangkong.volunteers import queries

    assert queries.arrivals(queries.roster(dawn["call"])["confirmed"]) == {"due": 3, "arrived": 2, "missing": 1}
