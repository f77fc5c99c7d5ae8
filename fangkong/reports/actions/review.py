"""Street-level review of communities' nightly reports: approve, or return with a reason
(the community then corrects it: a new version)."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.clean import bounded, limit_of
from fangkong.core.errors import Conflict, Invalid
from fangkong.notify.actions import notify

from .. import access, present, queries
from ..models import DailyReport

S = DailyReport.Status


def _decide(actor, report: DailyReport, status, reason=""):
    access.require_approve(actor.scope, report)
    with transaction.atomic():
        r = DailyReport.objects.select_for_update().select_related("place").get(pk=report.pk)
        if not r.current or r.status != S.SUBMITTED:
            raise Conflict(_("Only the current submitted version of a report can be approved or "
                             "returned (it is: %(status)s).") % {"status": r.get_status_display()},
                           code="report_not_submitted")
        r.status, r.decided_at, r.return_reason = status, timezone.now(), reason
        r.decided_by = actor.user if actor.user is not None and actor.user.is_authenticated else None
        r.save(update_fields=["status", "decided_at", "decided_by", "return_reason"])
        record(actor, f"report.{status}", r, changes={"version": r.version, "reason": reason},
               levels_from=r, label=f"{r.place.name} {r.day}")
    return r


def approve(actor, report: DailyReport) -> DailyReport:
    return _decide(actor, report, S.APPROVED)


def check_return(actor, report: DailyReport, reason: str) -> str:
    """Would `return_report` take this (asked before returning: the page's question)? The reason
    cleaned; Forbidden, Invalid (no reason) or Conflict (not the current submitted version) as
    the return would refuse it. Writes nothing."""
    errors = {}
    reason = bounded(reason or "", limit_of(DailyReport, "return_reason"), "reason", errors)
    if not reason and "reason" not in errors:
        errors["reason"] = [_("Say why the report is returned.")]
    access.require_approve(actor.scope, report)  # permission first, then the form
    if errors:
        raise Invalid(fields=errors)
    if not report.current or report.status != S.SUBMITTED:
        raise Conflict(_("Only the current submitted version of a report can be approved or "
                         "returned (it is: %(status)s).") % {"status": report.get_status_display()},
                       code="report_not_submitted")
    return reason


def return_report(actor, report: DailyReport, reason: str) -> DailyReport:
    """Send it back with why; the community's staff are told (inbox and phone). When the
    report above, submitted or approved, adds up this very version (`queries.summed_by`), its
    figures still hold it: the return step says so (`present.summed_by_text`), the report
    above says so from now on (`queries.changed_below` kind "returned"), and its submitters
    other than the one returning it are told once (`tell_summed_by`)."""
    reason = check_return(actor, report, reason)
    r = _decide(actor, report, S.RETURNED, reason)
    notify(actor, queries.submitters(r.place), kind="report.returned",
           title=lambda: _("Nightly report of %(day)s returned") % {"day": date_format(r.day)},
           body=reason, url=reverse("reports_report", args=[r.id]), place=r.place,
           key=f"report.returned:{r.id}")
    tell_summed_by(actor, r)
    return r


def tell_summed_by(actor, r: DailyReport) -> int:
    """The report above still adds up the version just returned: its submitters are told once
    (key per version), but not the one who returned it (they read it on the return step).
    Returns how many were told."""
    above = queries.summed_by(r)
    if above is None:
        return 0
    change = next((c for c in queries.changed_below(above) if c["kind"] == "returned" and c["report"] == r.id),
                  None)
    me = getattr(actor.user, "id", None)
    users = [u for u in queries.submitters(above.place) if u != me]
    if change is None or not users:
        return 0
    return notify(actor, users, kind="report.below_returned",
                  title=lambda: _("%(place)s's report (version %(v)d) was returned after yours added it up") % {
                      "place": r.place.name, "v": r.version},
                  body=lambda: present.returned_text(change),
                  url=reverse("reports_report", args=[above.id]), place=above.place,
                  key=f"report.below_returned:{r.id}")
