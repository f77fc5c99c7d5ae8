"""Dashboard pages: any node the user may see, live figures with the list behind each,
children side by side worst first, charts; completeness of the children's nightly reports
with the reminder button; a node's report history."""

import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fangkong.core.actor import Actor
from fangkong.core.errors import NotFound
from fangkong.core.text import join_words
from fangkong.core.views import confirm_step, confirmed, page
from fangkong.core.when import short_time
from fangkong.registry import queries as reg_queries

from . import access, actions, charts, live, present, queries


def parse_day(value) -> datetime.date:
    if not value:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise NotFound() from None


def node_ctx(request, node) -> dict:
    return {"node": node, "crumbs": [p for p in reg_queries.ancestors(node)
                                     if access.can_view(request.scope, p)],
            "can_submit": access.can_submit(request.scope, node),
            "can_remind": access.can_remind(request.scope, node),
            "today": timezone.localdate()}


@page
def home(request):
    nodes = queries.nodes(request.scope)
    if len(nodes) == 1:
        return redirect("reports_dashboard", pk=nodes[0].id)
    if not nodes:
        raise NotFound()
    return render(request, "reports/home.html", {"nodes": nodes})


@page
def dashboard(request, pk):
    node = queries.get_node(request.scope, pk)
    board = live.board(request.scope, node)
    now = timezone.now()
    children = [{"node": c, "cells": present.child_row(v),
                 "url": reverse("reports_dashboard", args=[c.id]) if c.id else ""}
                for c, v in board["children"]]
    ctx = node_ctx(request, node) | {
        "at": board["as_of"], "waiting": board["waiting"], "rolled": node.kind in live.ROLLED,
        "age": max(0, int((now - board["as_of"]).total_seconds() // 60)), "sections": present.sections(board["values"], node),
        "columns": present.child_columns(), "children": children, "shared_note": present.shared_note(),
        # a past day as its submitted report says it, a day without one counted now (said)
        # today on a street's or district's: as its snapshots say it, as the tiles (`as_snapshot`)
        "charts": [(c, charts.svg(c), charts.note(c, today=timezone.localdate())) for c in charts.charts_for(
            node, now, board["children"],
            today=board if node.kind in live.ROLLED else None)],
        "report": queries.report_for(node, timezone.localdate()) if node.kind in access.LEVEL_KINDS else None,
    }
    return render(request, "reports/dashboard.html", ctx)


@require_POST
@page
def refresh(request, pk):
    """A street's or district's dashboard asks for its snapshots to be counted again: the
    background task is queued (the request never counts a district)."""
    node = queries.get_node(request.scope, pk)
    out = actions.request_refresh(Actor.from_request(request), node)
    messages.success(request, _("Asked for fresh figures: they are counted in the background "
                                "within a minute or two. Reload the page then.") if out["queued"] else
                     _("Fresh figures are already being counted. Reload the page in a minute."))
    return redirect("reports_dashboard", pk=node.id)


@page
def completeness(request, pk):
    node = queries.get_node(request.scope, pk)
    access.require_completeness(request.scope, node)
    day = parse_day(request.GET.get("day"))
    rows = queries.completeness(node, day)
    return render(request, "reports/completeness.html", node_ctx(request, node) | {
        "day": day, "rows": rows, "counts": queries.completeness_counts(rows),
        "previous": day - datetime.timedelta(days=1), "next": day + datetime.timedelta(days=1)})


@require_POST
@page
def remind(request, pk):
    node = queries.get_node(request.scope, pk)
    access.require_remind(request.scope, node)
    day = parse_day(request.POST.get("day"))
    actor = Actor.from_request(request)
    if not confirmed(request):  # asked first: who is texted, now (`actions.remind_preview`)
        ask = _ask_remind(request, node, day, actions.remind_preview(actor, node, day))
        if ask is not None:
            return ask
    out = actions.remind(actor, node, day)
    if not out["places"]:
        messages.success(request, _("Every place has reported; nobody to remind."))
    elif out["sent"]:
        n = out["places"] - len(out["nobody"]) - len(out["skipped"])
        messages.success(request, ngettext("Reminded %(n)d place (%(people)s).", "Reminded %(n)d places (%(people)s).", n)
                         % {"n": n, "people": ngettext("%(n)s person", "%(n)s people", out["sent"]) % {"n": out["sent"]}})
    for line in present.skipped_lines(out["skipped"]):  # reminded less than AGAIN ago: when and how
        messages.info(request, line)
    if not out["sent"] and not out["skipped"] and len(out["nobody"]) < out["places"]:
        messages.info(request, _("Those places were reminded a moment ago: nothing was sent again."))
    if out["nobody"]:
        messages.warning(request, _("Nobody can submit the report of %(places)s: give someone "
                                    "that role there.") % {"places": join_words(out["nobody"])})
    return redirect(f"{reverse('reports_completeness', args=[node.id])}?day={day.isoformat()}")


def _ask_remind(request, node, day, plan):
    """The reminder's question: the places and the people it texts now, and how; the places
    reminded less than `AGAIN` ago (not sent again) and those nobody can submit for. None when
    it would send nothing (the tap then says so without asking)."""
    going = [p for p in plan["places"] if p["again_at"] is None]
    if not going:
        return None
    lines = [(_("%(place)s (returned, to report again): %(people)s") if p["state"] == "returned" else
              _("%(place)s (not reported): %(people)s")) % {"place": p["name"], "people": join_words(p["people"])}
             for p in going]
    lines += present.skipped_lines([p for p in plan["places"] if p["again_at"] is not None])
    now = short_time(timezone.now())
    warn = [_("They are told now, %(now)s, in their inbox and by %(channels)s on their phones.") % {
        "now": now, "channels": join_words(plan["channels"])} if plan["channels"] else
        _("They are told now, %(now)s, in their inbox (no text messages are set up).") % {"now": now}]
    if plan["nobody"]:
        warn.append(_("Nobody can submit the report of %(places)s: give someone that role there.") % {
            "places": join_words(plan["nobody"])})
    return confirm_step(request, title=ngettext("Remind %(n)d place now?", "Remind %(n)d places now?", len(going))
                        % {"n": len(going)}, lines=lines, warn=warn, yes=_("Yes, send the reminder"),
                        back=f"{reverse('reports_completeness', args=[node.id])}?day={day.isoformat()}")


@page
def history(request, pk):
    node = queries.get_node(request.scope, pk)
    return render(request, "reports/history.html", node_ctx(request, node) | {
        "reports": queries.history(node), "first": timezone.localdate() - datetime.timedelta(days=30)})
