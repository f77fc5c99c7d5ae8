"""What the call's page tells someone on its waitlist, and who a free place goes to (found
walking the demo: a volunteer moved to the waitlist by a clash with her sampling desk was
told "您在候补名单中；有人取消时将自动递补" — false: promotion passes her over while the
clash holds). The page says why and what to do; once sign-up has closed or the call has
begun, never the generic promise; and a free place goes to the waitlist before a new answer."""

import datetime

from django.urls import reverse
from django.utils import timezone

from fangkong.volunteers.actions import answers
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for

GENERIC = ("you move up automatically when someone cancels", "有人取消时将自动递补")


def new_call(world, hours=3, slots=1, **over):
    start = timezone.now() + datetime.timedelta(hours=hours)
    data = {"task": "door_check", "place": world.building.id, "starts_at": start.isoformat(),
            "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "slots": slots}
    data.update(over)
    return vol_calls.create_call(actor_for(world.users.staff), world.community, data)


def generic(page):
    return any(g in page for g in GENERIC)


def blocked_on_waitlist(world, make_volunteer):
    """(call, first, second): `second` waits on `call`, passed over for a place she holds on
    another call at the same time."""
    first, second = make_volunteer(1), make_volunteer(2)
    call = new_call(world)
    other = new_call(world, hours=4, title="另一处")
    assert answers.sign_up(actor_for(first.user), call).status == "confirmed"
    assert answers.sign_up(actor_for(second.user), call).status == "waitlisted"
    assert answers.sign_up(actor_for(second.user), other).status == "confirmed"
    answers.cancel(actor_for(first.user), Assignment.objects.get(call=call, volunteer=first))
    call.refresh_from_db()
    assert call.confirmed == 0  # she was passed over
    return call, other, second


def test_a_clash_blocked_waitlist_place_says_why_and_what_to_do(world, make_volunteer, login):
    call, other, second = blocked_on_waitlist(world, make_volunteer)
    page = login(second.user).get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert not generic(page)
    assert 'id="waiting"' in page and other.title in page


def test_the_generic_promise_is_not_made_once_sign_up_has_closed(world, make_volunteer, login, monkeypatch):
    first, second = make_volunteer(1), make_volunteer(2)
    call = new_call(world, deadline=(timezone.now() + datetime.timedelta(hours=1)).isoformat())
    answers.sign_up(actor_for(first.user), call)
    assert answers.sign_up(actor_for(second.user), call).status == "waitlisted"
    client = login(second.user)
    url = reverse("volunteers_call", args=[call.id])
    assert generic(client.get(url).content.decode())  # open: the promise holds
    for later in (2, 3.5):  # past the deadline; the call under way
        at = timezone.now() + datetime.timedelta(hours=later)
        monkeypatch.setattr(timezone, "now", lambda at=at: at)
        page = client.get(url).content.decode()
        assert 'id="waiting"' in page and not generic(page)


def test_a_free_place_goes_to_the_waitlist_before_a_new_answer(world, make_volunteer):
    call, other, second = blocked_on_waitlist(world, make_volunteer)
    # her other place is given up: nothing moved her up, the free place still waits
    answers.cancel(actor_for(second.user), Assignment.objects.get(call=other, volunteer=second))
    third = make_volunteer(3)
    assert answers.sign_up(actor_for(third.user), call).status == "waitlisted"
    assert Assignment.objects.get(call=call, volunteer=second).status == "confirmed"


def test_while_the_clash_holds_a_new_answer_takes_the_free_place(world, make_volunteer):
    call, _other, second = blocked_on_waitlist(world, make_volunteer)
    third = make_volunteer(3)
    assert answers.sign_up(actor_for(third.user), call).status == "confirmed"
    assert Assignment.objects.get(call=call, volunteer=second).status == "waitlisted"
