"""The personal code: what a resident's QR code carries (`code_payload`: "FK1:<token>"),
the one parser of scanned or typed codes (`parse_code`), how a token is looked up
(`token_key`, `residents_by_token`) and the QR itself (`qr`, `svg_data_uri`). No scope, no
writes: `cards` prints and shows codes, `queries` and the station find people by them.
See `cards` for the format and why it is what it is.
"""

import re
import unicodedata
from urllib.parse import parse_qsl, unquote, urlsplit

import segno
from django.db.models.functions import Lower

from .models import Resident

PREFIX = "FK1:"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,32}")
_CODE = re.compile(r"FK1:([A-Za-z0-9_-]{16,32})", re.IGNORECASE)
_ID_LIKE = re.compile(r"\d{17}[\dxX]")
# What a scanner or a keyboard puts around a code: spaces, the Enter (CR, LF) and Tab that
# hand scanners end with, other control characters, a byte-order mark, no-break spaces.
_EDGES = "".join(map(chr, range(33))) + "\x7f\xa0\u200b\u3000\ufeff"
_INNER_SPACE = re.compile(r"[\s\u3000]+")  # between the groups of a typed code
MAX_SCAN = 300  # characters of scanned text looked at (a code is 26)
GROUP = 4  # characters a group in the typed form (read aloud, typed by hand)
QR_ERROR = "q"  # 25 % of the symbol may be damaged (a card lives in a pocket for weeks)


# --- the code ------------------------------------------------------------------

def code_payload(resident: Resident) -> str:
    """The exact text in a resident's QR code."""
    return PREFIX + resident.token


def typed_form(resident_or_token) -> str:
    """The code as a person reads it aloud and a station worker types it when the QR will
    not scan: the prefix, then the token in upper case in groups of four,
    `FK1: VX3P QE0M S2N7 YLK9 ABCD 1W`. `parse_code` reads it back as typed (the spaces, any
    case), so the station accepts exactly this; the cards and the codes page show it."""
    token = getattr(resident_or_token, "token", resident_or_token).upper()
    groups = [token[i:i + GROUP] for i in range(0, len(token), GROUP)]
    return PREFIX + " " + " ".join(groups)


def parse_code(text, *, bare: bool = False) -> str | None:
    """The token in a scanned or typed personal code, or None if it is not one of ours.

    The one parser of personal codes: the station (page and API, single scans and offline
    batches), the look-ups and the cards all read codes through it. It accepts what
    `code_payload` prints in every form a hand scanner, a phone camera or a person
    delivers it:

    - the prefix in any case (`FK1:`, `fk1:`), the whole text in any case (a scanner
      with Caps Lock on, or set to lower case: tokens are matched without case, see
      `token_key`);
    - surrounded by spaces, Enter (CR/LF), Tab or other control characters;
    - full-width letters, digits or colon (a Chinese input method was on: `ＦＫ１：…`);
    - inside a URL, as a path segment or a query value, escaped or not
      (`https://…/c/FK1:…`, `…?code=FK1%3A…`): what a camera app shows or passes on;
    - as typed from its `typed_form`: spaces between the groups of the token (and after
      the prefix), as read aloud;
    - with `bare=True`, the bare token (what the station's own look-ups and older
      clients send); never an 18-character ID number.
    """
    if not isinstance(text, str):
        return None
    s = text[:MAX_SCAN].strip(_EDGES)
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s).strip(_EDGES)
    m = _CODE.fullmatch(s)
    if m:
        return m.group(1)
    if s[:4].upper() == PREFIX and (m := _CODE.fullmatch(_INNER_SPACE.sub("", s))):
        return m.group(1)  # typed by hand from the groups of `typed_form`
    if "://" in s or s[:4].lower() == "www.":
        return _code_in_url(s)
    if bare and TOKEN.fullmatch(s) and not _ID_LIKE.fullmatch(s):
        return s
    return None


def _code_in_url(url: str) -> str | None:
    """`FK1:<token>` as a query value or path segment of a URL (last segment first)."""
    parts = urlsplit(url)
    candidates = [v for _k, v in parse_qsl(parts.query)]
    candidates += [unquote(seg) for seg in reversed(parts.path.split("/")) if seg]
    candidates.append(unquote(parts.fragment))
    for c in candidates:
        m = _CODE.fullmatch(c.strip(_EDGES))
        if m:
            return m.group(1)
    return None


def token_key(token: str) -> str:
    """A token as looked up: lower case. Tokens are random URL-safe base64 (128 bits); a
    scanner may change their case (Caps Lock, a lower-case setting), so residents are
    found by `Lower("token")` (unique, indexed: `registry.Resident.Meta`), never by the
    exact text. Folding the case leaves more than 110 bits: no two people collide."""
    return token.lower()


def residents_by_token(qs, tokens):
    """`qs` narrowed to the residents with these tokens, whatever their case."""
    keys = [token_key(t) for t in tokens]
    return qs.alias(token_key=Lower("token")).filter(token_key__in=keys)


def qr(resident: Resident):
    return segno.make(code_payload(resident), error=QR_ERROR, micro=False)


def svg_data_uri(resident: Resident) -> str:
    """The QR as an SVG data: URI for an <img> (the CSP allows data: images)."""
    return qr(resident).svg_data_uri(scale=1, border=4)
