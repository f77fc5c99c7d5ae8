"""A late "确认签退" (found walking a night call to the hours export): the night shift
23:30–06:00, checked in at 23:30 by its leader, was confirmed out at 10:08 — no question,
10.6 h each for a 6.5 h shift, and 05:50–10:08 counted twice for the people who had
checked in at the sampling point at 05:50. Now the check-out has a "left at" time
(defaulting to the shift's end once it is over), "out now" never runs past the shift's
end, no credit runs past the person's next check-in on another call, and a credit longer
than the shift is asked about first — on the page and in the API."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Conflict
from fangkong.volunteers.actions import answers, attendance, teams
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment, Volunteer
from tests.conftest import actor_for


def at(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


def local(day, h, m=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(h, m)))


def call_at(world, start, end, title, **over):
    data = {"task": "order", "place": world.building.id, "title": title, "slots": 5,
            "starts_at": start.isoformat(), "ends_at": end.isoformat()}
    data.update(over)
    return vol_calls.create_call(actor_for(world.users.staff), world.community, data)


@pytest.fixture
def night(world, make_volunteer, monkeypatch):
    """田晓燕 leads 夜班组 (韩洁, 李丽娜). The team's night shift 23:30–06:00 and the
    sampling point's 06:00–14:00, both answered by both members; at 23:30 the leader
    confirms them in on the night shift; at 05:50 韩洁 checks in at the sampling point by
    its QR (李丽娜 goes home). It is 10:08."""
    staff = actor_for(world.users.staff)
    d = timezone.localdate() + datetime.timedelta(days=2)
    e = d + datetime.timedelta(days=1)
    leader, han, li = (make_volunteer(1, name="田晓燕"), make_volunteer(2, name="韩洁"),
                       make_volunteer(3, name="李丽娜"))
    team = teams.create_team(staff, world.community, "夜班组", leader=leader)
    for v in (han, li):
        teams.add_member(staff, team, v)
    at(monkeypatch, local(d, 20))
    shift = call_at(world, local(d, 23, 30), local(e, 6), "夜班值守", audience="team", team=team.id)
    point = call_at(world, local(e, 6), local(e, 14), "采样点协助")
    places = {}
    for v in (han, li):
        places[v.name] = answers.sign_up(actor_for(v.user), shift)
        places[v.name + "·采样"] = answers.sign_up(actor_for(v.user), point)
    at(monkeypatch, local(d, 23, 30))
    for v in (han, li):
        attendance.confirm_attendance(actor_for(leader.user), places[v.name], confirm=True)
    at(monkeypatch, local(e, 5, 50))
    attendance.check_in(actor_for(han.user), point.token)
    at(monkeypatch, local(e, 10, 8))
    return dict(d=d, e=e, leader=leader, han=han, li=li, team=team, shift=shift, point=point,
                han_a=places["韩洁"], li_a=places["李丽娜"])


def _a(a):
    return Assignment.objects.get(pk=a.pk)


def test_out_now_after_the_shift_stops_at_the_next_check_in_elsewhere_asked_first(night, login):
    client = login(night["leader"].user)
    url = reverse("volunteers_attend", args=[night["han_a"].id])
    asked = client.post(url, {"out": "now", "check_out_at": ""})
    text = asked.content.decode()
    assert asked.status_code == 200 and 'name="confirm" value="1"' in text
    # the hours it will credit, and why they end at 05:50
    assert "签到 23:30，签退 05:50：将记 6.3 小时" in text
    assert "韩洁 已于 05:50 在“采样点协助”签到" in text
    assert _a(night["han_a"]).check_out_at is None
    r = client.post(url, {"out": "now", "check_out_at": "", "confirm": "1"}, follow=True)
    a = _a(night["han_a"])
    assert a.check_out_at == local(night["e"], 5, 50) and a.minutes == 380 and a.hours == 6.3
    assert "已确认签退（05:50），记 6.3 小时" in r.content.decode()
    # the same minutes are not counted twice: her total is this place alone so far
    assert Volunteer.objects.get(pk=night["han"].pk).minutes == 380


def test_out_now_after_the_shift_is_its_end_not_the_tap(night, login):
    client = login(night["leader"].user)
    url = reverse("volunteers_attend", args=[night["li_a"].id])
    text = client.post(url, {"out": "now", "check_out_at": ""}).content.decode()
    assert "将记 6.5 小时" in text and "班次已于 06:00 结束" in text
    client.post(url, {"out": "now", "check_out_at": "", "confirm": "1"})
    a = _a(night["li_a"])
    assert a.check_out_at == local(night["e"], 6) and a.minutes == 390  # never 10.6 h


def test_the_roster_offers_left_at_preset_to_the_shift_end_once_it_is_over(night, login):
    page = login(night["leader"].user).get(reverse("volunteers_call", args=[night["shift"].id])).content.decode()
    form = page.split(f'action="{reverse("volunteers_attend", args=[night["li_a"].id])}"')[1].split("</form>")[0]
    assert 'name="check_out_at" value="06:00"' in form and 'name="out" value="now"' in form


def test_a_left_at_time_past_the_shift_is_taken_but_asked_first(night, login):
    client = login(night["leader"].user)
    url = reverse("volunteers_attend", args=[night["li_a"].id])
    text = client.post(url, {"out": "now", "check_out_at": "07:00"}).content.decode()
    assert "将记 7.5 小时" in text and "比整个班次（23:30–06:00，6.5 小时）还长" in text
    assert _a(night["li_a"]).check_out_at is None
    client.post(url, {"out": "now", "check_out_at": "07:00", "confirm": "1"})
    a = _a(night["li_a"])
    assert a.check_out_at == local(night["e"], 7) and a.minutes == 450


def test_a_left_at_time_past_a_check_in_elsewhere_is_cut_there(night):
    a = attendance.confirm_attendance(actor_for(night["leader"].user), night["han_a"],
                                      check_out_at="07:00", confirm=True)
    assert a.check_out_at == local(night["e"], 5, 50) and a.minutes == 380


def test_the_api_checks_out_at_the_default_and_asks_about_a_long_credit(night, login):
    client = login(night["leader"].user)

    def attend(a, body):
        return client.post(f"/api/v1/volunteers/assignments/{a.id}/attend", json.dumps(body),
                           content_type="application/json")

    r = attend(night["han_a"], {"check_out_now": True})
    assert r.status_code == 200, r.content
    assert r.json()["minutes"] == 380 and r.json()["state"] == "out"
    late = local(night["e"], 7).isoformat()
    r = attend(night["li_a"], {"check_out_at": late})
    assert r.status_code == 409 and r.json()["error"]["code"] == "long_credit", r.content
    assert _a(night["li_a"]).check_out_at is None
    r = attend(night["li_a"], {"check_out_at": late, "confirm": True})
    assert r.status_code == 200 and r.json()["minutes"] == 450


def test_an_arrival_typed_later_cuts_a_shift_checked_out_past_it(night, world, monkeypatch):
    """李丽娜 was checked out of the night at 06:10 (as typed); at 10:08 staff type her
    arrival at the sampling point: 06:00. The night's credit ends at 06:00, audited."""
    staff = actor_for(world.users.staff)
    attendance.confirm_attendance(staff, night["li_a"], check_out_at="06:10", confirm=True)
    assert _a(night["li_a"]).minutes == 400
    point_a = Assignment.objects.get(call=night["point"], volunteer=night["li"])
    attendance.confirm_attendance(staff, point_a, check_in_at="06:00", confirm=True)
    a = _a(night["li_a"])
    assert a.check_out_at == local(night["e"], 6) and a.minutes == 390
    assert Volunteer.objects.get(pk=night["li"].pk).minutes == 390
    assert AuditEvent.objects.filter(action="call.overlap_cut", target_id=a.id).exists()


def test_her_own_scan_stops_at_her_check_in_elsewhere_and_asks_when_long(night, monkeypatch):
    """The person's own check-out is her own time, never past her check-in elsewhere; more
    than the shift, she is asked (409 long_credit in the API)."""
    at(monkeypatch, local(night["e"], 8))
    a = attendance.check_out(actor_for(night["han"].user), night["shift"].token)  # 05:50 < 06:00
    assert a.check_out_at == local(night["e"], 5, 50) and a.minutes == 380
    with translation.override("zh-hans"), pytest.raises(Conflict) as e:
        attendance.check_out(actor_for(night["li"].user), night["shift"].token)
    assert e.value.code == "long_credit" and "8.5 小时" in str(e.value.message)
    a = attendance.check_out(actor_for(night["li"].user), night["shift"].token, confirm=True)
    assert a.minutes == 510


def test_wrong_people_are_refused_as_before(night, world, login):
    url = reverse("volunteers_attend", args=[night["li_a"].id])
    # another community's staff: missing
    assert login(world.users.other_staff).post(url, {"out": "now"}).status_code == 404
    # a member who leads nothing: not hers to confirm (she sees her own place only)
    assert login(night["han"].user).post(url, {"out": "now"}).status_code == 404
    # street command sees it and may not
    assert login(world.users.street).post(url, {"out": "now"}).status_code == 403
    assert _a(night["li_a"]).check_out_at is None
