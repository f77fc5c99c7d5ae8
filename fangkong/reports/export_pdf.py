"""A nightly report as an A4 PDF (reportlab): title, the report's facts, every figure by
group, the children side by side, every chart the dashboard shows for the node as of the
report's time (`charts.for_report`: drawn from the same rows as the page's SVG, charts.py —
bars, columns with their values, stacked columns with their parts as a table; a chart over
days shows each day as its submitted report says it, the days counted now said under it),
remarks. Chinese in the built-in CID font STSong-Light, or the TrueType font named by
settings.FANGKONG_CARD_FONT, embedded (as the code cards do)."""

import io

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from . import charts, present, queries
from .models import DailyReport

CID_FONT = "STSong-Light"


def font() -> str:
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    rl_config.useA85 = 0
    path = getattr(settings, "FANGKONG_CARD_FONT", "")
    name = "FangkongCard" if path else CID_FONT
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path) if path else UnicodeCIDFont(name))
    return name


def _chart(chart: charts.Chart, width: float, fnt: str):
    """The chart as reportlab flowables kept on one page: its title and drawing (bars:
    label, bar, value; columns over time: each value above its column), stacked columns'
    parts as a small table, "nothing yet" for a chart with nothing to draw (as the page)."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    title = ParagraphStyle("chart", fontName=fnt, fontSize=10, leading=14, spaceBefore=6)
    parts = [Paragraph(_esc(chart.title), title)]
    if not charts.svg(chart):
        parts.append(Paragraph(_esc(str(_("Nothing yet."))), ParagraphStyle("muted", parent=title, spaceBefore=0)))
    elif chart.horizontal:
        parts.append(_bars(chart, width, fnt))
    else:
        parts.append(_columns(chart, width, fnt))
        if chart.stacks:
            parts.append(_stack_table(chart, width, fnt))
    if charts.note(chart):  # the days counted now, with no submitted report (as the page)
        parts.append(Paragraph(_esc(charts.note(chart)), ParagraphStyle("note", parent=title, fontSize=8,
                                                                        leading=11, spaceBefore=2, wordWrap="CJK")))
    parts.append(Spacer(1, 4))
    return KeepTogether(parts)


def _bars(chart: charts.Chart, width: float, fnt: str):
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors

    row_h, label_w, value_w = 16, 90, 90
    h = row_h * len(chart.rows) + 4
    d = Drawing(width, h)
    top = chart.top or max((v for _l, v, _s in chart.rows), default=0) or 1
    span = width - label_w - value_w
    for i, (label, v, shown) in enumerate(chart.rows):
        y = h - (i + 1) * row_h + 3
        d.add(String(label_w - 4, y + 2, label[:12], fontName=fnt, fontSize=9, textAnchor="end"))
        d.add(Rect(label_w, y, span, 10, fillColor=colors.HexColor("#f1f1f1"), strokeColor=None))
        d.add(Rect(label_w, y, span * min(v, top) / top, 10, fillColor=colors.HexColor(charts.colour_of(chart, v)),
                   strokeColor=None))
        d.add(String(label_w + span + 4, y + 2, shown, fontName=fnt, fontSize=9))
    return d


def _columns(chart: charts.Chart, width: float, fnt: str):
    """Columns over time (hours, days), stacked by parts when the chart has them, each
    column's value above it, the labels below, the parts' legend at the top right."""
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    n = len(chart.rows)
    h, bottom, top_pad, left = 130, 16, 26, 4
    plot = h - bottom - top_pad
    top = max((v for _l, v, _s in chart.rows), default=0) or 1
    col = min(48, (width - left) / max(1, n))  # one hour's column is not a wall
    d = Drawing(width, h)
    d.add(Line(left, bottom, width, bottom, strokeColor=colors.HexColor(charts.GRID), strokeWidth=0.5))
    every = max(1, n // 12)
    names = [c for _n, c in chart.legend] or [charts.BAR]
    for i, (label, value, shown) in enumerate(chart.rows):
        x, y = left + i * col, bottom
        pale = 0.45 if i < len(chart.counted) and chart.counted[i] else 1  # counted now (charts.PALE)
        for part, colour in zip(chart.stacks[i] if chart.stacks else (value,), names, strict=False):
            bh = plot * part / top
            d.add(Rect(x + col * 0.15, y, col * 0.7, bh, fillColor=colors.HexColor(colour), fillOpacity=pale,
                       strokeColor=None))
            y += bh
        if value:  # a zero is the empty column (and the parts' table says 0)
            text = shown if not chart.stacks and len(shown) <= 8 else str(value)
            d.add(String(x + col / 2, y + 3, text, fontName=fnt, fontSize=8, textAnchor="middle"))
        if i % every == 0:
            d.add(String(x + col / 2, bottom - 11, label, fontName=fnt, fontSize=8, textAnchor="middle"))
    for j, (name, colour) in enumerate(chart.legend):
        lx = width - (len(chart.legend) - j) * 70
        d.add(Rect(lx, h - 10, 8, 8, fillColor=colors.HexColor(colour), strokeColor=None))
        d.add(String(lx + 11, h - 9, str(name), fontName=fnt, fontSize=8))
    return d


def _stack_table(chart: charts.Chart, width: float, fnt: str):
    """A stacked chart's parts by column, as a table (print reads the numbers)."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    data = [[str(chart.headers[0]), *[label for label, _v, _s in chart.rows]]]
    for j, (name, _colour) in enumerate(chart.legend):
        data.append([str(name), *[str(parts[j]) for parts in chart.stacks]])
    first = width * 0.16
    t = Table(data, colWidths=[first, *[(width - first) / max(1, len(chart.rows))] * len(chart.rows)])
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), fnt), ("FONTSIZE", (0, 0), (-1, -1), 8),
                           ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("ALIGN", (1, 0), (-1, -1), "CENTER")]))
    return t


def report_pdf(r: DailyReport) -> bytes:
    return reports_pdf([r])


def reports_pdf(reports: list[DailyReport]) -> bytes:
    """One or more reports (a node's period), each starting on a new page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    fnt = font()
    out = io.BytesIO()
    first = reports[0] if reports else None
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, author="Fangkong",
                            title=f"{first.place.name} {first.day}" if first else "Fangkong")
    story = []
    for i, r in enumerate(reports):
        if i:
            story.append(PageBreak())
        story += _story(r, fnt, A4[0] - 30 * mm)
    if not story:
        from reportlab.lib.styles import ParagraphStyle

        story = [Paragraph(_esc(str(_("No reports in this period."))), ParagraphStyle("b", fontName=fnt))]
    doc.build(story)
    return out.getvalue()


def _story(r: DailyReport, fnt: str, width: float) -> list:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table, TableStyle

    body = ParagraphStyle("body", fontName=fnt, fontSize=10, leading=14, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    d = queries.definition(r.level)
    status = dict(DailyReport.Status.choices).get(r.status, r.status)
    local = timezone.localtime
    facts = [_("%(name)s · %(day)s · version %(v)d · %(status)s") % {
        "name": d.title, "day": r.day.isoformat(), "v": r.version, "status": status},
        " · ".join(t for t in (present.as_of_text(r), present.summed_text(r), present.window_text(r)) if t)]
    if r.submitted_at:
        facts.append(_("Submitted %(at)s by %(who)s") % {
            "at": local(r.submitted_at).strftime("%Y-%m-%d %H:%M"), "who": r.submitted_by or _("the system or a removed account")})
    if r.reason:
        facts.append(_("Correction: %(reason)s") % {"reason": r.reason})
    if head := present.partial_head(r):  # a partial sum, at any level below (as the page says it)
        facts.append(head["text"])
    if present.left_out(r):
        facts.append(present.left_out(r))
    if r.pk and r.children:  # a place below corrected (or first sent) its report since
        facts += present.changed_lines(r)
    story = [Paragraph(f"{_esc(r.place.name)} {_esc(str(_('Nightly report')))}", h1)]
    story += [Paragraph(_esc(f), body) for f in facts]
    grid = TableStyle([("FONTNAME", (0, 0), (-1, -1), fnt), ("FONTSIZE", (0, 0), (-1, -1), 9),
                       ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
    keys = d.figures or None
    for section in present.sections(r.figures, keys=keys, links=False, report=True):
        story.append(Paragraph(_esc(section["group"]), h2))
        data = [[_("Figure"), _("Value")]] + [[row["label"], row["shown"]] for row in section["rows"]]
        t = Table(data, colWidths=[width * 0.7, width * 0.3])
        t.setStyle(grid)
        story.append(t)
        story += [Paragraph(_esc(row["note"]), body) for row in section["rows"] if row.get("note")]
    if r.children:
        story.append(Paragraph(_esc(str(_("Reports of the places below"))), h2))
        cols = present.child_columns()
        small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
        data = [[Paragraph(_esc(h), small) for h in (_("Place"), _("Report"), *[str(f.short or f.label) for f in cols])]]
        states = {"on_time": _("On time"), "late": _("Late"), "missing": _("Missing"), "returned": _("Returned")}
        for c in present.children(r):  # as they stand now: a version summed may have been returned since
            said = str(states.get(c["state"], c["state"]))
            if c["summed"] and not c["included"]:
                said = f"{said} ({_('Returned')})" if c["state"] != "returned" else said
            data.append([Paragraph(_esc(c["name"]), small), Paragraph(_esc(said), small),
                         *(present.child_row(c["figures"]) if c["summed"] else ["–"] * len(cols))])
        first, second = width * 0.22, width * 0.1
        rest = (width - first - second) / max(1, len(cols))
        t = Table(data, repeatRows=1, colWidths=[first, second, *[rest] * len(cols)])
        t.setStyle(grid)
        story.append(t)
    drawn = charts.for_report(r)
    if drawn:
        story.append(Paragraph(_esc(str(_("Charts"))), h2))
        story += [_chart(c, width, fnt) for c in drawn]
    story.append(Paragraph(_esc(str(_("Remarks"))), h2))
    story.append(Paragraph(_esc(r.remarks or "–").replace("\n", "<br/>"), body))
    return story


def _esc(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
