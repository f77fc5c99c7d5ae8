"""The lab's results template (.xlsx): the columns `labfile` reads back, headed in the
reader's language as the lab page names them (`labfile.column_labels`, which the importer
accepts in every language of the site), one row for each tube the lab has received and
not yet reported (`queries.tubes_to_report`: the operator fills in the results), and a
second sheet saying what each column holds and which values it takes. The importer reads
the first sheet only, and leaves the round and box columns aside."""

import io
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fangkong.core.text import join_words

from . import checks, queries
from .labfile import column_labels

COLUMNS = ("barcode", "result", "ct_orf", "ct_n", "tested_at")
TEXT = "@"  # the barcode column as text: Excel keeps leading zeros
HEAD = PatternFill("solid", fgColor="DDEBF7")


def download(scope) -> HttpResponse:
    """The template for this lab as a download (the lab page and `GET …/results/template`)."""
    resp = HttpResponse(template_xlsx(queries.tubes_to_report(scope)), content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    fname = quote(f"{_('lab results')}-{timezone.localtime():%Y%m%d-%H%M}.xlsx")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{fname}"
    return resp


def result_words() -> list[str]:
    """The three results as the reader writes them (the importer takes them all)."""
    return [pgettext("lab result word", "negative"), pgettext("lab result word", "positive"),
            pgettext("lab result word", "invalid")]


def template_xlsx(tubes) -> bytes:
    """The template, with a row for each tube of `tubes` (barcode, round and box filled in)."""
    labels = column_labels()
    wb = Workbook()
    ws = wb.active
    ws.title = _("Results")[:31]
    ws.append([labels[k] for k in COLUMNS] + [_("Round"), _("Box")])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEAD
    for t in tubes:
        ws.append([t.barcode, None, None, None, None, t.round.name, t.box.code if t.box else ""])
    last = max(ws.max_row, 2) + 500  # room for tubes typed in by hand
    for row in range(2, last + 1):
        ws.cell(row=row, column=1).number_format = TEXT
    words = result_words()
    dv = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                        showErrorMessage=False)
    dv.add(f"B2:B{last}")
    ws.add_data_validation(dv)
    for i, width in enumerate((16, 10, 16, 14, 18, 20, 10), 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    _help(wb.create_sheet(_("How to fill in")[:31]), labels, words)
    wb.properties.creator = "Fangkong"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _help(ws, labels, words):
    ws.append([_("Column"), _("Required"), _("What to write")])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEAD
    yes, no = _("Required"), _("Optional")
    ct = _("A number such as 32.5; left blank, or / or 未检出 or >40, when there is none.")
    for key, required, what in (
        ("barcode", yes, _("The tube's barcode, as on the tube. The tubes received at the lab "
                           "without a result are listed already.")),
        ("result", yes, _("One of: %(words)s.") % {"words": " / ".join(words)}),
        ("ct_orf", no, ct),
        ("ct_n", no, ct),
        ("tested_at", no, _("Date and time of the test, such as %(examples)s, or a date cell of Excel "
                            "(blank: now). Not before the tube was sealed.")
         % {"examples": join_words(checks.time_examples())}),
    ):
        ws.append([labels[key], required, what])
    ws.append([_("Round"), no, _("Left as it is: not read back.")])
    ws.append([_("Box"), no, _("Left as it is: not read back.")])
    ws.append([])
    for line in (_("Delete the rows of tubes you have no result for yet: a row without a result "
                   "is refused. A tube missing or damaged when its box arrived is marked when signing "
                   "for the box; one spoilt later is written 无效 (its people are sampled again), never "
                   "just deleted."),
                 _("Every row is checked first: an error in the file (a value, an unknown tube) saves "
                   "nothing, and every error is listed by row. A row for a tube that did not reach "
                   "this lab in a box signed for here is refused alone, the rest saved; a refused "
                   "positive is reported to the community at once."),
                 _("Upload the file on the lab page (Upload results)."),
                 _("Only the first sheet is read; this sheet is not.")):
        ws.append([line])
    for letter, width in zip("ABC", (18, 10, 80), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
