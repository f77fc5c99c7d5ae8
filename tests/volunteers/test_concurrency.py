"""Many volunteers answering one call at the same instant, on PostgreSQL (SQLite has a
single writer, so it serialises sign-ups by itself)."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from fangkong.volunteers.actions import answers as vol_answers
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment, Call
from tests.conftest import actor_for, at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
    pytest.mark.django_db(transaction=True),
]


def test_simultaneous_sign_ups_never_exceed_the_slots(world, make_volunteer):
    people = [make_volunteer(n) for n in range(1, 41)]
    start = timezone.now() + datetime.timedelta(hours=8)
    call = vol_calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "sampling", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=4)).isoformat(), "slots": 10})
    out = at_once(*[lambda v=v: vol_answers.sign_up(actor_for(v.user), call) for v in people])
    assert not [e for e in out if isinstance(e, Exception)], out
    rows = list(Assignment.objects.filter(call=call))
    confirmed = [a for a in rows if a.status == "confirmed"]
    waiting = sorted(a.position for a in rows if a.status == "waitlisted")
    assert len(rows) == 40 and len(confirmed) == 10
    assert waiting == list(range(1, 31))  # arrival numbers, no gaps, no repeats
    call.refresh_from_db()
    assert call.confirmed == 10 and call.status == Call.Status.FULL

    # cancellations and late answers at the same instant: still exactly 10
    cancels = [lambda a=a: vol_answers.cancel(actor_for(a.volunteer.user), a) for a in confirmed[:5]]
    late = [make_volunteer(n) for n in range(41, 46)]
    answers = [lambda v=v: vol_answers.sign_up(actor_for(v.user), call) for v in late]
    out = at_once(*cancels, *answers)
    assert not [e for e in out if isinstance(e, Exception)], out
    call.refresh_from_db()
    assert call.confirmed == 10
    assert Assignment.objects.filter(call=call, status="confirmed").count() == 10


def test_one_person_cannot_take_two_overlapping_calls_at_once(world, make_volunteer):
    v = make_volunteer(1)
    start = timezone.now() + datetime.timedelta(hours=8)
    staff = actor_for(world.users.staff)
    calls = [vol_calls.create_call(staff, world.community, {
        "task": "delivery", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "slots": 5,
        "title": f"送菜 {k}"}) for k in range(4)]
    out = at_once(*[lambda c=c: vol_answers.sign_up(actor_for(v.user), c) for c in calls])
    ok = [x for x in out if isinstance(x, Assignment)]
    errors = [x for x in out if isinstance(x, Exception)]
    assert len(ok) == 1 and all(getattr(e, "code", "") == "clash" for e in errors), out
