"""What an export holds (the pages and the API give the same files)."""

from . import export_pdf, export_xlsx, queries
from .models import DailyReport

# the reports below a node an export lists: those its roll-up sums (a draft is not a report
# yet and a returned one is being corrected: listed, they made a street's rows not add up)
COUNTED = (DailyReport.Status.SUBMITTED, DailyReport.Status.APPROVED)


def _shown(node_id, reports):
    return [r for r in reports if r.place_id == node_id or r.status in COUNTED]


def report(r, fmt: str) -> tuple[bytes, str]:
    """A report: .xlsx of it and of the reports below it that day that it sums (a sheet
    per level), or its PDF."""
    if fmt == "pdf":
        return export_pdf.report_pdf(r), "application/pdf"
    below = [x for x in queries.period_reports(r.place, r.day, r.day)
             if x.place_id != r.place_id and x.status in COUNTED]
    # the places below that it does not sum are rows too, saying so (found walking the demo:
    # a street's sheet without its community that had not reported read as complete)
    left_out = [c for c in (r.children or []) if not c["included"]]
    return export_xlsx.report_book([r, *below], left_out=left_out, day=r.day), export_xlsx.XLSX


def period(node, first, last, fmt: str) -> tuple[bytes, str]:
    """A period: .xlsx of the node's current reports and of every level's below that the
    roll-ups sum (a sheet per level), or a PDF of the node's own reports (a page each)."""
    reports = queries.period_reports(node, first, last)
    if fmt == "pdf":
        return export_pdf.reports_pdf([r for r in reports if r.place_id == node.id]), "application/pdf"
    return export_xlsx.report_book(_shown(node.id, reports)), export_xlsx.XLSX
