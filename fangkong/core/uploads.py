"""Uploaded files, checked within bounded memory and time: one function per kind of file.

- `read_upload(upload, max_bytes)`: the bytes of an uploaded file, never more than the
  limit read (empty or too large: refused).
- `spreadsheet_kind(filename, content)`: "xlsx" or "csv", or refused with the reason (an
  old .xls, a workbook with macros, a picture or program…). Then `core.xlsx.open_xlsx`
  or `open_csv` here reads it as a stream, counting rows, columns and characters per cell
  as they arrive; the first one past a limit stops the reading with a message that names
  the row and column ("第 3 行第 D 列超过 32767 个字符").
- `check_image(upload)`: a photo (JPEG, PNG, WebP) by its header: size in bytes, pixels.

Every refusal is a `FileRefused` (422 on pages and the API). The limits are settings
(`Limits.from_settings`, README's configuration table); the roster importer and the lab
results upload call the same functions, in the request and in the task worker.
Nothing here evaluates a formula: a CSV cell "=1+1" is the text "=1+1".
"""

import codecs
import csv
import dataclasses
import io

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.utils.translation import gettext as _

from .errors import FileRefused

MB = 1024 * 1024
CHUNK = 1 << 16  # bytes decoded, unpacked or parsed at a time
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, .doc, and encrypted .xlsx
_ZIP = b"PK\x03\x04"
_NOT_TEXT = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"\x1f\x8b",
             b"Rar!", b"7z\xbc\xaf", b"\x7fELF")  # PDF, pictures, archives, programs


@dataclasses.dataclass(frozen=True)
class Limits:
    max_bytes: int  # the file as uploaded
    max_unpacked: int  # a workbook's parts unpacked, all together
    max_ratio: int  # unpacked ÷ packed size of any part larger than RATIO_FROM
    max_rows: int  # rows of a sheet, lines of a CSV file
    max_columns: int  # columns with a value
    max_cell_chars: int  # characters in one cell
    max_pixels: int  # width × height of a photo

    @classmethod
    def from_settings(cls, **overrides) -> "Limits":
        s = settings
        values = {
            "max_bytes": s.FANGKONG_IMPORT_MAX_BYTES,
            "max_unpacked": s.FANGKONG_UPLOAD_MAX_UNPACKED_BYTES,
            "max_ratio": s.FANGKONG_UPLOAD_MAX_RATIO,
            "max_rows": s.FANGKONG_UPLOAD_MAX_ROWS,
            "max_columns": s.FANGKONG_UPLOAD_MAX_COLUMNS,
            "max_cell_chars": s.FANGKONG_UPLOAD_MAX_CELL_CHARS,
            "max_pixels": s.FANGKONG_UPLOAD_MAX_PIXELS,
        }
        values.update(overrides)
        return cls(**values)


def column_letter(index: int) -> str:
    """1 → A, 27 → AA: the column as Excel shows it."""
    out = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _mb(n) -> str:
    return f"{n / MB:.1f}".rstrip("0").rstrip(".")


# --- refusals every kind shares --------------------------------------------------------

def too_long(row: int, col: int, limits: Limits) -> FileRefused:
    return FileRefused(_("Row %(row)d, column %(column)s: more than %(max)d characters in one "
                         "cell. Shorten it, or delete what does not belong in the file.") % {
        "row": row, "column": column_letter(col), "max": limits.max_cell_chars},
        row=row, column=column_letter(col))


def too_many_columns(row: int, col: int, limits: Limits) -> FileRefused:
    return FileRefused(_("Row %(row)d has a value in column %(column)s; a file may use at most "
                         "%(max)d columns (up to column %(last)s). Delete the columns to the "
                         "right of your data.") % {
        "row": row, "column": column_letter(col), "max": limits.max_columns,
        "last": column_letter(limits.max_columns)}, row=row, column=column_letter(col))


def too_many_rows(limits: Limits, row: int | None = None) -> FileRefused:
    return FileRefused(_("The file has more than %(max)d rows. Delete the empty rows below your "
                         "data, or split it into several files.") % {"max": limits.max_rows},
                       row=row)


def check_size(content: bytes, max_bytes: int, *, field="file", what=None) -> bytes:
    """The file's size: not empty, not over the limit."""
    if not content or not content.strip(b" \t\r\n\x00"):
        raise FileRefused(what or _("The file is empty."), field=field)
    if len(content) > max_bytes:
        raise FileRefused(_(
            "The file is too large (%(size)s MB); the limit is %(limit)s MB. Split it into "
            "several files.") % {"size": _mb(len(content)), "limit": _mb(max_bytes)},
            field=field)
    return content


def read_upload(upload, max_bytes: int, *, field="file") -> bytes:
    """The bytes of an uploaded file (Django's UploadedFile or ninja's), reading at most
    one byte past the limit: a 2 GB upload is refused without being read into memory."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise FileRefused(_(
            "The file is too large (%(size)s MB); the limit is %(limit)s MB. Split it into "
            "several files.") % {"size": _mb(size), "limit": _mb(max_bytes)}, field=field)
    upload.seek(0)
    content = upload.read(max_bytes + 1)
    return check_size(content, max_bytes, field=field)


class BoundedUploadHandler(TemporaryFileUploadHandler):
    """Django's handler for uploads past FILE_UPLOAD_MAX_MEMORY_SIZE, keeping no more than one
    byte past the largest upload limit on disk: the rest is counted, not stored, and the
    file's `size` is the size sent, so `read_upload` refuses it with its real size. (The
    body still arrives: cap it in the proxy too, e.g. nginx `client_max_body_size`.)"""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.kept = self.sent = 0
        self.room = max(settings.FANGKONG_IMPORT_MAX_BYTES, settings.FANGKONG_LAB_FILE_MAX_BYTES,
                        settings.FANGKONG_PHOTO_MAX_BYTES) + 1

    def receive_data_chunk(self, raw_data, start):
        self.sent += len(raw_data)
        if self.kept < self.room:
            part = raw_data[:self.room - self.kept]
            self.file.write(part)
            self.kept += len(part)

    def file_complete(self, file_size):
        f = super().file_complete(self.kept)
        f.size = self.sent
        return f


# --- which kind of spreadsheet ---------------------------------------------------------

def spreadsheet_kind(filename: str, content: bytes, *, upload=False) -> str:
    """"xlsx" or "csv" by the file's first bytes (then its name), or FileRefused saying
    what it is instead and how to save it (`upload`: the page uploads files, it does not
    import them — the lab's results)."""
    check_size(content, len(content))
    ext = filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if ext in ("xlsm", "xltm", "xlam"):
        raise macros_refused()
    if content.startswith(_ZIP):
        return "xlsx"
    if content.startswith(_OLE) or ext in ("xls", "et"):  # some systems write HTML as .xls
        if upload:
            raise FileRefused(_(
                "This is an old-style Excel file (.xls) or a password-protected workbook, which "
                "cannot be read. Open it in Excel or WPS, choose “Save as”, pick “Excel workbook "
                "(.xlsx)” (and remove any password), then upload the .xlsx file."))
        raise FileRefused(_(
            "This is an old-style Excel file (.xls) or a password-protected workbook, which "
            "cannot be read. Open it in Excel or WPS, choose “Save as”, pick “Excel workbook "
            "(.xlsx)” (and remove any password), then import the .xlsx file."))
    if ext in ("xlsx", "xlsb"):
        raise FileRefused(_("This file is called .xlsx but is not an Excel workbook. Open it "
                            "in Excel or WPS and save it as .xlsx again."))
    if content.startswith(_NOT_TEXT) or (
            b"\x00" in content[:CHUNK] and not content.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise not_a_spreadsheet()
    return "csv"


def not_a_spreadsheet() -> FileRefused:
    return FileRefused(_("This file is not a spreadsheet: a picture, a document or a program, or "
                         "text in an encoding other than UTF-8 or GB18030 (GBK). Choose the .xlsx "
                         "file, or save it as “CSV UTF-8” from Excel or WPS."))


def macros_refused() -> FileRefused:
    return FileRefused(_("This workbook contains macros (VBA), which are not accepted. Open it "
                         "in Excel or WPS and save it as “Excel workbook (.xlsx)” or as .csv."))


# --- CSV ------------------------------------------------------------------------------

def _bad_byte(content: bytes, encoding: str) -> int | None:
    """Offset of the first byte that does not decode, or None; decoded 64 KB at a time."""
    dec = codecs.getincrementaldecoder(encoding)("strict")
    view, n = memoryview(content), len(content)
    for pos in range(0, n, CHUNK):
        pending = len(dec.getstate()[0])
        try:
            dec.decode(view[pos:pos + CHUNK], pos + CHUNK >= n)
        except UnicodeDecodeError as e:
            return pos - pending + e.start
    return None


def _line_of(content: bytes, offset: int) -> int:
    return content.count(b"\n", 0, offset) + 1


def _cjk_count(content: bytes, end: int) -> int:
    """Chinese characters (UTF-8 lead bytes E4–E9) before `end` in text valid as UTF-8."""
    return sum(content.count(bytes([b]), 0, end) for b in range(0xE4, 0xEA))


class CsvFile:
    """A CSV file's text: the encodings it decodes in (`encodings`, likeliest first) and its
    records, read as a stream with the limits checked (`records`)."""

    def __init__(self, content: bytes, encodings: list[str], limits: Limits):
        self.content, self.encodings, self.limits = content, encodings, limits
        self.lines = content.count(b"\n") + 1

    def _text(self, encoding, offset=0):
        raw = io.BytesIO(self.content)
        raw.seek(offset)
        return io.TextIOWrapper(raw, encoding=encoding, newline="")

    def records(self, encoding: str, delimiter: str = ","):
        """(record number, values) for every record, each checked: no more than max_rows
        records, no value past max_columns, no cell over max_cell_chars. Stops with
        FileRefused at the first that is not."""
        limits = self.limits
        reader = csv.reader(self._text(encoding), delimiter=delimiter)
        n = 0
        while True:
            start = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise self._refusal(e, encoding, delimiter, n + 1, start) from None
            n += 1
            if n > limits.max_rows:
                raise too_many_rows(limits, n)
            if len(values) > limits.max_columns:
                for i in range(limits.max_columns, len(values)):
                    if values[i].strip():
                        raise too_many_columns(n, i + 1, limits)
                del values[limits.max_columns:]  # empty columns Excel wrote out
            if values and max(map(len, values)) > limits.max_cell_chars:
                col = next(i for i, v in enumerate(values) if len(v) > limits.max_cell_chars)
                raise too_long(n, col + 1, limits)
            yield n, values

    def _refusal(self, error, encoding, delimiter, record, line) -> FileRefused:
        if "field larger than field limit" in str(error):
            col = self._long_field(encoding, delimiter, line)
            if col:
                return too_long(record, col, self.limits)
        return FileRefused(_("The CSV file is damaged near line %(line)d (a quotation mark or "
                             "a line break in the wrong place). Open it in Excel or WPS and save "
                             "it as CSV again.") % {"line": line}, row=record)

    def _long_field(self, encoding, delimiter, line) -> int | None:
        """Column (1-based) of the first cell longer than the limit in the record that starts
        on `line`, read in pieces (the csv module stops at 131,072 characters and does not
        say where)."""
        offset = 0
        for _n in range(line - 1):
            offset = self.content.find(b"\n", offset) + 1
        limit = self.limits.max_cell_chars
        text = self._text(encoding, offset if encoding != "utf-16" else 0)
        col, length, quoted, quote_seen, start = 1, 0, False, False, True
        while piece := text.read(CHUNK):
            for ch in piece:
                if quote_seen:  # a quotation mark inside quotes: doubled, or the end
                    quote_seen = False
                    if ch == '"':
                        length += 1
                        continue
                    quoted = False
                if quoted:
                    if ch == '"':
                        quote_seen = True
                    else:
                        length += 1
                elif ch == '"' and start:
                    quoted = True
                elif ch == delimiter:
                    col, length = col + 1, 0
                    start = True
                    continue
                elif ch in "\r\n":
                    return None
                else:
                    length += 1
                start = False
                if length > limit:
                    return col
        return None


def open_csv(content: bytes, limits: Limits | None = None) -> CsvFile:
    """A CSV (or tab-separated) file: UTF-8, GB18030/GBK, or UTF-16 with its mark, checked
    as a stream. A file whose lines above line N are UTF-8 and line N is not mixes two
    encodings and is refused naming line N; a file in neither is refused likewise."""
    limits = limits or Limits.from_settings()
    lines = content.count(b"\n") + (not content.endswith(b"\n"))
    if lines > limits.max_rows:  # a CSV's rows are counted as its lines: at once
        raise too_many_rows(limits)
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        bad = _bad_byte(content, "utf-16")
        if bad is not None:
            raise FileRefused(_("This file could not be read as text. Save it as “CSV UTF-8” "
                                "from Excel or WPS."))
        return CsvFile(content, ["utf-16"], limits)
    bad_utf8 = _bad_byte(content, "utf-8-sig")
    if bad_utf8 is None:
        encodings = ["utf-8-sig"]
        if _bad_byte(content, "gb18030") is None and _cjk_count(content, len(content)) < 2:
            encodings.append("gb18030")  # no Chinese in UTF-8: perhaps GBK after all
        return CsvFile(content, encodings, limits)
    line = _line_of(content, bad_utf8)
    if _cjk_count(content, bad_utf8) >= 2:
        raise FileRefused(_(
            "Line %(line)d is not UTF-8 text although the lines above it are: the file mixes "
            "two text encodings. Open it in Excel or WPS and save it again as “CSV UTF-8”.")
            % {"line": line}, row=line)
    bad = _bad_byte(content, "gb18030")
    if bad is not None:
        line = _line_of(content, bad)
        raise FileRefused(_(
            "Line %(line)d is neither UTF-8 nor GB18030 (GBK) text. Save the file as “CSV "
            "UTF-8” from Excel or WPS.") % {"line": line}, row=line)
    return CsvFile(content, ["gb18030"], limits)


# --- photos ---------------------------------------------------------------------------

PHOTO_TYPES = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def check_image(upload, *, field="photo", max_bytes=None, limits: Limits | None = None) -> str:
    """A photo (JPEG, PNG or WebP): at most max_bytes, at most max_pixels, really an image
    (Pillow reads its header and verifies its structure without decoding the pixels).
    Returns the file extension to store it under."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    limits = limits or Limits.from_settings()
    max_bytes = max_bytes or settings.FANGKONG_PHOTO_MAX_BYTES
    size = getattr(upload, "size", None) or 0
    if size == 0:
        raise FileRefused(_("The photo is empty."), field=field)
    if size > max_bytes:
        raise FileRefused(_("The photo is larger than %(max)s MB: take it again or send a "
                            "smaller one.") % {"max": _mb(max_bytes)}, field=field)
    not_photo = FileRefused(_("This file is not a photo (JPEG, PNG or WebP)."), field=field)
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(upload, formats=list(PHOTO_TYPES))
        with img:
            fmt, (w, h) = img.format, img.size
            if w * h > limits.max_pixels:
                raise FileRefused(_(
                    "The photo is %(w)d × %(h)d pixels; at most %(max)s million pixels are "
                    "accepted. Take it again, or send a smaller copy.") % {
                    "w": w, "h": h, "max": f"{limits.max_pixels / 1e6:g}"}, field=field)
            img.verify()
    except Image.DecompressionBombError:  # past Pillow's own limit, before ours
        raise FileRefused(_(
            "The photo has too many pixels; at most %(max)s million are accepted. Take it "
            "again, or send a smaller copy.") % {"max": f"{limits.max_pixels / 1e6:g}"},
            field=field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise not_photo from None
    finally:
        upload.seek(0)
    if fmt not in PHOTO_TYPES:
        raise not_photo
    return PHOTO_TYPES[fmt]
