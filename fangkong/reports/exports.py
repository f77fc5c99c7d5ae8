"""What an export holds (the pages and the API give the same files)."""

from . import export_pdf, export_xlsx, queries


def report(r, fmt: str) -> tuple[bytes, str]:
    """A report: .xlsx of it and of the reports below it that day (a sheet per level), or
    its PDF."""
    if fmt == "pdf":
        return export_pdf.report_pdf(r), "application/pdf"
    below = [x for x in queries.period_reports(r.place, r.day, r.day) if x.place_id != r.place_id]
    return export_xlsx.report_book([r, *below]), export_xlsx.XLSX


def period(node, first, last, fmt: str) -> tuple[bytes, str]:
    """A period: .xlsx of the node's current reports and every level's below (a sheet per
    level), or a PDF of the node's own reports (a page each)."""
    reports = queries.period_reports(node, first, last)
    if fmt == "pdf":
        return export_pdf.reports_pdf([r for r in reports if r.place_id == node.id]), "application/pdf"
    return export_xlsx.report_book(reports), export_xlsx.XLSX
