"""A batch still late at the gate is told of again (walk_family, still weak: `LATE_AFTER` was
a 30-minute constant and the alarm went once, never again, however long the goods stayed
away). The delays are site-wide settings (FANGKONG_BATCH_LATE_MINUTES, 30;
FANGKONG_BATCH_LATE_AGAIN_HOURS, 2); while the batch stays late and not at the gate the gate
team, grid workers and staff are told again every 2 hours with how long it has been late
("已晚点 2 小时 30 分钟") — the families and the supplier not each time; a pass run twice
(or two workers at once) tells once. The clock is the worker pass's `now`, moved forward."""

import datetime
import uuid

import pytest
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.once import claim
from fangkong.notify.models import Notification
from fangkong.services.actions import arrival, handoff, orders
from fangkong.services.actions.batch_late import escalate_late_batches
from fangkong.services.models import Batch
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)
M = datetime.timedelta(minutes=1)


def _late_batch(w, svc, due_at):
    staff = actor_for(w.users.staff)
    for hh in (w.hh101, w.hh102):
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    return handoff.create_batch(staff, svc.supplier, svc.gate, due_at=due_at, team=svc.team)


def _keys(user, batch):
    return list(Notification.objects.filter(user=user, key__startswith=f"services.batch.{batch.id}.late")
                .order_by("id").values_list("title", flat=True))


def test_told_again_every_two_hours_to_those_who_chase_it_never_to_the_family(world, svc):
    w = world
    t0 = timezone.now()
    batch = _late_batch(w, svc, t0)
    assert escalate_late_batches(now=t0 + 20 * M) == 0  # within its 30 minutes: nobody yet
    assert escalate_late_batches(now=t0 + 31 * M) == 1  # the first time: everyone
    assert escalate_late_batches(now=t0 + 31 * M) == 0  # the same pass again: nothing
    assert escalate_late_batches(now=t0 + 2 * H) == 0  # not yet two hours since it was told
    assert len(_keys(w.users.grid, batch)) == len(_keys(w.users.resident, batch)) == 1
    assert escalate_late_batches(now=t0 + 2 * H + 31 * M) == 1  # two hours on: again
    assert escalate_late_batches(now=t0 + 2 * H + 32 * M) == 0
    (_first, again) = _keys(w.users.grid, batch)
    assert again.startswith("仍未到：美特好超市") and again.endswith("已晚点 2 小时 31 分钟"), again
    assert len(_keys(svc.vol_user, batch)) == len(_keys(w.users.staff, batch)) == 2  # the gate team, staff
    assert len(_keys(w.users.resident, batch)) == 1  # the family: told it is late once, not each time
    assert len(_keys(w.users.supplier, batch)) == 1
    assert AuditEvent.objects.filter(action="services.batch.late_again").count() == 1
    assert escalate_late_batches(now=t0 + 4 * H + 40 * M) == 1  # and again
    assert len(_keys(w.users.grid, batch)) == 3
    # at the gate at last: nothing more
    arrival.arrived(actor_for(w.users.supplier), batch)
    assert escalate_late_batches(now=t0 + 9 * H) == 0
    assert len(_keys(w.users.grid, batch)) == 3


def test_the_delays_are_settings(world, svc, settings):
    w = world
    settings.FANGKONG_BATCH_LATE_MINUTES = 60
    settings.FANGKONG_BATCH_LATE_AGAIN_HOURS = 0  # never again
    t0 = timezone.now()
    batch = _late_batch(w, svc, t0)
    assert escalate_late_batches(now=t0 + 45 * M) == 0
    assert escalate_late_batches(now=t0 + 61 * M) == 1
    assert escalate_late_batches(now=t0 + 10 * H) == 0
    assert len(_keys(w.users.grid, batch)) == 1


def test_a_repeat_is_claimed_once_by_two_passes(world, svc):
    """Two passes read the same late batch; the first to update claims it, the second's
    conditional UPDATE finds its time moved and claims nothing."""
    w = world
    t0 = timezone.now()
    batch = _late_batch(w, svc, t0)
    Batch.objects.filter(pk=batch.pk).update(late_told_at=t0)
    qs = Batch.objects.filter(pk=batch.pk)
    first = claim(qs, "late_told_at", t0 + 3 * H, order=("id",), limit=5, again_before=t0 + H)
    second = claim(qs, "late_told_at", t0 + 3 * H + M, order=("id",), limit=5, again_before=t0 + H + M)
    assert [b.id for b in first] == [batch.id] and second == []
    assert claim(qs, "late_told_at", t0 + 3 * H, order=("id",), limit=5) == []  # told: not a first time
