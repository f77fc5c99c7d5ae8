"""Validation of screening input: one set of rules for pages, the API and uploads.

Functions take raw values and return clean ones or raise Invalid with messages per field
(or per row), in the user's language. They never touch the database.
"""

import datetime
import math
import re
import unicodedata
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from fangkong.core import access as access_rules
from fangkong.core import pii
from fangkong.core.clean import bounded, clean, client_id_words, in_utc, limit_of
from fangkong.core.errors import Invalid
from fangkong.registry import codes
from fangkong.registry.models import Presence

from .models import Exemption, ExemptReason, Result, Round, RoundKind

MAX_POOL = 50  # the default of settings.FANGKONG_MAX_POOL_SIZE; read it through max_pool()
MAX_BATCH = 2000
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
BARCODE = re.compile(r"^[A-Za-z0-9-]{4,40}$")
_SPACES = re.compile(r"\s+")
_ID_LIKE = re.compile(r"\d{17}[\dxX]")


def text(value, limit=200) -> str:
    """A code, number or word to parse (a barcode, a result, a count): clean, trimmed and
    cut to `limit` — what was cut could not have matched anyway. Free text that is kept
    (names, notes) goes through `kept_text`, which refuses what is too long instead."""
    if type(value) is str and value.isascii() and value.isprintable():  # the usual case
        return value.strip()[:limit]
    return clean(pii.to_halfwidth("" if value is None else str(value))).strip()[:limit]


def kept_text(value, model, field, errors=None, *, name=None) -> str:
    """Free text to store in `model.field`: cleaned, refused past the field's max_length
    (the message names it; under `name` or the field's name)."""
    return bounded(value, limit_of(model, field), name or field, errors)


# A date and time as people and lab systems write it beside ISO (2026-12-07 22:40):
# 2026/12/7 22:40, 2026-12-7 22:40:05, 2026.12.7 22:40, 2026年12月7日 22:40 (or 22时40分).
_WRITTEN_TIME = re.compile(
    r"(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s+|T|\s*)(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})\s*(?:[:：分]\s*(?:(?P<S>\d{1,2})\s*秒?)?)?")
# An Excel serial (days since 1899-12-30) of a cell not formatted as a date: 2000 to 2099.
_SERIAL = re.compile(r"\d{5}(\.\d+)?")
_SERIAL_RANGE = (36526, 73051)


def time_examples() -> list[str]:
    """Today at 07:00 in each way `check_datetime` reads: ISO, 2026/12/7, 2026年12月7日 (the
    examples a lab reads are of this year: one of 2022 invited a year long gone)."""
    d = timezone.localdate()
    return [f"{d:%Y-%m-%d} 07:00", f"{d.year}/{d.month}/{d.day} 07:00", f"{d.year}年{d.month}月{d.day}日 07:00"]


def datetime_example() -> str:
    """The error's example: "2026-12-07 07:00 or 2026/12/7 07:00"."""
    iso, written, _cn = time_examples()
    return _("%(iso)s or %(written)s") % {"iso": iso, "written": written}


def _written(raw: str):
    """A date and time written as `_WRITTEN_TIME` reads it, or None."""
    m = _WRITTEN_TIME.fullmatch(raw)
    if m is None:
        return None
    try:
        return datetime.datetime(int(m["y"]), int(m["m"]), int(m["d"]), int(m["H"]), int(m["M"]),
                                 int(m["S"] or 0))
    except ValueError:
        return None


def _serial(value):
    """An Excel serial date (a number, or its digits as text) as a date and time, or None."""
    from openpyxl.utils.datetime import from_excel

    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
    elif isinstance(value, str) and _SERIAL.fullmatch(value.strip()):
        number = float(value.strip())
    else:
        return None
    if not _SERIAL_RANGE[0] <= number < _SERIAL_RANGE[1]:
        return None
    return from_excel(number)


def check_datetime(value, field, errors, *, required=True, serial=False):
    """A date and time from outside → aware UTC (`core.clean.in_utc`), or None with the
    field's error. ISO (the API, the forms), and as people write it (`_WRITTEN_TIME`:
    2026/12/7 22:40, 2026年12月7日 22:40); a spreadsheet's date cell comes as a datetime
    (or a date: its midnight); `serial`: an Excel serial number too (a lab file's cell not
    formatted as a date)."""
    if isinstance(value, datetime.datetime):
        dt = value
    elif isinstance(value, datetime.date):
        dt = datetime.datetime.combine(value, datetime.time())
    elif serial and (dt := _serial(value)) is not None:
        pass
    else:
        raw = text(value, 40)
        if not raw:
            if required:
                errors[field] = [_("This field is required.")]
            return None
        dt = None
        try:
            dt = parse_datetime(raw.replace(" ", "T", 1))
        except ValueError:
            pass
        if dt is None:
            dt = _written(raw)
        if dt is None:
            errors[field] = [_("Enter a date and time such as %(example)s.") % {"example": datetime_example()}]
            return None
    return in_utc(dt)


def check_round(data) -> dict:
    """name, kind, starts_at, ends_at, pool_size → clean values (an antigen round's
    pool_size: 1)."""
    errors, out = {}, {}
    out["name"] = kept_text(data.get("name"), Round, "name", errors)
    if not out["name"]:
        errors["name"] = [_("Give the round a name.")]
    kind = text(data.get("kind") or RoundKind.PCR)
    if kind not in RoundKind.values:
        errors["kind"] = [_("Choose PCR or antigen.")]
    out["kind"] = kind
    out["starts_at"] = check_datetime(data.get("starts_at"), "starts_at", errors)
    out["ends_at"] = check_datetime(data.get("ends_at"), "ends_at", errors)
    if out["starts_at"] and out["ends_at"] and out["ends_at"] <= out["starts_at"]:
        errors["ends_at"] = [_("The round must end after it starts.")]
    # people per tube do not apply to antigen (one result a person, no tube): stored as 1,
    # whatever the form or the API sent (the form hides the field for antigen)
    out["pool_size"] = 1 if kind == RoundKind.ANTIGEN else \
        check_pool_size(data.get("pool_size", 10), "pool_size", errors)
    if errors:
        raise Invalid(fields=errors)
    return out


def max_pool() -> int:
    """The most people one tube may pool (settings.FANGKONG_MAX_POOL_SIZE). A limit of the
    test's sensitivity — each added swab dilutes a positive one, and past a point a weak
    positive is missed — not of the arithmetic: the advisor shows the optimum beyond it."""
    return getattr(settings, "FANGKONG_MAX_POOL_SIZE", MAX_POOL)


def _whole(value, errors, field) -> int | None:
    """A whole number as sent (a number or its text), or None with the field's error."""
    if isinstance(value, bool):
        errors[field] = [_("Enter a whole number.")]
        return None
    try:
        return int(value if isinstance(value, int) else text(value, 20))
    except (TypeError, ValueError):
        errors[field] = [_("Enter a whole number.")]
        return None


def check_pool_size(value, field, errors):
    n = _whole(value, errors, field)
    if n is None:
        return None
    if not 1 <= n <= max_pool():
        errors[field] = [_("People per tube must be between 1 and %(n)d.") % {"n": max_pool()}]
        return None
    return n


MAX_TABLES = 100  # tables at one sampling point
MAX_ID = access_rules.MAX_ID  # a row id (the database's bigint): one definition, core.access
CLOCK_SLACK = datetime.timedelta(minutes=15)  # a lab's clock ahead of ours, still believed


def check_table(value, errors, field="table") -> int | None:
    """A table's number at a sampling point, 1 to MAX_TABLES (None: not given)."""
    if value in (None, ""):
        return None
    n = _whole(value, errors, field)
    if n is not None and not 1 <= n <= MAX_TABLES:
        errors[field] = [_("A table number is from 1 to %(n)d.") % {"n": MAX_TABLES}]
        return None
    return n


def check_point_id(value, errors, field="point") -> int | None:
    """A sampling point's id as sent (None: not given): a whole number a row could have.
    Whether it is one of the round's points is `actions.common.unknown_points`' question."""
    if value in (None, ""):
        return None
    n = _whole(value, errors, field)
    if n is not None and not 1 <= n <= MAX_ID:
        errors[field] = [no_such_point()]
        return None
    return n


def no_such_point() -> str:
    return _("This round has no such sampling point.")


# someone away or in hospital is so for every round, not one: their presence (the registry's)
# is the one home for it, set on the resident's page, the missing list's "Away…" / "In
# hospital…" or the residents API. An exemption with one of these reasons is refused (code
# `<reason>_is_presence`); old rows keep their label.
BY_PRESENCE = {ExemptReason.AWAY: Presence.AWAY, ExemptReason.HOSPITAL: Presence.HOSPITAL}


def reasons_offered() -> list[tuple[str, str]]:
    """The reasons an exemption may be given, as (value, label): every reason but those
    that are a presence (`BY_PRESENCE`). The exemptions page and the missing list's row
    offer these and only these."""
    return [(v, label) for v, label in ExemptReason.choices if v not in BY_PRESENCE]


def _is_presence(v) -> str:
    if v == ExemptReason.HOSPITAL:
        return _("Someone in hospital is not exempted round by round: tap “In hospital…” on their "
                 "row of the missing list, or set their presence to In hospital on the resident's page.")
    return _("Someone away is not exempted round by round: tap “Away…” on their row of the missing "
             "list, or set their presence to Away on the resident's page.")


def check_reason(value) -> str:
    v = text(value, 20)
    if v in BY_PRESENCE:
        raise Invalid(fields={"reason": [_is_presence(v)]}, code=f"{v}_is_presence")
    if v not in ExemptReason.values:
        raise Invalid(fields={"reason": [_("Choose a reason.")]})
    return v


def check_exemption_note(reason, note) -> str:
    """The note of an exemption: required for "other" (the reason is the note; 免检 for 其他原因
    with nothing said was accepted before), cleaned and bounded."""
    note = kept_text(note, Exemption, "note")
    if reason == ExemptReason.OTHER and not note:
        raise Invalid(fields={"note": [_("Other reason: say what it is in a short note.")]},
                      code="note_required")
    return note


def check_barcode(value, field="barcode") -> str:
    v = text(value, 60).upper()
    if not BARCODE.match(v):
        raise Invalid(fields={field: [_("A tube or box code has 4 to 40 letters, digits or dashes.")]})
    return v


def check_tube_barcode(value, field="barcode") -> str:
    """A tube's barcode as a station opens it: `check_barcode`, and never a valid ID number.
    A person's ID card scanned when no tube was open (the last one sealed itself when full)
    would otherwise open a tube named after it; the person is not registered, and the real
    tube scanned next is refused until the empty one is sealed. A random 18-digit tube
    barcode passes an ID number's date and check digit about once in 100,000."""
    v = check_barcode(value, field)
    if is_id_number(v):
        raise Invalid(fields={field: [_("This is an ID number, not a tube: scan the new tube first, "
                                        "then the people.")]})
    return v


def is_id_number(v: str) -> bool:
    """An 18-character ID number with a valid date and check digit."""
    if not _ID_LIKE.fullmatch(v):
        return False
    try:
        pii.validate_id_number(v)
    except Exception:
        return False
    return True


def parse_person(value) -> tuple[str, str]:
    """What a station scanned or typed for a person → (kind, key):
    ("token", the token's key `codes.token_key`: lower case, look-alikes folded) for a
    personal code in any form `codes.parse_code` reads (FK1: prefixed or bare, any case, O
    typed for 0 and the like, inside a URL, with a scanner's Enter), ("id", lookup
    hash) for an ID number, ("resident", "123") for a pick from the search list ("r:123").
    Raises Invalid for anything else. The ID number itself is never kept."""
    if type(value) is str:  # the usual forms first: a printed code as scanned, a bare token
        if value[:4] in ("FK1:", "fk1:") and codes.TOKEN.fullmatch(value, 4):
            return "token", codes.token_key(value[4:])
        if TOKEN.fullmatch(value) and not _ID_LIKE.fullmatch(value) and value[:3].upper() != "FK1":
            return "token", codes.token_key(value)
    token = codes.parse_code(value, bare=True)  # FK1 glued to the code: its prefix, no colon
    if token is not None:
        return "token", codes.token_key(token)
    raw = text(value, 300)
    compact = _SPACES.sub("", raw)
    if compact.startswith("r:") and compact[2:].isdigit():
        return "resident", compact[2:]
    if _ID_LIKE.fullmatch(compact):
        try:
            idn = pii.validate_id_number(compact)
        except Exception:
            raise Invalid(fields={"person": [_("The ID number %(id)s is not valid: check it "
                                               "and scan or type it again.")
                                             % {"id": mask_id(compact)}]}) from None
        return "id", pii.lookup_hash(idn)
    raise Invalid(fields={"person": [_("Not a sampling code or ID number.")]})


def tube_code(value) -> str | None:
    """`value` as a tube barcode if it can only be one (shorter than any personal code),
    else None: what a station scanned for a person when it was a second tube."""
    v = text(value, 60).upper()
    return v if BARCODE.fullmatch(v) and len(v) < 16 else None


def mask_id(raw: str) -> str:
    """An ID number as a station may show or speak it: its last four characters."""
    return "…" + raw[-4:].upper()


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def client_key(value) -> str:
    """A client id as the canonical UUID text (lower case, hyphens): the batch path keeps
    ids as text (UUID objects cost ~8 µs an event in creation, hashing and printing).
    Anything `uuid.UUID` accepts is accepted."""
    if type(value) is str and _CANONICAL_UUID.fullmatch(value):
        return value
    return str(check_client_id(value))


def check_client_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(value if type(value) is str else str(value))
    except (ValueError, TypeError, AttributeError):
        raise Invalid(fields={"client_id": [client_id_words()]}) from None


RESULT_WORDS = {
    Result.NEGATIVE: ["negative", "neg", "阴性", "-", "阴"],
    Result.POSITIVE: ["positive", "pos", "阳性", "+", "阳"],
    Result.INVALID: ["invalid", "无效", "复采"],
}
_RESULT = {w.lower(): v for v, words in RESULT_WORDS.items() for w in [*words, v.value]}


def check_result(value) -> str:
    v = _RESULT.get(text(value, 20).lower())
    if v is None:
        raise ValueError(_("Result must be negative, positive or invalid (阴性 / 阳性 / 无效)."))
    return v


# What labs write in a Ct column when there is no Ct (nothing amplified, or not run): the
# value is kept empty. Compared in lower case without spaces, after full-width → half-width.
NO_CT = frozenset({"/", "\\", "-", "--", "—", "——", "–", "_", "×", "x", "*", "无", "未检出", "阴性",
                   "未扩增", "无ct", "noct", "n/a", "na", "nd", "none", "null", "neg", "negative",
                   "notdetected", "undetermined", "undet"})
# ">40", "≥40", "> 38.5": above the run's last cycle, i.e. none
_CT_ABOVE = re.compile(r"[>≥]=?\d+(\.\d+)?")


def check_ct(value):
    """A Ct value (0–50, two decimals), or None: blank or any way a lab writes "no Ct"
    (`NO_CT`, ">40"). A whole file was refused for "/" in its Ct columns (found walking
    the demo: twelve errors burying the one real one)."""
    raw = text(value, 30)
    key = unicodedata.normalize("NFKC", raw).lower().replace(" ", "")
    if not key or key in NO_CT or _CT_ABOVE.fullmatch(key):
        return None
    try:
        d = Decimal(raw)
    except InvalidOperation:
        raise ValueError(_("A Ct value is a number such as 32.5 (left blank, or “/” or 未检出, when "
                           "there is none).")) from None
    if not d.is_finite():
        raise ValueError(_("A Ct value lies between 0 and 50."))
    if not Decimal(0) <= d <= Decimal(50):
        raise ValueError(_("A Ct value lies between 0 and 50."))
    return d.quantize(Decimal("0.01"))


LAB_COLUMNS = ("barcode", "result", "ct_orf", "ct_n", "tested_at")


def check_lab_rows(rows) -> tuple[list[dict], list[dict]]:
    """Rows of {barcode, result, ct_orf, ct_n, tested_at} (raw) → (clean rows, row errors).

    Every row is read and every error of every row is listed (format of each value, a
    tube twice in the file), row numbers as given in `_row` (else 1-based). A row with an
    error is still returned with what could be read (a bad value is None), so the caller
    can check its tube in the same pass. Raises Invalid only for a file with no rows."""
    if not rows:
        raise Invalid(_("The file has no result rows."))
    out, errors = [], []
    for i, row in enumerate(rows, start=1):
        n = row.get("_row", i)
        clean = {"row": n}
        for field, fn in (("barcode", check_barcode), ("result", check_result),
                          ("ct_orf", check_ct), ("ct_n", check_ct)):
            try:
                clean[field] = fn(row.get(field))
            except (Invalid, ValueError) as e:
                message = next(iter(e.fields.values()))[0] if isinstance(e, Invalid) else e
                clean[field] = None
                errors.append({"row": n, "column": field, "value": text(row.get(field), 60),
                               "message": str(message)})
        errs = {}
        clean["tested_at"] = check_datetime(row.get("tested_at"), "tested_at", errs,
                                            required=False, serial=True) or timezone.now()
        if not errs and clean["tested_at"] > timezone.now() + CLOCK_SLACK:
            errs["tested_at"] = [_("This time of test has not come yet: check the date and time.")]
        if errs:
            errors.append({"row": n, "column": "tested_at", "value": text(row.get("tested_at"), 40),
                           "message": str(errs["tested_at"][0])})
        out.append(clean)
    seen = {}
    for r in out:
        if r["barcode"] is None:
            continue
        if r["barcode"] in seen:
            errors.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                           "message": _("The same tube appears twice (rows %(a)s and %(b)s).")
                           % {"a": seen[r["barcode"]], "b": r["row"]}})
            r["duplicate"] = True
        else:
            seen[r["barcode"]] = r["row"]
    return out, errors


def sorted_row_errors(errors) -> list[dict]:
    """Row errors in file order, and in column order within a row."""
    order = {c: i for i, c in enumerate(LAB_COLUMNS)}
    return sorted(errors, key=lambda e: (e["row"], order.get(e["column"], 99)))


def dorfman(k: int, p: float) -> float:
    """Expected tests per person with pools of k at prevalence p (Dorfman 1943):
    1/k + 1 − (1−p)^k for k > 1; a single tube is exactly 1 test per person."""
    if k == 1:
        return 1.0
    # 1 − (1−p)^k as −expm1(k·log1p(−p)): exact where (1−p)^k rounds to 1 (tiny p), so the
    # curve keeps its shape however small the prevalence.
    return 1.0 / k - math.expm1(k * math.log1p(-p))
