"""Nightly reports as .xlsx (openpyxl, write-only): one sheet per level (district, street,
community), one row per report with every figure; text cells are never formulas."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from fangkong.registry.models import Kind

from . import figures
from .models import DailyReport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEVEL_ORDER = [Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY]


def _text(ws, value, bold=False):
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"  # never a formula, whatever the text starts with
    if bold:
        c.font = Font(bold=True)
    return c


def value(f, v):
    """A figure as a sheet holds it: hours for minutes, numbers otherwise."""
    if v is None:
        return None
    return round(v / 60, 1) if f.unit == "minutes" else v


def header(f) -> str:
    from .present import label as label_of

    label = label_of(f, report=True)  # a report's figures: as of its cut-off
    return f"{label} (%)" if f.unit == "percent" else (f"{label} (h)" if f.unit == "minutes" else label)


def as_of(r) -> str:
    """When the row's figures are as of (`present.as_of`, as the page and the API say it): a
    draft counted now, a locked report when it was counted; a roll-up its children's, a span
    when they differ."""
    from . import present

    first, last = (timezone.localtime(t).strftime("%Y-%m-%d %H:%M") for t in present.as_of(r))
    return last if first == last else f"{first} – {last}"


def report_book(reports: list[DailyReport], *, left_out=(), later=()) -> bytes:
    """A sheet per level, its rows day by day; `left_out`: the places a roll-up does not sum
    (rows of `DailyReport.children` with their `day` and `level`: `exports.summed`), listed
    on their level's sheet after that day's reports as not counted, saying why, with no
    figures; `later`: the reports sent below after a roll-up summed them (`exports.changed`:
    a correction, or a first report), listed the same way — not counted, no figures in the
    summed columns (each column still adds up to the roll-up's figure: a correction's row
    carrying its figures had counted 光明社区 twice, 1478 residents against the street's 957) —
    with what changed in words (`present.change_text`, as the page and the PDF say it) and the
    reason for the correction.

    Each row's status is its version's own (a correction approved since reads "已通过") and its
    remarks the place's own; whether the sum above counts it is a column of its own ("上级汇总":
    empty when it does), and so is what changed since the sum: a later version's row had read
    "未计入：上级汇总后提交" as its status with the change text in its remarks, so the approval
    and the community's remarks were nowhere in the file (walked 2026-12-07)."""
    from . import present

    wb = Workbook(write_only=True)
    defs = figures.definitions()
    statuses = dict(DailyReport.Status.choices)
    # the later versions' own status and remarks (`queries.changed_below` keeps neither): one query
    own = {x["id"]: x for x in DailyReport.objects.filter(id__in=[c["report"] for c in later if c.get("report")])
           .values("id", "status", "remarks")}
    for lvl in LEVEL_ORDER:
        rows = sorted((r for r in reports if r.level == lvl),
                      key=lambda r: (r.day, r.place.sort_key, r.place_id))
        missing = [c for c in left_out if c.get("level") == lvl]
        after = [c for c in later if c.get("level") == lvl]
        # a version summed and returned since: said on its own row, which keeps its figures
        listed = {r.id for r in rows}
        back = {c["report"]: c for c in after if c["kind"] == "returned" and c["report"] in listed}
        after = [c for c in after if not (c["kind"] == "returned" and c["report"] in listed)]
        if not rows and not missing and not after and len(reports) > 0:
            continue
        ws = wb.create_sheet(str(Kind(lvl).label))
        ws.append([_text(ws, h, bold=True) for h in (
            _("Place"), _("Day"), _("Version"), _("Status"), _("In the sum above"), _("Partial sum"),
            _("Submitted at"),
            *[header(f) for f in defs], _("Figures as of"), _("New in the day"), _("Changed since the sum above"),
            _("Remarks"), _("Reason for the correction"))])
        days = sorted({r.day for r in rows} | {c["day"] for c in missing} | {c["day"] for c in after})
        for day in days:
            for r in (r for r in rows if r.day == day):
                at = r.submitted_at and timezone.localtime(r.submitted_at).strftime("%Y-%m-%d %H:%M")
                status, summed = str(statuses.get(r.status, r.status)), ""
                if getattr(r, "unsummed", False):  # below a roll-up not submitted yet (`exports.summed`)
                    status = _("%(status)s (not summed above yet)") % {"status": status}
                    summed = _("not summed above yet")
                changed = ""
                if r.id in back:  # returned after the sum above (`present.later_status`)
                    summed, changed = present.later_status(back[r.id]), present.change_text(back[r.id])
                ws.append([_text(ws, r.place.name), _text(ws, r.day.isoformat()), r.version,
                           _text(ws, status), _text(ws, summed), _text(ws, present.partial_cell(r)),
                           _text(ws, at or ""), *[value(f, r.figures.get(f.key)) for f in defs], _text(ws, as_of(r)),
                           _text(ws, present.window_text(r)), _text(ws, changed), _text(ws, r.remarks),
                           _text(ws, r.reason)])
            for c in (c for c in missing if c["day"] == day):
                said = _("not counted: %(status)s") % {"status": statuses.get(c["status"], _("not submitted"))}
                ws.append([_text(ws, c["name"]), _text(ws, day.isoformat()), c["version"] or "",
                           _text(ws, str(said)), _text(ws, str(said)), "", "", *["" for _f in defs], "", "", "", "",
                           ""])
            for c in (c for c in after if c["day"] == day):
                at = c["submitted_at"] and timezone.localtime(c["submitted_at"]).strftime("%Y-%m-%d %H:%M")
                said = present.later_status(c)
                mine = own.get(c.get("report")) or {}
                status = statuses.get(mine.get("status"), "")
                ws.append([_text(ws, c["name"]), _text(ws, day.isoformat()), c["version"],
                           _text(ws, str(status)), _text(ws, str(said)), "", _text(ws, at or ""),
                           *["" for _f in defs], "", "", _text(ws, present.change_text(c)),
                           _text(ws, mine.get("remarks") or ""), _text(ws, c.get("reason") or "")])
    if not wb.worksheets:
        ws = wb.create_sheet(_("Reports"))
        ws.append([_text(ws, _("No reports in this period."))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
