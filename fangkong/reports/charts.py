"""Charts as server-rendered SVG: presentation attributes only (no style attribute, no
script), so they work under the site's CSP (`style-src 'self'`); Chinese labels as text;
each chart has its rows for a text table beside it (screen readers, print) and the same
rows draw the PDF's charts (export_pdf.py). The data come from the providers' charts
(`core.figures.Provider.charts`), and the children's coverage from their figures."""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from fangkong.core.figures import Chart
from fangkong.registry.models import LEVELS

from . import figures

BAR = "#0b5cad"  # the site's accent blue (counts)
LOW = "#b3261e"  # red: coverage under 60 %
MID = "#8a5300"  # amber: under 90 %
OK = "#1b6e2a"  # green: 90 % and more
GRID = "#d0d0d0"
PALE = ' fill-opacity="0.45"'  # a day counted now, with no submitted report (`as_reported`)
INK = "#1a1a1a"


def coverage_by_child(children) -> Chart:
    """Coverage (people) of each child node, worst first (the dashboard's order)."""
    rows = [(c.name, v.get("coverage") or 0,
             f"{v['coverage']}% ({v.get('sampled', 0)}/{v.get('to_sample', 0)})"
             if v.get("coverage") is not None else "–")  # no one to test there
            for c, v in children]
    return Chart("coverage", _("Coverage by place, worst first"), rows, unit="%", top=100,
                 headers=(_("Place"), _("Coverage")))


def included_children(report) -> list:
    """A roll-up report's counted children as (node-like, figures), worst first."""
    from types import SimpleNamespace

    kids = [(SimpleNamespace(name=c["name"]), c["figures"]) for c in report.children if c["included"]]
    return figures.worst_first(kids)


def report_time(report):
    """When a report's figures are as of (`present.as_of`, the latest): its cut-off, or when
    a draft was counted if that was earlier; a roll-up's are its children's (a street's at
    21:00 sums communities counted at 20:00)."""
    from . import present

    return present.as_of(report)[1]


def for_report(report) -> list[Chart]:
    """Every chart the dashboard shows for the report's node, as of the report's time (the
    PDF): the providers' charts, and the coverage of the places below — a roll-up's
    counted children as the report holds them, else the node's children counted as of
    then (one provider pass). Over the report's window (`present.window`: from the previous
    cut-off), as its figures are counted: the hourly chart adds up to its "tested"."""
    from fangkong.registry.models import Place

    from . import present, queries

    at, node = report_time(report), report.place
    if report.children:
        kids = included_children(report)
    else:
        kind = queries.KID_KIND.get(node.kind)
        below = list(Place.objects.filter(parent=node, kind=kind).order_by("sort_key", "id")) if kind else []
        values = figures.compute(below, at, parent=node) if below else {}
        own = values.pop(node.id, {})
        # the dashboard's rows: the grids and "未分网格" (people in no grid), one definition
        kids = queries.ranked_children(below, values, own)
    return charts_for(node, at, kids, own=report, after=present.window(report)[0])


def charts_for(node, at, children, own=None, after=None, today=None) -> list[Chart]:
    """The providers' charts of the node (in provider order), with the coverage of the
    children after the first; a chart over days shows each day as its report says it
    (`as_reported`; `own`: the report shown, whose day is its own figures). `after`: a
    report's window start (the dashboard: none, its day starts at midnight)."""
    if node.kind not in LEVELS:
        return []
    out = [c for p in figures.providers() for make in p.charts
           if (c := make(node, at, after=after)) is not None]
    as_reported(node, out, own)
    if today is not None:
        as_snapshot(out, today["values"], today["as_of"], at)
    if children:
        out.insert(min(1, len(out)), coverage_by_child(children))
    return out


def as_reported(node, drawn: list[Chart], own=None) -> None:
    """Each chart over days (`Chart.days`) shows a day as the node's report of that day
    says it — the one figure of the day, whatever has changed since (a resident added, an
    hour corrected) —, and only a day with no submitted report as the provider counts it
    now (`Chart.counted`, said under the chart: `note`). `own`: the report shown (its day
    is its figures, submitted or not, as the page above the chart says). One query."""
    from . import queries

    days = {d for c in drawn for d in c.days}
    if not days:
        return
    said = queries.reported_figures(node, days)
    mine = set()
    if own is not None and own.day in days:
        said[own.day] = own.figures
        if own.status not in queries.COUNTED:
            mine.add(own.day)  # a draft's figures: counted, not yet submitted
    for c in drawn:
        if not c.days or not c.keys or c.say is None:
            continue
        counted = []
        for i, d in enumerate(c.days):
            values = said.get(d) or {}
            parts = tuple(values.get(k) for k in c.keys)
            if d not in said or not all(isinstance(v, int) for v in parts):
                counted.append(True)  # no report of the day (or of this figure): counted now
                continue
            c.rows[i] = (c.rows[i][0], sum(parts), c.say(*parts))
            if c.stacks:
                c.stacks[i] = parts
            counted.append(d in mine)
        c.counted = counted


def as_snapshot(drawn: list[Chart], values: dict, as_of, at) -> None:
    """A street's or district's dashboard (`live.board`: its communities' snapshots): each
    chart over days shows today, while it has no submitted report, as the snapshot the tiles
    above it show — one figure, one value on the page (found on the re-walk: "0 阳性病例" as of
    13:42 above a chart counting the case reported at 13:44 now, "1"); today is then "counted
    now" (said under the chart). Once today's report is submitted its bar is the report's, as
    every other day's and as a community's chart shows it (`as_reported`; walked 2026-12-07:
    the street's chart said "封控 0 · 管控 520 按现在数据统计" and "没有已提交的日报" for a day
    its report had said 38 · 482). Snapshots counted before midnight (`as_of`, the oldest) are
    not today's: left as counted."""
    from django.utils import timezone

    today = timezone.localtime(at).date()
    if timezone.localtime(as_of).date() != today:
        return
    for c in drawn:
        if not c.days or not c.keys or c.say is None or today not in c.days:
            continue
        if c.counted and not c.counted[c.days.index(today)]:  # today's report says it
            continue
        parts = tuple(values.get(k) for k in c.keys)
        if not all(isinstance(v, int) for v in parts):
            continue
        i = c.days.index(today)
        c.rows[i] = (c.rows[i][0], sum(parts), c.say(*parts))
        if c.stacks:
            c.stacks[i] = parts
        if c.counted:
            c.counted[i] = True


def note(chart: Chart, today=None) -> str:
    """The days of a chart counted now (no submitted report of theirs), in words; "" when
    every day is as its report says (or the chart is not over days). `today` (a dashboard's):
    when today's bar is its submitted report's, said too — the tiles above are as of now, the
    bar as of the report's cut-off."""
    from fangkong.core.text import join_words

    now = [label for (label, _v, _s), mark in zip(chart.rows, chart.counted, strict=False) if mark]
    out = []
    if now:
        out.append(_("No report was submitted for %(days)s, so those days show the figures as counted now. "
                     "The other days show the figures of their submitted reports.") % {"days": join_words(now)})
    if today is not None and chart.days and today in chart.days and chart.counted:
        i = chart.days.index(today)
        if i < len(chart.counted) and not chart.counted[i]:
            out.append(_("The bar of %(day)s is its submitted report's (as of its cut-off); the figures above "
                         "are as of now.") % {"day": chart.rows[i][0]})
    return " ".join(out)


# --- SVG ----------------------------------------------------------------------------------

def _text(x, y, s, anchor="start", size=13, weight="normal", fill=INK):
    return (f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}" '
            f'text-anchor="{anchor}">{escape(s)}</text>')


def svg(chart: Chart) -> str:
    """The chart as an inline <svg> (scales to its box: a viewBox, width 100%)."""
    if not chart.rows or (chart.unit != "%" and not any(v for _l, v, _s in chart.rows)):
        return ""  # the page says "nothing yet" (a coverage of 0 % is drawn)
    return mark_safe(_hbars(chart) if chart.horizontal else _columns(chart))  # nosec B308 B703 -- every text escaped above


def colour_of(chart: Chart, value) -> str:
    if chart.unit != "%":
        return BAR
    return LOW if value < 60 else MID if value < 90 else OK


# the width of a character of text, in ems, erring wide (no font metrics on the server):
# a Chinese character is one em; "%" nearly; digits and Latin letters about 0.65
_NARROW = set(" ()/.,:;|'!ilI1-")


def text_width(s: str, size: float) -> float:
    """About how wide `s` is drawn at font size `size`, never narrower than it is (so that
    the drawing can leave it room)."""
    ems = 0.0
    for ch in s:
        if ord(ch) > 0x2E7F or ch in "%@MWmw":  # CJK and the widest Latin
            ems += 1.0
        elif ch in _NARROW:
            ems += 0.42
        else:
            ems += 0.66
    return ems * size


def _hbars(chart: Chart) -> str:
    """Bars with the place on the left and the value text on the right: the margins are as
    wide as their longest texts need, each drawn whole ("29% (299/1000)" had been cut to
    "29% (299/100" at phone width, an English place "Not in any grid" to "Not in …"), the
    bars taking the rest of 360 units, down to 120; wider texts widen the drawing (it scales
    to its box) rather than leave it."""
    row_h, size = 26, 12
    label_w = max(60, int(max((text_width(str(lb), size) for lb, _v, _s in chart.rows), default=0)) + 12)
    h = row_h * len(chart.rows) + 8
    top = chart.top or max((v for _l, v, _s in chart.rows), default=0) or 1
    value_w = max(92, int(max((text_width(s, size) for _l, _v, s in chart.rows), default=0)) + 12)
    span = max(120, 360 - label_w - value_w)
    w = label_w + span + value_w
    parts = [f'<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
             f'aria-label="{escape(chart.title)}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value, shown) in enumerate(chart.rows):
        y = 4 + i * row_h
        bar = int(span * min(value, top) / top)
        colour = colour_of(chart, value)
        parts.append(_text(label_w - 6, y + 17, str(label), "end", size=size))
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{span}" height="16" fill="#f1f1f1"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar}" height="16" fill="{colour}"/>')
        parts.append(_text(label_w + span + 6, y + 17, shown, size=size))
    parts.append("</svg>")
    return "".join(parts)


def _scale_label(chart: Chart) -> str:
    """The top of the scale: the largest row's text ("19.0 h"), or its number when that text
    is long (a row shown as "3 sealed · 1 controlled")."""
    if not chart.rows:
        return ""
    _label, value, shown = max(chart.rows, key=lambda r: r[1])
    return shown if len(shown) <= 8 else str(value)


def _legend_lines(legend, w: float, size: float) -> list[list[tuple[float, str, str]]]:
    """The legend's entries (x, name, colour) in lines as wide as the drawing: each entry
    as wide as its name, a line broken before an entry that would not fit (the English
    "Controlled area" had been cut at a fixed 80 units an entry)."""
    lines, x = [[]], 4.0
    for name, colour in legend:
        need = 14 + text_width(str(name), size) + 10
        if lines[-1] and x + need > w:
            lines.append([])
            x = 4.0
        lines[-1].append((x, str(name), colour))
        x += need
    return lines if legend else []


def _columns(chart: Chart) -> str:
    """Columns over time, the scale's top on the left (the margin as wide as its text), the
    legend in lines of its own above the columns, and a column's label under every column
    or every few when they would touch."""
    n, size = len(chart.rows), 11
    w, bottom, line_h = 360, 24, 14
    scale = _scale_label(chart)
    left = max(34, int(text_width(scale, size)) + 8)
    widest = max((text_width(str(lb), size) for lb, _v, _s in chart.rows), default=0)
    legend = _legend_lines(chart.legend, w, size)
    top_pad = 16 + line_h * len(legend)
    h = 170 + line_h * len(legend)
    col = (w - left - 4) / n
    right = max(4.0, widest / 2 - col / 2 + 2)  # the last label centred under its column, whole
    col = (w - left - right) / n
    top = max((v for _l, v, _s in chart.rows), default=0) or 1
    plot = h - bottom - top_pad
    parts = [f'<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
             f'aria-label="{escape(chart.title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{h - bottom}" x2="{w}" y2="{h - bottom}" stroke="{GRID}"/>',
             _text(left - 4, top_pad + 4, scale, "end", size)]
    every = max(1, math.ceil((widest + 6) / col))  # labels never touch
    for i, (label, value, shown) in enumerate(chart.rows):
        x = left + i * col
        y = h - bottom
        now = i < len(chart.counted) and chart.counted[i]  # counted now: paler, and said so
        title = f"{label}: {shown}" + (f" ({_('counted now')})" if now else "")
        for part, colour in zip(chart.stacks[i] if chart.stacks else (value,),
                                [c for _n, c in chart.legend] or [BAR], strict=False):
            bh = int(plot * part / top)
            y -= bh
            parts.append(f'<rect x="{x + col * 0.15:.1f}" y="{y}" width="{col * 0.7:.1f}" '
                         f'height="{bh}"{PALE if now else ""} fill="{colour}"><title>{escape(title)}</title></rect>')
        if i % every == 0:
            parts.append(_text(f"{x + col / 2:.1f}", h - 8, str(label), "middle", size))
    for k, line in enumerate(legend):  # the legend, above the columns
        for lx, name, colour in line:
            parts.append(f'<rect x="{lx:.1f}" y="{2 + k * line_h}" width="10" height="10" fill="{colour}"/>')
            parts.append(_text(f"{lx + 14:.1f}", 11 + k * line_h, name, size=size))
    parts.append("</svg>")
    return "".join(parts)
