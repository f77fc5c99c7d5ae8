"""A check-out right after the check-in (the same button, tapped twice: 0.0 h credited)
asks first, on the page, in the API and for a leader or staff confirming attendance."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.core.errors import Conflict
from fangkong.volunteers.actions import answers, attendance, calls
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_call(world, make_volunteer, monkeypatch):
    """Volunteer 1 holds a place on a call that started ten minutes ago; the clock is
    `clock[0]` (moved by the tests)."""
    staff = actor_for(world.users.staff)
    v = make_volunteer(1)
    start = timezone.now() + datetime.timedelta(hours=1)
    call = calls.create_call(staff, world.community, {
        "task": "sampling", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=3)).isoformat(), "slots": 2,
        "audience": "community"})
    answers.sign_up(actor_for(v.user), call)
    clock = [start + datetime.timedelta(minutes=10)]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    return v, call, clock


def later(clock, minutes):
    clock[0] = clock[0] + datetime.timedelta(minutes=minutes)


def test_check_out_soon_after_check_in_is_refused_unless_confirmed(on_call):
    v, call, clock = on_call
    attendance.check_in(actor_for(v.user), call.token)
    later(clock, 1)
    with pytest.raises(Conflict) as e:
        attendance.check_out(actor_for(v.user), call.token)
    assert e.value.code == "check_out_soon" and "1" in str(e.value.message)
    a = Assignment.objects.get(call=call, volunteer=v)
    assert a.check_out_at is None and a.minutes == 0
    a = attendance.check_out(actor_for(v.user), call.token, confirm=True)  # they said yes
    assert a.check_out_at is not None and a.minutes == 1


def test_check_out_after_the_guard_needs_no_question(on_call, settings):
    v, call, clock = on_call
    attendance.check_in(actor_for(v.user), call.token)
    later(clock, settings.FANGKONG_CHECK_OUT_CONFIRM_MINUTES)
    a = attendance.check_out(actor_for(v.user), call.token)
    assert a.minutes == settings.FANGKONG_CHECK_OUT_CONFIRM_MINUTES


def test_the_guard_is_a_setting(on_call, settings):
    v, call, clock = on_call
    settings.FANGKONG_CHECK_OUT_CONFIRM_MINUTES = 40
    attendance.check_in(actor_for(v.user), call.token)
    later(clock, 30)
    with pytest.raises(Conflict):
        attendance.check_out(actor_for(v.user), call.token)


def test_api_answers_409_until_confirmed(on_call, client):
    v, call, clock = on_call
    client.force_login(v.user)
    post = lambda path, data: client.post(f"/api/v1/volunteers/{path}", json.dumps(data),  # noqa: E731
                                          content_type="application/json")
    assert post("checkin", {"token": call.token}).status_code == 200
    r = post("checkout", {"token": call.token})
    assert r.status_code == 409 and r.json()["error"]["code"] == "check_out_soon"
    r = post("checkout", {"token": call.token, "confirm": True})
    assert r.status_code == 200 and r.json()["check_out_at"] is not None


def test_scan_page_always_asks_and_warns_when_it_is_soon(on_call, login):
    v, call, clock = on_call
    client = login(v.user)
    url = reverse("volunteers_scan", args=[call.token])
    client.post(url, {"op": "in"})
    later(clock, 130)
    asked = client.post(url, {"op": "out"}).content.decode()
    assert "2.2" in asked and 'class="error"' not in asked  # 130 min → 2.2 h, no warning
    assert Assignment.objects.get(call=call, volunteer=v).check_out_at is None


def test_scan_page_double_tap_is_caught(on_call, login):
    v, call, clock = on_call
    client = login(v.user)
    url = reverse("volunteers_scan", args=[call.token])
    client.post(url, {"op": "in"})
    asked = client.post(url, {"op": "out"}).content.decode()  # the second tap of a double tap
    assert "签退" in asked and ("不到一分钟" in asked or "less than a minute" in asked)
    assert f'href="{url}"' in asked  # "no, go back" returns to the scan page
    assert Assignment.objects.get(call=call, volunteer=v).check_out_at is None


def test_staff_confirming_out_right_after_in_is_asked(on_call, world, login):
    v, call, clock = on_call
    a = Assignment.objects.get(call=call, volunteer=v)
    client = login(world.users.staff)
    url = reverse("volunteers_attend", args=[a.id])
    client.post(url, {"confirm": "1"})  # "Confirm in", and "yes" to its question
    later(clock, 2)
    out = timezone.localtime(clock[0]).strftime("%Y-%m-%d %H:%M:%S")
    asked = client.post(url, {"check_out_at": out})  # "Confirm out", under the same thumb
    assert asked.status_code == 200 and 'name="confirm" value="1"' in asked.content.decode()
    a.refresh_from_db()
    assert a.check_in_at is not None and a.check_out_at is None
    client.post(url, {"check_out_at": out, "confirm": "1"})
    a.refresh_from_db()
    assert a.check_out_at is not None and a.minutes in (1, 2)  # the form sends whole seconds


def test_confirm_out_on_the_page_is_the_minute_of_the_tap_not_of_the_page(on_call, world, login):
    """Found walking the demo: the call page drew "now" into its "Confirm out" form, so a
    page opened at 14:40 and tapped at 14:42 checked out at 14:40 (and a page left open for
    hours would under-credit the volunteer). The button now says "out now"."""
    v, call, clock = on_call
    a = Assignment.objects.get(call=call, volunteer=v)
    client = login(world.users.staff)
    client.post(reverse("volunteers_attend", args=[a.id]), {"confirm": "1"})  # in, 10 minutes into the call
    later(clock, 60)
    page = client.get(reverse("volunteers_call", args=[call.id])).content.decode()
    form = page.split(f'action="{reverse("volunteers_attend", args=[a.id])}"')[1].split("</form>")[0]
    # "out now", and a "left at" time left empty while the shift runs (nothing drawn in)
    assert 'name="out" value="now"' in form and 'name="check_out_at" value=""' in form
    later(clock, 45)  # the page lies open; the tap comes 45 minutes after it was drawn
    client.post(reverse("volunteers_attend", args=[a.id]), {"out": "now", "check_out_at": ""})
    later(clock, 1)  # … and the "yes" to its question a minute after that
    client.post(reverse("volunteers_attend", args=[a.id]), {"out": "now", "check_out_at": "", "confirm": "1"})
    a.refresh_from_db()
    assert a.check_out_at == clock[0] and a.minutes == 106


def test_the_question_says_one_minute_in_the_singular(on_call):
    """English said "Checked in only 1 minutes ago"."""
    from django.utils import translation

    v, call, clock = on_call
    attendance.check_in(actor_for(v.user), call.token)
    later(clock, 1)
    with translation.override("en"), pytest.raises(Conflict) as e:
        attendance.check_out(actor_for(v.user), call.token)
    assert str(e.value.message).startswith("Checked in only 1 minute ago (at "), e.value.message
    later(clock, 1)
    with translation.override("en"), pytest.raises(Conflict) as e:
        attendance.check_out(actor_for(v.user), call.token)
    assert str(e.value.message).startswith("Checked in only 2 minutes ago (at "), e.value.message
