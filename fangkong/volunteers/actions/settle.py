"""After the shift (核定): the places staff settle from the "to settle" list
(`queries.unsettled`) — nobody checked in (a time they came and left, or marked as not
come), a check-in never checked out (the time they left), a credit longer than the shift
(the time they left, or the credit as it is) — each with the rules of confirming
attendance (`attendance.times_refused`, `attendance.departure`), asked first when the credit
is longer than the shift, audited before/after."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Invalid

from .. import checks
from ..access import MANAGE, require
from ..models import Assignment
from .attendance import credit, cut_overlaps, departure, hm, long_words, not_own, times_refused


def _settling(actor, a: Assignment, now) -> Assignment:
    require(actor, MANAGE, a)
    not_own(actor, a)
    a = Assignment.objects.select_related("call", "volunteer").get(pk=a.pk)
    if a.status != Assignment.Status.CONFIRMED:
        raise Conflict(_("Only people with a confirmed place can be checked in."), code="not_assigned")
    if now < a.ends_at:
        raise Conflict(_("The shift ends at %(end)s: settle its attendance after that.") % {"end": hm(a.ends_at)},
                       code="not_over")
    if a.corrected:
        raise Conflict(_("Community staff corrected these hours already; correct them again if needed."),
                       code="corrected")
    return a


def mark_absent(actor, a: Assignment, *, now=None) -> Assignment:
    """Staff settle a place nobody checked in to as not come (未到岗): no hours, off the list."""
    now = now or timezone.now()
    a = _settling(actor, a, now)
    if a.check_in_at is not None:
        raise Conflict(_("%(name)s checked in at %(t)s: settle the time they left instead.") % {
            "name": a.volunteer.name, "t": hm(a.check_in_at)}, code="came")
    with transaction.atomic():
        Assignment.objects.filter(pk=a.pk).update(settled_at=now, settled_by=actor.user)
        a.refresh_from_db()
        record(actor, "call.settle", a, {"absent": True}, label=str(a))
    return a


def plan_settle(actor, a: Assignment, check_in_at=None, check_out_at=None, *, now=None):
    """(the place as it is, the arrival to record or None, the departure `Leaving`): what
    `settle` would record, checked as it checks (raises alike; writes nothing)."""
    now = now or timezone.now()
    a = _settling(actor, a, now)
    errors = {}
    tin = None
    if a.check_in_at is None:
        if check_in_at in (None, ""):
            errors["check_in_at"] = [_("Enter when they came, or mark them as not come.")]
        else:
            tin = checks.parse_when(check_in_at, "check_in_at", errors, _("the time"), near=a.starts_at)
    tout = None
    if check_out_at in (None, ""):
        errors["check_out_at"] = [_("Enter when they left.")]
    else:
        tout = checks.parse_when(check_out_at, "check_out_at", errors, _("the time"), near=a.ends_at)
    if errors:
        raise Invalid(fields=errors)
    errors = times_refused(a, tin, tout, now)
    if errors:
        raise Invalid(fields=errors)
    return a, tin, departure(a, tin or a.check_in_at, tout, given=True)


def settle(actor, a: Assignment, check_in_at=None, check_out_at=None, *, confirm=False, now=None) -> Assignment:
    """Staff settle a place after its shift with the time the person left (and came, when
    no check-in was recorded): a check-out already recorded is replaced; the credit ends
    where `departure` says; longer than the shift, it asks first (Conflict "long_credit")
    unless `confirm`. Off the "to settle" list; audited with what it was."""
    now = now or timezone.now()
    a, tin, leaving = plan_settle(actor, a, check_in_at, check_out_at, now=now)
    start = tin or a.check_in_at
    if not confirm and long_words(a, start, leaving):
        raise Conflict(long_words(a, start, leaving) + " " + _("Credit it anyway?"), code="long_credit")
    with transaction.atomic():
        a = Assignment.objects.select_for_update().select_related("volunteer").get(pk=a.pk)
        before = {"check_out_at": a.check_out_at.isoformat() if a.check_out_at else None, "minutes": a.minutes}
        changes = {}
        if tin is not None and a.check_in_at is None:
            a.check_in_at, a.check_in_by, a.check_in_noted_at = tin, actor.user, now
            changes["check_in_at"] = tin.isoformat()
            cut_overlaps(actor, a, tin)
        leaving = departure(a, a.check_in_at, leaving.asked, given=True)  # as it is now
        a.check_out_at, a.check_out_by = leaving.at, actor.user
        credit(a, leaving.minutes)
        a.settled_at, a.settled_by = now, actor.user
        a.save()
        changes["check_out_at"] = [before["check_out_at"], leaving.at.isoformat()]
        changes["minutes"] = [before["minutes"], a.minutes]
        record(actor, "call.settle", a, changes, label=str(a))
    return a
