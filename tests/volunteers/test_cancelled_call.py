"""Found re-walking the calls: a cancelled call still took people. Staff could assign a
volunteer (who was texted to come), change the number needed, and the QR and check-in
controls still showed; a volunteer read "sign-up has closed" and nobody saw why it was
called off. Now every change to a cancelled call meets one check (page and API), the page
says 已取消 and why, and someone already checked in can still be checked out."""

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.core.errors import Conflict
from fangkong.notify.models import Notification
from fangkong.volunteers.actions import answers, call_news
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment, Call
from tests.conftest import actor_for
from tests.volunteers.test_call_news import api, bearer, s  # noqa: F401  (s: the fixture)

REASON = "核酸点撤销"


@pytest.fixture
def gone(world, s):  # noqa: F811
    call = call_news.cancel_call(actor_for(world.users.staff), s["call"], REASON)
    assert call.status == "cancelled"
    return call


def test_a_cancelled_call_refuses_every_change_with_its_reason(world, s, gone):  # noqa: F811
    staff = actor_for(world.users.staff)
    for do in (lambda: vol_calls.assign(staff, gone, s["other"]),
               lambda: vol_calls.set_slots(staff, gone, 25),
               lambda: answers.sign_up(actor_for(s["other"].user), Call.objects.get(pk=gone.pk)),
               lambda: call_news.message_call(staff, gone, "带上身份证"),
               lambda: call_news.change_call(staff, gone, {"place": world.building.id})):
        with pytest.raises(Conflict) as e:
            do()
        assert e.value.code == "cancelled" and REASON in str(e.value.message)
    call = Call.objects.get(pk=gone.pk)
    assert call.slots == 1 and call.cancel_reason == REASON
    assert not Assignment.objects.filter(call=call, volunteer=s["other"]).exists()
    assert not Notification.objects.filter(kind="volunteers.assigned").exists()


def test_the_page_refuses_and_hides_the_controls_and_says_why(world, s, gone, login):  # noqa: F811
    c = login(world.users.staff)
    r = c.post(reverse("volunteers_call_assign", args=[gone.id]), {"volunteer": s["other"].id},
               follow=True)
    page = r.content.decode()
    assert "该召集令已取消：" + REASON in page
    assert not Assignment.objects.filter(call=gone, volunteer=s["other"]).exists()
    assert not Notification.objects.filter(kind="volunteers.assigned").exists()
    c.post(reverse("volunteers_call_slots", args=[gone.id]), {"slots": "25"})
    assert Call.objects.get(pk=gone.pk).slots == 1
    page = c.get(reverse("volunteers_call", args=[gone.id])).content.decode()
    assert REASON in page and "已取消" in page
    for gone_url in ("volunteers_call_assign", "volunteers_call_slots", "volunteers_call_qr",
                     "volunteers_call_message", "volunteers_call_change"):
        assert reverse(gone_url, args=[gone.id]) not in page, gone_url
    # a volunteer reads that it is cancelled and why, not "sign-up has closed"
    page = login(s["other"].user).get(reverse("volunteers_call", args=[gone.id])).content.decode()
    assert "该召集令已取消：" + REASON in page and "已截止" not in page


def test_the_api_refuses_and_says_the_reason(world, s, gone):  # noqa: F811
    staff = bearer(world.users.staff)
    r = api(staff, f"/api/v1/volunteers/calls/{gone.id}/assign", {"volunteer": s["other"].id})
    assert r.status_code == 409 and REASON in r.json()["error"]["message"]
    r = api(bearer(s["other"].user), f"/api/v1/volunteers/calls/{gone.id}/signup", {})
    assert r.status_code == 409 and REASON in r.json()["error"]["message"]
    r = api(staff, f"/api/v1/volunteers/calls/{gone.id}/cancel-call", {"reason": "x"})
    assert r.json()["cancel_reason"] == REASON


def test_someone_checked_in_before_it_was_cancelled_can_still_be_checked_out(world, s, login):  # noqa: F811
    call = s["call"]
    a = Assignment.objects.get(call=call, volunteer=s["zh"])
    Assignment.objects.filter(pk=a.pk).update(check_in_at=timezone.now() - timezone.timedelta(hours=2))
    Call.objects.filter(pk=call.pk).update(starts_at=timezone.now() - timezone.timedelta(hours=2))
    call_news.cancel_call(actor_for(world.users.staff), Call.objects.get(pk=call.pk), REASON)
    c = login(world.users.staff)
    page = c.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert reverse("volunteers_attend", args=[a.id]) in page
    c.post(reverse("volunteers_attend", args=[a.id]), {"out": "now", "confirm": "1"})
    a.refresh_from_db()
    assert a.status == "confirmed" and a.check_out_at is not None
