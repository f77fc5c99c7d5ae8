"""Reading a roster's rows and checking each of them (nothing is written here)."""

import dataclasses
import datetime
import logging
import re

from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.core import pii
from fangkong.core.errors import Invalid
from fangkong.core.said import messages, said

from .. import checks
from ..models import (
    Kind,
)
from .columns import (
    EXAMPLE_WORDS,
    KEEP_WHEN_EMPTY,
    PLACE_KEYS,
    PROGRESS_EVERY,
    SHARED_KEYS,
    TOTALS_WORDS,
    cell_error,
    file_error,
    filled,
    max_rows,
    missing_columns_error,
    place_key,
    refused_error,
    row_error,
    sorted_errors,
)
from .files import FileProblem, open_table
from .messages import (
    BELOW_TOTALS,
    COLUMNS_TWICE,
    ID_HIDDEN,
    ID_TWICE,
    NO_PEOPLE,
    PERSON_TWICE,
    PHONE_HIDDEN,
    TOO_MANY_ROWS,
)

log = logging.getLogger(__name__)


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
    relation: str = ""  # the relation cell as written ("户主", "本人"), for messages

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
    missing: list[str] = dataclasses.field(default_factory=list)  # required columns not found
    # When the file was made, as its title row says ("光明社区 居民 2026-12-07 09:27", as the
    # roster export writes it): a person's record changed after that is newer than the file.
    made_at: datetime.datetime | None = None


MADE_AT = re.compile(r"(20\d\d)-(\d\d)-(\d\d)\s+(\d\d):(\d\d)")


def made_at(above) -> datetime.datetime | None:
    """The time a title row above the header names (local time, to the minute), if any."""
    for values in above:
        for v in values or ():
            m = MADE_AT.search(str(v or ""))
            if m:
                try:
                    at = datetime.datetime(*map(int, m.groups()))
                except ValueError:
                    continue
                return timezone.make_aware(at)
    return None






def parse_roster(filename: str, content: bytes, *, progress=None
                 ) -> tuple[list[RosterRow], list[dict]]:
    """Read and check a roster without touching the database.

    Returns the checked rows and the errors, sorted by row (errors about the whole file
    have row 0). Rules that need the database (places, people registered elsewhere) are
    checked by `run_import`. `progress(done, total)` is called every few hundred rows
    (`total` is an estimate until the end).
    """
    parsed = parse(filename, content, progress=progress)
    return parsed.rows, sorted_errors(list(parsed.errors))


def parse(filename, content, *, progress=None) -> Parsed:
    out = Parsed()

    def structural(error):
        out.errors.append(error)
        out.structural = True
        return out

    try:
        table = open_table(filename, content)
    except FileProblem as e:
        return structural(refused_error(e))
    try:
        out.header_row, out.sheet = table.header_row, table.sheet
        out.columns, out.ignored = table.labels, table.ignored
        out.made_at = made_at(table.above)
        missing = out.missing = [k for k in ("name", "door") if k not in table.columns]
        if missing:
            structural(missing_columns_error(missing, table.header_row))
        for labels in table.duplicates.values():
            structural(cell_error(table.header_row, labels[1], labels[1],
                                  said(COLUMNS_TWICE, a=labels[0], b=labels[1])))
        if out.structural:
            return out
        _check_rows(_data_rows(table, out), table, out, progress)
    except FileProblem as e:
        out.rows = []
        return structural(refused_error(e))
    finally:
        table.close()
    if not out.total and not out.errors:
        return structural(file_error(said(NO_PEOPLE)))
    return out




def _data_rows(table, out: Parsed):
    """(row number, values) of the rows that hold a person; counts them in out.total."""
    cols = table.columns
    data_idx = [i for k, i in cols.items() if k != "seq"]
    seq_idx = cols.get("seq")
    after_totals = None
    for rownum, values in table.rows:
        width = len(values)
        for i in data_idx:
            if i < width and filled(values[i]):
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
            if filled(_cell(values, cols.get("name"))) and filled(_cell(values, cols.get("door"))):
                out.errors.append(cell_error(rownum, "", "", said(BELOW_TOTALS, totals=after_totals)))
            continue
        out.total += 1
        if out.total > max_rows():
            raise FileProblem(said(TOO_MANY_ROWS, max=max_rows()))
        yield rownum, values


def _cell(values, idx):
    if idx is None or idx >= len(values):
        return None
    return values[idx]




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
                hit = ("error", messages(e))
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
        row = RosterRow(row=rownum, clean={}, relation=str(cell.get("relation") or "").strip())

        # The ID number or phone copied from a masked export keeps the stored one.
        id_raw = cell.get("id_number")
        if isinstance(id_raw, str) and "*" in id_raw:
            masked = pii.normalize_id_number(id_raw)
            if _MASKED_ID.fullmatch(masked):
                row.masked_id = masked
            else:
                row_error(errors, rownum, labels, "id_number", id_raw, said(ID_HIDDEN))
            cell["id_number"] = None
        phone_raw = cell.get("phone")
        if isinstance(phone_raw, str) and "*" in phone_raw:
            masked = pii.normalize_phone(phone_raw)
            if _MASKED_PHONE.fullmatch(masked):
                row.masked_phone = masked
                del cell["phone"]  # not a value to store
            else:
                row_error(errors, rownum, labels, "phone", phone_raw, said(PHONE_HIDDEN))
                cell["phone"] = None

        # Resident fields: checks.check_resident, once per row for the fields that are
        # different in every row, once per distinct combination for the others.
        data = {"name": cell.get("name")}
        for key in row_keys:
            if key in cell and (key not in KEEP_WHEN_EMPTY or filled(cell[key])):
                data[key] = cell[key]
        shared = tuple((k, cell[k]) for k in shared_keys
                       if k not in KEEP_WHEN_EMPTY or filled(cell[k]))
        status, shared_clean = shared_check(shared)
        if status == "error":
            for key, messages in shared_clean.items():
                for m in messages:
                    row_error(errors, rownum, labels, key, cell.get(key), m)
        clean = None
        try:
            clean = checks.check_resident(data, partial=True)
        except Invalid as e:
            for key, messages in e.fields.items():
                for m in messages:
                    row_error(errors, rownum, labels, key, data.get(key, cell.get(key)), m)
        if clean is not None and status == "ok":
            clean.update(shared_clean)
            row.clean = clean
            idn = clean.get("id_number")
            if idn:
                row.id_hash = pii.lookup_hash(idn)
                if idn in seen_ids:
                    row_error(errors, rownum, labels, "id_number", idn,
                              said(ID_TWICE, row=seen_ids[idn]))
                else:
                    seen_ids[idn] = rownum

        # Door and places.
        status, value = door(cell.get("door"))
        if status == "ok":
            row.door = value
        else:
            for m in value:
                row_error(errors, rownum, labels, "door", cell.get("door"), m)
        for key in place_keys:
            if filled(cell[key]):
                status, value = place_name(cell[key])
                if status == "ok":
                    setattr(row, key, value)
                else:
                    for m in value:
                        row_error(errors, rownum, labels, key, cell[key], m)

        # The same person twice: same address and name, and at most one ID number.
        if row.clean and row.door:
            where = (row.grid, row.compound, place_key(Kind.BUILDING, row.building),
                     place_key(Kind.UNIT, row.unit), row.door, row.name)
            has_id = row.id_hash is not None
            seen = seen_names.get(where)
            if seen is not None and not (has_id and seen[1]):
                row_error(errors, rownum, labels, "name", row.name,
                          said(PERSON_TWICE, row=seen[0]))
            elif seen is None:
                seen_names[where] = (rownum, has_id)

        if errors:
            out.errors.extend(errors)
        else:
            out.rows.append(row)
    if progress:
        progress(n, n)


def count_data_rows(filename: str, content: bytes, limit: int) -> int:
    """Rows that hold a person, counting no further than limit + 1 (cheap for big files):
    no more than 10 × limit rows are read, so a file of empty rows is big too.

    0 for a file that cannot be read: its import is rejected at once anyway.
    """
    try:
        table = open_table(filename, content)
    except FileProblem:
        return 0
    try:
        if table.estimate <= limit:
            return table.estimate  # the rows present below the header, at most
        n, read, cap = 0, 0, 10 * limit + 100
        rows = table.rows

        def counted():
            nonlocal read
            for item in rows:
                read += 1
                if read > cap:
                    return
                yield item

        table.rows = counted()
        for _row in _data_rows(table, Parsed()):
            n += 1
            if n > limit:
                break
        return n if read <= cap else limit + 1
    except FileProblem:
        return 0
    finally:
        table.close()
