"""Text hygiene: what every piece of incoming text goes through, in one place.

Cleaned (removed, everywhere): NUL and the other C0/C1 control characters except tab,
newline and carriage return; the bidirectional controls (U+202A–U+202E, U+2066–U+2069,
U+200E/U+200F, U+061C) that make "苏霞\u202eabc" display backwards; invisible
zero-width space, word joiner and byte-order marks; unpaired surrogates. None of these
belongs in a name, an address or a note, and PostgreSQL refuses NUL outright. Letters of
every script stay, including the "·" (U+00B7) of names such as 阿卜杜拉·买买提, and the
zero-width joiners that emoji and some scripts need.

Where it runs: `core.middleware.TextHygieneMiddleware` cleans the query string, form
fields, upload names and cookies of every request and answers 404 to a path that holds
such a character; the API's parser (`fangkong.api.OrjsonParser`) cleans every string of a
JSON body; the checks modules' `text()` helpers clean spreadsheet cells; and a pre-save
hook (`refuse_overlong`) is the last line for anything written through `save()`.

Refused (never cut): text longer than its limit. `check_length` raises a ValidationError
that names the limit in the user's language; limits come from the model field
(`limit_of(Model, "field")`) so each is written once.
"""

import re
import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Characters removed from every incoming string.
UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 (but \t \n \r), DEL, C1
    "\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069"  # bidi controls, ZWSP, WJ
    "\ufeff\ufff9-\ufffb"  # BOM / zero-width no-break space, interlinear annotation
    "\ud800-\udfff]"  # unpaired surrogates (Python keeps them; PostgreSQL cannot)
)

# A JSON body that may hold any of them, escaped (\u0000, \u202e…) or as raw UTF-8. Bodies
# without a match (most station batches) skip the walk over their strings.
_BODY_SUSPECT = re.compile(
    rb"(?i:\\u(?:00[01][0-9a-f]|007f|00[89][0-9a-f]|061c|200[bef]|202[a-e]|206[0-9]|"
    rb"feff|fff[9ab]|d[89a-f][0-9a-f]{2}))"
    rb"|\x7f|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8b\x8e\x8f\xaa-\xae]|\xe2\x81[\xa0\xa6-\xa9]"
    rb"|\xef\xbb\xbf|\xef\xbf[\xb9-\xbb]"
)


# The bytes a match of _BODY_SUSPECT starts with: a body holding none of them (a station's
# 500-event batch, 60 KB of ASCII) is passed by a few memchr scans, not the regex's
# alternation tried at every position (1.3 ms for that batch).
_SUSPECT_STARTS = (b"\\u", b"\\U", b"\x7f", b"\xc2", b"\xd8", b"\xe2", b"\xef")


def clean(value: str) -> str:
    """`value` without the characters above (the same object when there are none)."""
    if UNSAFE.search(value) is None:
        return value
    return UNSAFE.sub("", value)


def has_unsafe(value: str) -> bool:
    return UNSAFE.search(value) is not None


def clean_data(value):
    """Every string (and key) of a parsed JSON value, cleaned."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {(clean(k) if isinstance(k, str) else k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    return value


def clean_body(raw: bytes, parsed):
    """A parsed JSON body, cleaned if its raw bytes may hold an unsafe character."""
    if raw and any(b in raw for b in _SUSPECT_STARTS) and _BODY_SUSPECT.search(raw):
        return clean_data(parsed)
    return parsed


def clean_querydict(qd):
    """A QueryDict (GET or POST) with every key and value cleaned; the same object when
    nothing needed it (the usual case)."""
    if not any(UNSAFE.search(k) or any(UNSAFE.search(v) for v in vs if isinstance(v, str))
               for k, vs in qd.lists()):
        return qd
    out = qd.copy()  # mutable
    out.clear()
    for k, vs in qd.lists():
        out.setlist(clean(k), [clean(v) if isinstance(v, str) else v for v in vs])
    out._mutable = False
    return out


# --- length limits --------------------------------------------------------------

def too_long(limit: int, length: int) -> str:
    return _("Write at most %(limit)d characters (this has %(length)d).") % {
        "limit": limit, "length": length}


def check_length(value: str, limit: int) -> str:
    """`value` if it fits in `limit` characters; a ValidationError naming the limit if not."""
    if len(value) > limit:
        raise ValidationError(too_long(limit, len(value)), code="max_length")
    return value


def bounded(value, limit: int, field: str, errors: dict | None = None, *,
            single_line: bool = True) -> str:
    """A text input, cleaned and trimmed (runs of spaces made one when `single_line`),
    checked against `limit`. Too long: the message naming the limit goes to
    `errors[field]`, or is raised as Invalid when no `errors` dict is given; the text comes
    back whole either way (never cut)."""
    if value is None:
        return ""
    v = clean(str(value))
    v = " ".join(v.split()) if single_line else v.strip()
    if len(v) > limit:
        message = too_long(limit, len(v))
        if errors is None:
            from fangkong.core.errors import Invalid

            raise Invalid(fields={field: [message]})
        errors.setdefault(field, []).append(message)
    return v


def limit_of(model, field: str) -> int:
    """The max_length of `model.field`: the one place a text limit is written."""
    return model._meta.get_field(field).max_length


def refuse_overlong(sender, instance, raw=False, **kwargs):
    """pre_save, for every model of the project: a CharField value longer than its
    max_length is refused (Invalid naming the field and the limit) instead of failing in
    PostgreSQL (a 500) or being stored whole by SQLite; unsafe characters are removed.
    The checks refuse over-long input earlier with the form's own field names; this is
    the last line for anything that reaches `save()` another way."""
    if raw:
        return
    from django.db import models

    from fangkong.core.errors import Invalid

    errors = {}
    for f in sender._meta.concrete_fields:
        if not isinstance(f, (models.CharField, models.TextField)):
            continue
        value = getattr(instance, f.attname, None)
        if not isinstance(value, str):
            continue
        if UNSAFE.search(value):
            value = UNSAFE.sub("", value)
            setattr(instance, f.attname, value)
        if f.max_length and len(value) > f.max_length:
            errors[f.name] = [too_long(f.max_length, len(value))]
    if errors:
        raise Invalid(fields=errors)


def in_utc(value):
    """A date-time as typed or sent, in UTC: naive means the site's time zone; an offset is
    whatever Python takes (up to ±23:59), and PostgreSQL refuses offsets past ±15:59, so
    every moment from outside goes through here before it is stored or compared."""
    import datetime

    from django.utils import timezone

    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(datetime.UTC)


def client_id(value, field="client_id"):
    """A phone's client id (a retry sends the same one, and the action answers what it did
    the first time) as a UUID; None when none was sent. Anything else is refused."""
    from .errors import Invalid

    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Invalid(fields={field: [client_id_words()]}) from None


CLIENT_ID_EXAMPLE = "3f2b8c1e-9a4d-4e7b-b1c2-5d6e7f8a9b0c"


def client_id_words() -> str:
    """What is wrong with a client id that is not one, in the reader's language: what it
    must be, with an example (the first call of a new client learns it from this)."""
    return _("Not a valid client id: it must be a UUID generated by the client, e.g. %(example)s.") % {
        "example": CLIENT_ID_EXAMPLE}
