"""Opening .xlsx and .csv files, finding the header row, merged cells, encodings."""

import csv
import io
import logging
import re
from collections import defaultdict
from itertools import islice

from django.utils.translation import gettext as _

from .. import checks
from .columns import ALIASES, HEADER_SEARCH_ROWS, _filled, _norm_header

log = logging.getLogger(__name__)


# --- reading files -----------------------------------------------------------

class _FileProblem(Exception):
    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"


class _Table:
    """The chosen sheet: header, column positions and an iterator over the rows below."""

    def __init__(self, sheet, header_row, header, rows, closer=None, estimate=0):
        self.sheet = sheet
        self.header_row = header_row
        self.estimate = max(estimate, 0)  # rows below the header, as far as can be told cheaply
        self.rows = rows  # iterator of (row number, values) below the header
        self._closer = closer
        self.columns, self.labels, self.ignored, self.duplicates = _map_header(header)

    def close(self):
        if self._closer:
            self._closer()
            self._closer = None


def _map_header(header):
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    ignored: list[str] = []
    duplicates: dict[str, tuple[str, str]] = {}
    for i, v in enumerate(header):
        raw = checks.text(v)
        if not raw:
            continue
        key = ALIASES.get(_norm_header(v))
        if key is None:
            ignored.append(raw[:40])
        elif key in columns:
            duplicates.setdefault(key, (labels[key], raw[:40]))
        else:
            columns[key], labels[key] = i, raw[:40]
    return columns, labels, ignored, duplicates


def _header_score(values) -> int:
    return len({ALIASES.get(_norm_header(v)) for v in values if _filled(v)} - {None})


def _find_header(rows: list) -> int | None:
    """Index of the header among the first rows: most known column names, at least two."""
    best, best_score = None, 1
    for i, values in enumerate(rows):
        score = _header_score(values)
        if score > best_score:
            best, best_score = i, score
    return best


def _file_kind(filename: str, content: bytes) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if content.startswith(_ZIP):
        return "xlsx"
    if content.startswith(_OLE):
        return "xls"
    if ext in ("xls", "et"):
        return "xls"  # some systems write HTML or text and call it .xls
    if ext in ("xlsx", "xlsm"):
        return "broken_xlsx"
    return "csv"


def _open_table(filename: str, content: bytes) -> _Table:
    if not content or not content.strip(b" \t\r\n\x00"):
        raise _FileProblem(_("The file is empty."))
    kind = _file_kind(filename, content)
    if kind == "xls":
        raise _FileProblem(_(
            "This is an old-style Excel file (.xls) or a password-protected workbook, which "
            "cannot be read. Open it in Excel or WPS, choose “Save as”, pick “Excel workbook "
            "(.xlsx)” (and remove any password), then import the .xlsx file."))
    if kind == "broken_xlsx":
        raise _FileProblem(_("This file is called .xlsx but is not an Excel workbook. Open it "
                             "in Excel or WPS and save it as .xlsx again."))
    if kind == "xlsx":
        return _open_xlsx(content)
    return _open_csv(content)


def _open_xlsx(content: bytes) -> _Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise _FileProblem(_("This file could not be read as an Excel workbook (.xlsx). Open it "
                             "in Excel or WPS and save it as .xlsx or .csv.")) from None
    try:
        for ws in wb.worksheets:
            if not hasattr(ws, "iter_rows"):
                continue  # a chart sheet
            # Read-only mode trusts the dimension the file declares, which some programs
            # get wrong (too small: rows lost; huge: millions of empty rows): ignore it.
            declared = ws.max_row if ws.max_row and ws.max_row < 2_000_000 else 0
            ws.reset_dimensions()
            rows = _sheet_rows(wb, ws)
            head = list(islice(rows, HEADER_SEARCH_ROWS))
            idx = _find_header([v for _n, v in head])
            if idx is None:
                continue  # an explanatory sheet, a cover page…
            header_row, header = head[idx]
            rest = _chain(head[idx + 1:], rows)
            return _Table(ws.title, header_row, header, rest, closer=wb.close,
                          estimate=declared - header_row)
    except _FileProblem:
        wb.close()
        raise
    except Exception:
        wb.close()
        log.warning("unreadable xlsx", exc_info=True)
        raise _FileProblem(_("This file could not be read as an Excel workbook (.xlsx). Open it "
                             "in Excel or WPS and save it as .xlsx or .csv.")) from None
    wb.close()
    raise _FileProblem(_no_header_message())


def _no_header_message():
    return _("No header row found: the first %(n)d rows of every sheet were searched for "
             "column names such as 姓名, 身份证号, 楼栋, 门牌号. Use the import template.") % {
        "n": HEADER_SEARCH_ROWS}


def _chain(first, rest):
    yield from first
    yield from rest


def _sheet_rows(wb, ws):
    """(row number, list of values) for every row of a read-only sheet, merged cells filled.

    Read-only mode does not report merged cells: a range merged over several rows (a door
    number or a building written once for a whole household) has its value in the top cell
    only. Its value is copied down the range's first column, as the user sees it.
    """
    merges = _merged_ranges(wb, ws)
    starts = defaultdict(list)
    for min_col, min_row, _max_col, max_row in merges:
        if max_row > min_row:
            starts[min_row].append((min_col - 1, max_row))
    active: list[list] = []  # [col, last row, value]
    for rownum, values in enumerate(ws.iter_rows(values_only=True), 1):
        values = list(values)
        if active:
            for a in active:
                col, last, value = a
                if rownum <= last:
                    if col >= len(values):
                        values.extend([None] * (col + 1 - len(values)))
                    if values[col] is None:
                        values[col] = value
            active = [a for a in active if a[1] > rownum]
        for col, last in starts.get(rownum, ()):
            active.append([col, last, values[col] if col < len(values) else None])
        yield rownum, values


_MERGE_RE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"")


def _merged_ranges(wb, ws) -> list[tuple[int, int, int, int]]:
    from openpyxl.utils import column_index_from_string

    try:
        with wb._archive.open(ws._worksheet_path) as src:
            data = src.read()
    except Exception:  # private API of openpyxl: without it, no merged cells
        return []
    pos = data.rfind(b"mergeCells")
    if pos < 0:
        return []
    start = data.find(b"mergeCells", 0, pos)  # the opening tag (the last hit may close it)
    out = []
    for m in _MERGE_RE.finditer(data, max(start, 0) - 10):
        out.append((column_index_from_string(m.group(1).decode()), int(m.group(2)),
                    column_index_from_string(m.group(3).decode()), int(m.group(4))))
    return out


def _open_csv(content: bytes) -> _Table:
    attempts = []
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        attempts.append("utf-16")  # Excel's "Unicode text" (tab-separated)
    attempts += ["utf-8-sig", "gb18030"]
    best = None
    for encoding in attempts:
        try:
            text = content.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if "\x00" in text:
            continue
        for delimiter in (",", "\t", ";", "，"):
            try:
                head = list(islice(csv.reader(io.StringIO(text), delimiter=delimiter),
                                   HEADER_SEARCH_ROWS))
            except csv.Error:
                continue
            idx = _find_header(head)
            if idx is None:
                continue
            score = _header_score(head[idx])
            if best is None or score > best[0]:
                best = (score, text, delimiter, idx)
        if best:
            break
    if best is None:
        raise _FileProblem(_(
            "No header row found in this CSV file. Either its text encoding is not supported "
            "(save it as “CSV UTF-8” or as GBK/GB18030 CSV from Excel or WPS), or it has no row "
            "of column names such as 姓名, 楼栋, 门牌号 in its first %(n)d rows.")
            % {"n": HEADER_SEARCH_ROWS})
    _score, text, delimiter, idx = best
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)

    def rows():
        try:
            for rownum, values in enumerate(reader, 1):
                if rownum > idx + 1:
                    yield rownum, values
        except csv.Error as e:
            raise _FileProblem(_("The CSV file is malformed near row %(row)d: %(error)s")
                               % {"row": reader.line_num, "error": e}) from None

    header = list(islice(csv.reader(io.StringIO(text), delimiter=delimiter), idx + 1))[idx]
    return _Table("", idx + 1, header, rows(), estimate=text.count("\n") - idx - 1)


