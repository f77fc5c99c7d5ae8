"""The nightly report's pages: a node's report of a day (opening it never writes: whoever
submits it sees the figures counted now, as of the cut-off, and the draft is made by the
POST that saves remarks or submits), its versions, remarks, submit (confirmed first),
correction, approve and return, and its exports."""

from types import SimpleNamespace

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.actor import actor_of
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.shedding import check_rate
from fangkong.core.views import confirm_step, confirmed, page
from fangkong.core.when import short_time
from fangkong.registry.figures import POPULATION_AT, population_note
from fangkong.registry.models import Kind

from . import access, actions, charts, exports, present, queries
from .models import DailyReport
from .views import node_ctx, parse_day


def report_ctx(request, r, **extra) -> dict:
    d = queries.definition(r.level)
    keys = d.figures or None
    changed = present.changed_lines(r) if r.pk and r.children else []
    return node_ctx(request, r.place) | {
        "report": r, "sections": present.sections(r.figures, r.place, keys, day=r.day, report=True), "versions": queries.versions(r),
        # as they stand now (`present.children`): a version summed may have been returned since
        "definition": d, "children": [c | {"cells": present.child_row(c["figures"]) if c["summed"] else []}
                                      for c in present.children(r)],
        "columns": present.child_columns(),
        "can_edit": r.current and not r.locked and access.can_submit(request.scope, r.place),
        # submitted from the cut-off on (`actions.require_cutoff_passed`)
        "before_cutoff": r.level not in queries.CHILD_KIND and timezone.now() < r.cutoff_at,
        "can_correct": r.current and r.locked and access.can_submit(request.scope, r.place),
        "can_decide": r.current and r.status == "submitted" and access.can_approve(request.scope, r),
        # the return step: the report above adds up this very version (`present.summed_by_text`)
        "summed_by": present.summed_by_text(r, request.scope)
        if r.current and r.status == "submitted" and access.can_approve(request.scope, r) else "",
        # late as it will be recorded: by the first submission of the day (`queries.would_be_late`)
        "late": queries.would_be_late(r),
        "chart": _coverage_chart(r),
        # the figures above add up only the places below that submitted: said before them
        "left_out": present.left_out(r),
        # and so its big numbers are a partial sum, not the place's total: said, with the live total
        "partial": present.partial(r),
        # as of when: the time of the data summed, not of the sum (`present.as_of`)
        "as_of_text": present.as_of_text(r), "summed_text": present.summed_text(r),
        # the window of what is new in the day: from the previous day's cut-off
        "window_text": present.window_text(r),
        # a place below corrected (or first sent) its report after this one summed it
        "changed": changed,
        # a hint, never a value: a prefilled reason accepted as it was had been stored in the
        # corrector's language and shown so to every reader (walked 2026-12-07: "更正原因：Count the
        # corrections of the places below" on the Chinese pages and the district's .xlsx)
        "correct_hint": _("e.g. count the corrections of the places below") if changed else "",
        # a correction while the report above still counts an earlier version: what changed
        # against it and what happens next (the place above is told: `actions.nightly.tell_above`)
        "above": present.above_lines(r) if r.pk and r.version > 1 else None,
    } | extra


def _coverage_chart(r):
    kids = charts.included_children(r)
    if not kids:
        return None
    c = charts.coverage_by_child(kids)
    return c, charts.svg(c)


@page
def node_day(request, pk, day):
    """GET only reads: a locked report as it is; a draft counted now as of the cut-off,
    whoever reads it (`actions.as_shown`); with none yet, an unsaved one for whoever may
    submit it."""
    node = queries.get_node(request.scope, pk)
    if node.kind not in access.LEVEL_KINDS:
        raise NotFound()
    day = parse_day(day)
    r = actions.day_report(request.scope, node, day)  # as the API's and the file's
    if r is None:
        return render(request, "reports/report_missing.html", node_ctx(request, node) | {"day": day})
    return render(request, "reports/report.html", report_ctx(request, r))


def _day_url(node, day):
    return reverse("reports_node_day", args=[node.id, day.isoformat()])


def _ask_submit(request, r, back):
    # who is not counted yet, as the page shows it and the submit will count it
    # (`actions.as_shown`): the draft the 20:30 job stored named places that had submitted
    # and been approved since (walked 2026-12-07)
    if isinstance(r, DailyReport) and r.level in queries.CHILD_KIND:
        r = actions.as_shown(r)
    # never before the cut-off (`actions.require_cutoff_passed`): a report locked at 09:27 for
    # a 20:00 cut-off had been told the rest of the day "goes into the next one", which it never did
    now = timezone.now()
    actions.require_cutoff_passed(r, now)
    at = r.cutoff_at
    if r.level in queries.CHILD_KIND:
        # a street's or district's report counts nothing itself: it adds up the reports below
        # as they were submitted (it had said "counted once more as of 02:40")
        lines = [_("The report adds up the reports of the places below as they submitted them "
                   "(nothing is counted again) and is locked: after this, a change is a correction "
                   "(a new version with its reason).")]
    else:
        lines = [_("The figures are counted once more as of %(cutoff)s and the report is locked: "
                   "after this, a change is a correction (a new version with its reason).")
                 % {"cutoff": timezone.localtime(at).strftime("%Y-%m-%d %H:%M")}]
        # the roll of the cut-off (`actions.roll`): stored then, or taken by this submit
        taken = queries.cutoff_rolls([r.place.id], r.day).get(r.place.id)
        if taken is not None and actions.roll_read_late(at, taken.taken_at):  # stored late
            lines.append(population_note({POPULATION_AT: [taken.taken_at.isoformat()]}))
        elif taken is not None and actions.roll_read_late(at, now):
            lines.append(_("Residents and households are the roll stored at the cut-off: people registered "
                           "or moved since are not counted in this day's report."))
        elif actions.roll_read_late(at, now):  # none stored: the roll is read now, and stored
            lines.append(_("Residents and households are counted from the roll as it stands now (%(now)s): "
                           "the registry keeps no history to count them as of the cut-off, and the report "
                           "says so.") % {"now": short_time(now)})
    # late as it will be recorded: a correction of an on-time report is not (`queries.would_be_late`)
    warn = [_("It is past the due time (%(due)s): it will be marked late.") % {
        "due": timezone.localtime(r.due_at).strftime("%H:%M")} if queries.would_be_late(r) else ""]
    if r.level in queries.CHILD_KIND:
        # a partial sum, said in red: who is not in it, at every level below (a district's over a
        # street's partial sum: walked 2026-12-07, the question had said nothing)
        if present.partial_head(r):
            warn += [_("A partial sum: the figures it sends up are NOT the total of %(place)s.") % {
                "place": r.place.name}, present.left_out(r)]
    return confirm_step(request, title=_("Submit the nightly report of %(place)s for %(day)s?") % {
        "place": r.place.name, "day": r.day}, lines=lines, warn=warn,
        yes=_("Yes, submit and lock"), back=back, back_post=True)  # back: the remarks as typed


@require_POST
@page
def start(request, pk, day):
    """The first save of a day's report from its page: makes the draft (an action,
    idempotent) with the remarks, and submits it when asked (confirmed first)."""
    node = queries.get_node(request.scope, pk)
    if node.kind not in access.LEVEL_KINDS:
        raise NotFound()
    day = parse_day(day)
    access.require_submit(request.scope, node)
    text = request.POST.get("remarks", "")
    submitting = request.POST.get("do") == "submit"
    if request.POST.get("edit"):  # "no, go back" from the question: the page, remarks as typed
        try:
            shown = actions.preview(node, day, queries.report_for(node, day))
        except Invalid:
            raise NotFound() from None
        return render(request, "reports/report.html", report_ctx(request, shown, typed=text))
    if submitting and not confirmed(request):
        try:
            actions.check_day(node, day)
        except Invalid:
            raise NotFound() from None
        d = queries.definition(node.kind)  # the times only: nothing counted to ask
        times = queries.report_for(node, day) or SimpleNamespace(
            place=node, day=day, level=node.kind, cutoff_at=d.cutoff_on(day), due_at=d.due_on(day),
            children=actions.rollup(node, day)[1] if node.kind in queries.CHILD_KIND else [])
        return _ask_submit(request, times, _day_url(node, day))
    actor = actor_of(request)
    try:
        r = actions.start(actor, node, day, text)
        if r.locked:
            messages.info(request, _("This report was already submitted; it is shown as it was locked."))
            return redirect(_back(r))
        if submitting:
            r = actions.submit(actor, r, text)
    except Invalid as e:
        if "day" in e.fields:  # a day in the future, or too long ago to start now
            raise NotFound() from None
        shown = actions.preview(node, day, queries.report_for(node, day))
        return render(request, "reports/report.html", report_ctx(request, shown, errors=e.fields, typed=text),
                      status=400)
    messages.success(request, _("Submitted. The report is locked.") if submitting else _("Remarks saved (draft)."))
    return redirect(_back(r))


@page
def report(request, pk):
    r = actions.as_shown(queries.get_report(request.scope, pk))
    return render(request, "reports/report.html", report_ctx(request, r))


def _back(r):
    return reverse("reports_report", args=[r.id])


@require_POST
@page
def remarks(request, pk):
    r = queries.get_report(request.scope, pk)
    try:
        actions.save_remarks(actor_of(request), r, request.POST.get("remarks", ""))
    except Invalid as e:
        return render(request, "reports/report.html", report_ctx(request, actions.as_shown(r), errors=e.fields,
                                                                 typed=request.POST.get("remarks", "")),
                      status=400)
    messages.success(request, _("Remarks saved (draft)."))
    return redirect(_back(r))


@require_POST
@page
def submit(request, pk):
    r = queries.get_report(request.scope, pk)
    access.require_submit(request.scope, r.place)
    text = request.POST.get("remarks")
    if request.POST.get("edit"):  # "no, go back" from the question: the page, remarks as typed
        return render(request, "reports/report.html",
                      report_ctx(request, actions.as_shown(r), typed=text or ""))
    if not confirmed(request):
        return _ask_submit(request, r, _back(r))
    try:
        r = actions.submit(actor_of(request), r, text)
    except Invalid as e:
        return render(request, "reports/report.html", report_ctx(request, actions.as_shown(r), errors=e.fields,
                                                                 typed=text), status=400)
    messages.success(request, _("Submitted. The report is locked."))
    return redirect(_back(r))


@require_POST
@page
def correct(request, pk):
    r = queries.get_report(request.scope, pk)
    try:
        new = actions.correct(actor_of(request), r, request.POST.get("reason", ""))
    except Invalid as e:
        return render(request, "reports/report.html", report_ctx(request, r, errors=e.fields), status=400)
    messages.success(request, _("Version %(v)d is a draft: check it and submit it.") % {"v": new.version})
    return redirect(_back(new))


@require_POST
@page
def approve(request, pk):
    r = queries.get_report(request.scope, pk)
    access.require_approve(request.scope, r)
    if not confirmed(request):
        return confirm_step(request, title=_("Approve the nightly report of %(place)s for %(day)s?") % {
            "place": r.place.name, "day": r.day}, lines=[_("Version %(v)d, submitted %(at)s.") % {
                "v": r.version, "at": r.submitted_at and timezone.localtime(r.submitted_at).strftime("%H:%M")}],
            yes=_("Yes, approve"), back=_back(r))
    actions.approve(actor_of(request), r)
    messages.success(request, _("Approved."))
    return redirect(_back(r))


@require_POST
@page
def return_report(request, pk):
    """Return a submitted report with why: asked first (it cannot be undone — the place is
    told, the approval is gone, a report above that summed it is flagged), worded by its level
    ("退回街道" for a street's report; walked 2026-12-07: one tap, "退回社区" to a street)."""
    r = queries.get_report(request.scope, pk)
    reason = request.POST.get("reason", "")
    try:
        if not confirmed(request):
            actions.check_return(actor_of(request), r, reason)  # permission, the reason, the state
            return _ask_return(request, r, reason)
        r = actions.return_report(actor_of(request), r, reason)
    except Invalid as e:
        return render(request, "reports/report.html", report_ctx(request, actions.as_shown(r),
                                                                 return_errors=e.fields), status=400)
    messages.success(request, _("Returned to %(place)s with the reason.") % {"place": r.place.name})
    if warn := present.summed_by_text(r, request.scope):  # the report above still adds it up
        messages.warning(request, warn)
    return redirect(_back(r))


def _ask_return(request, r, reason):
    """The return's question: which report, to whom, why, what follows."""
    words = {"place": r.place.name, "day": r.day, "v": r.version}
    title = (_("Return the nightly report of %(place)s for %(day)s (version %(v)d) to the street?") % words
             if r.level == Kind.STREET else
             _("Return the nightly report of %(place)s for %(day)s (version %(v)d) to the community?") % words)
    lines = [_("Reason: %(reason)s") % {"reason": reason},
             _("Its submitters are told, with the reason; they correct it and submit it again. This cannot be "
               "undone.")]
    return confirm_step(request, title=title, lines=lines, warn=present.summed_by_text(r, request.scope),
                        yes=_("Yes, return to the street") if r.level == Kind.STREET else
                        _("Yes, return to the community"), back=_back(r))


@page
def export(request, pk, fmt):
    r = queries.get_report(request.scope, pk)
    if fmt not in ("xlsx", "pdf"):
        raise NotFound()
    check_rate(request, "export")  # after the access check: a refused export is 404 always
    r = actions.as_shown(r)
    name = f"report-{r.place_id}-{r.day.isoformat()}-v{r.version}"
    body, ctype = exports.report(r, fmt)
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@page
def export_period(request, pk, fmt):
    """A period (at most 62 days): .xlsx of the node's current reports and every level's
    below it, one sheet per level; PDF of the node's own reports, a page each."""
    node = queries.get_node(request.scope, pk)
    first, last = parse_day(request.GET.get("from")), parse_day(request.GET.get("to"))
    if last < first or (last - first).days > 62 or fmt not in ("xlsx", "pdf"):
        raise NotFound()
    check_rate(request, "export")  # after the access check: a refused export is 404 always
    body, ctype = exports.period(node, first, last, fmt)
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = (f'attachment; filename="reports-{node.id}-{first.isoformat()}-'
                                       f'{last.isoformat()}.{fmt}"')
    return response
