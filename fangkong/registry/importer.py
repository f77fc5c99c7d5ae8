"""Roster import: an .xlsx or .csv roster into places, households and residents.

All or nothing. `run_import` first reads and checks every row (the rules of
`registry.checks`, plus the rules only a whole file can break: duplicates, people
registered elsewhere, places that do not match the import place); if anything is wrong
the job is "rejected", with errors per row and column, and nothing is written. Otherwise
everything is written in one transaction: missing places, missing households, new
residents, and updates of existing residents (matched by ID number, or by household and
name when the row has no ID number). Importing the same file twice changes nothing.

The work is done with a fixed number of queries whatever the size of the file: one for
the places under the import place, one for its households, one for its residents, a few
for ID numbers registered elsewhere, then bulk inserts and updates in batches.

Column layout, accepted spellings and every error message: docs/import.md.
"""

import csv
import dataclasses
import functools
import hashlib
import io
import logging
import re
from collections import defaultdict
from itertools import islice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm
from fangkong.audit.actions import record, record_many
from fangkong.audit.models import AuditEvent
from fangkong.core import pii
from fangkong.core.bulk import allocate_ids, prototype
from fangkong.core.bulk import insert as bulk_insert
from fangkong.core.errors import Invalid

from . import checks
from .actions import apply_resident_fields, require
from .models import (
    LEVEL_FIELDS,
    LEVELS,
    Household,
    ImportJob,
    Kind,
    Place,
    Resident,
    natural_key,
    new_token,
)
from .queries import ancestors, under

log = logging.getLogger(__name__)

# Where an import may go: the rows' 小区 / 楼栋 / 单元 are resolved below it.
IMPORT_KINDS = [Kind.COMMUNITY, Kind.GRID, Kind.COMPOUND, Kind.BUILDING, Kind.UNIT]
HEADER_SEARCH_ROWS = 10  # the header row is looked for in the first rows of a sheet
PROGRESS_EVERY = 500  # rows between progress updates of the job
MAX_STORED_ERRORS = 1000
BATCH = 1000
FILE_ROW = 0  # the "row" of an error about the whole file


def max_rows() -> int:
    return getattr(settings, "FANGKONG_IMPORT_MAX_ROWS", 200_000)


# --- columns -----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    header: str  # the template's spelling
    aliases: tuple[str, ...]
    zh: str  # explanation for the template's 说明 sheet and docs/import.md
    en: str


COLUMNS = [
    Column("seq", "序号", ("编号", "no", "no.", "#"),
           "行号，可不填；写“示例”的行不导入。",
           "Row number, optional; a row whose 序号 is “示例” (example) is skipped."),
    Column("name", "姓名", ("名字", "居民姓名", "人员姓名", "name"),
           "必填，最多50个字。", "Required, at most 50 characters."),
    Column("sex", "性别", ("sex", "gender"),
           "男 / 女；有身份证号时以身份证号为准，不一致会报错。",
           "男 (male) / 女 (female); with an ID number, it must agree with the number."),
    Column("id_number", "身份证号", ("身份证号码", "证件号码", "证件号", "身份证", "公民身份号码",
                                      "id", "id number", "id no."),
           "18位居民身份证号，末位可为X。此列必须设为“文本”格式，否则Excel会丢掉后几位。"
           "可不填（无证件的人员按户和姓名匹配）。",
           "18-character resident ID number, last character may be X. Format this column as "
           "Text, or Excel loses the last digits. Optional (people without one are matched by "
           "household and name)."),
    Column("phone", "联系电话", ("手机号", "手机号码", "手机", "电话", "电话号码", "联系方式",
                                    "phone", "mobile"),
           "11位手机号或带区号的固定电话，可有空格或短横线。",
           "11-digit mobile number or a landline with its area code; spaces and dashes are fine."),
    Column("grid", "网格", ("所属网格", "网格名称", "grid"),
           "可选。导入到社区时，按网格查找或新建小区。",
           "Optional. When importing into a community, the compound is found or created in "
           "this grid."),
    Column("compound", "小区", ("小区名称", "所在小区", "小区名", "compound"),
           "导入到社区或网格时必填；导入到小区或以下时可不填，填写则必须与导入位置一致。",
           "Required when importing into a community or grid; optional when importing into a "
           "compound or below, and then it must match."),
    Column("building", "楼栋", ("楼号", "楼栋号", "楼", "栋", "building"),
           "导入到楼栋或单元时可不填；“3”与“3号楼”视为同一楼栋。",
           "Optional only when importing into a building or unit; “3” and “3号楼” are the "
           "same building."),
    Column("unit", "单元", ("单元号", "unit"),
           "可选；不填则该户直接属于楼栋。“2”与“2单元”视为同一单元。",
           "Optional; empty means the household belongs to the building directly. “2” and "
           "“2单元” are the same unit."),
    Column("door", "门牌号", ("房号", "户号", "房间号", "门牌", "室号", "door", "room"),
           "必填，如 502；末尾的“室”“号”会去掉。",
           "Required, e.g. 502; a trailing 室 or 号 is dropped."),
    Column("relation", "与户主关系", ("关系", "户主关系", "与户主的关系", "relation"),
           "户主、配偶、子女、父母、孙子女、兄弟姐妹、租户、其他。",
           "Relation to the head of household: 户主 head, 配偶 spouse, 子女 child, 父母 parent, "
           "孙子女 grandchild, 兄弟姐妹 sibling, 租户 tenant, 其他 other."),
    Column("presence", "人员状态", ("状态", "在住状态", "居住状态", "presence", "status"),
           "在家、集中隔离、住院、外出、迁出；空白为在家。",
           "在家 at home, 集中隔离 centralized quarantine, 住院 in hospital, 外出 away, "
           "迁出 moved out; empty means at home."),
    Column("tags", "重点人群", ("人员类别", "重点人员", "特殊人群", "人群类别", "tags"),
           "独居老人、行动不便、卧床、孕妇、透析、慢病、婴幼儿、残疾，多个用“、”隔开。",
           "Vulnerability tags, several joined with “、”: 独居老人 elderly living alone, 行动不便 "
           "limited mobility, 卧床 bedridden, 孕妇 pregnant, 透析 dialysis, 慢病 chronic "
           "illness, 婴幼儿 infant, 残疾 disability."),
    Column("notes", "备注", ("说明", "notes", "remarks", "note"),
           "最多500个字。", "At most 500 characters."),
    Column("birth_date", "出生日期", ("出生年月日", "生日", "birth date", "date of birth"),
           "可选，YYYY-MM-DD；有身份证号时以身份证号为准。",
           "Optional, YYYY-MM-DD; with an ID number, it must agree with the number."),
    Column("has_smartphone", "智能手机", ("有无智能手机", "是否有智能手机", "smartphone"),
           "有 / 无；没有智能手机的人需要纸质码。",
           "有 (yes) / 无 (no); people without a smartphone need a printed code."),
]
COLUMN = {c.key: c for c in COLUMNS}
COLUMN_ORDER = {c.key: i for i, c in enumerate(COLUMNS)}
# The template's and the export's columns, in order (网格 is accepted but not written).
TEMPLATE_KEYS = ["seq", "name", "sex", "id_number", "phone", "compound", "building", "unit",
                 "door", "relation", "presence", "tags", "notes", "birth_date", "has_smartphone"]
PLACE_KEYS = ["grid", "compound", "building", "unit"]
PLACE_KIND = {"grid": Kind.GRID, "compound": Kind.COMPOUND, "building": Kind.BUILDING,
              "unit": Kind.UNIT}
# Resident fields where an empty cell leaves the stored value as it is (the others clear it).
KEEP_WHEN_EMPTY = {"sex", "birth_date", "relation", "presence", "has_smartphone", "id_number"}
RESIDENT_KEYS = ["name", "id_number", "sex", "birth_date", "phone", "relation", "presence",
                 "has_smartphone", "tags", "notes"]
# Fields that vary little between rows: checked once per distinct combination.
SHARED_KEYS = ("relation", "presence", "has_smartphone", "tags")
TOTALS_WORDS = ("合计", "总计", "共计", "total")
EXAMPLE_WORDS = {"示例", "例", "样例", "example", "e.g."}


def _norm_header(value) -> str:
    t = checks.text(value)
    t = re.sub(r"\s+", "", t).strip("*＊")
    t = re.sub(r"[（(][^（()）]*[)）]$", "", t)
    return t.rstrip(":：").lower()


ALIASES = {_norm_header(a): c.key for c in COLUMNS for a in (c.header, *c.aliases)}


def _spellings(key) -> str:
    c = COLUMN[key]
    return "、".join((c.header,) + tuple(a for a in c.aliases if not a.isascii()))


# --- rows --------------------------------------------------------------------

@dataclasses.dataclass
class RosterRow:
    """One person as read from the file, checked and cleaned."""

    row: int  # the row number the user sees in Excel (for CSV: the record number)
    clean: dict  # resident fields from checks.check_resident(partial=True)
    door: str = ""
    grid: str = ""
    compound: str = ""
    building: str = ""
    unit: str = ""
    id_hash: str | None = None
    masked_id: str = ""  # "1401**********786X" copied from an export: keep the stored one
    masked_phone: str = ""  # likewise for "138****5678"

    @property
    def name(self) -> str:
        return self.clean.get("name", "")


@dataclasses.dataclass
class Parsed:
    rows: list[RosterRow] = dataclasses.field(default_factory=list)
    errors: list[dict] = dataclasses.field(default_factory=list)
    columns: dict[str, str] = dataclasses.field(default_factory=dict)  # key → label in file
    ignored: list[str] = dataclasses.field(default_factory=list)  # unknown column labels
    header_row: int = 0
    sheet: str = ""
    total: int = 0  # data rows (blank, example and totals rows not counted)
    structural: bool = False  # the file itself is wrong: no row was checked


def _error(row, column, value, message) -> dict:
    value = "" if value is None else checks.text(value)
    return {"row": row, "column": column, "value": value[:60], "message": str(message)}


def _file_error(message) -> dict:
    return _error(FILE_ROW, "", "", message)


def parse_roster(filename: str, content: bytes, *, progress=None
                 ) -> tuple[list[RosterRow], list[dict]]:
    """Read and check a roster without touching the database.

    Returns the checked rows and the errors, sorted by row (errors about the whole file
    have row 0). Rules that need the database (places, people registered elsewhere) are
    checked by `run_import`. `progress(done, total)` is called every few hundred rows
    (`total` is an estimate until the end).
    """
    parsed = _parse(filename, content, progress=progress)
    return parsed.rows, _sorted_errors(list(parsed.errors))


def _parse(filename, content, *, progress=None) -> Parsed:
    out = Parsed()

    def structural(error):
        out.errors.append(error)
        out.structural = True
        return out

    try:
        table = _open_table(filename, content)
    except _FileProblem as e:
        return structural(_file_error(e.message))
    try:
        out.header_row, out.sheet = table.header_row, table.sheet
        out.columns, out.ignored = table.labels, table.ignored
        missing = [k for k in ("name", "door") if k not in table.columns]
        if missing:
            structural(_missing_columns_error(missing, table.header_row))
        for labels in table.duplicates.values():
            structural(_error(table.header_row, labels[1], labels[1], _(
                "Two columns mean the same thing (%(a)s and %(b)s): keep one of them."
            ) % {"a": labels[0], "b": labels[1]}))
        if out.structural:
            return out
        _check_rows(_data_rows(table, out), table, out, progress)
    except _FileProblem as e:
        out.rows = []
        return structural(_file_error(e.message))
    finally:
        table.close()
    if not out.total and not out.errors:
        return structural(_file_error(_("The file has a header row but no people below it.")))
    return out


def _missing_columns_error(missing, header_row) -> dict:
    parts = [_("%(column)s (accepted spellings: %(spellings)s)") % {
        "column": COLUMN[k].header, "spellings": _spellings(k)} for k in missing]
    return _error(header_row, "", "", _("Required column missing: %(columns)s.")
                  % {"columns": "; ".join(parts)})


def _data_rows(table, out: Parsed):
    """(row number, values) of the rows that hold a person; counts them in out.total."""
    cols = table.columns
    data_idx = [i for k, i in cols.items() if k != "seq"]
    seq_idx = cols.get("seq")
    after_totals = None
    for rownum, values in table.rows:
        width = len(values)
        for i in data_idx:
            if i < width and _filled(values[i]):
                break
        else:
            continue  # blank (a numbered but empty row counts as blank)
        if (seq_idx is not None and seq_idx < width and isinstance(values[seq_idx], str)
                and values[seq_idx].strip().lower() in EXAMPLE_WORDS):
            continue
        if after_totals is None and _is_totals(values):
            after_totals = rownum
            continue
        if after_totals is not None:
            # A footer (制表人, 日期…) below the totals row is fine; a person is not.
            if _filled(_cell(values, cols.get("name"))) and _filled(_cell(values, cols.get("door"))):
                out.errors.append(_error(rownum, "", "", _(
                    "This row is below the totals row (row %(totals)d). Move it above the "
                    "totals row, or delete the totals row.") % {"totals": after_totals}))
            continue
        out.total += 1
        if out.total > max_rows():
            raise _FileProblem(_("The file has more than %(max)d rows; split it into several "
                                 "files.") % {"max": max_rows()})
        yield rownum, values


def _cell(values, idx):
    if idx is None or idx >= len(values):
        return None
    return values[idx]


def _filled(v) -> bool:
    return v is not None and (type(v) is not str or bool(v.strip()))


def _is_totals(values) -> bool:
    """The first filled cell among the first three says 合计 / 总计 / 共计 / total."""
    for v in values[:3]:
        if v is None or v == "":
            continue
        if not isinstance(v, str):
            return False
        t = re.sub(r"\s+", "", v).lower()
        if t:
            return t.startswith(TOTALS_WORDS)
    return False


_MASKED_ID = re.compile(r"\d{4}\*{6,12}[\dX]{4}")
_MASKED_PHONE = re.compile(r"\d{3,4}\*{1,6}\d{2,4}")
_ID_LIKE = re.compile(r"[\dXx]{9,}")


def _row_error(errors, rownum, labels, key, value, message):
    shown = checks.text(value)
    if key == "id_number" and _ID_LIKE.fullmatch(shown):
        shown = pii.mask_id_number(shown)  # identifiers are not kept in clear
    e = _error(rownum, labels.get(key, COLUMN[key].header), shown, message)
    e["_order"] = COLUMN_ORDER[key]
    errors.append(e)


def _memo(fn):
    """fn(value) → ("ok", clean) or ("error", messages), remembered per distinct raw value
    (doors, place names and choice words repeat over thousands of rows)."""
    cache = {}

    def check(value):
        key = (type(value), value)
        hit = cache.get(key)
        if hit is None:
            try:
                hit = ("ok", fn(value))
            except ValidationError as e:
                hit = ("error", e.messages)
            except Invalid as e:
                hit = ("error", e.fields)
            cache[key] = hit
        return hit

    return check


def _check_rows(rows, table, out: Parsed, progress):
    """Check each row as it is read; good rows go to out.rows, problems to out.errors."""
    cols = table.columns
    labels = table.labels
    seen_ids: dict[str, int] = {}
    seen_names: dict[tuple, tuple[int, bool]] = {}
    door = _memo(checks.check_door)
    place_name = _memo(checks.check_place_name)
    shared_check = _memo(lambda values: checks.check_resident(dict(values), partial=True))
    shared_keys = [k for k in SHARED_KEYS if k in cols]
    row_keys = [k for k in ("id_number", "sex", "birth_date", "phone", "notes") if k in cols]
    place_keys = [k for k in PLACE_KEYS if k in cols]
    n = 0
    if progress:
        progress(0, table.estimate)
    for n, (rownum, values) in enumerate(rows, 1):
        if progress and n % PROGRESS_EVERY == 0:
            progress(n, max(table.estimate, n))
        errors: list[dict] = []
        width = len(values)
        cell = {k: (values[i] if i < width else None) for k, i in cols.items()}
        row = RosterRow(row=rownum, clean={})

        # The ID number or phone copied from a masked export keeps the stored one.
        id_raw = cell.get("id_number")
        if isinstance(id_raw, str) and "*" in id_raw:
            masked = pii.normalize_id_number(id_raw)
            if _MASKED_ID.fullmatch(masked):
                row.masked_id = masked
            else:
                _row_error(errors, rownum, labels, "id_number", id_raw, _(
                    "This ID number is partly hidden (****). Type the full number, or leave "
                    "the cell empty."))
            cell["id_number"] = None
        phone_raw = cell.get("phone")
        if isinstance(phone_raw, str) and "*" in phone_raw:
            masked = pii.normalize_phone(phone_raw)
            if _MASKED_PHONE.fullmatch(masked):
                row.masked_phone = masked
                del cell["phone"]  # not a value to store
            else:
                _row_error(errors, rownum, labels, "phone", phone_raw, _(
                    "This phone number is partly hidden (****). Type the full number."))
                cell["phone"] = None

        # Resident fields: checks.check_resident, once per row for the fields that are
        # different in every row, once per distinct combination for the others.
        data = {"name": cell.get("name")}
        for key in row_keys:
            if key in cell and (key not in KEEP_WHEN_EMPTY or _filled(cell[key])):
                data[key] = cell[key]
        shared = tuple((k, cell[k]) for k in shared_keys
                       if k not in KEEP_WHEN_EMPTY or _filled(cell[k]))
        status, shared_clean = shared_check(shared)
        if status == "error":
            for key, messages in shared_clean.items():
                for m in messages:
                    _row_error(errors, rownum, labels, key, cell.get(key), m)
        clean = None
        try:
            clean = checks.check_resident(data, partial=True)
        except Invalid as e:
            for key, messages in e.fields.items():
                for m in messages:
                    _row_error(errors, rownum, labels, key, data.get(key, cell.get(key)), m)
        if clean is not None and status == "ok":
            clean.update(shared_clean)
            row.clean = clean
            idn = clean.get("id_number")
            if idn:
                row.id_hash = pii.lookup_hash(idn)
                if idn in seen_ids:
                    _row_error(errors, rownum, labels, "id_number", idn, _(
                        "The same ID number is already on row %(row)d.") % {"row": seen_ids[idn]})
                else:
                    seen_ids[idn] = rownum

        # Door and places.
        status, value = door(cell.get("door"))
        if status == "ok":
            row.door = value
        else:
            for m in value:
                _row_error(errors, rownum, labels, "door", cell.get("door"), m)
        for key in place_keys:
            if _filled(cell[key]):
                status, value = place_name(cell[key])
                if status == "ok":
                    setattr(row, key, value)
                else:
                    for m in value:
                        _row_error(errors, rownum, labels, key, cell[key], m)

        # The same person twice: same address and name, and at most one ID number.
        if row.clean and row.door:
            where = (row.grid, row.compound, _place_key(Kind.BUILDING, row.building),
                     _place_key(Kind.UNIT, row.unit), row.door, row.name)
            has_id = row.id_hash is not None
            seen = seen_names.get(where)
            if seen is not None and not (has_id and seen[1]):
                _row_error(errors, rownum, labels, "name", row.name, _(
                    "The same person (same address and name) is already on row %(row)d.")
                    % {"row": seen[0]})
            elif seen is None:
                seen_names[where] = (rownum, has_id)

        if errors:
            out.errors.extend(errors)
        else:
            out.rows.append(row)
    if progress:
        progress(n, n)


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


def count_data_rows(filename: str, content: bytes, limit: int) -> int:
    """Rows that hold a person, counting no further than limit + 1 (cheap for big files).

    0 for a file that cannot be read: its import is rejected at once anyway.
    """
    try:
        table = _open_table(filename, content)
    except _FileProblem:
        return 0
    try:
        n = 0
        for _row in _data_rows(table, Parsed()):
            n += 1
            if n > limit:
                break
        return n
    except _FileProblem:
        return 0
    finally:
        table.close()


# --- places ------------------------------------------------------------------

_BUILDING_NO = re.compile(r"(\d+)(号楼|号|栋|幢|楼|#|座)?")
_UNIT_NO = re.compile(r"(\d+)(单元|号)?")


@functools.lru_cache(maxsize=65536)
def _place_key(kind, name: str) -> str:
    """Names that mean the same place: "3", "3号楼", "3栋" are one building; "2", "2单元"…"""
    n = re.sub(r"\s+", "", name or "").lower()
    if kind == Kind.BUILDING and (m := _BUILDING_NO.fullmatch(n)):
        return f"#{int(m.group(1))}"
    if kind == Kind.UNIT and (m := _UNIT_NO.fullmatch(n)):
        return f"#{int(m.group(1))}"
    return n


def _new_place_name(kind, name: str) -> str:
    """A bare number written in the 楼栋 / 单元 column names the place the usual way."""
    if name.isdigit():
        if kind == Kind.BUILDING:
            return f"{int(name)}号楼"
        if kind == Kind.UNIT:
            return f"{int(name)}单元"
    return name


class _Node:
    """A place in the tree below the import place: existing, or to be created."""

    __slots__ = ("place", "parent", "kind", "name", "token")

    def __init__(self, kind, name, place=None, parent=None):
        self.kind, self.name, self.place, self.parent = kind, name, place, parent
        self.token = ("p", place.id) if place is not None else ("n", id(self))


class _NewHousehold:
    """A household to be created; `row` becomes its column values once it has an id."""

    __slots__ = ("node", "door", "row")

    def __init__(self, node, door):
        self.node, self.door, self.row = node, door, None


HOUSEHOLD_COLUMNS = ["id", "place_id", "door", *LEVEL_FIELDS]


# --- the import --------------------------------------------------------------

class _Plan:
    """Everything the import will write, worked out before writing anything."""

    def __init__(self, actor, place: Place, parsed: Parsed):
        self.actor, self.place, self.parsed = actor, place, parsed
        self.errors: list[dict] = []
        self.new_nodes: list[_Node] = []
        self.new_households: dict[tuple, _NewHousehold] = {}
        self.creates: list[tuple[Resident, object]] = []  # (resident, household or _NewHousehold)
        self.updates: list[tuple[Resident, dict]] = []  # (resident, changes)
        self.moves: dict[int, object] = {}  # resident id → household or _NewHousehold
        self.unchanged = 0

    def err(self, row: RosterRow, key, value, message):
        _row_error(self.errors, row.row, self.parsed.columns, key, value, message)

    # loading
    def load(self):
        place = self.place
        kind = Kind(place.kind)
        self.kind = kind
        self.above = {p.kind: p for p in ancestors(place)}
        self.above[kind] = place
        nodes: dict[int, _Node] = {}
        self.children: dict[tuple, dict[str, list[_Node]]] = defaultdict(dict)
        self.compounds_in_community: dict[str, list[_Node]] = defaultdict(list)
        self.place_names: dict[int, str] = {}
        for p in Place.objects.filter(**under(place), kind__in=LEVELS).order_by("depth", "id"):
            nodes[p.id] = node = _Node(p.kind, p.name, place=p)
            self.place_names[p.id] = p.name
            if p.id == place.id:
                continue
            parent = nodes.get(p.parent_id)
            if parent is None:
                continue
            node.parent = parent
            self.children[(parent.token, p.kind)].setdefault(_place_key(p.kind, p.name), []).append(node)
            if p.kind == Kind.COMPOUND:
                self.compounds_in_community[_place_key(p.kind, p.name)].append(node)
        self.root = nodes[place.id]
        # Households as plain dicts of their columns: one query, no model per row.
        self.households = {(("p", h["place_id"]), h["door"]): h for h in
                           Household.objects.filter(**under(place)).values(*HOUSEHOLD_COLUMNS)}
        self.by_hash: dict[str, Resident] = {}
        self.by_household_name: dict[tuple, list[Resident]] = defaultdict(list)
        for r in _residents(Resident.objects.filter(**under(place))):
            if r.id_hash:
                self.by_hash[r.id_hash] = r
            self.by_household_name[(r.household_id, r.name)].append(r)
        # ID numbers registered outside the import place: movable if the actor may import
        # there too, otherwise an error.
        self.elsewhere: set[str] = set()
        wanted = [r.id_hash for r in self.parsed.rows if r.id_hash and r.id_hash not in self.by_hash]
        for i in range(0, len(wanted), BATCH):
            for r in _residents(Resident.objects.filter(id_hash__in=wanted[i:i + BATCH])):
                if self.actor.scope.allows(Perm.IMPORT, r):
                    self.by_hash[r.id_hash] = r
                else:
                    self.elsewhere.add(r.id_hash)

    # places
    def _child(self, parent: _Node, kind, name, row, column, create=True) -> _Node | None:
        """The child place called `name` (or "3" for "3号楼"), created in the plan if missing.

        None when it is missing and create is False, or when several places match (an
        error is recorded then)."""
        key = _place_key(kind, name)
        bucket = self.children[(parent.token, kind)]
        found = bucket.get(key)
        if found:
            exact = [n for n in found if n.name == name]
            if len(found) == 1 or len(exact) == 1:
                return exact[0] if exact else found[0]
            self.err(row, column, name, _(
                "Several places under %(parent)s match “%(name)s” (%(names)s): write the name "
                "exactly as one of them.") % {"parent": parent.name, "name": name,
                                               "names": "、".join(n.name for n in found)})
            return None
        if not create:
            return None
        node = _Node(kind, _new_place_name(kind, name), parent=parent)
        bucket[key] = [node]
        self.new_nodes.append(node)
        if kind == Kind.COMPOUND:
            self.compounds_in_community[key].append(node)
        return node

    def holder(self, row: RosterRow) -> _Node | None:
        """The unit or building the row's household hangs under (None: errors recorded)."""
        kind, ok = self.kind, True
        depth = LEVELS.index(kind)
        # Levels at or above the import place: the cell must be empty or name that place.
        for key in PLACE_KEYS:
            level = PLACE_KIND[key]
            value = getattr(row, key)
            if LEVELS.index(level) > depth or not value:
                continue
            anc = self.above.get(level)
            if anc is not None and _place_key(level, value) != _place_key(level, anc.name):
                self.err(row, key, value, _(
                    "“%(value)s” does not match the place you are importing into (%(place)s): "
                    "leave the cell empty or write “%(name)s”.") % {
                    "value": value, "place": self.place.name, "name": anc.name})
                ok = False
        if not ok:
            return None
        node = self.root
        if kind == Kind.COMMUNITY:
            grid = None
            if row.grid:
                grid = self._child(node, Kind.GRID, row.grid, row, "grid")
                if grid is None:
                    return None
            if not row.compound:
                self.err(row, "compound", "", _(
                    "The compound (小区) is required when importing into a community."))
                return None
            key = _place_key(Kind.COMPOUND, row.compound)
            if grid is not None:
                node = self._child(grid, Kind.COMPOUND, row.compound, row, "compound", create=False)
                if node is None:
                    if self.compounds_in_community.get(key):
                        self.err(row, "grid", row.grid, _(
                            "The compound “%(compound)s” exists in this community but not in the "
                            "grid “%(grid)s”. Correct the grid, or leave the grid cell empty.")
                            % {"compound": row.compound, "grid": row.grid})
                        return None
                    node = self._child(grid, Kind.COMPOUND, row.compound, row, "compound")
            else:
                found = self.compounds_in_community.get(key, [])
                if len(found) > 1:
                    self.err(row, "compound", row.compound, _(
                        "There are several compounds called “%(compound)s” in this community "
                        "(in different grids): add a 网格 (grid) column to say which.")
                        % {"compound": row.compound})
                    return None
                node = found[0] if found else self._child(node, Kind.COMPOUND, row.compound,
                                                          row, "compound")
        elif kind == Kind.GRID:
            if not row.compound:
                self.err(row, "compound", "", _(
                    "The compound (小区) is required when importing into a grid."))
                return None
            node = self._child(node, Kind.COMPOUND, row.compound, row, "compound")
        if node is None:
            return None
        if kind in (Kind.COMMUNITY, Kind.GRID, Kind.COMPOUND):
            if not row.building:
                self.err(row, "building", "", _("The building (楼栋) is required."))
                return None
            node = self._child(node, Kind.BUILDING, row.building, row, "building")
        if node is not None and kind != Kind.UNIT and row.unit:
            node = self._child(node, Kind.UNIT, row.unit, row, "unit")
        return node

    def household(self, holder: _Node, door: str):
        hh = self.households.get((holder.token, door))
        if hh is None:
            hh = self.new_households.get((holder.token, door))
            if hh is None:
                hh = self.new_households[(holder.token, door)] = _NewHousehold(holder, door)
        return hh

    # matching
    def plan(self):
        matched: dict[int, int] = {}  # resident id → row
        new_resident = prototype(Resident)
        for row in self.parsed.rows:
            holder = self.holder(row)
            if holder is None:
                continue
            hh = self.household(holder, row.door)
            existing_hh = None if isinstance(hh, _NewHousehold) else hh
            same_name = (self.by_household_name.get((existing_hh["id"], row.name), [])
                         if existing_hh else [])
            r = None
            if row.id_hash:
                if row.id_hash in self.elsewhere:
                    self.err(row, "id_number", row.clean["id_number"], _(
                        "This person is already registered in another community. Ask that "
                        "community to move the person out first, then import again."))
                    continue
                r = self.by_hash.get(row.id_hash)
                if r is None:
                    # Someone registered without an ID number gets it now.
                    without = [x for x in same_name if not x.id_hash]
                    r = without[0] if len(without) == 1 else None
            else:
                candidates = same_name
                if row.masked_id:
                    candidates = [x for x in same_name if x.id_masked == row.masked_id]
                    if not candidates:
                        self.err(row, "id_number", row.masked_id, _(
                            "This ID number is partly hidden (****) and does not belong to a "
                            "person of this name in this household. Type the full number."))
                        continue
                if len(candidates) > 1:
                    self.err(row, "name", row.name, _(
                        "Several people called “%(name)s” live in this household: add their ID "
                        "numbers to tell them apart.") % {"name": row.name})
                    continue
                r = candidates[0] if candidates else None
            if row.masked_phone and (r is None or pii.mask_phone(r.phone) != row.masked_phone):
                self.err(row, "phone", row.masked_phone, _(
                    "This phone number is partly hidden (****). Type the full number."))
                continue
            if r is None:
                new = new_resident()
                new.token = new_token()
                apply_resident_fields(new, row.clean)
                self.creates.append((new, hh))
                continue
            if r.id in matched:
                self.err(row, "name", row.name, _("This is the same person as on row %(row)d.")
                         % {"row": matched[r.id]})
                continue
            matched[r.id] = row.row
            changes = apply_resident_fields(r, row.clean)
            if existing_hh is None or r.household_id != existing_hh["id"]:
                changes["household"] = [r.household_id, ""]  # labels filled in when written
                self.moves[r.id] = hh
            if changes:
                self.updates.append((r, changes))
            else:
                self.unchanged += 1

    # writing
    @staticmethod
    def _household_labels(ids) -> dict[int, str]:
        """{household id: "1单元 101"} in one query (for the audit trail of moves)."""
        if not ids:
            return {}
        return {h.id: f"{h.place.name} {h.door}"
                for h in Household.objects.filter(id__in=ids).select_related("place")}

    def write(self, job: ImportJob):
        now = timezone.now()
        user = self.actor.user if self.actor.user and self.actor.user.is_authenticated else None
        new_event = prototype(AuditEvent, actor=user, via=self.actor.via, ip=self.actor.ip,
                              at=now)
        events = []

        def event(action, target, changes):
            ev = new_event()
            ev.action, ev.target_type, ev.target_id = action, type(target).__name__.lower(), target.pk
            ev.target_label, ev.changes = str(target)[:200], changes
            for f in LEVEL_FIELDS:
                setattr(ev, f, getattr(target, f))
            events.append(ev)

        # Places, parents first. Ids are reserved in advance so that each place carries its
        # own id in its level column from the start (no second UPDATE).
        nodes = sorted(self.new_nodes, key=lambda n: LEVELS.index(n.kind))
        objs = []
        for n, pk in zip(nodes, allocate_ids(Place, len(nodes)), strict=True):
            parent = n.parent.place
            p = Place(id=pk, kind=n.kind, name=n.name, parent=parent, depth=parent.depth + 1,
                      sort_key=natural_key(n.name), created_at=now)
            p.copy_levels(parent)
            setattr(p, f"{n.kind}_id", pk)
            n.place = p
            self.place_names[pk] = p.name
            objs.append(p)
        _insert(Place, objs)

        # Households: ids reserved first, so that residents can point at them.
        new_hh = list(self.new_households.values())
        make_hh = prototype(Household, created_at=now, updated_at=now)
        objs = []
        for h, pk in zip(new_hh, allocate_ids(Household, len(new_hh)), strict=True):
            obj = make_hh()
            obj.id, obj.place_id, obj.door, obj.sort_key = pk, h.node.place.id, h.door, natural_key(h.door)
            obj.copy_levels(h.node.place)
            h.row = {c: getattr(obj, c) for c in HOUSEHOLD_COLUMNS}
            objs.append(obj)
        _insert(Household, objs)

        def columns(hh) -> dict:
            return hh.row if isinstance(hh, _NewHousehold) else hh

        def place_hh(r, hh):
            # Plain attribute writes: these are fresh or freshly loaded instances with no
            # related objects cached, so the FK descriptors have nothing to invalidate.
            r.__dict__.update({"household_id": hh["id"], **{f: hh[f] for f in LEVEL_FIELDS}})

        # New residents.
        new_people = []
        for r, hh in self.creates:
            place_hh(r, columns(hh))
            r.created_at = r.updated_at = now
            new_people.append(r)
        _insert(Resident, new_people)

        # Updated residents (some moved to another household).
        fields = {"updated_at"}
        field_map = {"name": ["name", "pinyin", "initials"],
                     "id_number": ["id_hash", "id_enc", "id_head", "id_tail"],
                     "phone": ["phone", "phone_tail"],
                     "household": ["household", *[f.removesuffix("_id") for f in LEVEL_FIELDS]]}
        old_labels = self._household_labels(
            {c["household"][0] for _r, c in self.updates if "household" in c})
        changed = []
        for r, changes in self.updates:
            if r.id in self.moves:
                hh = columns(self.moves[r.id])
                place_hh(r, hh)
                changes["household"] = [old_labels.get(changes["household"][0], ""),
                                        f"{self.place_names.get(hh['place_id'], '')} {hh['door']}"]
            r.updated_at = now
            for key in changes:
                fields.update(field_map.get(key, [key]))
            changed.append(r)
            event("resident.update", r, changes)
        if changed:
            Resident.objects.bulk_update(changed, sorted(fields), batch_size=500)
        record_many(events)
        counts = {
            "created": len(new_people), "updated": len(changed), "unchanged": self.unchanged,
            "households_created": len(new_hh), "places_created": len(nodes),
        }
        new_places = [f"{self.place_names.get(n.parent.place.id, '')} {n.name}".strip()
                      for n in nodes]
        record(self.actor, "registry.import", self.place,
               {"job": job.id, "file": job.filename, "rows": self.parsed.total, **counts,
                "new_places": new_places[:200]})
        return counts


def _residents(qs):
    """Residents of a queryset as model instances, without Model.__init__ per row (which
    costs more than the query for 100,000 rows)."""
    make = prototype(Resident)
    names = [f.attname for f in Resident._meta.concrete_fields]
    for values in qs.values_list(*names):
        r = make()
        r.__dict__.update(zip(names, values, strict=True))
        r._state.adding, r._state.db = False, qs.db
        yield r


def _insert(model, objs):
    """Insert unsaved instances, fast: COPY on PostgreSQL (core.bulk), one executemany
    per batch elsewhere (bulk_create compiles SQL per value and is several times slower).
    Instances without a primary key get one from the database."""
    if not objs:
        return
    conn = connections[router.db_for_write(model)]
    if conn.vendor == "postgresql":
        bulk_insert(model, objs, batch_size=BATCH)
        return
    with_pk = getattr(objs[0], model._meta.pk.attname) is not None
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    names = [f.attname for f in fields]
    # Text, numbers, booleans and ids go to the driver as they are; the others (dates,
    # times, JSON) through the field, once per distinct value.
    prepped = [(i, f) for i, f in enumerate(fields)
               if f.get_internal_type() not in _PLAIN_FIELDS]
    memo: dict = {}
    qn = conn.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with conn.cursor() as cur:
        for start in range(0, len(objs), 5 * BATCH):
            rows = []
            for o in objs[start:start + 5 * BATCH]:
                d = o.__dict__
                row = [d[a] for a in names]
                for i, f in prepped:
                    v = row[i]
                    if v is not None:
                        key = (i, v)
                        if key not in memo:
                            memo[key] = f.get_db_prep_save(v, conn)
                        row[i] = memo[key]
                rows.append(row)
            cur.executemany(sql, rows)


_PLAIN_FIELDS = {"AutoField", "BigAutoField", "SmallAutoField", "BigIntegerField", "IntegerField",
                 "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
                 "PositiveBigIntegerField", "CharField", "TextField", "BooleanField",
                 "ForeignKey"}


def _sorted_errors(errors: list[dict]) -> list[dict]:
    errors.sort(key=lambda e: (e["row"], e.get("_order", -1)))
    for e in errors:
        e.pop("_order", None)
    return errors


def _set_progress(job_id):
    def progress(done, total):
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)
    return progress


def run_import(job_id: int, *, actor=None, progress=None) -> ImportJob:
    """Run one import job to its end: done, rejected (with errors) or failed.

    `actor` defaults to the job's user (the background task); `progress(done, total)` is
    called as rows are checked, after the job row itself is updated. Runs only a job that
    is still queued, so a task delivered twice does the work once.
    """
    from fangkong.core.actor import Actor

    taken = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.READING)
    job = ImportJob.objects.select_related("place", "user").get(pk=job_id)
    if not taken:
        return job
    if actor is None:
        actor = Actor.system(job.user, via="import")
    try:
        _run(job, actor, progress)
    except Exception as e:
        log.exception("import %s failed", job.id)
        job.status = ImportJob.Status.FAILED
        if isinstance(e, IntegrityError):
            job.message = _("The registry changed while this file was being imported (someone "
                            "saved the same person or place at the same time). Nothing was "
                            "imported: please import the file again.")
        else:
            job.message = _("The import failed because of an internal error; nothing was "
                            "imported. Please try again or tell your administrator.")
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "message", "finished_at"])
    return job


def _run(job: ImportJob, actor, progress):
    place = job.place
    if not actor.scope.allows(Perm.IMPORT, place):
        return _reject(job, [_file_error(_("You are not allowed to import into %(place)s.")
                                         % {"place": place.name})], 0)
    save_progress = _set_progress(job.id)

    def on_progress(done, total):
        save_progress(done, total)
        if progress:
            progress(done, total)

    parsed = _parse(job.filename, bytes(job.content), progress=on_progress)
    if parsed.structural:
        return _reject(job, parsed.errors, parsed.total)
    # Columns the import place makes necessary.
    kind = Kind(place.kind)
    need = []
    if kind in (Kind.COMMUNITY, Kind.GRID) and "compound" not in parsed.columns:
        need.append("compound")
    if kind in (Kind.COMMUNITY, Kind.GRID, Kind.COMPOUND) and "building" not in parsed.columns:
        need.append("building")
    if need:
        return _reject(job, [_missing_columns_error(need, parsed.header_row)], parsed.total)
    plan = _Plan(actor, place, parsed)
    plan.load()
    plan.plan()
    errors = parsed.errors + plan.errors
    if errors:
        return _reject(job, errors, parsed.total)
    job.status = ImportJob.Status.WRITING
    job.total_rows = job.processed_rows = parsed.total
    job.save(update_fields=["status", "total_rows", "processed_rows"])
    with transaction.atomic():
        counts = plan.write(job)
        job.status = ImportJob.Status.DONE
        job.created_count = counts["created"]
        job.updated_count = counts["updated"]
        job.unchanged_count = counts["unchanged"]
        job.households_created = counts["households_created"]
        job.places_created = counts["places_created"]
        job.error_count, job.errors = 0, []
        message = _("Imported %(rows)d rows: %(created)d new, %(updated)d updated, "
                    "%(unchanged)d unchanged.") % {"rows": parsed.total, **counts}
        if parsed.ignored:
            message += " " + _("Columns not imported: %(columns)s.") % {
                "columns": "、".join(parsed.ignored)}
        job.message = message[:500]
        job.finished_at = timezone.now()
        job.save(update_fields=RESULT_FIELDS)


RESULT_FIELDS = ["status", "total_rows", "processed_rows", "created_count", "updated_count",
                 "unchanged_count", "households_created", "places_created", "error_count",
                 "errors", "message", "finished_at"]


def _reject(job: ImportJob, errors: list[dict], total: int):
    errors = _sorted_errors(errors)
    job.status = ImportJob.Status.REJECTED
    job.error_count = len(errors)
    job.errors = errors[:MAX_STORED_ERRORS]
    job.total_rows = total
    job.processed_rows = total
    if len(errors) == 1 and errors[0]["row"] == FILE_ROW:
        job.message = errors[0]["message"][:500]
    else:
        job.message = _("%(n)d problems found; nothing was imported. Correct the file and "
                        "import it again.") % {"n": len(errors)}
    job.finished_at = timezone.now()
    job.save(update_fields=RESULT_FIELDS)


# --- the entry point ---------------------------------------------------------

def create_job(actor, place: Place, filename: str, content: bytes) -> ImportJob:
    """Check the actor may import here and the file's size; store the file as a queued job."""
    require(actor, Perm.IMPORT, place)
    if place.kind not in IMPORT_KINDS:
        raise Invalid(fields={"place": [_(
            "A roster can be imported into a community, grid, compound, building or unit.")]})
    limit = settings.FANGKONG_IMPORT_MAX_BYTES
    if len(content) > limit:
        raise Invalid(fields={"file": [_(
            "The file is too large (%(size)s MB); the limit is %(limit)s MB. Split it into "
            "several files.") % {"size": round(len(content) / 1048576, 1),
                                 "limit": round(limit / 1048576, 1)}]})
    if not content:
        raise Invalid(fields={"file": [_("The file is empty.")]})
    user = actor.user if actor.user and actor.user.is_authenticated else None
    if user is None:
        raise Invalid(fields={"user": [_("An import must be made by a user.")]})
    name = (filename or "roster").replace("\\", "/").rsplit("/", 1)[-1][:200]
    return ImportJob.objects.create(user=user, place=place, filename=name, content=content,
                                    sha256=hashlib.sha256(content).hexdigest())


def start_import(actor, place: Place, filename: str, content: bytes) -> ImportJob:
    """Action: check the actor may import into the place and the file's size, store the job,
    then run it in the request when it is small, or in the task worker when it is not."""
    job = create_job(actor, place, filename, content)
    inline = settings.FANGKONG_IMPORT_INLINE_ROWS
    if count_data_rows(job.filename, content, inline) <= inline:
        run_import(job.id, actor=actor)
    else:
        from .tasks import run_import_task

        run_import_task.enqueue(job.id, get_language())
    job.refresh_from_db()
    return job


__all__ = ["COLUMNS", "RosterRow", "count_data_rows", "create_job", "parse_roster",
           "run_import", "start_import"]
