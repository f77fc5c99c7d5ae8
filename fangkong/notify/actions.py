"""Every write of notifications.

`notify`, `notify_phone` and `announce` are services called by other apps' actions (which
have already checked the actor's permission for what they announce); they write inbox rows
and deliveries in bulk and leave the sending to background tasks, after commit
(`tasks.send_after_commit`; the sender is `sending.send_due`); `retry`, `add_group_channel`, `set_group_channel_active` and `mark_read` are
user actions with their own checks.

Messages are written in the reader's language: a title or body is a `Text` — a plain
string is kept as it is (words a person typed), a zero-argument callable (or a lazy
translation) is rendered for each reader, inside `translation.override` of their language
(`User.language`), so the words from the code and the values filled in (a category, a
date through `date_format`) are in it. An inbox row also keeps the message in every language
of settings.LANGUAGES (`Notification.translations`): the inbox shows it in the language its
reader reads it in (a shared or handed-over phone), the text message stays in theirs.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from fangkong.accounts.models import User, reader_language
from fangkong.audit.actions import record
from fangkong.core import bulk
from fangkong.core.clean import bounded, limit_of
from fangkong.core.errors import Invalid
from fangkong.core.tree import ancestor_ids, levels_of
from fangkong.registry.models import Place

from . import channels
from .access import require_manage
from .models import Delivery, GroupChannel, Notification, Status
from .sending import backoff, next_due, send_due  # noqa: F401 (the sender, re-exported)
from .tasks import send_after_commit

CHUNK = 5000

Text = str | Callable[[], str] | Promise  # what a title or a body may be (module docstring)


def render(text: Text, lang: str | None = None) -> str:
    """The words of `text` in `lang` (None: the active language). A plain string is
    returned as it is: the words someone typed, or already final."""
    if isinstance(text, str):
        return text
    if lang is None:
        return str(text() if callable(text) else text)
    with translation.override(lang):
        return str(text() if callable(text) else text)


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


def notify(actor, users: Iterable, *, kind: str, title: Text, body: Text = "", url: str = "",
           place: Place | None = None, key: str = "") -> int:
    """Put a message in each user's inbox and queue it on the personal channels (their
    phone), in each user's language: `title` and `body` are rendered once per language of
    settings.LANGUAGES (see `render`); the inbox row keeps every language, shown in the one
    its reader reads at the time (`Notification.said`), the text message the user's own.
    `key` makes it once per user: users who already had a message with this key are skipped
    (a retried action never notifies twice). Returns how many were notified."""
    ids = _user_ids(users)
    now = timezone.now()
    personal = channels.personal_channels()
    levels = _levels(place)
    place_id = place.pk if place is not None else None
    words = {lang: (render(title, lang)[:200], render(body, lang))  # rendered once a language
             for lang, _name in settings.LANGUAGES}
    # every language on each inbox row: shown in the one its reader reads at the time
    # (Notification.said); none when all read the same (typed words)
    translations = {lang: {"title": t, "body": b} for lang, (t, b) in words.items()} \
        if len(set(words.values())) > 1 else {}

    def words_in(lang):
        return words.get(lang) or (render(title, lang)[:200], render(body, lang))

    total = 0
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            active, text = {}, {}
            for uid, phone, lang in User.objects.filter(pk__in=chunk, is_active=True) \
                    .values_list("pk", "phone", "language"):
                active[uid] = phone
                text[uid] = words_in(reader_language(lang))
            if key:
                for uid in Notification.objects.filter(key=key, user_id__in=chunk) \
                        .values_list("user_id", flat=True):
                    active.pop(uid, None)
            targets = [uid for uid in chunk if uid in active]
            bulk.insert(Notification, [
                Notification(user_id=uid, kind=kind, title=text[uid][0], body=text[uid][1],
                             translations=translations, url=url, place_id=place_id, key=key,
                             created_at=now, read_at=None)
                for uid in targets])
            bulk.insert(Delivery, [
                Delivery(channel=name, target=active[uid], kind=kind, title=text[uid][0],
                         body=text[uid][1], url=url, user_id=uid, group_id=None, place_id=place_id,
                         status=Status.QUEUED, attempts=0, last_error="", next_attempt_at=now,
                         sent_at=None, created_at=now, **levels)
                for name in personal for uid in targets if active[uid]])
            total += len(targets)
        if total and personal:
            send_after_commit()
    return total


def notify_phone(phone: str, *, kind: str, title: Text, body: Text = "",
                 place: Place | None = None) -> int:
    """A message to a phone number that has no account yet (e.g. a one-time code to
    someone registering), in the active language: the one who asked for it reads it.
    Personal channels only; returns the deliveries queued."""
    now = timezone.now()
    title, body = render(title)[:200], render(body)
    rows = [Delivery(channel=name, target=phone, kind=kind, title=title, body=body,
                     place_id=place.pk if place is not None else None, next_attempt_at=now,
                     created_at=now, **_levels(place))
            for name in channels.personal_channels()]
    with transaction.atomic():
        Delivery.objects.bulk_create(rows)
        send_after_commit()
    return len(rows)


def announce(actor, place: Place, *, kind: str, title: Text, body: Text = "", url: str = "") -> int:
    """Post to the group channels (WeCom robots, webhooks) of `place` and its ancestors, in
    the site's default language (a group has many readers). Returns the deliveries queued
    (0 when no group channel is set up)."""
    above = ancestor_ids(place) + [place.pk]
    groups = list(GroupChannel.objects.filter(place_id__in=above, active=True))
    if not groups:
        return 0
    now = timezone.now()
    title, body = render(title, settings.LANGUAGE_CODE)[:200], render(body, settings.LANGUAGE_CODE)
    rows = [Delivery(channel=g.channel, target=g.target, kind=kind, title=title[:200], body=body,
                     url=url, group=g, place_id=place.pk, next_attempt_at=now, created_at=now,
                     **_levels(place)) for g in groups]
    with transaction.atomic():
        Delivery.objects.bulk_create(rows)
        if rows:
            send_after_commit()
    return len(rows)


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
        send_after_commit()
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
