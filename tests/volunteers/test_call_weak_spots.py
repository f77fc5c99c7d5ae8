"""Weak spots of urgent calls (召集), found reading the actions: a QR check-in on a cancelled
call went through the action (only the page hid it); moving a call double-booked the people
it now made clash with another call or a sampling table; closing sign-up told nobody waiting;
the message question's "back" lost the typed text; a call without a title read
"采样协助 采样协助"."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.core.errors import Conflict
from fangkong.notify.models import Notification
from fangkong.screening.actions import planning
from fangkong.volunteers.actions import answers, attendance, call_news
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment, Call
from tests.conftest import actor_for
from tests.volunteers.test_call_news import api, bearer, s  # noqa: F401  (s: the fixture)
from tests.volunteers.test_table_clash import _round

REASON = "核酸点撤销"


def _call(world, hours, slots=1, title="1号点 采样辅助"):
    start = (timezone.now() + datetime.timedelta(hours=hours)).replace(second=0, microsecond=0)
    return vol_calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "sampling", "title": title, "place": world.building.id, "slots": slots,
        "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=4)).isoformat()})


# --- 1. a QR check-in on a cancelled call ----------------------------------------------

def test_check_in_on_a_cancelled_call_is_refused_with_its_reason(world, s, login):  # noqa: F811
    call = s["call"]
    Call.objects.filter(pk=call.pk).update(starts_at=timezone.now() + datetime.timedelta(minutes=20))
    call_news.cancel_call(actor_for(world.users.staff), Call.objects.get(pk=call.pk), REASON)
    zh = actor_for(s["zh"].user)
    with pytest.raises(Conflict) as e:  # was: "you do not hold a confirmed place" (no reason)
        attendance.check_in(zh, call.token)
    assert e.value.code == "cancelled" and REASON in str(e.value.message)
    # a place still confirmed (read before it was called off): refused all the same
    Assignment.objects.filter(call=call, volunteer=s["zh"]).update(status="confirmed")
    with pytest.raises(Conflict) as e:
        attendance.check_in(zh, call.token)
    assert e.value.code == "cancelled"
    page = login(s["zh"].user).post(reverse("volunteers_scan", args=[call.token]), {"op": "in"})
    assert REASON in page.content.decode()
    r = api(bearer(s["zh"].user), "/api/v1/volunteers/checkin", {"token": call.token})
    assert r.status_code == 409 and REASON in r.json()["error"]["message"]
    assert Assignment.objects.get(call=call, volunteer=s["zh"]).check_in_at is None


# --- 2. moving a call re-checks clashes ------------------------------------------------

def test_a_move_that_makes_a_clash_asks_names_them_and_releases_them_to_the_waitlist(
        world, make_volunteer, login):
    busy, free, waiting = make_volunteer(1, name="赵敏"), make_volunteer(2, name="钱多"), make_volunteer(3, name="孙立")
    early = _call(world, 2, title="早班")
    answers.sign_up(actor_for(busy.user), early)
    late = _call(world, 8, slots=2, title="晚班")
    for v in (busy, free):
        assert answers.sign_up(actor_for(v.user), late).status == "confirmed"
    assert answers.sign_up(actor_for(waiting.user), late).status == "waitlisted"
    moved_to = {"starts_at": early.starts_at + datetime.timedelta(hours=1),
                "ends_at": early.starts_at + datetime.timedelta(hours=5)}
    staff = actor_for(world.users.staff)
    with pytest.raises(Conflict) as e:  # was: moved, and 赵敏 held both at once
        call_news.change_call(staff, late, dict(moved_to))
    assert e.value.code == "moved_clash" and "赵敏" in str(e.value.message) and "早班" in str(e.value.message)
    assert Call.objects.get(pk=late.pk).starts_at == late.starts_at  # nothing moved
    # the page's question names them
    c = login(world.users.staff)
    form = {k: timezone.localtime(v).strftime("%Y-%m-%dT%H:%M") for k, v in moved_to.items()}
    page = c.post(reverse("volunteers_call_change", args=[late.id]), form).content.decode()
    assert "赵敏" in page and "候补" in page and "早班" in page
    r = c.post(reverse("volunteers_call_change", args=[late.id]), {**form, "confirm": "1"}, follow=True)
    assert "已转入候补" in r.content.decode()
    rows = {a.volunteer_id: a.status for a in Assignment.objects.filter(call=late)}
    assert rows == {busy.id: "waitlisted", free.id: "confirmed", waiting.id: "confirmed"}
    assert Call.objects.get(pk=late.pk).confirmed == 2
    assert Notification.objects.filter(kind="volunteers.call_moved_off", user_id=busy.user_id).count() == 1
    assert not Notification.objects.filter(kind="volunteers.call_changed", user_id=busy.user_id).exists()
    assert Notification.objects.filter(kind="volunteers.call_changed", user_id=free.user_id).exists()


def test_a_move_onto_a_sampling_table_releases_the_sampler_through_the_api(world, system, make_volunteer):
    v = make_volunteer(1, name="周洁")
    call = _call(world, 10)
    answers.sign_up(actor_for(v.user), call)
    rnd, point = _round(world, system, start_h=1, hours=5)
    planning.assign_sampler(system, rnd, point, v.user, 1)
    staff = bearer(world.users.staff)
    body = {"starts_at": (rnd.starts_at + datetime.timedelta(hours=1)).isoformat(),
            "ends_at": (rnd.starts_at + datetime.timedelta(hours=3)).isoformat()}
    r = api(staff, f"/api/v1/volunteers/calls/{call.id}/change", body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "moved_clash"
    assert "周洁" in r.json()["error"]["message"] and rnd.name in r.json()["error"]["message"]
    r = api(staff, f"/api/v1/volunteers/calls/{call.id}/change", {**body, "confirm": True})
    assert r.status_code == 200 and r.json()["confirmed"] == 0 and "周洁" in r.json()["released"][0]
    assert Assignment.objects.get(call=call, volunteer=v).status == "waitlisted"


# --- 3. closing sign-up tells those waiting ---------------------------------------------

def test_closing_sign_up_tells_those_waiting_once_in_their_language(world, s, login):  # noqa: F811
    call = s["call"]
    c = login(world.users.staff)
    r = c.post(reverse("volunteers_call_close", args=[call.id]), {"confirm": "1"}, follow=True)
    assert "已通知候补的 1 人" in r.content.decode()
    vol_calls.close_call(actor_for(world.users.staff), call)  # again: nobody twice
    told = Notification.objects.filter(kind="volunteers.call_closed")
    assert list(told.values_list("user_id", flat=True)) == [s["en"].user_id]  # only Anna waits
    assert User.objects.get(pk=s["en"].user_id).language == "en"
    n = told.get()
    from django.utils import translation

    with translation.override("en"):
        assert "Sign-up closed" in str(n.said()[0]) and "waitlist" in str(n.said()[1])


# --- 4. the message question's "back" keeps the text ------------------------------------

def test_back_from_the_message_question_brings_the_text_back(world, s, login):  # noqa: F811
    call = s["call"]
    c = login(world.users.staff)
    url = reverse("volunteers_call_message", args=[call.id])
    page = c.post(url, {"text": "改到2号点，带身份证", "client_id": "4b0f8a2e-0000-4000-8000-000000000001"}).content.decode()
    assert 'name="edit"' in page  # "no, go back" posts the text back, not a bare link
    page = c.post(url, {"text": "改到2号点，带身份证", "client_id": "4b0f8a2e-0000-4000-8000-000000000001",
                        "edit": "1"}).content.decode()
    assert ">改到2号点，带身份证</textarea>" in page and "4b0f8a2e-0000-4000-8000-000000000001" in page
    assert not Notification.objects.filter(kind="volunteers.call_message").exists()


# --- 5. a call without a title ----------------------------------------------------------

def test_a_call_without_a_title_is_named_by_its_kind_and_place_once(world, login):
    call = _call(world, 3, title="")
    assert call.title == "1号楼采样协助"
    page = login(world.users.staff).get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert "采样协助 采样协助" not in page and page.count("采样协助</small>") == 0
    typed = _call(world, 12, title="采样协助")  # typed as the kind: the kind is not said twice
    page = login(world.users.staff).get(reverse("volunteers_call", args=[typed.id])).content.decode()
    assert '<small class="kind">' not in page
    # moved elsewhere, a default title follows the place (a typed one stays)
    call, _n = call_news.change_call(actor_for(world.users.staff), call, {"place": world.community.id})
    assert call.title == f"{world.community.name}采样协助"
