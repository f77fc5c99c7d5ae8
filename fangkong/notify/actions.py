"""Every write of notifications.

`notify`, `notify_phone` and `announce` are services called by other apps' actions (which
have already checked the actor's permission for what they announce); they write inbox rows
and deliveries in bulk and leave the sending to background tasks, after commit. `send_due`
is the sender; `retry`, `add_group_channel`, `set_group_channel_active` and `mark_read` are
user actions with their own checks.
"""

import datetime
import logging
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.audit.actions import record
from fangkong.core import bulk
from fangkong.core.clean import bounded, limit_of
from fangkong.core.errors import Invalid
from fangkong.core.tree import ancestor_ids, levels_of
from fangkong.registry.models import Place

from . import channels
from .access import require_manage
from .models import Delivery, GroupChannel, Notification, Status

log = logging.getLogger("fangkong.notify")
CHUNK = 5000
# A claimed delivery is retried after this if its sender died (renewed while it sends).
LEASE = datetime.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)


def _levels(place) -> dict:
    return levels_of(place) if place is not None else {}


def _user_ids(users) -> list[int]:
    seen, out = set(), []
    for u in users:
        uid = u if isinstance(u, int) else u.pk
        if uid not in seen:
            seen.add(uid)
            out.append(uid)
    return out


def notify(actor, users: Iterable, *, kind: str, title: str, body: str = "", url: str = "",
           place: Place | None = None, key: str = "") -> int:
    """Put a message in each user's inbox and queue it on the personal channels (their
    phone). `key` makes it once per user: users who already had a message with this key
    are skipped (a retried action never notifies twice). Returns how many were notified."""
    ids = _user_ids(users)
    now = timezone.now()
    personal = channels.personal_channels()
    levels = _levels(place)
    place_id = place.pk if place is not None else None
    total = 0
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            active = dict(User.objects.filter(pk__in=chunk, is_active=True)
                          .values_list("pk", "phone"))
            if key:
                for uid in Notification.objects.filter(key=key, user_id__in=chunk) \
                        .values_list("user_id", flat=True):
                    active.pop(uid, None)
            targets = [uid for uid in chunk if uid in active]
            bulk.insert(Notification, [
                Notification(user_id=uid, kind=kind, title=title[:200], body=body, url=url,
                             place_id=place_id, key=key, created_at=now, read_at=None)
                for uid in targets])
            bulk.insert(Delivery, [
                Delivery(channel=name, target=active[uid], kind=kind, title=title[:200],
                         body=body, url=url, user_id=uid, group_id=None, place_id=place_id,
                         status=Status.QUEUED, attempts=0, last_error="", next_attempt_at=now,
                         sent_at=None, created_at=now, **levels)
                for name in personal for uid in targets if active[uid]])
            total += len(targets)
        if total and personal:
            _send_after_commit()
    return total


def notify_phone(phone: str, *, kind: str, title: str, body: str = "",
                 place: Place | None = None) -> int:
    """A message to a phone number that has no account yet (e.g. a one-time code to
    someone registering). Personal channels only; returns the deliveries queued."""
    now = timezone.now()
    rows = [Delivery(channel=name, target=phone, kind=kind, title=title[:200], body=body,
                     place_id=place.pk if place is not None else None, next_attempt_at=now,
                     created_at=now, **_levels(place))
            for name in channels.personal_channels()]
    with transaction.atomic():
        Delivery.objects.bulk_create(rows)
        _send_after_commit()
    return len(rows)


def announce(actor, place: Place, *, kind: str, title: str, body: str = "", url: str = "") -> int:
    """Post to the group channels (WeCom robots, webhooks) of `place` and its ancestors.
    Returns the deliveries queued (0 when no group channel is set up)."""
    above = ancestor_ids(place) + [place.pk]
    groups = list(GroupChannel.objects.filter(place_id__in=above, active=True))
    now = timezone.now()
    rows = [Delivery(channel=g.channel, target=g.target, kind=kind, title=title[:200], body=body,
                     url=url, group=g, place_id=place.pk, next_attempt_at=now, created_at=now,
                     **_levels(place)) for g in groups]
    with transaction.atomic():
        Delivery.objects.bulk_create(rows)
        if rows:
            _send_after_commit()
    return len(rows)


def _enqueue_sender():
    from .tasks import send_due_task

    try:
        send_due_task.enqueue()
    except Exception:  # the deliveries are stored; `manage.py notify_send` sends them
        log.exception("could not queue the notification sender")


def _send_after_commit():
    """Queue the sender once the transaction commits; once per transaction is enough (it
    sends everything that is due)."""
    conn = connections[router.db_for_write(Delivery)]
    if any(func is _enqueue_sender for _sids, func, _robust in conn.run_on_commit):
        return
    transaction.on_commit(_enqueue_sender, robust=True)


# --- sending -----------------------------------------------------------------------


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


# --- user actions --------------------------------------------------------------------


def retry(actor, delivery: Delivery) -> Delivery:
    """Staff: send a failed (or waiting) delivery again now."""
    require_manage(actor, delivery)
    if delivery.status == Status.SENT:
        raise Invalid(_("This message was already sent."))
    before = {"status": delivery.status, "attempts": delivery.attempts}
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(status=Status.QUEUED,
                                                       next_attempt_at=timezone.now())
        record(actor, "notify.retry", delivery, {"before": before}, levels_from=delivery,
               label=f"{delivery.channel} {delivery.title}")
        _send_after_commit()
    delivery.refresh_from_db()
    return delivery


def add_group_channel(actor, place: Place, *, name: str, channel: str, target: str) -> GroupChannel:
    """Staff: connect a group (e.g. the community's WeCom robot) to a place."""
    require_manage(actor, place)
    errors = {}
    name = bounded(name, limit_of(GroupChannel, "name"), "name", errors)
    if not name:
        errors["name"] = [_("Give the group a name.")]
    ch = channels.get(channel) if channel else None
    if ch is None or ch.personal:
        errors["channel"] = [_("Choose a group channel.")]
    else:
        try:
            target = ch.check_target(target or "")
        except ValueError as e:
            errors["target"] = [str(e)]
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        g = GroupChannel.objects.create(place=place, name=name, channel=channel,
                                        target=target)
        record(actor, "notify.group_add", g, {"after": {"name": g.name, "channel": channel}},
               levels_from=place, label=g.name)
    return g


def set_group_channel_active(actor, group: GroupChannel, active: bool) -> GroupChannel:
    require_manage(actor, group.place)
    with transaction.atomic():
        GroupChannel.objects.filter(pk=group.pk).update(active=active)
        record(actor, "notify.group_active", group, {"after": {"active": active}},
               levels_from=group.place, label=group.name)
    group.active = active
    return group


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """The user's own inbox: mark these messages (or all) read. Returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
