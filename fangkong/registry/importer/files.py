"""Opening a roster: finding the sheet and its header row (`columns.py` knows the accepted
spellings). The file itself is read by `core.uploads` / `core.xlsx` within bounded memory
and time, the same functions the lab results upload calls; a file they refuse is a
`FileRefused` naming the row and column where they can."""

import logging
from itertools import islice

from fangkong.core.errors import FileRefused
from fangkong.core.said import said
from fangkong.core.uploads import Limits, open_csv, spreadsheet_kind
from fangkong.core.xlsx import open_xlsx, unreadable

from .. import checks
from .columns import ALIASES, HEADER_SEARCH_ROWS, filled, norm_header
from .messages import NO_HEADER, NO_HEADER_CSV

log = logging.getLogger(__name__)


# --- reading files -----------------------------------------------------------

FileProblem = FileRefused  # what reading a roster raises: the whole file is refused


class _Table:
    """The chosen sheet: header, column positions and an iterator over the rows below."""

    def __init__(self, sheet, header_row, header, rows, closer=None, estimate=0, above=()):
        self.sheet = sheet
        self.above = list(above)  # the rows above the header: a title row, a note…
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
        key = ALIASES.get(norm_header(v))
        if key is None:
            ignored.append(raw[:40])
        elif key in columns:
            duplicates.setdefault(key, (labels[key], raw[:40]))
        else:
            columns[key], labels[key] = i, raw[:40]
    return columns, labels, ignored, duplicates


def _header_score(values) -> int:
    return len({ALIASES.get(norm_header(v)) for v in values if filled(v)} - {None})


def _find_header(rows: list) -> int | None:
    """Index of the header among the first rows: most known column names, at least two."""
    best, best_score = None, 1
    for i, values in enumerate(rows):
        score = _header_score(values)
        if score > best_score:
            best, best_score = i, score
    return best


def open_table(filename: str, content: bytes) -> _Table:
    limits = Limits.from_settings()
    if spreadsheet_kind(filename, content) == "xlsx":
        return _open_xlsx(content, limits)
    return _open_csv(content, limits)


def _open_xlsx(content: bytes, limits) -> _Table:
    book = open_xlsx(content, limits)
    try:
        for sheet in book.sheets:
            rows = sheet.rows()
            head = list(islice(rows, HEADER_SEARCH_ROWS))
            idx = _find_header([v for _n, v in head])
            if idx is None:
                continue  # an explanatory sheet, a cover page…
            header_row, header = head[idx]
            rest = _chain(head[idx + 1:], rows)
            return _Table(sheet.title, header_row, header, rest, closer=book.close,
                          estimate=sheet.scan()[0] - header_row, above=[v for _n, v in head[:idx]])
    except FileRefused:
        book.close()
        raise
    except Exception:
        book.close()
        log.warning("unreadable xlsx", exc_info=True)
        raise unreadable() from None
    book.close()
    raise FileRefused(_no_header_message())


def _no_header_message():
    return said(NO_HEADER, n=HEADER_SEARCH_ROWS)


def _chain(first, rest):
    yield from first
    yield from rest


def _open_csv(content: bytes, limits) -> _Table:
    """The encoding (of those the file decodes in) and delimiter whose first rows hold the
    best header. A refusal met while reading those rows (a cell too long…) is raised when no
    header is found before it; otherwise reading the rows meets it again, where it is."""
    f = open_csv(content, limits)
    best, refused = None, None
    for encoding in f.encodings:
        for delimiter in (",", "\t", ";", "，"):
            head = []
            try:
                for _n, values in islice(f.records(encoding, delimiter), HEADER_SEARCH_ROWS):
                    head.append(values)
            except FileRefused as e:
                refused = refused or e
            idx = _find_header(head)
            if idx is None:
                continue
            score = _header_score(head[idx])
            if best is None or score > best[0]:
                best = (score, encoding, delimiter, idx, head[idx])
        if best:
            break
    if best is None:
        raise refused or FileRefused(said(NO_HEADER_CSV, n=HEADER_SEARCH_ROWS))
    _score, encoding, delimiter, idx, header = best
    above = [values for _n, values in islice(f.records(encoding, delimiter), idx)]
    rows = ((n, values) for n, values in f.records(encoding, delimiter) if n > idx + 1)
    return _Table("", idx + 1, header, rows, estimate=f.lines - idx - 1, above=above)
