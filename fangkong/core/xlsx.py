"""Reading .xlsx workbooks within bounded memory and time (rosters, lab results).

openpyxl's reader keeps a whole <row> element in memory until its end (and an emptied
element per row until the end of the sheet), believes the sizes a file declares and loads
the shared strings without limit: a 1 MB workbook whose sheet unpacked to hundreds of MB
grew the web process to 4 GB. Here, in order:

1. The zip's directory is checked before anything is unpacked (`_check_zip`): number of
   parts, unpacked size in all and of the parts kept in memory, packing ratio, macros,
   encryption. zipfile never unpacks a part past its declared size (its CRC check fails),
   so the declared sizes bound the work.
2. A sheet is first scanned as raw bytes, unpacked 64 KB at a time and never parsed
   (`Sheet.scan`): its rows are counted (a sheet past the row limit is refused before it
   is read) and its merged ranges, which come after the data, are collected.
3. Every part is parsed by expat as a stream of 64 KB chunks: no tree is built, a DTD is
   refused, and shared strings, cells per row and characters per cell are counted as they
   arrive; the first past a limit stops the reading with a FileRefused naming the row and
   column.

Formulas are never evaluated: a cell gives the value Excel saved with it, or, when there
is none, the formula's text ("=…"). Dates are converted as openpyxl does (the cell's
number format, the workbook's 1900/1904 epoch). A whole number in a zero-padded format
("0000000000") is the text Excel shows, leading zeros kept (tube barcodes, landlines).
"""

import io
import posixpath
import re
import zipfile
from collections import defaultdict
from xml.parsers import expat

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from .errors import FileRefused
from .uploads import (
    CHUNK,
    MB,
    Limits,
    column_letter,
    macros_refused,
    too_long,
    too_many_columns,
    too_many_rows,
)

MAX_PARTS = 2000  # parts of one workbook (sheets, drawings, pictures…)
MAX_KEPT_PART = 64 * MB  # a part read whole into memory: shared strings, styles, workbook
MAX_SHARED_STRINGS = 1_000_000
MAX_STYLES = 65_536  # Excel's own limit on cell formats
MAX_MERGES = 100_000
MAX_MERGED_SPAN = 8  # rows spanned by merged ranges, all together, per row allowed
RATIO_FROM = 1 * MB  # a part smaller than this may be packed as tightly as it likes
MAX_EXCEL_ROW = 1_048_576
MAX_EXCEL_COLUMN = 16_384

MAX_TAG = 1 * MB  # bytes from a "<" to its ">": no tag a sheet holds comes near
_MERGE = re.compile(
    rb"<(?:\w{1,10}:)?mergeCell\s{1,8}ref=\"([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})\"")
_OVERLAP = 96  # longer than a <row> tag or a match of _MERGE: one cut by a chunk is seen whole


def unreadable() -> FileRefused:
    return FileRefused(_("This file could not be read as an Excel workbook (.xlsx). Open it "
                         "in Excel or WPS and save it as .xlsx or .csv."))


def damaged_cell(row, col) -> FileRefused:
    return FileRefused(_("Row %(row)d, column %(column)s could not be read: the workbook is "
                         "damaged. Open it in Excel or WPS and save it as .xlsx again.") % {
        "row": row, "column": column_letter(col)}, row=row, column=column_letter(col))


def _too_big(limits, size, packed) -> FileRefused:
    return FileRefused(_(
        "This workbook unpacks to %(size)d MB (from %(packed)s MB), more than the %(max)d MB "
        "a roster or results file may hold; it is refused as a possible “zip bomb”. Delete "
        "unused sheets, pictures and formatting, or save it as .csv.") % {
        "size": size // MB, "packed": f"{packed / MB:.1f}", "max": limits.max_unpacked // MB})


def _ignore(*_args):
    pass


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parser():
    p = expat.ParserCreate()
    p.buffer_text = True
    p.buffer_size = CHUNK

    def no_dtd(*_args):  # an .xlsx part never has one; entities could expand without end
        raise unreadable()

    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    return p


def _parse(stream, parser):
    """Feed a part to expat 64 KB at a time; yields after each chunk (handlers collect)."""
    try:
        while True:
            data = stream.read(CHUNK)
            parser.Parse(data, not data)
            if not data:
                return
            yield
    except expat.ExpatError:
        raise unreadable() from None
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
        raise unreadable() from None  # a part past its declared size, a bad CRC, a password


def _count_rows(buf: bytes, cut: int) -> int:
    """<row> tags (or <x:row>) starting before `cut`: an upper bound of the rows."""
    return buf.count(b"<row", 0, cut + 3) + buf.count(b":row", 0, cut + 3)


class Sheet:
    def __init__(self, book, title, path):
        self.book, self.title, self.path = book, title, path
        self._scan = None

    def scan(self) -> tuple[int, list[tuple[int, int, int, int]]]:
        """(rows, merged ranges as (min_col, min_row, max_col, max_row)), read from the raw
        bytes: rows counted by their tags, ranges by theirs. Refuses a sheet with more rows
        than the limit before any of it is parsed."""
        if self._scan is not None:
            return self._scan
        limits = self.book.limits
        rows, merges, tail, in_tag, pos = 0, [], b"", 0, 0
        try:
            with self.book.zip.open(self.path) as src:
                while chunk := src.read(CHUNK):
                    buf = tail + chunk
                    cut = max(len(buf) - _OVERLAP, 0)  # matches from here on: next time
                    rows += _count_rows(buf, cut)
                    if rows > limits.max_rows:
                        raise too_many_rows(limits)
                    if b"ergeCell" in buf:
                        merges.extend(m.groups() for m in _MERGE.finditer(buf) if m.start() < cut)
                        if len(merges) > MAX_MERGES:
                            raise unreadable()
                    # What expat would have to hold whole: a tag (from "<" to ">"), a comment,
                    # a processing instruction, a DTD. Text is handed over in pieces.
                    if b"<!--" in buf or b"<!DOCTYPE" in buf or buf.find(b"<?", 0 if pos else 1) >= 0:
                        raise unreadable()
                    lt, gt = chunk.rfind(b"<"), chunk.rfind(b">")
                    if lt > gt:  # a tag opens and is still open at the chunk's end
                        in_tag = len(chunk) - lt
                    elif gt >= 0:
                        in_tag = 0
                    elif in_tag:  # neither: still inside it
                        in_tag += len(chunk)
                    if in_tag > MAX_TAG:
                        raise unreadable()
                    tail, pos = buf[cut:], pos + len(chunk)
                rows += _count_rows(tail, len(tail))
                merges.extend(m.groups() for m in _MERGE.finditer(tail))
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
            raise unreadable() from None
        ranges, spanned = [], 0
        for c1, r1, c2, r2 in dict.fromkeys(merges):
            col, first, last = column_index_from_string(c1.decode()), int(r1), int(r2)
            if col > limits.max_columns or last <= first:
                continue  # nothing to copy down: a range past the columns read, or one row
            spanned += min(last, limits.max_rows) - first
            if spanned > MAX_MERGED_SPAN * limits.max_rows:  # each a copy in every row spanned
                raise unreadable()
            ranges.append((col, first, column_index_from_string(c2.decode()), last))
        self._scan = (rows, ranges)
        return self._scan

    def rows(self, *, merged=True):
        """(row number, list of values) for each row the sheet holds, in order, checked
        against the limits as it is read. With `merged`, a range merged over several rows
        (a door number or building written once for a household) has its value copied down
        its first column, as the user sees it."""
        starts = defaultdict(list)
        if merged:
            for min_col, min_row, _max_col, max_row in self.scan()[1]:
                if max_row > min_row:
                    starts[min_row].append((min_col - 1, max_row))
        active: list[list] = []  # [col, last row, value]
        for rownum, values in self._rows():
            if active:
                for col, last, value in active:
                    if rownum <= last:
                        if col >= len(values):
                            values.extend([None] * (col + 1 - len(values)))
                        if values[col] is None:
                            values[col] = value
                active = [a for a in active if a[1] > rownum]
            for col, last in starts.get(rownum, ()):
                active.append([col, last, values[col] if col < len(values) else None])
            yield rownum, values

    def _rows(self):
        self.scan()  # refuses what expat should never be given
        reader = _SheetReader(self.book)
        parser = _parser()
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.text
        try:
            with self.book.zip.open(self.path) as src:
                for _chunk in _parse(src, parser):
                    if reader.out:
                        yield from reader.out
                        reader.out.clear()
        except (zipfile.BadZipFile, OSError):
            raise unreadable() from None
        yield from reader.out


class _SheetReader:
    """expat handlers for a worksheet: complete rows collect in `out`. Each element name
    is looked up once in a table of handlers (prefixed names like "x:c" learnt as met)."""

    def __init__(self, book):
        self.strings, self.dates, self.deltas = book.strings, book.dates, book.deltas
        self.padded = book.padded
        self.epoch = book.epoch
        limits = book.limits
        self.limits = limits
        self.max_rows, self.max_cols, self.max_chars = (
            limits.max_rows, limits.max_columns, limits.max_cell_chars)
        self.out = []
        self.row, self.col = 0, 0
        self.values = None
        self.text_into = None  # the list collecting a <v>, <f> or <t> text, or None
        self.chars = 0
        self._reset_cell()
        self.starts = {"c": self._c, "v": self._v, "f": self._f, "t": self._t, "row": self._row,
                       "is": self._is, "rPh": self._rph}
        self.ends = {"c": self._c_end, "v": self._text_end, "f": self._text_end,
                     "t": self._text_end, "row": self._row_end, "is": self._is_end,
                     "rPh": self._rph_end}

    def _reset_cell(self):
        self.type, self.style = "n", 0
        self.v, self.f, self.t = [], [], []
        self.in_is = self.in_rph = False

    def _learn(self, name, table):
        h = table.get(_local(name), _ignore)
        table[name] = h
        return h

    def start(self, name, attrs):
        h = self.starts.get(name)
        (h or self._learn(name, self.starts))(attrs)

    def end(self, name):
        h = self.ends.get(name)
        (h or self._learn(name, self.ends))()

    def text(self, data):
        into = self.text_into
        if into is not None:
            self.chars += len(data)
            if self.chars > self.max_chars:
                raise too_long(self.row, self.col, self.limits)
            into.append(data)

    def _row(self, attrs):
        r = attrs.get("r")
        row = int(r) if r and r.isdigit() else self.row + 1
        self.row = row if row > self.row else self.row + 1
        if self.row > self.max_rows:
            raise too_many_rows(self.limits, self.row)
        self.col, self.values = 0, []

    def _c(self, attrs):
        ref = attrs.get("r")
        if ref:
            try:
                col = column_index_from_string(ref.rstrip("0123456789"))
            except ValueError:
                raise damaged_cell(self.row, self.col + 1) from None
        else:
            col = self.col + 1
        if col > self.max_cols:
            raise too_many_columns(self.row, col, self.limits)
        self.col = col
        self.type = attrs.get("t", "n")
        s = attrs.get("s")
        self.style = int(s) if s and s.isdigit() else 0

    def _v(self, attrs):
        self.text_into, self.chars = self.v, 0

    def _f(self, attrs):
        self.text_into, self.chars = self.f, 0

    def _t(self, attrs):
        if self.in_is and not self.in_rph:
            self.text_into = self.t  # the runs of an inline string add up

    def _is(self, attrs):
        self.in_is, self.t, self.chars = True, [], 0

    def _rph(self, attrs):
        self.in_rph = True  # a phonetic guide: not part of the value

    def _c_end(self):
        value = self._value()
        values = self.values
        if values is not None and value is not None:
            col = self.col
            if len(values) < col:
                values.extend([None] * (col - len(values)))
            values[col - 1] = value
        self._reset_cell()

    def _text_end(self):
        self.text_into = None

    def _row_end(self):
        if self.values is not None:
            self.out.append((self.row, self.values))
        self.values = None

    def _is_end(self):
        self.in_is, self.text_into = False, None

    def _rph_end(self):
        self.in_rph = False

    def _value(self):
        t = self.type
        v = "".join(self.v) if self.v else None
        try:
            if t == "inlineStr":
                return "".join(self.t) if self.t else None
            if v is None or v == "":
                if self.f:  # a formula Excel never computed: its text, not evaluated
                    return "=" + "".join(self.f)
                return None
            if t == "n":
                number = float(v) if any(c in v for c in ".eE") else int(v)
                if self.style in self.dates:
                    try:
                        return from_excel(number, self.epoch,
                                          timedelta=self.style in self.deltas)
                    except (OverflowError, ValueError):
                        return "#VALUE!"
                if self.style in self.padded and type(number) is int and number >= 0:
                    # a "0000000000" format: the digits as Excel shows them (a tube
                    # barcode or a landline keeps its leading zeros)
                    return str(number).zfill(self.padded[self.style])
                return number
            if t == "s":
                s = self.strings[int(v)]
                if type(s) is int:  # too long, kept as its length only
                    raise too_long(self.row, self.col, self.limits)
                return s
            if t == "str" or t == "e":
                return v
            if t == "b":
                return v.strip() not in ("0", "false", "")
            if t == "d":
                return from_ISO8601(v)
        except (ValueError, IndexError, OverflowError):
            raise damaged_cell(self.row, self.col) from None
        return v


class Book:
    """An opened workbook: `sheets` (worksheets in the workbook's order; chart sheets left
    out), the shared strings and the date styles. Close it (or use `with`)."""

    def __init__(self, zf, limits):
        self.zip, self.limits = zf, limits
        self.sheets: list[Sheet] = []
        self.strings: list = []
        self.dates: set[int] = set()
        self.deltas: set[int] = set()
        self.padded: dict[int, int] = {}  # style → digits of a zero-padded number format
        self.epoch = WINDOWS_EPOCH

    def close(self):
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _part(self, path):
        """A part kept whole in memory (workbook, relationships, styles, strings)."""
        try:
            info = self.zip.getinfo(path)
        except KeyError:
            return None
        if info.file_size > MAX_KEPT_PART:
            raise _too_big(self.limits, info.file_size, info.compress_size)
        return self.zip.open(info)

    def _load(self):
        root = _rels(self, "_rels/.rels")
        main = next((t for t, typ in root.values() if typ.endswith("/officeDocument")),
                    "xl/workbook.xml")
        if main.endswith(".bin"):
            raise unreadable()  # .xlsb: binary workbook
        base = posixpath.dirname(main)
        rels = _rels(self, posixpath.join(base, "_rels", posixpath.basename(main) + ".rels"),
                     base)
        for target, typ in rels.values():
            if typ.endswith("/sharedStrings"):
                self.strings = _shared_strings(self, target)
            elif typ.endswith("/styles"):
                self.dates, self.deltas, self.padded = _date_styles(self, target)
            elif typ.endswith("/vbaProject"):
                raise macros_refused()
        sheets, date1904 = _workbook(self, main)
        if date1904:
            self.epoch = MAC_EPOCH
        for title, rid in sheets:
            target, typ = rels.get(rid, ("", ""))
            if typ.endswith("/worksheet") and target in self.zip.NameToInfo:
                self.sheets.append(Sheet(self, title, target))


def _rels(book, path, base=""):
    """Id → (target part, relationship type) of a .rels part."""
    out = {}

    def start(name, attrs):
        if _local(name) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            target = target[1:] if target.startswith("/") else posixpath.normpath(
                posixpath.join(base, target))
            out[attrs.get("Id", "")] = (target, attrs.get("Type", ""))

    src = book._part(path)
    if src is None:
        return out
    p = _parser()
    p.StartElementHandler = start
    with src:
        for _chunk in _parse(src, p):
            pass
    return out


def _workbook(book, path):
    sheets, flags = [], {"date1904": False}

    def start(name, attrs):
        tag = _local(name)
        if tag == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            sheets.append((attrs.get("name", ""), rid))
            if len(sheets) > MAX_PARTS:
                raise unreadable()
        elif tag == "workbookPr":
            flags["date1904"] = attrs.get("date1904", "") in ("1", "true")

    src = book._part(path)
    if src is None:
        raise unreadable()
    p = _parser()
    p.StartElementHandler = start
    with src:
        for _chunk in _parse(src, p):
            pass
    return sheets, flags["date1904"]


def _date_styles(book, path):
    """Indexes of the cell formats (cellXfs) whose number format is a date or a duration,
    and {index: width} of those whose format pads whole numbers with zeros ("0000000000")."""
    custom, xfs, state = {}, [], {"in_xfs": False}

    def start(name, attrs):
        tag = _local(name)
        if tag == "numFmt":
            try:
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            except ValueError:
                pass
        elif tag == "cellXfs":
            state["in_xfs"] = True
        elif tag == "xf" and state["in_xfs"]:
            fmt = attrs.get("numFmtId", "0")
            xfs.append(int(fmt) if fmt.isdigit() else 0)
            if len(xfs) > MAX_STYLES:
                raise unreadable()

    def end(name):
        if _local(name) == "cellXfs":
            state["in_xfs"] = False

    src = book._part(path)
    if src is None:
        return set(), set(), {}
    p = _parser()
    p.StartElementHandler, p.EndElementHandler = start, end
    with src:
        for _chunk in _parse(src, p):
            pass
    dates, deltas, padded = set(), set(), {}
    for i, fmt_id in enumerate(xfs):
        code = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id)
        if code and is_date_format(code):
            dates.add(i)
            if is_timedelta_format(code):
                deltas.add(i)
        elif code and re.fullmatch(r"0{2,40}", code):
            padded[i] = len(code)
    return dates, deltas, padded


def _shared_strings(book, path) -> list:
    """The shared strings; one longer than the cell limit is kept as its length only (an
    int), and refused with its row and column if a cell uses it."""
    limits = book.limits
    max_chars = limits.max_cell_chars
    out = []
    st = {"parts": None, "chars": 0, "rph": False, "t": False}

    def start(name, attrs):
        tag = _local(name)
        if tag == "si":
            st["parts"], st["chars"] = [], 0
        elif tag == "t" and not st["rph"]:
            st["t"] = True
        elif tag == "rPh":
            st["rph"] = True

    def text(data):
        if st["t"] and st["parts"] is not None:
            st["chars"] += len(data)
            if st["chars"] <= max_chars:
                st["parts"].append(data)

    def end(name):
        tag = _local(name)
        if tag == "si":
            out.append("".join(st["parts"]).replace("x005F_", "")
                       if st["chars"] <= max_chars else st["chars"])
            st["parts"] = None
            if len(out) > MAX_SHARED_STRINGS:
                raise FileRefused(_(
                    "This workbook holds more than %(max)d different texts, more than a roster "
                    "or results file can. Save it as .csv, or split it.") % {
                    "max": MAX_SHARED_STRINGS})
        elif tag == "t":
            st["t"] = False
        elif tag == "rPh":
            st["rph"] = False

    src = book._part(path)
    if src is None:
        return out
    p = _parser()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, text
    with src:
        for _chunk in _parse(src, p):
            pass
    return out


def _check_zip(zf: zipfile.ZipFile, limits: Limits):
    """The zip's directory, before anything is unpacked."""
    infos = zf.infolist()
    if len(infos) > MAX_PARTS:
        raise unreadable()
    total = packed = 0
    for info in infos:
        name = info.filename.lower()
        if name.endswith("vbaproject.bin"):
            raise macros_refused()
        if info.flag_bits & 0x1:  # encrypted
            raise unreadable()
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise unreadable()
        total += info.file_size
        packed += info.compress_size
        if info.file_size > RATIO_FROM and (
                info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            raise FileRefused(_(
                "This workbook unpacks %(ratio)d times larger than its file (to %(size)d MB), far "
                "more than a spreadsheet does: it is refused as possibly harmful (a “zip bomb”). "
                "Open it in Excel or WPS and save it again as .xlsx, or as .csv.") % {
                "ratio": info.file_size // max(info.compress_size, 1),
                "size": info.file_size // MB})
    if total > limits.max_unpacked:
        raise _too_big(limits, total, packed)


def open_xlsx(content: bytes, limits: Limits | None = None) -> Book:
    """An .xlsx workbook, opened within the limits (see the module's docstring). Its
    sheets' rows are read only when asked for (`Sheet.rows`)."""
    limits = limits or Limits.from_settings()
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise unreadable() from None
    try:
        _check_zip(zf, limits)
        book = Book(zf, limits)
        book._load()
    except BaseException:
        zf.close()
        raise
    if not book.sheets:
        zf.close()
        raise unreadable()
    return book


__all__ = ["Book", "Sheet", "open_xlsx", "MAX_EXCEL_ROW", "MAX_EXCEL_COLUMN"]
