"""The nightly report of one node: prepare (figures as of the cut-off), remarks, submit
(locked), correct (a new version with its reason, the earlier kept)."""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.clean import bounded, limit_of
from fangkong.core.errors import Conflict, Invalid
from fangkong.core.tree import under
from fangkong.core.when import short_time
from fangkong.registry.models import LEVEL_FIELDS, Kind, Place

from .. import access, figures, present, queries
from ..models import DailyReport
from . import roll

S = DailyReport.Status
CHILD_KIND = {Kind.STREET: Kind.COMMUNITY, Kind.DISTRICT: Kind.STREET}


def as_of(report_or_cutoff, now=None) -> datetime.datetime:
    """Figures are counted as of the cut-off, or now if that is earlier (a draft)."""
    cutoff = getattr(report_or_cutoff, "cutoff_at", report_or_cutoff)
    return min(now or timezone.now(), cutoff)


def rollup(place: Place, day: datetime.date) -> tuple[dict, list[dict]]:
    """(summed figures, children) of a street or district: each child's current report, its
    completeness, and its figures when submitted or approved (a draft, a returned or a
    missing report adds nothing). Two queries and one for the children."""
    kind = CHILD_KIND[place.kind]
    kids = list(Place.objects.filter(under(place), kind=kind).order_by("sort_key", "id"))
    reports = queries.current_reports([k.id for k in kids], day)
    firsts = queries.first_submissions([k.id for k in kids], day)
    due = queries.definition(kind).due_on(day)
    rows, counted = [], []
    for k in kids:
        r = reports.get(k.id)
        included = r is not None and r.status in queries.COUNTED
        row = {"place": k.id, "name": k.name, "report": r.id if r else None,
               "version": r.version if r else None, "status": r.status if r else "missing",
               "state": queries.state(firsts.get(k.id), r.due_at if r else due), "included": included,
               "figures": r.figures if included else {}}
        if included:  # the time of the data summed (`present.as_of`): the child's own
            first, last = present.as_of(r)
            row |= {"as_of": last.isoformat(), "as_of_from": first.isoformat()}
        rows.append(row)
        if included:
            counted.append(r.figures)
    return figures.total(counted), rows


def _figures_for(place: Place, day, cutoff, now=None) -> tuple[dict, list]:
    """A report's figures counted as of min(now, `cutoff`): a street's or district's sum of
    its children's reports; a community's counted by the providers, with the roll of its
    cut-off once that has passed (`roll.at_cutoff`: never today's roll in a past day's report)."""
    if place.kind in CHILD_KIND:
        return rollup(place, day)
    now = now or timezone.now()
    values = figures.of(place, as_of(cutoff, now), after=queries.place_window_start(place, day))
    return figures.stored(roll.at_cutoff(place, day, cutoff, values, now)), []


def prepare(actor, place: Place, day: datetime.date | None = None, *, now=None) -> DailyReport:
    """The node's current report for `day` (today by default), its figures counted again as
    of min(now, cut-off) while it is a draft; a locked report comes back untouched.
    Idempotent: two at once make one report."""
    access.require_submit(actor.scope, place)
    day = day or timezone.localdate(now or timezone.now())
    check_day(place, day, now=now)
    return prepare_unchecked(actor, place, day, now=now)


def check_day(place: Place, day: datetime.date, *, now=None) -> None:
    """A report can be started for today or the last FANGKONG_REPORT_BACKFILL_DAYS days."""
    today = timezone.localdate(now or timezone.now())
    back = getattr(settings, "FANGKONG_REPORT_BACKFILL_DAYS", 7)
    if day > today or (today - day).days > back and not queries.report_for(place, day):
        raise Invalid(fields={"day": [ngettext("A report can be made for today or yesterday.",
                                               "A report can be made for today or the last %(n)d days.", back)
                                      % {"n": back}]})


def preview(place: Place, day: datetime.date, report: DailyReport | None = None, *, now=None) -> DailyReport:
    """The day's report as it would be prepared now, NOT saved (a page's GET never writes):
    a draft's figures counted again as of min(now, cut-off), or a new unsaved draft (pk None)
    when there is none yet. A locked report comes back as it is."""
    if report is not None and report.locked:
        return report
    now = now or timezone.now()
    if report is None:
        d = queries.definition(place.kind)
        report = DailyReport(place=place, level=place.kind, day=day, cutoff_at=d.cutoff_on(day),
                             due_at=d.due_on(day), **{f: getattr(place, f) for f in LEVEL_FIELDS})
    report.figures, report.children = _figures_for(place, day, report.cutoff_at, now)
    report.computed_at = now
    return report


def as_shown(report: DailyReport) -> DailyReport:
    """A report as every surface shows it (its page, the API, its .xlsx and PDF, the
    period's export), whoever reads it: the current draft counted now (`preview`, not
    saved: a draft is live until it is submitted); a submitted, approved or returned report,
    or an earlier version, as it is stored. Never by who reads it (the caller has checked
    that they may see the report): "counted now for whoever may submit it" had the street's
    command read a community's draft as the job last stored it, so its period .xlsx said 24
    households sealed beside the page's and the API's 58 after a building was sealed."""
    if report.current and not report.locked:
        return preview(report.place, report.day, report)
    return report


def day_report(scope, place: Place, day: datetime.date, *, now=None) -> DailyReport | None:
    """A node's report of a day as its page, the API and the period's file all show it: the
    current report as shown (`as_shown`); with none yet, for whoever may submit it, the
    unsaved draft (`preview`, pk None) of a day a report can be made for; else None. The
    street's draft had been on its page and 404 in the API (walked 2026-12-07)."""
    r = queries.report_for(place, day)
    if r is not None:
        return as_shown(r)
    if not access.can_submit(scope, place):
        return None
    try:
        check_day(place, day, now=now)
    except Invalid:  # a day in the future, or too long ago to start now
        return None
    return preview(place, day, now=now)


def start(actor, place: Place, day: datetime.date, remarks: str | None = None, *, now=None) -> DailyReport:
    """The draft made from the report page (its first save): prepared (idempotent) and its
    remarks kept, in one transaction. Sent again after the report was submitted, the locked
    report comes back untouched (a retry never writes twice)."""
    access.require_submit(actor.scope, place)
    remarks = None if remarks is None else _check_remarks(remarks)
    with transaction.atomic():
        r = prepare(actor, place, day, now=now)
        if not r.locked and remarks is not None and remarks != r.remarks:
            r.remarks = remarks
            r.save(update_fields=["remarks"])
    return r


def prepare_unchecked(actor, place, day=None, *, now=None, values=None) -> DailyReport:
    """`prepare` for the scheduled job (which prepares every node: no user behind it);
    `values`: figures already counted for this node (the job counts many nodes at once)."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    d = queries.definition(place.kind)
    cutoff = d.cutoff_on(day)
    if values is not None:
        children = []
        values = figures.stored(roll.at_cutoff(place, day, cutoff, dict(values), now))
    else:
        values, children = _figures_for(place, day, cutoff, now)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                r = (DailyReport.objects.select_for_update()
                     .filter(place=place, day=day, current=True).first())
                if r is not None and r.locked:
                    return r
                if r is None:
                    r = DailyReport(place=place, level=place.kind, day=day, cutoff_at=cutoff,
                                    due_at=d.due_on(day),
                                    **{f: getattr(place, f) for f in LEVEL_FIELDS})
                r.figures, r.children, r.computed_at = values, children, now
                r.save()
                return r
        except IntegrityError:  # another prepare created it meanwhile: read theirs
            continue
    return DailyReport.objects.get(place=place, day=day, current=True)


def _check_remarks(remarks) -> str:
    return bounded(remarks or "", limit_of(DailyReport, "remarks") or 2000, "remarks", single_line=False)


def _require_draft(report: DailyReport):
    if not report.current:
        raise Conflict(_("This is an earlier version of the report; open the current one."),
                       code="report_superseded")
    if report.locked:
        raise Conflict(_("This report was submitted and is locked. To change it, make a correction "
                         "(a new version with its reason)."), code="report_locked")


def require_cutoff_passed(report, now=None) -> None:
    """A report is submitted from its cut-off on, never before: it counts the day up to the
    cut-off, and the day's figures (today's rounds, minutes on duty, cases) are counted in no
    other report — one locked at 09:27 for a 20:00 cut-off left the rest of the day's sampling
    out of every report (walked 2026-12-07; the confirm had said it "goes into the next one").
    A street's or district's counts nothing itself: it adds up the reports below as they were
    submitted, and one sent after it is said and told (`tell_above`), so it may go earlier."""
    if report.level not in CHILD_KIND and (now or timezone.now()) < report.cutoff_at:
        raise Conflict(_("The report can be submitted from its cut-off (%(cutoff)s): it counts the day up to "
                         "then. Until then it stays a draft, counted again whenever it is opened.")
                       % {"cutoff": short_time(report.cutoff_at)},
                       code="report_before_cutoff")


def save_remarks(actor, report: DailyReport, remarks: str) -> DailyReport:
    access.require_submit(actor.scope, report.place)
    remarks = _check_remarks(remarks)
    with transaction.atomic():
        report = DailyReport.objects.select_for_update().get(pk=report.pk)
        _require_draft(report)
        report.remarks = remarks
        report.save(update_fields=["remarks"])
    return report


def submit(actor, report: DailyReport, remarks: str | None = None, *, now=None) -> DailyReport:
    """Lock the draft: its figures are counted once more as of the cut-off (so a report
    submitted at 20:40 still counts nothing after 20:00), its roll the cut-off's
    (`roll.take`, `roll.at_cutoff`), then it never changes."""
    access.require_submit(actor.scope, report.place)
    remarks = None if remarks is None else _check_remarks(remarks)
    now = now or timezone.now()
    with transaction.atomic():
        report = DailyReport.objects.select_for_update().get(pk=report.pk)
        _require_draft(report)
        require_cutoff_passed(report, now)
        # the roll of its cut-off, taken now if the job has not (`roll.take`): the report and
        # every later count of its day keep it, whatever is imported or moved afterwards
        roll.take([report.place], report.day, now, cutoff=report.cutoff_at)
        report.figures, report.children = _figures_for(report.place, report.day, report.cutoff_at, now)
        report.computed_at = now
        if remarks is not None:
            report.remarks = remarks
        report.status, report.submitted_at, report.submitted_by = S.SUBMITTED, now, _user(actor)
        report.save()
        record(actor, "report.submit", report, changes={"version": report.version,
                                                        "day": str(report.day)},
               levels_from=report, label=f"{report.place.name} {report.day}")
        tell_above(actor, report)
        tell_reviewers(actor, report)
    return report


def tell_reviewers(actor, report: DailyReport) -> int:
    """A report arrives (submitted, or sent again after a return or as a correction): those who
    approve or return it (`queries.reviewers`: the street's command for a community's) are told
    once a version, in their inbox and on their phone, as a zone lift waiting for approval is
    (walked 2026-12-07: the street's inbox held only the 22:25 reminder while 惠泽苑's report
    waited). Not the one who submitted it. Returns how many were told."""
    from django.urls import reverse

    from fangkong.core.when import short_day
    from fangkong.notify.actions import notify

    me = getattr(getattr(actor, "user", None), "id", None)
    users = [u for u in queries.reviewers(report) if u != me]
    if not users:
        return 0
    place, day, v = report.place.name, report.day, report.version

    def body():  # in each reader's language
        if v > 1:
            return _("%(place)s sent version %(v)d of its nightly report of %(day)s: approve it or return it "
                     "with a reason.") % {"place": place, "v": v, "day": short_day(day)}
        return _("%(place)s submitted its nightly report of %(day)s: approve it or return it with a reason.") % {
            "place": place, "day": short_day(day)}

    return notify(actor, users, kind="report.to_review",
                  title=lambda: _("To review: the nightly report of %(place)s, %(day)s") % {
                      "place": place, "day": short_day(day)},
                  body=body, url=reverse("reports_report", args=[report.id]), place=report.place,
                  key=f"report.to_review:{report.id}")


PARENT_KIND = {Kind.COMMUNITY: Kind.STREET, Kind.STREET: Kind.DISTRICT}


def tell_above(actor, report: DailyReport) -> int:
    """A report submitted after the report above it was locked (a correction, or a first
    report sent late) is not in that sum, which never changes by itself: the node above's
    submitters are told once (a key per version), with what changed and where to make a
    corrected version (`queries.changed_below`, `present.change_text`). Returns how many
    were told."""
    from django.urls import reverse

    from fangkong.core.tree import level_field
    from fangkong.notify.actions import notify

    kind = PARENT_KIND.get(report.level)
    parent_id = getattr(report.place, level_field(kind), None) if kind else None
    above = (DailyReport.objects.select_related("place").filter(place_id=parent_id, day=report.day, current=True)
             .first() if parent_id else None)
    if above is None or not above.locked:  # a draft counts it when it is shown or submitted
        return 0
    change = next((c for c in queries.changed_below(above) if c["place"] == report.place_id), None)
    if change is None:
        return 0
    return notify(actor, queries.submitters(above.place), kind="report.below_changed",
                  title=lambda: _title(change),
                  body=lambda: " ".join([present.change_text(change), _(
                      "Your report keeps its figures: make a corrected version to count it.")]),
                  url=reverse("reports_report", args=[above.id]), place=above.place,
                  key=f"report.below_changed:{report.id}")


def _title(change: dict) -> str:
    """The notification's title says which it is: a correction (its version) or a first report
    sent late ("光明社区在您的日报锁定后提交了日报" had been said of a correction too)."""
    if change["kind"] == "corrected":
        return _("%(place)s corrected its report (version %(v)d) after yours was locked") % {
            "place": change["name"], "v": change["version"]}
    return _("%(place)s sent its report after yours was locked") % {"place": change["name"]}


def correct(actor, report: DailyReport, reason: str, *, now=None) -> DailyReport:
    """A new draft version of a locked report, with why; the earlier version stays as it was
    (no longer current). Its figures are counted again as of the same cut-off, its roll the
    one stored at that cut-off (`roll.at_cutoff`): a correction the next day never brings in
    who was imported or moved since; one made that evening (READ_GRACE) reads the roll again
    and stores it (`roll.retake`: someone found missing from the roll)."""
    access.require_submit(actor.scope, report.place)
    errors = {}
    reason = bounded(reason or "", limit_of(DailyReport, "reason"), "reason", errors)
    if not reason and "reason" not in errors:
        errors["reason"] = [_("Say why the report is corrected.")]
    if errors:
        raise Invalid(fields=errors)
    now = now or timezone.now()
    with transaction.atomic():
        old = DailyReport.objects.select_for_update().get(pk=report.pk)
        if not old.current:
            raise Conflict(_("This is an earlier version of the report; open the current one."),
                           code="report_superseded")
        if not old.locked:
            raise Conflict(_("This report is still a draft: change it and submit it."),
                           code="report_draft")
        old.current = False
        old.save(update_fields=["current"])
        new = DailyReport(place=old.place, level=old.level, day=old.day, version=old.version + 1,
                          cutoff_at=old.cutoff_at, due_at=old.due_at, remarks=old.remarks,
                          reason=reason, **{f: getattr(old, f) for f in LEVEL_FIELDS})
        roll.retake(old.place, old.day, old.cutoff_at, now)  # the same evening only (READ_GRACE)
        new.figures, new.children = _figures_for(old.place, old.day, old.cutoff_at, now)
        new.computed_at = now
        new.save()
        record(actor, "report.correct", new, changes={"version": new.version, "reason": reason},
               levels_from=new, label=f"{old.place.name} {old.day}")
    return new


def _user(actor):
    user = getattr(actor, "user", None)
    return user if user is not None and user.is_authenticated else None
