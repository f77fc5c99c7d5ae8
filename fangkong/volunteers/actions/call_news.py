"""Telling the people of a published call what changed: staff call it off (everyone who
answered, confirmed and waiting, is told why), staff send its answered volunteers a message
("time moved to 06:15, station 2"), and the call's staff hear when a confirmed volunteer
gives up a place. Each message goes through notify, rendered in each reader's language,
to the inbox and the personal channels (texts), once per person (notify's `key`)."""

import hashlib

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.clean import bounded, client_id
from fangkong.core.errors import Conflict, Invalid
from fangkong.core.when import short_span, short_time

from ..access import MANAGE, require
from ..models import Assignment, Call
from .notices import moved_title, notify_users
from .slots import clash_error, hold_places, locked_call, moved_clashes, promote, refuse_cancelled

REASON_LIMIT = 300
MESSAGE_LIMIT = 500
ANSWERED = (Assignment.Status.CONFIRMED, Assignment.Status.WAITLISTED)


def answered_users(call: Call) -> list[int]:
    """The accounts of everyone who holds a place on the call or waits for one."""
    return list(Assignment.objects.filter(call_id=call.pk, status__in=ANSWERED,
                                          volunteer__user__isnull=False)
                .order_by("id").values_list("volunteer__user_id", flat=True))


def answered_counts(call: Call) -> tuple[int, int]:
    """How many of those `answered_users` reaches hold a place, and how many wait."""
    rows = Assignment.objects.filter(call_id=call.pk, status__in=ANSWERED, volunteer__user__isnull=False)
    return (rows.filter(status=Assignment.Status.CONFIRMED).count(),
            rows.filter(status=Assignment.Status.WAITLISTED).count())


def _when(start, end):
    """A call's window, said when its message is rendered: in each reader's language."""
    return lambda: short_span(start, end)


def cancel_call(actor, call: Call, reason) -> Call:
    """Call the whole call off, with a reason: the places not checked in to are cancelled
    (a place checked in to stays, so its person can check out and keep the hours), and
    everyone who answered — confirmed and waiting — is told why. Sent again (a retry), a
    cancelled call stays as it is and nobody is told twice."""
    require(actor, MANAGE, call)
    reason = bounded(reason, REASON_LIMIT, "reason")
    if not reason:
        raise Invalid(fields={"reason": [_("Say why the call is cancelled: the people who answered are told.")]})
    now = timezone.now()
    with transaction.atomic():
        call = locked_call(call.pk)
        if call.status == Call.Status.CANCELLED:
            return call
        if now >= call.ends_at:
            raise Conflict(_("This call is over."), code="closed")
        users = answered_users(call)
        freed = Assignment.objects.filter(call_id=call.pk, status__in=ANSWERED, check_in_at__isnull=True)
        dropped = freed.filter(status=Assignment.Status.CONFIRMED).count()
        freed.update(status=Assignment.Status.CANCELLED, cancelled_at=now)
        before = call.status
        call.status = Call.Status.CANCELLED
        call.cancel_reason = reason
        call.confirmed -= dropped
        call.save(update_fields=["status", "cancel_reason", "confirmed"])
        title, when, place = call.title, _when(call.starts_at, call.ends_at), call.place.name
        told = notify_users(actor, users, kind="volunteers.call_cancelled",
                            title=lambda: _("Cancelled: %(title)s") % {"title": title},
                            body=lambda: _("The call at %(place)s, %(when)s, is cancelled: %(reason)s. "
                                           "Please do not come.") % {"place": place, "when": when(),
                                                                    "reason": reason},
                            url=reverse("volunteers_call", args=[call.id]), place=call.place,
                            key=f"volunteers.call_cancelled:{call.id}")
        record(actor, "call.cancel_call", call, {"status": [before, call.status], "reason": reason,
                                                 "notified": told}, label=call.title)
    return call


def message_call(actor, call: Call, text, cid=None) -> int:
    """Staff's message to everyone who answered the call (confirmed and waiting): a change
    of time or station, what to bring. Sent again with the same client id (or, without one,
    the same words) nobody is told twice and nothing more is recorded. Returns how many
    were told now."""
    require(actor, MANAGE, call)
    text = bounded(text, MESSAGE_LIMIT, "text", single_line=False)
    if not text:
        raise Invalid(fields={"text": [_("Write the message.")]})
    cid = client_id(cid)
    refuse_cancelled(Call.objects.get(pk=call.pk))  # as it is now, not as the page read it
    once = str(cid) if cid else hashlib.sha256(text.encode()).hexdigest()[:32]
    users = answered_users(call)
    if not users:
        raise Conflict(_("Nobody has answered this call yet."), code="nobody")
    title = call.title
    with transaction.atomic():
        told = notify_users(actor, users, kind="volunteers.call_message",
                            title=lambda: _("About %(title)s") % {"title": title}, body=text,
                            url=reverse("volunteers_call", args=[call.id]), place=call.place,
                            key=f"volunteers.call_message:{call.id}:{once}")
        if told:
            record(actor, "call.message", call, {"text": text, "notified": told}, label=call.title)
    return told


def tell_staff_withdrawn(actor, call: Call, name: str, promoted: list, now) -> int:
    """A confirmed volunteer gave up their place: the call's organiser and the leader of its
    team hear who, and who moved up from the waitlist (or that nobody waits and a place is
    free). Called inside the cancellation's transaction, with the call's row locked."""
    leader = call.team.leader if call.team_id and call.team.leader_id else None
    staff = {u for u in (call.created_by_id, getattr(leader, "user_id", None)) if u}
    staff.discard(getattr(actor.user, "id", None))
    if not staff:
        return 0
    title, when, moved = call.title, _when(call.starts_at, call.ends_at), [a.volunteer.name for a in promoted]
    confirmed, slots = call.confirmed, call.slots

    def body():
        gone = _("%(name)s gave up their place on “%(title)s” (%(when)s).") % {
            "name": name, "title": title, "when": when()}
        if moved:
            from fangkong.core.text import join_words

            return gone + " " + _("%(names)s moved up from the waitlist and was told.") % {
                "names": join_words(moved)}
        return gone + " " + ngettext("Nobody is waiting: %(n)d of %(slots)d place is taken.",
                                     "Nobody is waiting: %(n)d of %(slots)d places are taken.",
                                     slots) % {"n": confirmed, "slots": slots}

    return notify_users(actor, sorted(staff), kind="volunteers.withdrawn",
                        title=lambda: _("A place was given up: %(title)s") % {"title": title},
                        body=body, url=reverse("volunteers_call", args=[call.id]), place=call.place,
                        key=f"volunteers.withdrawn:{call.id}:{name}:{now.timestamp()}")


def change_call(actor, call: Call, data: dict, *, confirm=False) -> tuple[Call, int]:
    """Move a published call: its start, end, place (and sign-up deadline; left out, it
    closes at the new start), checked as a new call is. The places taken follow it, and
    everyone who answered is told what it is now and what it was. Sent again unchanged,
    nothing happens. Returns the call and how many were told.

    A confirmed person (not yet checked in) whom the move makes clash with another of their
    places or a sampling table (`slots.moved_clashes`) is never double-booked: the move is
    refused (Conflict "moved_clash", naming them) unless `confirm`; confirmed, their place
    goes back to the waitlist, they are told why (not the general notice), and the freed
    places are filled from the waitlist (`promote`). `call.released`: their refusals' words."""
    from fangkong.registry.models import LEVEL_FIELDS

    require(actor, MANAGE, call)
    now = timezone.now()
    place, clean = _checked_change(call, data, now)
    with transaction.atomic():
        call = locked_call(call.pk)
        refuse_cancelled(call)
        was = (call.starts_at, call.ends_at, call.place, call.deadline)
        call.released, call.skipped = [], []
        if (clean["starts_at"], clean["ends_at"], place.pk, clean["deadline"]) == (
                was[0], was[1], was[2].pk, was[3]):
            return call, 0
        call.starts_at, call.ends_at, call.deadline, call.place = (
            clean["starts_at"], clean["ends_at"], clean["deadline"], place)
        call.copy_levels(place)
        call.title = moved_title(call, was[2])
        call.save(update_fields=["starts_at", "ends_at", "deadline", "place", "title", *LEVEL_FIELDS])
        Assignment.objects.filter(call_id=call.pk).exclude(status=Assignment.Status.CANCELLED).update(
            starts_at=call.starts_at, ends_at=call.ends_at, **{f: getattr(call, f) for f in LEVEL_FIELDS})
        told = 0
        moved = (was[0], was[1], was[2].pk) != (call.starts_at, call.ends_at, place.pk)
        released = _release_clashes(actor, call, now, confirm) if moved else []
        if moved:  # the deadline alone concerns nobody who has answered
            title, when, where = call.title, _when(call.starts_at, call.ends_at), place.name
            was_when = _when(was[0], was[1])
            was_place = was[2].name
            key = f"{call.id}:{call.starts_at.timestamp()}:{call.ends_at.timestamp()}:{place.pk}"
            off = {a.volunteer.user_id for a, _other in released}
            told = notify_users(
                actor, [u for u in answered_users(call) if u not in off], kind="volunteers.call_changed",
                title=lambda: _("Changed: %(title)s") % {"title": title},
                body=lambda: _("Now %(when)s at %(place)s (was %(was_when)s at %(was_place)s). If you "
                               "cannot come, cancel your place.") % {
                    "when": when(), "place": where, "was_when": was_when(), "was_place": was_place},
                url=reverse("volunteers_call", args=[call.id]), place=place,
                key=f"volunteers.call_changed:{key}")
            for a, other in released:
                if a.volunteer.user_id:
                    told += notify_users(
                        actor, [a.volunteer.user_id], kind="volunteers.call_moved_off",
                        title=lambda: _("Changed: %(title)s — you are on the waitlist") % {"title": title},
                        body=lambda other=other: _(
                            "Now %(when)s at %(place)s (was %(was_when)s at %(was_place)s), which "
                            "overlaps another of your duties, so your place went back to the "
                            "waitlist: %(why)s") % {"when": when(), "place": where, "was_when": was_when(),
                                                    "was_place": was_place,
                                                    "why": clash_error(other).message},
                        url=reverse("volunteers_call", args=[call.id]), place=place,
                        key=f"volunteers.call_moved_off:{key}:{a.volunteer_id}")
        record(actor, "call.change", call, {
            "starts_at": [was[0].isoformat(), call.starts_at.isoformat()],
            "ends_at": [was[1].isoformat(), call.ends_at.isoformat()],
            "place": [was[2].name, place.name], "notified": told,
            **({"released": [a.volunteer.name for a, _other in released]} if released else {})},
               label=call.title)
    return call, told


def _release_clashes(actor, call: Call, now, confirm) -> list:
    """The confirmed people the moved call now clashes for (`moved_clashes`): refused unless
    `confirm`, then each back on the waitlist and the places filled from it. The call's row
    is locked and the move saved (a refusal rolls it back)."""
    ids = sorted(Assignment.objects.filter(call_id=call.pk, status=Assignment.Status.CONFIRMED,
                                           check_in_at__isnull=True).values_list("volunteer_id", flat=True))
    for vid in ids:  # their own answers wait (see places_version)
        hold_places(vid)
    clashes = moved_clashes(call, now)
    if not clashes:
        return []
    if not confirm:
        raise Conflict(" ".join([released_heading(clashes)]
                                + [clash_error(o, name=a.volunteer.name).message for a, o in clashes]),
                       code="moved_clash")
    for a, _other in clashes:
        call.waitlist_seq += 1
        Assignment.objects.filter(pk=a.pk).update(status=Assignment.Status.WAITLISTED,
                                                  position=call.waitlist_seq, confirmed_at=None)
        call.confirmed -= 1
    if call.status == Call.Status.FULL and call.confirmed < call.slots:
        call.status = Call.Status.OPEN
    call.save(update_fields=["confirmed", "waitlist_seq", "status"])
    call.released = [clash_error(o, name=a.volunteer.name).message for a, o in clashes]
    promote(actor, call, now, call.skipped)
    return clashes


def released_heading(clashes) -> str:
    """The sentence before the clashes a move makes: who loses their place."""
    from fangkong.core.text import join_words

    names = [a.volunteer.name for a, _other in clashes]
    return ngettext("Moved, the call overlaps another duty of %(names)s: their place goes back to "
                    "the waitlist and they are told why.",
                    "Moved, the call overlaps another duty of %(names)s: their places go back to "
                    "the waitlist and they are told why.", len(names)) % {"names": join_words(names)}


def preview_released(actor, call: Call, data: dict) -> list[str]:
    """What `change_call` would release (checked the same way, nothing saved): the heading
    and one line per person, or nothing. What the move's question warns of."""
    require(actor, MANAGE, call)
    now = timezone.now()
    place, clean = _checked_change(call, data, now)
    moved = Call.objects.get(pk=call.pk)
    moved.starts_at, moved.ends_at, moved.place = clean["starts_at"], clean["ends_at"], place
    clashes = moved_clashes(moved, now)
    if not clashes:
        return []
    return [released_heading(clashes)] + [clash_error(o, name=a.volunteer.name).message for a, o in clashes]


def preview_change(actor, call: Call, data: dict) -> list[tuple[str, str, str]]:
    """What `change_call` would change, checked the same way and not saved: one (what, was,
    now) for each of place, start, end and deadline that differs; empty when nothing does.
    What the page asks about before moving the call."""
    require(actor, MANAGE, call)
    place, clean = _checked_change(call, data, timezone.now())

    rows = []
    at = short_time
    if place.pk != call.place_id:
        rows.append(("place", call.place.name, place.name))
    for key in ("starts_at", "ends_at", "deadline"):
        if clean[key] != getattr(call, key):
            rows.append((key, at(getattr(call, key)), at(clean[key])))
    return rows


def _checked_change(call: Call, data: dict, now):
    """The call moved as `data` says, checked as a new call is: (place, clean values)."""
    from fangkong.registry.models import Place

    from .. import checks

    refuse_cancelled(Call.objects.get(pk=call.pk))
    if now >= call.ends_at:
        raise Conflict(_("This call is over."), code="closed")
    merged = {"task": call.task, "title": call.title, "slots": call.slots, "skills": call.skill_list,
              "briefing": call.briefing, "audience": call.audience, "team": call.team_id,
              "audience_skill": call.audience_skill, "audience_place": call.audience_place_id,
              "place": data.get("place") or call.place_id,
              "starts_at": data.get("starts_at") or call.starts_at,
              "ends_at": data.get("ends_at") or call.ends_at, "deadline": data.get("deadline") or None}
    clean = checks.check_call(merged, now=now, late_sign_up=True)  # open until its end, if need be
    place = Place.objects.filter(pk=clean["place"], community_id=call.community_id).first()
    if place is None:
        raise Invalid(fields={"place": [_("Choose a place inside the community.")]})
    return place, clean
