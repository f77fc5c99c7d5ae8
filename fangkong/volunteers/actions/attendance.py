"""On the day of a call: check-in and check-out by the call's QR, attendance confirmed by a
team leader or staff, corrections of the credited minutes, the audited hours export. The
same rules as every action: permission, validation, one transaction, audit."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.core.when import short_time
from fangkong.registry.models import Place

from .. import checks
from ..access import MANAGE, VIEW, leads, require, volunteer_of
from ..models import Assignment, Call, Volunteer, tenths

CHECK_IN_EARLY = datetime.timedelta(minutes=60)
CHECK_OUT_LATE = datetime.timedelta(hours=6)


def call_token(text) -> str:
    """The token in what a call's QR code gives: the token itself, or the whole URL the QR
    holds (…/volunteers/scan/<token>/), with the spaces or Enter a scanner adds."""
    s = str(text or "").strip()
    if "/" in s:
        from urllib.parse import urlsplit

        s = urlsplit(s).path.rstrip("/").rsplit("/", 1)[-1]
    return s[:40]


def _mine_on(actor, token) -> tuple[Volunteer, Call, Assignment]:
    v = volunteer_of(actor)
    call = Call.objects.select_related("place").filter(token=call_token(token)).first()
    if call is None:
        raise NotFound()
    a = Assignment.objects.filter(call=call, volunteer=v).first()
    if a is None or a.status != Assignment.Status.CONFIRMED:
        raise Forbidden(_("You do not hold a confirmed place on this call."), code="not_assigned")
    return v, call, a


def _credit(a: Assignment, minutes: int):
    delta = minutes - a.minutes
    a.minutes = minutes
    if delta:
        Volunteer.objects.filter(pk=a.volunteer_id).update(minutes=F("minutes") + delta)


def confirm_minutes() -> int:
    """A check-out this soon after the check-in is asked about first (an accidental second
    tap on the button that was "check in" a moment ago credited 0.0 h)."""
    return settings.FANGKONG_CHECK_OUT_CONFIRM_MINUTES


def soon_after_check_in(check_in_at, out_at) -> int | None:
    """Whole minutes between check-in and a check-out at `out_at` when that is under
    `confirm_minutes()`; None when it is not (or there is no check-in)."""
    if check_in_at is None or out_at is None:
        return None
    minutes = int((out_at - check_in_at).total_seconds() // 60)
    return max(0, minutes) if minutes < confirm_minutes() else None


def _ask_if_soon(check_in_at, out_at):
    minutes = soon_after_check_in(check_in_at, out_at)
    if minutes is not None:
        at = timezone.localtime(check_in_at).strftime("%H:%M")
        msg = ngettext("Checked in only %(m)d minute ago (at %(at)s). Check out now anyway?",
                       "Checked in only %(m)d minutes ago (at %(at)s). Check out now anyway?", minutes) if minutes \
            else _("Checked in less than a minute ago (at %(at)s). Check out now anyway?")
        raise Conflict(msg % {"m": minutes, "at": at}, code="check_out_soon")


def check_in(actor, token, *, now=None) -> Assignment:
    """Scanning the call's QR at the place checks the volunteer in (once). A cancelled call
    refuses it with the reason it was called off (`slots.refuse_cancelled`: its people were
    told not to come), whoever scans and whenever the page was read; a check-in made before
    it was called off stays (checking out is not refused)."""
    from .slots import locked_call, refuse_cancelled

    now = now or timezone.now()
    found = Call.objects.filter(token=call_token(token)).only("status", "cancel_reason").first()
    if found is not None and found.status == Call.Status.CANCELLED:
        mine = Assignment.objects.filter(call=found, volunteer=volunteer_of(actor)).first()
        if mine is None or mine.check_in_at is None:
            refuse_cancelled(found)
    v, call, a = _mine_on(actor, token)
    if a.check_in_at is not None:
        return a
    if now < call.starts_at - CHECK_IN_EARLY:
        opens, start = timezone.localtime(call.starts_at - CHECK_IN_EARLY), timezone.localtime(call.starts_at)
        today = opens.date() == timezone.localtime(now).date()
        raise Conflict(_("Check-in opens at %(opens)s (the call starts at %(start)s).") % {
            "opens": f"{opens:%H:%M}" if today else short_time(opens),
            "start": f"{start:%H:%M}" if today else short_time(start)}, code="too_early")
    if now > call.ends_at:
        raise Conflict(_("This call is over; ask your team leader or the community office to "
                         "confirm your attendance."), code="too_late")
    with transaction.atomic():
        refuse_cancelled(locked_call(call.pk))  # called off since it was read: not now either
        Assignment.objects.filter(pk=a.pk, check_in_at=None, status=Assignment.Status.CONFIRMED).update(
            check_in_at=now, check_in_by=actor.user)
        a.refresh_from_db()
        record(actor, "call.check_in", a, {"at": now.isoformat(), "late_minutes": a.late_minutes},
               label=f"{v.name} · {call.title}")
    return a


def check_out(actor, token, *, now=None, confirm=False) -> Assignment:
    """Scanning again checks out; the minutes between are credited. Within
    `confirm_minutes()` of the check-in it refuses (Conflict "check_out_soon") unless
    `confirm`: the page and the API ask the person first."""
    now = now or timezone.now()
    v, call, a = _mine_on(actor, token)
    if a.check_in_at is None:
        raise Conflict(_("Check in first."), code="not_checked_in")
    if a.check_out_at is not None:
        return a
    if now > call.ends_at + CHECK_OUT_LATE:
        raise Conflict(_("It is too late to check out here; ask the community office to record "
                         "your hours."), code="too_late")
    if not confirm:
        _ask_if_soon(a.check_in_at, now)
    with transaction.atomic():
        a = Assignment.objects.select_for_update().get(pk=a.pk)
        if a.check_out_at is not None:
            return a
        a.check_out_at = now
        a.check_out_by = actor.user
        _credit(a, max(0, int((now - a.check_in_at).total_seconds() // 60)))
        a.save(update_fields=["check_out_at", "check_out_by", "minutes"])
        record(actor, "call.check_out", a, {"at": now.isoformat(), "minutes": a.minutes},
               label=f"{v.name} · {call.title}")
    return a


def confirm_attendance(actor, a: Assignment, check_in_at=None, check_out_at=None, *,
                       confirm=False) -> Assignment:
    """A team leader (or staff) confirms that someone came: the time they arrived and/or
    left (a date and time, or a clock time alone, taken on the day nearest the shift's
    start; the arrival defaults to now). Never in the future, an arrival not more than
    `CHECK_IN_EARLY` before the start nor after the end, a departure after the arrival and
    not more than `CHECK_OUT_LATE` after the end nor before the person was given the place
    (`given_at`); each refusal says which and why.
    Confirmed times count as verified, so nobody confirms their own (`not_own`: a team
    leader or staff member on the call too); their own record is the QR scan at the place
    (`check_in`/`check_out`), a different path. A check-out within `confirm_minutes()` of
    the check-in is refused (Conflict "check_out_soon") unless `confirm`."""
    if not leads(actor, a):
        require(actor, MANAGE, a)
    not_own(actor, a)
    a = Assignment.objects.select_related("call", "volunteer").get(pk=a.pk)  # as it is now
    if a.status != Assignment.Status.CONFIRMED:
        raise Conflict(_("Only people with a confirmed place can be checked in."), code="not_assigned")
    now = timezone.now()
    errors = {}

    def when(raw, field):
        if raw in (None, ""):
            return None
        return checks.parse_when(raw, field, errors, _("the time"), near=a.starts_at)

    tin, tout = when(check_in_at, "check_in_at"), when(check_out_at, "check_out_at")
    if errors:
        raise Invalid(fields=errors)
    if tin is None and a.check_in_at is None:
        tin = now
    errors = _times_refused(a, tin, tout, now)
    if errors:
        raise Invalid(fields=errors)
    start = tin or a.check_in_at
    if tout is not None and a.check_out_at is None and not confirm:
        _ask_if_soon(start, tout)
    with transaction.atomic():
        a = Assignment.objects.select_for_update().get(pk=a.pk)
        changes = {}
        if tin is not None and a.check_in_at is None:
            a.check_in_at, a.check_in_by = tin, actor.user
            changes["check_in_at"] = tin.isoformat()
        if tout is not None and a.check_out_at is None:
            a.check_out_at, a.check_out_by = tout, actor.user
            changes["check_out_at"] = tout.isoformat()
        if a.check_in_at and a.check_out_at and not a.corrected:
            _credit(a, max(0, int((a.check_out_at - a.check_in_at).total_seconds() // 60)))
            changes["minutes"] = a.minutes
        a.save()
        if changes:
            record(actor, "call.confirm_attendance", a, changes, label=str(a))
    return a


def is_own(actor, a: Assignment) -> bool:
    """Is `a` the acting account's own place (its volunteer's account is the actor's)?"""
    uid = getattr(actor.user, "id", None)
    return uid is not None and a.volunteer.user_id == uid


def not_own(actor, a: Assignment):
    """Verified hours are confirmed by someone else: Forbidden ("own_attendance") for the
    actor's own place, whatever their role (a leader of the volunteer's team, staff on the
    call). The volunteer's own scan of the call's QR is the self path, and stays theirs."""
    if is_own(actor, a):
        raise Forbidden(_("You cannot confirm or correct your own attendance: community staff "
                          "confirm it."), code="own_attendance")


def given_at(a: Assignment):
    """When the person got the place (confirmed, else signed up): no arrival before it."""
    return a.confirmed_at or a.signed_at


def _times_refused(a: Assignment, tin, tout, now) -> dict:
    """The confirmed times' refusals by field, each saying the time and the limit it
    passed (empty when both are fine)."""
    hm = short_time

    errors = {}
    if tin is not None:
        if tin > now:
            errors["check_in_at"] = [_("The arrival time (%(t)s) is in the future: it is %(now)s now.")
                                     % {"t": hm(tin), "now": hm(now)}]
        elif tin < a.starts_at - CHECK_IN_EARLY:
            errors["check_in_at"] = [_("The arrival time (%(t)s) is more than an hour before the call "
                                       "starts (%(start)s).") % {"t": hm(tin), "start": hm(a.starts_at)}]
        elif tin >= a.ends_at:
            errors["check_in_at"] = [_("The arrival time (%(t)s) is after the call ended (%(end)s).")
                                     % {"t": hm(tin), "end": hm(a.ends_at)}]
        elif given_at(a) is not None and tin < given_at(a).replace(second=0, microsecond=0):
            errors["check_in_at"] = [_("The arrival time (%(t)s) is before %(name)s was given the "
                                       "place (%(given)s): nobody is credited for time before that.")
                                     % {"t": hm(tin), "name": a.volunteer.name, "given": hm(given_at(a))}]
    if tout is not None:
        start = tin or a.check_in_at
        if tout > now:
            errors["check_out_at"] = [_("The check-out time (%(t)s) is in the future: it is %(now)s now.")
                                      % {"t": hm(tout), "now": hm(now)}]
        elif tout > a.ends_at + CHECK_OUT_LATE:
            errors["check_out_at"] = [_("The check-out time (%(t)s) is more than six hours after the "
                                        "call ended (%(end)s).") % {"t": hm(tout), "end": hm(a.ends_at)}]
        elif start is not None and tout <= start:
            errors["check_out_at"] = [_("Check-out must be after check-in.")]
    return errors


def longest_minutes(a: Assignment) -> int:
    """The most minutes a place can be credited: from the earliest check-in the shift
    allows to the latest check-out (the window `confirm_attendance` accepts times in)."""
    span = (a.ends_at + CHECK_OUT_LATE) - (a.starts_at - CHECK_IN_EARLY)
    return min(24 * 60, int(span.total_seconds() // 60))


def correct_minutes(actor, a: Assignment, minutes, reason, *, confirm=False) -> Assignment:
    """Staff correct the credited minutes, with a reason (audited before/after); never more
    than the shift's window allows (`longest_minutes`), and more than the shift itself only
    when confirmed (Conflict "correct_long" otherwise: 600 typed for a 3½-hour shift), nor
    a few minutes that would fit as hours (Conflict "correct_short": 2 typed for 2 hours)."""
    require(actor, MANAGE, a)
    not_own(actor, a)
    reason = checks.check_reason(reason)
    try:
        minutes = int(minutes)
        if not 0 <= minutes <= 24 * 60:
            raise ValueError
    except (TypeError, ValueError):
        raise Invalid(fields={"minutes": [_("Enter the minutes served (0 to 1440).")]}) from None
    with transaction.atomic():
        a = Assignment.objects.select_for_update().get(pk=a.pk)
        most = longest_minutes(a)
        if minutes > most:
            start, end = timezone.localtime(a.starts_at), timezone.localtime(a.ends_at)
            raise Invalid(fields={"minutes": [_(
                "At most %(most)d minutes for this shift (%(start)s–%(end)s): from the earliest "
                "check-in to the latest check-out it allows.") % {
                "most": most, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}]})
        shift = int((a.ends_at - a.starts_at).total_seconds() // 60)
        if minutes > shift and minutes != a.minutes and not confirm:
            start, end = timezone.localtime(a.starts_at), timezone.localtime(a.ends_at)
            raise Conflict(_(
                "%(m)d minutes (%(h).1f h) is more than the whole shift (%(start)s–%(end)s, "
                "%(shift)d minutes). Credit it anyway?") % {
                "m": minutes, "h": tenths(minutes) / 10, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
                "shift": shift}, code="correct_long")
        if 0 < minutes <= 24 and minutes * 60 <= min(most, shift + 60) and shift >= 60 \
                and minutes != a.minutes and not confirm:
            # a handful of minutes for a shift of hours: hours typed where minutes are asked?
            raise Conflict(ngettext(
                "%(m)d minute is only %(h).1f h, for a shift of %(shift)d minutes. If you meant "
                "%(m)d hour, enter %(mm)d minutes. Credit %(m)d minute anyway?",
                "%(m)d minutes is only %(h).1f h, for a shift of %(shift)d minutes. If you meant "
                "%(m)d hours, enter %(mm)d minutes. Credit %(m)d minutes anyway?", minutes) % {
                "m": minutes, "h": tenths(minutes) / 10, "shift": shift, "mm": minutes * 60}, code="correct_short")
        before = a.minutes
        _credit(a, minutes)
        a.corrected = True
        a.correction_reason = reason
        a.save(update_fields=["minutes", "corrected", "correction_reason"])
        record(actor, "call.correct_minutes", a, {"minutes": [before, minutes], "reason": reason},
               label=str(a))
    return a


def record_export(actor, community: Place, dimension: str, rows: int):
    """An hours export names people: one audit event per export."""
    require(actor, VIEW, community)
    record(actor, "volunteers.export_hours", community, {"by": dimension, "rows": rows},
           label=community.name)
