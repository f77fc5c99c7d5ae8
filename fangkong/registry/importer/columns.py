"""The roster's columns: names, accepted spellings, limits."""

import dataclasses
import functools
import logging
import re

from django.conf import settings

from fangkong.core import pii
from fangkong.core.said import kept, said

from .. import checks
from ..models import (
    Kind,
)
from .messages import COLUMN_SPELLINGS, COLUMNS_MISSING

log = logging.getLogger(__name__)

_ID_LIKE = re.compile(r"[\dXx]{9,}")  # looks like an ID number (masked in messages)


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
    Column("key_group", "重点岗位", ("重点行业", "从业类别", "职业类别", "重点人群类别", "key group",
                                    "key_group"),
           "可选：医务人员、隔离场所工作人员、冷链从业人员、快递外卖、商超、其他重点人群；"
           "空白或“无”为不属于。重点岗位人员核酸单管单检。",
           "Optional key group (sampled singly): 医务人员 medical staff, 隔离场所工作人员 "
           "quarantine-site staff, 冷链从业人员 port and cold-chain workers, 快递外卖 couriers "
           "and riders, 商超 shop and market staff, 其他重点人群 other; empty or 无 for none."),
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
                 "door", "relation", "presence", "tags", "notes", "birth_date", "has_smartphone",
                 "key_group"]
# The export's headings for a reader in English: each an English spelling the importer
# accepts (`ALIASES`), the template's Chinese name after it in brackets (dropped on reading,
# `norm_header`), so an English file reads back as the Chinese one does. The values stay the
# template's words (男/女, 户主, 在家…) in both languages: a tag in English has spaces, which
# separate tags.
EN_HEADERS = {"seq": "No.", "name": "Name", "sex": "Sex", "id_number": "ID number", "phone": "Phone",
              "grid": "Grid", "compound": "Compound", "building": "Building", "unit": "Unit",
              "door": "Door", "relation": "Relation", "presence": "Presence", "tags": "Tags",
              "key_group": "Key group", "notes": "Notes", "birth_date": "Birth date",
              "has_smartphone": "Smartphone"}


def export_header(key: str, english: bool) -> str:
    """A column's heading in an export: the template's (姓名), or "Name (姓名)" in English."""
    c = COLUMN[key]
    return f"{EN_HEADERS[key]} ({c.header})" if english else c.header


PLACE_KEYS = ["grid", "compound", "building", "unit"]
PLACE_KIND = {"grid": Kind.GRID, "compound": Kind.COMPOUND, "building": Kind.BUILDING,
              "unit": Kind.UNIT}
# Resident fields where an empty cell leaves the stored value as it is (the others clear it).
KEEP_WHEN_EMPTY = {"sex", "birth_date", "relation", "presence", "has_smartphone", "id_number"}
RESIDENT_KEYS = ["name", "id_number", "sex", "birth_date", "phone", "relation", "presence",
                 "has_smartphone", "tags", "key_group", "notes"]
# Fields that vary little between rows: checked once per distinct combination.
SHARED_KEYS = ("relation", "presence", "has_smartphone", "tags", "key_group")
TOTALS_WORDS = ("合计", "总计", "共计", "total")
EXAMPLE_WORDS = {"示例", "例", "样例", "example", "e.g."}


def norm_header(value) -> str:
    t = checks.text(value)
    t = re.sub(r"\s+", "", t).strip("*＊")
    t = re.sub(r"[（(][^（()）]*[)）]$", "", t)
    return t.rstrip(":：").lower()


ALIASES = {norm_header(a): c.key for c in COLUMNS for a in (c.header, *c.aliases)}


def _spellings(key) -> list[str]:
    """A column's name and its Chinese spellings (a list: `core.said` joins it as the
    reader's language writes a list)."""
    c = COLUMN[key]
    return [c.header, *(a for a in c.aliases if not a.isascii())]


def sorted_errors(errors: list[dict]) -> list[dict]:
    errors.sort(key=lambda e: (e["row"], e.get("_order", -1)))
    for e in errors:
        e.pop("_order", None)
    return errors


_BUILDING_NO = re.compile(r"(\d+)(号楼|号|栋|幢|楼|#|座)?")


_UNIT_NO = re.compile(r"(\d+)(单元|号)?")


@functools.lru_cache(maxsize=65536)
def place_key(kind, name: str) -> str:
    """Names that mean the same place: "3", "3号楼", "3栋" are one building; "2", "2单元"…"""
    n = re.sub(r"\s+", "", name or "").lower()
    if kind == Kind.BUILDING and (m := _BUILDING_NO.fullmatch(n)):
        return f"#{int(m.group(1))}"
    if kind == Kind.UNIT and (m := _UNIT_NO.fullmatch(n)):
        return f"#{int(m.group(1))}"
    return n


def new_place_name(kind, name: str) -> str:
    """A bare number written in the 楼栋 / 单元 column names the place the usual way."""
    if name.isdigit():
        if kind == Kind.BUILDING:
            return f"{int(name)}号楼"
        if kind == Kind.UNIT:
            return f"{int(name)}单元"
    return name


def cell_error(row, column, value, message) -> dict:
    """An error row as stored: `message` as written now and, for a said message, its `code`
    and `params`, to say it in the reader's language (`messages.error_rows`)."""
    value = "" if value is None else checks.text(value)
    return {"row": row, "column": column, "value": value[:60], "message": str(message),
            **kept(message)}


def file_error(message) -> dict:
    return cell_error(FILE_ROW, "", "", message)


def refused_error(refused) -> dict:
    """A FileRefused from reading the file, at its row and column when it names them."""
    return cell_error(refused.row or FILE_ROW, refused.column, "", refused.message)


def row_error(errors, rownum, labels, key, value, message):
    shown = checks.text(value)
    if key == "id_number" and _ID_LIKE.fullmatch(shown):
        shown = pii.mask_id_number(shown)  # identifiers are not kept in clear
    e = cell_error(rownum, labels.get(key, COLUMN[key].header), shown, message)
    e["_order"] = COLUMN_ORDER[key]
    errors.append(e)


def missing_columns_error(missing, header_row) -> dict:
    parts = [said(COLUMN_SPELLINGS, column=COLUMN[k].header, spellings=_spellings(k))
             for k in sorted(missing, key=COLUMN_ORDER.get)]
    return cell_error(header_row, "", "", said(COLUMNS_MISSING, columns=parts))


def filled(v) -> bool:
    return v is not None and (type(v) is not str or bool(v.strip()))
