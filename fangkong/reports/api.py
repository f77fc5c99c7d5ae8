"""Dashboards and nightly reports over JSON (/api/v1/reports/…): a node's figures as of a
time, its report of a day (draft, remarks, submit, versions, correct, approve, return),
the completeness of its children's reports with the reminder, and the exports. Thin glue
over `queries` and `actions` (the pages call the same): a node or report outside the
user's reach is a 404 with the body of a missing one."""

import datetime

from django.http import HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status

from fangkong.core.actor import actor_of
from fangkong.core.clean import in_utc
from fangkong.core.errors import NotFound
from fangkong.core.shedding import check_rate

from . import access, actions, exports, figures, live, present, queries
from .models import DailyReport

router = Router(tags=["reports"])


class ReportFigureOut(Schema):
    key: str
    label: str
    group: str
    unit: str
    value: int | None


class NodeFiguresOut(Schema):
    place: int
    name: str
    kind: str
    at: datetime.datetime
    figures: list[ReportFigureOut]
    children: list["ChildFiguresOut"]


class ChildFiguresOut(Schema):
    place: int | None  # None: what the node holds outside all its children ("Not in a grid")
    name: str
    figures: dict[str, int | None]


NodeFiguresOut.model_rebuild()


class ChildReportOut(Schema):
    place: int
    name: str
    report: int | None
    version: int | None
    status: str  # its report's status now (a version summed may have been returned since)
    state: str  # on_time | late | missing | returned (sent back, not submitted again)
    included: bool  # counted as accepted: summed, and that report still submitted or approved
    summed: bool  # its figures are in this report's (a version returned since too)
    figures: dict[str, int | None]
    as_of: datetime.datetime | None = None  # the time of the child's figures (None: not counted)


class FigureChangeOut(Schema):
    key: str
    label: str
    counted: int | None  # as the roll-up summed it
    now: int | None  # in the place's report now


class ChangedBelowOut(Schema):
    """A place below whose counted report is no longer the one the roll-up summed."""

    place: int
    name: str
    # corrected (a newer version) | late (first submitted after the roll-up) | returned (the
    # version summed was returned since: the figures still hold it)
    kind: str
    report: int
    version: int
    counted_version: int | None
    submitted_at: datetime.datetime | None
    returned_at: datetime.datetime | None = None
    return_reason: str = ""
    via: str | None = None  # a district's: the street whose report adds up the returned community
    changes: list[FigureChangeOut]
    said: str  # in words, as the page says it


class NotSummedBelowOut(Schema):
    """A place further below that a report summed here left out: in neither's figures."""

    place: int | None
    name: str
    status: str  # as the report summed kept it: missing | draft | returned
    via: str  # the place whose report (summed here) left it out
    via_place: int | None


class ReportOut(Schema):
    id: int | None  # null: a draft counted now and not saved yet (GET of a node's day)
    place: int
    place_name: str
    level: str
    day: datetime.date
    version: int
    current: bool
    status: str
    cutoff_at: datetime.datetime
    due_at: datetime.datetime
    computed_at: datetime.datetime | None  # when counted (a roll-up: when summed)
    # the time of the data the figures are made of (a roll-up: its counted children's, the
    # earliest and the latest; a community: its cut-off, or when counted if earlier)
    figures_as_of: datetime.datetime
    figures_as_of_earliest: datetime.datetime
    # what is new in the day (cases, doors, minutes) is counted strictly after this moment
    # (the previous day's cut-off) up to figures_as_of: each case is in one day's report
    new_since: datetime.datetime
    submitted_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    remarks: str
    reason: str
    return_reason: str
    figures: dict[str, int | None]
    children: list[ChildReportOut]
    # places below that corrected (or first sent) their report after this roll-up summed them
    changed_below: list[ChangedBelowOut]
    # the report above, submitted or approved, that adds up this very version (returning it
    # leaves that report to be corrected), and that warning in words
    summed_by: int | None = None
    summed_by_said: str = ""
    # a partial sum (places below, or further below, not in the figures), as the page says it
    # ("" when every place is counted): the figures are NOT the place's total
    partial_said: str = ""
    left_out_said: str = ""  # which places are not counted, as the page's line above the figures
    # the places two or more levels below that a report summed here left out (a district's
    # report summing a street's partial sum)
    not_summed_below: list[NotSummedBelowOut] = []


class CompletenessRow(Schema):
    place: int
    name: str
    state: str
    report: int | None
    status: str | None
    version: int | None
    first_submitted_at: datetime.datetime | None


class CompletenessOut(Schema):
    place: int
    day: datetime.date
    due_at: datetime.datetime | None
    on_time: int
    late: int
    missing: int
    returned: int  # sent back and not submitted again
    outstanding: int  # missing + returned: still to be reported, reminded
    awaiting: int  # submitted, not yet approved or returned: the reviewers' work
    total: int
    rows: list[CompletenessRow]


class RemarksIn(Schema):
    remarks: str = ""


class SubmitIn(Schema):
    remarks: str | None = None


class ReportReasonIn(Schema):
    reason: str = ""


class DayIn(Schema):
    day: datetime.date | None = None


class RemindSkippedOut(Schema):
    place: int
    name: str
    last_at: datetime.datetime  # the last reminder to the place that day
    automatic: bool  # by the scheduled job (else by a person)
    again_at: datetime.datetime  # a person's reminder sends again from then


class RemindOut(Schema):
    places: int  # outstanding reports (missing, or returned and not submitted again)
    sent: int  # people told now
    nobody: list[str]  # the outstanding places nobody can submit for
    skipped: list[RemindSkippedOut] = []  # reminded less than 30 minutes ago: not sent again


class RemindPlaceOut(Schema):
    place: int
    name: str
    state: str  # missing | returned (sent back, not submitted again)
    people: list[str]  # who is told (the accounts that submit its report)
    again_at: datetime.datetime | None  # reminded less than 30 minutes ago: not sent again until then


class RemindPreviewOut(Schema):
    """Who POST …/remind would tell now (nothing is sent by this GET)."""

    places: list[RemindPlaceOut]
    nobody: list[str]  # outstanding places nobody can submit for
    channels: list[str]  # how it goes out besides the inbox (e.g. SMS), in the reader's language


class RefreshOut(Schema):
    queued: bool  # false: a refresh of this node already waits for the worker



def report_out(r: DailyReport, scope=None) -> dict:
    first, last = present.as_of(r)
    by = figures.by_key()
    below = queries.changed_below(r) if r.pk and r.children else []
    above = queries.summed_by(r) if r.status in queries.COUNTED or r.status == DailyReport.Status.RETURNED else None
    partial = present.partial_head(r)
    return {"id": r.id, "place": r.place_id, "place_name": r.place.name, "level": r.level, "day": r.day,
            "version": r.version, "current": r.current, "status": r.status, "cutoff_at": r.cutoff_at,
            "due_at": r.due_at, "computed_at": r.computed_at, "figures_as_of": last,
            "figures_as_of_earliest": first, "new_since": present.window(r)[0], "submitted_at": r.submitted_at,
            "decided_at": r.decided_at, "remarks": r.remarks, "reason": r.reason,
            "return_reason": r.return_reason, "figures": figures.figures_only(r.figures),
            "children": [c | {"figures": figures.figures_only(c["figures"]), "as_of": c.get("as_of")}
                         for c in present.children(r)],  # as they stand now (`included`: accepted)
            "changed_below": [c | {"said": present.change_text(c), "changes": [
                {"key": k, "label": present.label(by[k], report=True) if k in by else k, "counted": a, "now": b}
                for k, a, b in c["changes"]]} for c in below],
            "summed_by": above.id if above is not None else None,
            "summed_by_said": present.summed_by_text(r, scope)
            if above is not None and r.status != DailyReport.Status.APPROVED else "",
            "partial_said": partial["text"] if partial else "", "left_out_said": present.left_out(r),
            "not_summed_below": present.not_summed_below(r)}


def _day(value) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise NotFound() from None


@router.get("/reports/places/{place_id}/figures", response=NodeFiguresOut)
def node_figures(request, place_id: int, at: datetime.datetime | None = None):
    """The node's figures as of `at` (default now), and each visible child's, worst first.
    Now, a street's or district's are the sum of its communities' snapshots; `at` says as of
    when they were counted. A child's tubes not yet at the lab are the tubes holding its
    people (a tube of two grids is in both children), so the children's may add up to more
    than the node's."""
    node = queries.get_node(request.scope, place_id)
    now = timezone.now()
    if at is not None:
        at = in_utc(at)
    if at is not None and at >= now:
        at = None
    if at is not None and node.kind in live.ROLLED:
        check_rate(request, "coverage")  # a street or district counted in full
    board = live.board(request.scope, node, at)
    at = board["as_of"]
    figs = [{"key": f.key, "label": str(f.label), "group": str(f.group), "unit": f.unit,
             "value": board["values"].get(f.key)} for f in figures.definitions()]
    kids = [{"place": c.id, "name": c.name,
             "figures": {k: v for k, v in vals.items() if not k.startswith("_")}}
            for c, vals in board["children"]]
    return {"place": node.id, "name": node.name, "kind": node.kind, "at": at, "figures": figs,
            "children": kids}


@router.get("/reports/places/{place_id}/reports/{day}", response=ReportOut)
def node_report(request, place_id: int, day: str):
    """The node's current report of `day`, as its page shows it (`actions.day_report`): with
    none saved yet, whoever may submit it gets the draft counted now, not saved (`id` null);
    404 for anyone else."""
    node = queries.get_node(request.scope, place_id)
    r = actions.day_report(request.scope, node, _day(day))
    if r is None:
        raise NotFound()
    return report_out(r, request.scope)


@router.post("/reports/places/{place_id}/reports/{day}", response=ReportOut)
def prepare(request, place_id: int, day: str):
    """Prepare (or refresh) the draft of `day`: figures as of the cut-off, or now if earlier.
    A locked report comes back as it is."""
    node = queries.get_node(request.scope, place_id)
    return report_out(actions.prepare(actor_of(request), node, _day(day)), request.scope)


@router.get("/reports/{report_id}", response=ReportOut)
def report(request, report_id: int):
    """A report; a current draft with its figures counted now, whoever reads it (as its
    page and its files show it: `computed_at` says when)."""
    return report_out(actions.as_shown(queries.get_report(request.scope, report_id)), request.scope)


@router.get("/reports/{report_id}/versions", response=list[ReportOut])
def versions(request, report_id: int):
    r = queries.get_report(request.scope, report_id)
    return [report_out(actions.as_shown(v), request.scope) for v in queries.versions(r)]  # a draft: counted now


@router.post("/reports/{report_id}/remarks", response=ReportOut)
def remarks(request, report_id: int, payload: RemarksIn):
    r = queries.get_report(request.scope, report_id)
    return report_out(actions.save_remarks(actor_of(request), r, payload.remarks), request.scope)


@router.post("/reports/{report_id}/submit", response=ReportOut)
def submit(request, report_id: int, payload: SubmitIn):
    """Lock the draft (figures counted once more as of the cut-off). Sent again: 409
    report_locked, nothing changes."""
    r = queries.get_report(request.scope, report_id)
    return report_out(actions.submit(actor_of(request), r, payload.remarks), request.scope)


@router.post("/reports/{report_id}/correct", response={201: ReportOut})
def correct(request, report_id: int, payload: ReportReasonIn):
    """A new draft version of a locked report, with why (the earlier is kept)."""
    r = queries.get_report(request.scope, report_id)
    return Status(201, report_out(actions.correct(actor_of(request), r, payload.reason), request.scope))


@router.post("/reports/{report_id}/approve", response=ReportOut)
def approve(request, report_id: int):
    r = queries.get_report(request.scope, report_id)
    return report_out(actions.approve(actor_of(request), r), request.scope)


@router.post("/reports/{report_id}/return", response=ReportOut)
def return_report(request, report_id: int, payload: ReportReasonIn):
    r = queries.get_report(request.scope, report_id)
    return report_out(actions.return_report(actor_of(request), r, payload.reason), request.scope)


@router.get("/reports/places/{place_id}/completeness", response=CompletenessOut)
def completeness(request, place_id: int, day: datetime.date | None = None):
    """Who has reported below a street or district (`access.require_completeness`: a
    community, with nothing reporting to it, is not found, as on the page)."""
    node = queries.get_node(request.scope, place_id)
    access.require_completeness(request.scope, node)
    day = day or timezone.localdate()
    rows = queries.completeness(node, day)
    counts = queries.completeness_counts(rows)
    return {"place": node.id, "day": day, "due_at": rows[0]["due"] if rows else None, **counts,
            "rows": [{"place": r["place"].id, "name": r["place"].name, "state": r["state"],
                      "report": r["report"].id if r["report"] else None,
                      "status": r["report"].status if r["report"] else None,
                      "version": r["report"].version if r["report"] else None,
                      "first_submitted_at": r["first"]} for r in rows]}


@router.get("/reports/places/{place_id}/remind", response=RemindPreviewOut)
def remind_preview(request, place_id: int, day: datetime.date | None = None):
    """Who a reminder would tell now, and how (read only): the places still owing the report of
    `day` (default today), the people who would be texted, the places reminded less than 30
    minutes ago (`again_at`: not sent again) — to ask before POSTing, as the page does."""
    node = queries.get_node(request.scope, place_id)
    access.require_remind(request.scope, node)
    return actions.remind_preview(actor_of(request), node, day or timezone.localdate())


@router.post("/reports/places/{place_id}/remind", response=RemindOut)
def remind(request, place_id: int, payload: DayIn):
    node = queries.get_node(request.scope, place_id)
    access.require_remind(request.scope, node)
    return actions.remind(actor_of(request), node, payload.day or timezone.localdate())


@router.post("/reports/places/{place_id}/refresh", response=RefreshOut)
def refresh(request, place_id: int):
    """Queue the snapshot refresh of a street or district (counted by the worker, never in
    the request); the figures' `at` says when they were counted."""
    node = queries.get_node(request.scope, place_id)
    return actions.request_refresh(actor_of(request), node)


@router.get("/reports/{report_id}/export/{fmt}")
def export(request, report_id: int, fmt: str):
    """The report as .xlsx (one sheet per level: it and the reports below it that day) or
    as an A4 PDF."""
    r = queries.get_report(request.scope, report_id)
    if fmt not in ("xlsx", "pdf"):
        raise NotFound()
    check_rate(request, "export")
    r = actions.as_shown(r)
    body, ctype = exports.report(r, fmt)
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = (f'attachment; filename="report-{r.place_id}-{r.day.isoformat()}'
                                       f'-v{r.version}.{fmt}"')
    return response



@router.get("/reports/places/{place_id}/export/{fmt}")
def export_period(request, place_id: int, fmt: str, first: datetime.date, last: datetime.date):
    """A period of at most 62 days (`first` to `last`): .xlsx of the node's reports and every
    level's below it (a sheet per level), or a PDF of the node's own reports."""
    from django.utils.translation import gettext as _

    from fangkong.core.errors import Invalid

    node = queries.get_node(request.scope, place_id)
    if fmt not in ("xlsx", "pdf"):
        raise NotFound()
    if last < first or (last - first).days > 62:
        raise Invalid(fields={"last": [_("A period of at most 62 days, its last day not before its first.")]})
    check_rate(request, "export")
    body, ctype = exports.period(node, first, last, fmt)
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = (f'attachment; filename="reports-{node.id}-{first.isoformat()}'
                                       f'-{last.isoformat()}.{fmt}"')
    return response
