"""Found walking an urgent call at 2 a.m.: a published call could not be cancelled and the
people who answered could not be messaged (page or API); a confirmed volunteer giving up a
place told no staff, and on a call closed and under way nobody moved up; the call's text had
no sign-up deadline."""

import datetime
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import User
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.channels import Channel
from fangkong.notify.models import Delivery, Notification
from fangkong.volunteers.actions import answers
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment, Call
from tests.conftest import actor_for


def at(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


def bearer(user):
    _tok, raw = account_actions.create_token(Actor.system(user, via="api"), "test")
    c = Client()
    c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return c


def api(c, url, data):
    return c.post(url, data, content_type="application/json")


@pytest.fixture
def s(world, make_volunteer):
    """A call for one person in 5 hours: 李娜 (Chinese) has the place, Anna (reads English)
    waits; 王芳 never answered."""
    zh, en, other = make_volunteer(1, name="李娜"), make_volunteer(2, name="Anna"), make_volunteer(3, name="王芳")
    User.objects.filter(pk=en.user_id).update(language="en")
    start = (timezone.now() + datetime.timedelta(hours=5)).replace(second=0, microsecond=0)
    call = vol_calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "sampling", "title": "1号点 采样辅助", "place": world.building.id, "slots": 1,
        "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=4)).isoformat()})
    a_zh = answers.sign_up(actor_for(zh.user), call)
    a_en = answers.sign_up(actor_for(en.user), call)
    assert (a_zh.status, a_en.status) == ("confirmed", "waitlisted")
    return dict(zh=zh, en=en, other=other, call=call, start=start)


def short_en(at) -> str:
    """A date-time as an English reader reads it in a message ("7 Dec 20:35", `core.when`)."""
    at = timezone.localtime(at)
    return f"{at.day} {at:%b} {at:%H:%M}"


def told(kind, user_id):
    return list(Notification.objects.filter(kind=kind, user_id=user_id).values_list("title", "body"))


# --- 1. calling a call off -----------------------------------------------------------

def test_staff_cancel_a_call_on_the_page_asked_first_and_everyone_who_answered_is_told(world, s, login):
    c = login(world.users.staff)
    call = s["call"]
    page = c.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert reverse("volunteers_call_cancel_call", args=[call.id]) in page
    url = reverse("volunteers_call_cancel_call", args=[call.id])
    # no reason: nothing happens, the page says why
    r = c.post(url, {"reason": " "})
    assert r.status_code == 302 and Call.objects.get(pk=call.id).status == "full"
    # asked first, saying the reason and who is told
    r = c.post(url, {"reason": "采样点改到2号点"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "采样点改到2号点" in body and "候补的 1 人" in body
    assert Call.objects.get(pk=call.id).status == "full"
    r = c.post(url, {"reason": "采样点改到2号点", "confirm": "1"})
    assert r.status_code == 302
    call.refresh_from_db()
    assert call.status == "cancelled" and call.confirmed == 0
    assert set(Assignment.objects.filter(call=call).values_list("status", flat=True)) == {"cancelled"}
    # each in their own language, inbox and text; nobody who never answered
    (zh_title, zh_body), = told("volunteers.call_cancelled", s["zh"].user_id)
    assert zh_title == "召集令已取消：1号点 采样辅助" and "采样点改到2号点" in zh_body and "请不要前往" in zh_body
    (en_title, en_body), = told("volunteers.call_cancelled", s["en"].user_id)
    assert en_title == "Cancelled: 1号点 采样辅助" and "Please do not come" in en_body
    assert not told("volunteers.call_cancelled", s["other"].user_id)
    assert Delivery.objects.filter(kind="volunteers.call_cancelled", user__isnull=False).count() == 2
    ev = AuditEvent.objects.get(action="call.cancel_call")
    assert ev.changes["reason"] == "采样点改到2号点" and ev.changes["notified"] == 2
    # sent again (a retry): nothing more
    r = c.post(url, {"reason": "采样点改到2号点", "confirm": "1"})
    assert r.status_code == 302
    assert Notification.objects.filter(kind="volunteers.call_cancelled").count() == 2
    assert AuditEvent.objects.filter(action="call.cancel_call").count() == 1


def test_cancel_a_call_over_the_api_scoped_and_idempotent(world, s):
    call = s["call"]
    url = f"/api/v1/volunteers/calls/{call.id}/cancel-call"
    assert api(bearer(world.users.other_staff), url, {"reason": "x"}).status_code == 404
    assert api(bearer(world.users.street), url, {"reason": "x"}).status_code == 403
    assert api(bearer(s["zh"].user), url, {"reason": "x"}).status_code == 404
    staff = bearer(world.users.staff)
    assert api(staff, url, {"reason": ""}).status_code == 400
    r = api(staff, url, {"reason": "暂停采样"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert api(staff, url, {"reason": "暂停采样"}).status_code == 200
    assert Notification.objects.filter(kind="volunteers.call_cancelled").count() == 2
    # a cancelled call takes no answers
    r = api(bearer(s["other"].user), f"/api/v1/volunteers/calls/{call.id}/signup", {})
    assert r.status_code == 409


# --- a message to the people who answered ----------------------------------------------

def test_staff_message_the_answered_volunteers_on_the_page_once_per_form(world, s, login):
    c = login(world.users.staff)
    call = s["call"]
    url = reverse("volunteers_call_message", args=[call.id])
    form = {"text": "时间改为 06:15，2号点", "client_id": str(uuid.uuid4()), "confirm": "1"}
    assert c.post(url, form).status_code == 302
    assert c.post(url, form).status_code == 302  # a double tap
    for v in (s["zh"], s["en"]):
        (title, body), = told("volunteers.call_message", v.user_id)
        assert body == "时间改为 06:15，2号点"
    assert told("volunteers.call_message", s["zh"].user_id)[0][0] == "召集令通知：1号点 采样辅助"
    assert told("volunteers.call_message", s["en"].user_id)[0][0] == "About 1号点 采样辅助"
    assert not told("volunteers.call_message", s["other"].user_id)
    assert AuditEvent.objects.filter(action="call.message").count() == 1
    # a volunteer may not send one
    assert login(s["zh"].user).post(url, form).status_code == 404


def test_staff_message_over_the_api(world, s):
    url = f"/api/v1/volunteers/calls/{s['call'].id}/message"
    assert api(bearer(world.users.other_staff), url, {"text": "x"}).status_code == 404
    assert api(bearer(world.users.street), url, {"text": "x"}).status_code == 403
    staff = bearer(world.users.staff)
    body = {"text": "带上身份证", "client_id": str(uuid.uuid4())}
    r = api(staff, url, body)
    assert r.status_code == 200 and r.json() == {"notified": 2}
    assert api(staff, url, body).json() == {"notified": 0}
    assert api(staff, url, {"text": ""}).status_code == 400


# --- 2. a confirmed volunteer gives up a place -----------------------------------------

def test_staff_are_told_when_a_confirmed_volunteer_gives_up_and_who_moved_up(world, s):
    answers.cancel(actor_for(s["zh"].user), Assignment.objects.get(call=s["call"], volunteer=s["zh"]))
    (title, body), = told("volunteers.withdrawn", world.users.staff.id)
    assert title == "有人放弃名额：1号点 采样辅助"
    assert "李娜 放弃了" in body and "Anna 已从候补递补" in body
    # staff removing someone tell themselves nothing
    answers.cancel(actor_for(world.users.staff), Assignment.objects.get(call=s["call"], volunteer=s["en"]))
    assert len(told("volunteers.withdrawn", world.users.staff.id)) == 1


def test_a_closed_call_under_way_still_moves_the_first_waiting_person_up(world, s, monkeypatch):
    staff = actor_for(world.users.staff)
    vol_calls.close_call(staff, s["call"])
    at(monkeypatch, s["start"] + datetime.timedelta(minutes=10))  # under way, nobody checked in
    answers.cancel(actor_for(s["zh"].user), Assignment.objects.get(call=s["call"], volunteer=s["zh"]))
    assert Assignment.objects.get(call=s["call"], volunteer=s["en"]).status == "confirmed"
    assert told("volunteers.promoted", s["en"].user_id)
    (_title, body), = told("volunteers.withdrawn", world.users.staff.id)
    assert "Anna 已从候补递补" in body


def test_with_nobody_waiting_staff_read_how_many_places_are_taken(world, s):
    answers.cancel(actor_for(s["en"].user), Assignment.objects.get(call=s["call"], volunteer=s["en"]))
    assert not told("volunteers.withdrawn", world.users.staff.id)  # a waiting place: nothing to fill
    answers.cancel(actor_for(s["zh"].user), Assignment.objects.get(call=s["call"], volunteer=s["zh"]))
    (_title, body), = told("volunteers.withdrawn", world.users.staff.id)
    assert "无人候补：名额已确认 0/1。" in body


# --- 3. the call's text ------------------------------------------------------------------

@pytest.fixture
def public_url(settings):
    """The site's public address, set before the call goes out (its text is written then)."""
    settings.FANGKONG_PUBLIC_URL = "https://fk.example.gov.cn/"


def test_the_call_text_says_by_when_to_answer_with_an_absolute_link(world, public_url, s):
    call = s["call"]
    deadline = timezone.localtime(call.deadline).strftime("%m-%d %H:%M")
    d = Delivery.objects.filter(kind="volunteers.call", user=s["zh"].user).get()
    text = Channel.text(d)
    assert f"请在 {deadline} 前点击下方链接报名。" in text
    assert text.endswith(f"\nhttps://fk.example.gov.cn/volunteers/calls/{call.id}/")
    en = Channel.text(Delivery.objects.filter(kind="volunteers.call", user=s["en"].user).get())
    assert f"Answer by {short_en(call.deadline)} at the link below." in en  # "7 Dec 20:35": the reader's


def test_without_a_public_address_the_text_neither_points_to_a_link_nor_carries_a_path(world, s):
    """No FANGKONG_PUBLIC_URL (`check --deploy` warns, W002): a text cannot carry the link,
    so it does not say "点击下方链接" and ends with no bare path ("/volunteers/calls/4/")."""
    call = s["call"]
    deadline = timezone.localtime(call.deadline).strftime("%m-%d %H:%M")
    text = Channel.text(Delivery.objects.filter(kind="volunteers.call", user=s["zh"].user).get())
    assert "链接" not in text and "/volunteers/" not in text
    assert text.endswith(f"请在 {deadline} 前到召集令页面报名。")
    en = Channel.text(Delivery.objects.filter(kind="volunteers.call", user=s["en"].user).get())
    assert "link" not in en and en.endswith(f"Answer by {short_en(call.deadline)} on the call's page.")


# --- moving a published call ----------------------------------------------------------------

def test_moving_a_call_on_the_page_asks_then_tells_everyone_who_answered_what_changed(world, s, login):
    c = login(world.users.staff)
    call = s["call"]
    new_start = timezone.localtime(s["start"] + datetime.timedelta(minutes=30))
    form = {"starts_at": new_start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (new_start + datetime.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
            "place": str(world.unit2.id), "deadline": ""}
    url = reverse("volunteers_call_change", args=[call.id])
    page = c.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert url in page
    r = c.post(url, form)
    assert r.status_code == 200 and "已报名的 2 人将立即收到通知" in r.content.decode()
    assert Call.objects.get(pk=call.id).place_id == world.building.id  # only asked
    assert c.post(url, {**form, "confirm": "1"}).status_code == 302
    call.refresh_from_db()
    assert call.place_id == world.unit2.id and call.starts_at == new_start and call.deadline == new_start
    assert set(Assignment.objects.filter(call=call).values_list("starts_at", flat=True)) == {new_start}
    (title, body), = told("volunteers.call_changed", s["zh"].user_id)
    assert title == "召集令有变：1号点 采样辅助"
    assert f"现改为 {new_start:%m-%d %H:%M}" in body and "2单元" in body and "1号楼" in body
    (title, body), = told("volunteers.call_changed", s["en"].user_id)
    assert title.startswith("Changed:") and "2单元" in body
    assert not told("volunteers.call_changed", s["other"].user_id)
    # sent again (a retry): nothing more
    assert c.post(url, {**form, "confirm": "1"}).status_code == 302
    assert Notification.objects.filter(kind="volunteers.call_changed").count() == 2
    assert AuditEvent.objects.filter(action="call.change").count() == 1


def test_moving_a_call_over_the_api_checks_it_as_a_new_call(world, s):
    call = s["call"]
    url = f"/api/v1/volunteers/calls/{call.id}/change"
    later = (s["start"] + datetime.timedelta(hours=1)).isoformat()
    assert api(bearer(world.users.other_staff), url, {"starts_at": later}).status_code == 404
    assert api(bearer(world.users.street), url, {"starts_at": later}).status_code == 403
    staff = bearer(world.users.staff)
    r = api(staff, url, {"ends_at": s["start"].isoformat()})
    assert r.status_code == 400 and "ends_at" in r.json()["error"]["fields"]
    r = api(staff, url, {"place": world.other_building.id})
    assert r.status_code == 400 and "place" in r.json()["error"]["fields"]
    r = api(staff, url, {"starts_at": later})
    assert r.status_code == 200 and r.json()["starts_at"].startswith(later[:16])
    assert Notification.objects.filter(kind="volunteers.call_changed").count() == 2
