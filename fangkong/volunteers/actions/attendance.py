"""On the day of a call: check-in and check-out by the call's QR, attendance confirmed by a
team leader or staff, corrections of the credited minutes, the audited hours export. The
same rules as every action: permission, validation, one transaction, audit."""

import datetime
from dataclasses import dataclass

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
from ..access import MANAGE, VIEW, can_manage, leads, require, volunteer_of
from ..models import Assignment, Call, Volunteer, tenths

CHECK_IN_EARLY = datetime.timedelta(minutes=60)
CHECK_OUT_LATE = datetime.timedelta(hours=6)
UNDO_CHECK_IN = datetime.timedelta(minutes=10)  # a check-in recorded this recently can be undone


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


def credit(a: Assignment, minutes: int):
    """Set a place's credited minutes (saved by the caller), the person's total kept in step."""
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


def hm(t) -> str:
    return timezone.localtime(t).strftime("%H:%M")


@dataclass
class Leaving:
    """Where a place's credit ends (`departure`)."""
    at: datetime.datetime  # the check-out recorded: the credit runs from the check-in to here
    minutes: int  # credited
    asked: datetime.datetime  # the time given, or the tap of "out now"
    given: bool  # a time someone gave (a "left at", the person's own scan), not a default
    to_end: bool  # "out now" after the shift: its end
    elsewhere: Assignment | None  # cut at the person's check-in on this other call

    def notes(self, a: Assignment, start) -> list[str]:
        """What the question and the message say beside the hours: cut at the shift's end or
        at a check-in elsewhere."""
        out = []
        if self.to_end:
            out.append(_("The shift ended at %(end)s: the check-out is its end. If they left at "
                         "another time, enter it.") % {"end": hm(a.ends_at)})
        if self.elsewhere is not None:
            out.append(_("%(name)s checked in on “%(call)s” at %(t)s: hours are counted here until "
                         "then, never twice.") % {"name": a.volunteer.name, "call": self.elsewhere.call.title,
                                                  "t": hm(self.elsewhere.check_in_at)})
        return out


def next_check_in(a: Assignment, after) -> Assignment | None:
    """The person's first check-in on another of their places after `after`."""
    return (Assignment.objects.filter(volunteer_id=a.volunteer_id, status=Assignment.Status.CONFIRMED,
                                      check_in_at__gt=after).exclude(pk=a.pk)
            .select_related("call").order_by("check_in_at", "id").first())


def departure(a: Assignment, start, out, *, given: bool) -> Leaving:
    """The one rule for where a place's credit ends, from the check-in `start`: at `out`
    when it is a time someone gave (`given`: a leader's "left at", the person's own scan;
    checked to be within `CHECK_OUT_LATE` of the end by `times_refused`), else — the tap of
    "out now" — never past the shift's end; and never past the person's next check-in on
    another call, so no minute is counted twice. Read only: the pages ask with it."""
    at = out if given else min(out, a.ends_at)
    other = next_check_in(a, start)
    if other is not None and other.check_in_at < at:
        at = other.check_in_at
    else:
        other = None
    return Leaving(at=at, minutes=max(0, int((at - start).total_seconds() // 60)), asked=out, given=given,
                   to_end=not given and out > a.ends_at, elsewhere=other)


def long_words(a: Assignment, start, leaving: Leaving) -> str:
    """The question for a credit longer than the shift ("" when it is not)."""
    if leaving.minutes <= a.shift_minutes:
        return ""
    return _("%(name)s: %(h)s h, from %(i)s to %(o)s, is longer than the whole shift (%(start)s–%(end)s, "
             "%(shift)s h).") % {
        "name": a.volunteer.name, "h": tenths(leaving.minutes) / 10, "i": hm(start), "o": hm(leaving.at),
        "start": hm(a.starts_at), "end": hm(a.ends_at), "shift": tenths(a.shift_minutes) / 10}


def _ask_if_long(a: Assignment, start, leaving: Leaving):
    said = long_words(a, start, leaving)
    if said:
        raise Conflict(said + " " + _("Credit it anyway?"), code="long_credit")


def cut_overlaps(actor, a: Assignment, tin):
    """A check-in at `tin` recorded after another place of the person's was checked out
    past it (a time typed later): that place's credit ends at `tin` (`departure`: never
    counted twice). Corrected hours stay as staff set them. Each cut audited."""
    for b in (Assignment.objects.select_for_update().filter(
            volunteer_id=a.volunteer_id, status=Assignment.Status.CONFIRMED, corrected=False,
            check_in_at__lt=tin, check_out_at__gt=tin).exclude(pk=a.pk)):
        before = (b.check_out_at, b.minutes)
        b.check_out_at = tin
        credit(b, max(0, int((tin - b.check_in_at).total_seconds() // 60)))
        b.save(update_fields=["check_out_at", "minutes"])
        record(actor, "call.overlap_cut", b, {"check_out_at": [before[0].isoformat(), tin.isoformat()],
                                              "minutes": [before[1], b.minutes]}, label=str(b))


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
            check_in_at=now, check_in_by=actor.user, check_in_noted_at=now)
        a.refresh_from_db()
        cut_overlaps(actor, a, now)
        record(actor, "call.check_in", a, {"at": now.isoformat(), "late_minutes": a.late_minutes},
               label=f"{v.name} · {call.title}")
    return a


def check_out(actor, token, *, now=None, confirm=False) -> Assignment:
    """Scanning again (or the button on the call's page) checks out: the person's own time,
    credited from the check-in to now — or to their check-in on another call, if that came
    first (`departure`). Within `confirm_minutes()` of the check-in (Conflict
    "check_out_soon") or longer than the shift (Conflict "long_credit") it refuses unless
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
        _ask_if_long(a, a.check_in_at, departure(a, a.check_in_at, now, given=True))
    with transaction.atomic():
        a = Assignment.objects.select_for_update().select_related("volunteer").get(pk=a.pk)
        if a.check_out_at is not None:
            return a
        leaving = departure(a, a.check_in_at, now, given=True)
        a.check_out_at = leaving.at
        a.check_out_by = actor.user
        if not a.corrected:
            credit(a, leaving.minutes)
        a.save(update_fields=["check_out_at", "check_out_by", "minutes"])
        record(actor, "call.check_out", a, {"at": a.check_out_at.isoformat(), "minutes": a.minutes},
               label=f"{v.name} · {call.title}")
    return a


@dataclass
class Plan:
    """What confirming attendance would record (`plan_attendance`): the page asks with it."""
    a: Assignment
    check_in: datetime.datetime | None  # the arrival to record (None: recorded already, or not asked)
    leaving: Leaving | None  # the check-out to record, and the credit

    @property
    def start(self):
        return self.check_in or self.a.check_in_at


def plan_attendance(actor, a: Assignment, check_in_at=None, check_out_at=None, *, out_now=False,
                    now=None) -> Plan:
    """Everything `confirm_attendance` checks before it writes — who may, the times given
    (a date and time, or a clock time alone: an arrival on the day nearest the shift's
    start, a departure nearest its end), their limits — and what it would record: the
    arrival (default now, when none is recorded) and the departure with its credit
    (`departure`). `out_now`: check out at the tap, not at a time given (so never past the
    shift's end). Raises as `confirm_attendance` does; writes nothing."""
    if not leads(actor, a):
        require(actor, MANAGE, a)
    not_own(actor, a)
    a = Assignment.objects.select_related("call", "volunteer").get(pk=a.pk)  # as it is now
    if a.status != Assignment.Status.CONFIRMED:
        raise Conflict(_("Only people with a confirmed place can be checked in."), code="not_assigned")
    now = now or timezone.now()
    errors = {}

    def when(raw, field, near):
        if raw in (None, ""):
            return None
        return checks.parse_when(raw, field, errors, _("the time"), near=near)

    tin, tout = when(check_in_at, "check_in_at", a.starts_at), when(check_out_at, "check_out_at", a.ends_at)
    if errors:
        raise Invalid(fields=errors)
    given = tout is not None
    if tout is None and out_now and a.check_out_at is None:
        tout = min(now, a.ends_at)  # the tap after the shift: its end (`departure` says so)
    if tin is None and a.check_in_at is None:
        tin = now
    if tin is not None and a.check_in_at is not None:
        tin = None  # recorded already: it stays (staff correct the hours instead)
    errors = times_refused(a, tin, tout if a.check_out_at is None else None, now)
    if errors:
        raise Invalid(fields=errors)
    leaving = None
    if tout is not None and a.check_out_at is None:
        leaving = departure(a, tin or a.check_in_at, now if out_now and not given else tout, given=given)
    return Plan(a=a, check_in=tin, leaving=leaving)


def confirm_attendance(actor, a: Assignment, check_in_at=None, check_out_at=None, *,
                       confirm=False, out_now=False) -> Assignment:
    """A team leader (or staff) confirms that someone came: the time they arrived and/or
    left (`plan_attendance`: the arrival defaults to now; `out_now` checks out at the tap,
    at most to the shift's end). Never in the future, an arrival not more than
    `CHECK_IN_EARLY` before the start nor after the end, a departure after the arrival and
    not more than `CHECK_OUT_LATE` after the end nor before the person was given the place
    (`given_at`); each refusal says which and why. The credit ends where `departure` says.
    Confirmed times count as verified, so nobody confirms their own (`not_own`: a team
    leader or staff member on the call too); their own record is the QR scan at the place
    (`check_in`/`check_out`), a different path. A check-out within `confirm_minutes()` of
    the check-in (Conflict "check_out_soon") or crediting more than the shift (Conflict
    "long_credit") is refused unless `confirm`; staff who confirm a long credit settle it
    (it leaves the "to settle" list)."""
    now = timezone.now()
    plan = plan_attendance(actor, a, check_in_at, check_out_at, out_now=out_now, now=now)
    if plan.leaving is not None and not confirm:
        _ask_if_soon(plan.start, plan.leaving.at)
        _ask_if_long(plan.a, plan.start, plan.leaving)
    with transaction.atomic():
        a = Assignment.objects.select_for_update().select_related("volunteer").get(pk=a.pk)
        changes = {}
        if plan.check_in is not None and a.check_in_at is None:
            a.check_in_at, a.check_in_by, a.check_in_noted_at = plan.check_in, actor.user, now
            changes["check_in_at"] = plan.check_in.isoformat()
            cut_overlaps(actor, a, plan.check_in)
        if plan.leaving is not None and a.check_out_at is None and a.check_in_at is not None:
            leaving = departure(a, a.check_in_at, plan.leaving.asked, given=plan.leaving.given)  # as it is now
            a.check_out_at, a.check_out_by = leaving.at, actor.user
            changes["check_out_at"] = leaving.at.isoformat()
            if leaving.minutes > a.shift_minutes and can_manage(actor.scope, a):
                a.settled_at, a.settled_by = now, actor.user  # asked, and said yes: settled
        if a.check_in_at and a.check_out_at and not a.corrected:
            credit(a, max(0, int((a.check_out_at - a.check_in_at).total_seconds() // 60)))
            changes["minutes"] = a.minutes
        a.save()
        if changes:
            record(actor, "call.confirm_attendance", a, changes, label=str(a))
    return a


def undoable(a: Assignment, now=None) -> bool:
    """May this check-in still be undone (recorded less than `UNDO_CHECK_IN` ago, not
    checked out)? The roster shows its button while so."""
    now = now or timezone.now()
    return (a.check_in_at is not None and a.check_out_at is None and a.check_in_noted_at is not None
            and now - a.check_in_noted_at <= UNDO_CHECK_IN)


def undo_check_in(actor, a: Assignment, *, now=None) -> Assignment:
    """A check-in confirmed by mistake (the wrong row tapped), taken back by whoever may
    confirm it, within `UNDO_CHECK_IN` of when it was recorded and before any check-out
    (Conflict "undo_too_late" after: staff correct the hours instead). Audited."""
    if not leads(actor, a):
        require(actor, MANAGE, a)
    not_own(actor, a)
    now = now or timezone.now()
    with transaction.atomic():
        a = Assignment.objects.select_for_update().select_related("volunteer", "call").get(pk=a.pk)
        if a.check_in_at is None:
            raise Conflict(_("%(name)s is not checked in.") % {"name": a.volunteer.name}, code="not_checked_in")
        if not undoable(a, now):
            raise Conflict(ngettext(
                "A check-in can be undone only in the first %(m)d minute and before the check-out; "
                "ask the community staff to correct the hours.",
                "A check-in can be undone only in the first %(m)d minutes and before the check-out; "
                "ask the community staff to correct the hours.", int(UNDO_CHECK_IN.total_seconds() // 60))
                % {"m": int(UNDO_CHECK_IN.total_seconds() // 60)}, code="undo_too_late")
        was = a.check_in_at
        a.check_in_at = a.check_in_by = a.check_in_noted_at = None
        a.save(update_fields=["check_in_at", "check_in_by", "check_in_noted_at"])
        record(actor, "call.undo_check_in", a, {"check_in_at": was.isoformat()}, label=str(a))
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


def times_refused(a: Assignment, tin, tout, now) -> dict:
    """The confirmed times' refusals by field, each saying the time and the limit it
    passed (empty when both are fine): an arrival `tin` and a departure `tout` (either
    None: not asked)."""
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
        credit(a, minutes)
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
