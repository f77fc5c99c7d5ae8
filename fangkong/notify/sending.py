"""Sending notifications: the sender claims due deliveries in leased batches and hands
them to their channels, retrying failures with back-off. Run by `tasks.send_due_task`
(queued after a commit that stored deliveries) and `manage.py notify_send`. Imports
neither actions nor tasks."""

import datetime
import logging
import time

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from . import channels
from .models import Delivery, Status

log = logging.getLogger("fangkong.notify")
# A claimed delivery is retried after this if its sender died (renewed while it sends).
LEASE = datetime.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)


def _claim(now, batch: int) -> list[Delivery]:
    """Lease up to `batch` due deliveries to this sender: their next attempt moves to the end
    of the lease (a sender that dies leaves them to be claimed again when it ends)."""
    conn = connections[router.db_for_write(Delivery)]
    with transaction.atomic():
        qs = Delivery.objects.filter(status__in=[Status.QUEUED, Status.RETRYING],
                                     next_attempt_at__lte=now).order_by("next_attempt_at", "id")
        if conn.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("id", flat=True)[:batch])
        if ids:
            Delivery.objects.filter(id__in=ids).update(next_attempt_at=now + LEASE)
    return list(Delivery.objects.filter(id__in=ids).order_by("id"))


def _renew(claimed: list[Delivery], lease_end, now) -> tuple[list[Delivery], object]:
    """Extend the lease of the deliveries still to send, and keep only those still ours (a
    row whose lease ran out and was claimed by another sender is left to it: never sent
    twice by two live senders)."""
    end = now + LEASE
    ids = [d.pk for d in claimed]
    conn = connections[router.db_for_write(Delivery)]
    with transaction.atomic():
        qs = Delivery.objects.filter(pk__in=ids, next_attempt_at=lease_end,
                                     status__in=[Status.QUEUED, Status.RETRYING])
        if conn.features.has_select_for_update:
            qs = qs.select_for_update()
        mine = set(qs.values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=mine).update(next_attempt_at=end)
    return [d for d in claimed if d.pk in mine], end


def backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(settings.NOTIFY_RETRY_SECONDS * 2 ** (attempts - 1),
                                          3600))


def send_due(*, now=None, batch: int = 500, max_batches: int = 200) -> dict:
    """Send every delivery that is due, in claimed batches (several senders can run at
    once: a claimed row is leased to one of them). Failures are retried with doubling
    back-off up to NOTIFY_MAX_ATTEMPTS, then marked failed (visible to staff, who can
    retry). Returns counts."""
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for _i in range(max_batches):
        t = now or timezone.now()
        claimed = _claim(t, batch)
        if not claimed:
            break
        sent = []
        lease_end, renew_at = t + LEASE, time.monotonic() + LEASE.total_seconds() / 3
        queue, i = claimed, 0
        while i < len(queue):
            if time.monotonic() >= renew_at:  # slow channels: the batch outlasts a third
                counts["sent"] += _mark_sent(sent)  # of the lease: record what went, and
                sent = []  # keep the rest ours (or leave what another sender took over)
                queue, lease_end = _renew(queue[i:], lease_end, now or timezone.now())
                renew_at, i = time.monotonic() + LEASE.total_seconds() / 3, 0
                continue
            d = queue[i]
            i += 1
            channel = channels.get(d.channel)
            try:
                if channel is None:
                    raise channels.SendError(f"channel {d.channel!r} is not configured")
                channel.send(d)
            except Exception as e:  # any failure of a channel is recorded and retried
                d.attempts += 1
                d.last_error = f"{type(e).__name__}: {e}"[:2000]
                if d.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                    d.status = Status.FAILED
                    counts["failed"] += 1
                    log.warning("notification %s to %s failed for good: %s", d.id, d.channel,
                                d.last_error)
                else:
                    d.status = Status.RETRYING
                    d.next_attempt_at = t + backoff(d.attempts)
                    counts["retrying"] += 1
                Delivery.objects.filter(pk=d.pk).update(
                    status=d.status, attempts=d.attempts, last_error=d.last_error,
                    next_attempt_at=d.next_attempt_at)
            else:
                sent.append(d.pk)
        counts["sent"] += _mark_sent(sent)
    return counts


def _mark_sent(ids: list[int]) -> int:
    if ids:
        from django.db.models import F

        Delivery.objects.filter(pk__in=ids).update(
            status=Status.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1,
            last_error="")
    return len(ids)


def next_due() -> datetime.datetime | None:
    """When the next unsent delivery is due: a retry's back-off, or the end of the lease of
    rows a sender claimed and did not finish (it died)."""
    return Delivery.objects.filter(status__in=[Status.QUEUED, Status.RETRYING]) \
        .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
