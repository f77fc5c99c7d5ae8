"""Spreadsheet export: residents in the import template's layout, or any list.

`residents_xlsx` writes the columns the importer reads, in the template's order and
spellings, so an export can be corrected in Excel and imported again. Identifiers are
masked unless the actor may see them, and showing them is audited.
"""

import datetime
import io

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from fangkong.accounts.roles import Perm
from fangkong.audit.disclosure import (
    ids_in_full,
    record_ids_exported,
    record_phones,
    show_id,
    show_phone,
)
from fangkong.core.errors import NotFound

from .checks import KEY_GROUP_WORDS, PRESENCE_WORDS, RELATION_WORDS, SEX_WORDS, TAG_WORDS
from .importer import TEMPLATE_KEYS
from .importer.columns import export_header
from .models import Household, Place, Resident

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TEXT = "@"  # Excel's "Text" number format
WIDTHS = {"seq": 6, "name": 10, "sex": 6, "id_number": 21, "phone": 14, "compound": 14,
          "building": 9, "unit": 8, "door": 8, "relation": 11, "presence": 10, "tags": 20,
          "notes": 24, "birth_date": 12, "has_smartphone": 9, "key_group": 14}
TEXT_KEYS = {"id_number", "phone", "door", "building", "unit"}

# The word written for each stored value: the first (Chinese) spelling the importer accepts.
_WORD = {str(k): v[0] for table in (RELATION_WORDS, PRESENCE_WORDS, TAG_WORDS, SEX_WORDS)
         for k, v in table.items()}
SMARTPHONE_WORD = {True: "有", False: "无", None: "未知"}  # None: the roster did not say
_KEY_WORD = {str(k): v[0] for k, v in KEY_GROUP_WORDS.items()}  # own table: "other" is a relation too


def residents_xlsx(actor, residents: list[Resident], *, title: str, reveal_ids: bool = False,
                   extra=()) -> bytes:
    """The residents as an .xlsx roster in the import template's columns.

    The caller picks the residents (from `queries`, so inside the actor's scope) and checks
    Perm.EXPORT; a resident the actor may not see raises NotFound. `extra`: [(heading,
    a value per resident)] columns after the template's (the importer ignores them). ID numbers are written in
    full only when `reveal_ids` is asked and the actor holds Perm.REVEAL_ID on every row
    (one "resident.export_ids" audit event); otherwise masked. Phones are in full where the
    actor holds Perm.VIEW_PHONE (one "resident.view_phones" event), masked elsewhere.
    """
    residents = list(residents)
    scope = actor.scope
    for r in residents:
        if not scope.allows(Perm.VIEW_REGISTRY, r):
            raise NotFound()
    _load_households(residents)
    names = dict(Place.objects.filter(id__in={
        x for r in residents for x in (r.compound_id, r.building_id, r.unit_id) if x
    }).values_list("id", "name"))
    show_ids = ids_in_full(actor, residents, reveal_ids)

    rows, shown = [], []
    for n, r in enumerate(residents, 1):
        phone, masked = show_phone(actor, r)
        if r.phone and not masked:
            shown.append(r)
        values = {
            "seq": n,
            "name": r.name,
            "sex": _WORD.get(r.sex, ""),
            "id_number": show_id(r, show_ids),
            "phone": phone,
            "compound": names.get(r.compound_id, ""),
            "building": names.get(r.building_id, ""),
            "unit": names.get(r.unit_id, ""),
            "door": r.household.door,
            "relation": _WORD.get(r.relation, ""),
            "presence": _WORD.get(r.presence, ""),
            "tags": "、".join(_WORD.get(t, t) for t in r.tag_list),
            "notes": r.notes,
            "birth_date": r.birth_date.isoformat() if r.birth_date else "",
            "has_smartphone": SMARTPHONE_WORD[r.has_smartphone],
            "key_group": _KEY_WORD.get(r.key_group, ""),
        }
        rows.append([values[k] for k in TEMPLATE_KEYS] + [col[n - 1] for _h, col in extra])

    if show_ids:
        record_ids_exported(actor, residents, title)
    if shown:
        record_phones(actor, shown, f"export: {title}"[:200])

    english = not (get_language() or "zh-hans").lower().startswith("zh")
    header = [export_header(k, english) for k in TEMPLATE_KEYS] + [h for h, _col in extra]
    text_cols = {i for i, k in enumerate(TEMPLATE_KEYS) if k in TEXT_KEYS}
    widths = [WIDTHS.get(k, 12) for k in TEMPLATE_KEYS] + [12] * len(extra)
    # The headings in the reader's language, each one the importer reads ("Name (姓名)" in
    # English: `export_header`); the values in the template's words in both (男, 户主, 在家),
    # so the file can be corrected and imported again: the title row says so.
    heading = f"{title} " + _("(column headings and values as the import reads them; values in "
                               "the template's words: 男/女, 户主, 在家…)")
    return _write(heading, header, rows, text_cols=text_cols, widths=widths,
                  sheet_title=_("Residents"))


def rows_xlsx(title: str, header: list[str], rows: list[list], *, sheet_title: str | None = None) -> bytes:
    """Any list as an .xlsx: a title row, a header row, then the rows (text kept as text);
    `sheet_title`: the sheet's tab, when the title is longer than Excel's 31 characters."""
    widths = [max(8, min(40, len(str(h)) * 2 + 2)) for h in header]
    return _write(title, [str(h) for h in header], rows, widths=widths, sheet_title=sheet_title)


def _load_households(residents):
    """Make r.household available without a query per row."""
    missing = {r.household_id for r in residents if not Resident.household.is_cached(r)}
    if not missing:
        return
    households = Household.objects.in_bulk(missing)
    for r in residents:
        if not Resident.household.is_cached(r):
            r.household = households[r.household_id]


def _write(title, header, rows, *, text_cols=(), widths=None, sheet_title=None) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_safe_sheet_title(sheet_title or title))
    ncols = max(len(header), 1)
    for i, w in enumerate(widths or [], 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    for i in text_cols:
        # New values typed into these columns stay text (ID numbers keep their digits).
        ws.column_dimensions[get_column_letter(i + 1)].number_format = TEXT
    ws.freeze_panes = "A3"
    title_cell = WriteOnlyCell(ws, value=_clean(title))
    title_cell.font = TITLE_FONT
    title_cell.alignment = Alignment(horizontal="center")
    ws.append([title_cell])
    if ncols > 1:
        ws.merged_cells.add(f"A1:{get_column_letter(ncols)}1")
    head = []
    for h in header:
        c = WriteOnlyCell(ws, value=_clean(h))
        c.font, c.fill = HEADER_FONT, HEADER_FILL
        head.append(c)
    ws.append(head)
    for row in rows:
        out = []
        for i, v in enumerate(row):
            v = _value(v)
            if i in text_cols or (isinstance(v, str) and v.startswith(("=", "+", "-", "@"))):
                c = WriteOnlyCell(ws, value=v)
                if isinstance(v, str):
                    c.data_type = "s"  # never a formula
                if i in text_cols:
                    c.number_format = TEXT
                out.append(c)
            else:
                out.append(v)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _value(v):
    if isinstance(v, datetime.datetime) and v.tzinfo:
        return timezone.localtime(v).replace(tzinfo=None)  # Excel has no time zones
    if v is None or isinstance(v, (bool, int, float, datetime.date)):
        return v
    return _clean(str(v))


def _clean(text) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", str(text))[:32000]


SHEET_MAX = 31  # Excel's limit for a sheet's name


def _safe_sheet_title(title: str) -> str:
    """A sheet's name from a title, for every export: whole parts only. A title of parts
    ("12月7日全员核酸 未检人员 · 双塔社区 12-06 21:05") keeps the leading parts that fit in
    Excel's 31 characters ("12月7日全员核酸 未检人员 · 双塔社区"), never a part cut mid-time; a
    first part too long on its own ends with "…". The title row keeps the whole title."""
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    title = " ".join(title.split())
    if len(title) <= SHEET_MAX:
        return title or "Sheet1"
    parts = title.split(" · ")
    kept = parts[0]
    for part in parts[1:]:
        if len(f"{kept} · {part}") > SHEET_MAX:
            break
        kept = f"{kept} · {part}"
    return kept if len(kept) <= SHEET_MAX else kept[:SHEET_MAX - 1].rstrip() + "…"
