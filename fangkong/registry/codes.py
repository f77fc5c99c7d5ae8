"""The sampling code (核酸码): what a resident's QR code carries (`code_payload`: "FK1:<token>"),
the one parser of scanned or typed codes (`parse_code`), how a token is looked up
(`token_key`, `residents_by_token`) and the QR itself (`qr`, `svg_data_uri`). No scope, no
writes: `cards` prints and shows codes, `queries` and the station find people by them.
See `cards` for the format and why it is what it is.
"""

import re
import unicodedata
from urllib.parse import parse_qsl, unquote, urlsplit

import segno

from .models import Resident, TokenKey

PREFIX = "FK1:"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,32}")
TOKEN_LENGTH = 22  # every code issued (`models.new_token`: 16 random bytes, URL-safe base64)
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
    not scan: the prefix, then the token's key (`token_key`) in upper case in groups of
    four, `FK1: VX3P QE0M S2N7 Y1K9 ABCD 1W`. Being the key, it never shows a letter O, I
    or L or an underscore, only 0, 1 and -: nothing on a card is a look-alike of something
    else on it. `parse_code` reads it back as typed (the spaces, any case) and the look-up
    folds whatever look-alike a worker types anyway, so the station accepts it; the cards
    and the codes page show it."""
    token = token_key(getattr(resident_or_token, "token", resident_or_token)).upper()
    groups = [token[i:i + GROUP] for i in range(0, len(token), GROUP)]
    return PREFIX + " " + " ".join(groups)


def parse_code(text, *, bare: bool = False) -> str | None:
    """The token in a scanned or typed personal code, or None if it is not one of ours.

    The one parser of personal codes: the station (page and API, single scans and offline
    batches), the look-ups and the cards all read codes through it. It accepts what
    `code_payload` prints in every form a hand scanner, a phone camera or a person
    delivers it:

    - the prefix in any case (`FK1:`, `fk1:`), the whole text in any case (a scanner
      with Caps Lock on, or set to lower case) and with look-alikes typed for each other
      (O for 0, I or l for 1, _ for -): tokens are matched by their key, see `token_key`;
    - surrounded by spaces, Enter (CR/LF), Tab or other control characters;
    - full-width letters, digits or colon (a Chinese input method was on: `ＦＫ１：…`);
    - inside a URL, as a path segment or a query value, escaped or not
      (`https://…/c/FK1:…`, `…?code=FK1%3A…`): what a camera app shows or passes on;
    - as typed from its `typed_form`: spaces between the groups of the token (and after
      the prefix), as read aloud; and with the prefix's colon left out (hard to find on a
      phone's keyboard): "FK1" then a space (`FK1 VX3P QE0M …`), or "FK1" glued to a
      whole code of `TOKEN_LENGTH` (`FK1VX3PQE0M…`: a bare code that begins with FK1
      stays itself, being that long without the prefix);
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
    if (token := _without_colon(s)) is not None:
        return token
    if "://" in s or s[:4].lower() == "www.":
        return _code_in_url(s)
    if bare and TOKEN.fullmatch(s) and not _ID_LIKE.fullmatch(s):
        return s
    return None


def _without_colon(s: str) -> str | None:
    """The token of a code typed with its prefix but no colon: "FK1", then a space and the
    token (in groups or not), or glued to a whole token of `TOKEN_LENGTH`."""
    if s[:3].upper() != PREFIX[:3] or s[3:4] == ":":
        return None
    token = _INNER_SPACE.sub("", s[3:])
    spaced = bool(_INNER_SPACE.match(s[3:4]))
    if TOKEN.fullmatch(token) and (spaced or len(token) == TOKEN_LENGTH):
        return token
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


_FOLD = str.maketrans("oil_", "011-")


def token_key(token: str) -> str:
    """A token as looked up: lower case, then the look-alikes folded together — o → 0,
    i and l → 1, _ → - (`registry.models.TOKEN_KEY_SQL`, the same in SQL). A scanner may
    change a code's case (Caps Lock, a lower-case setting) and a worker typing a crumpled
    card at 5 a.m. reads O for 0, I or l for 1, _ for -; so residents are found by
    `TokenKey("token")` (unique, indexed: `registry.Resident.Meta`), never by the exact
    text, and every look-up (`residents_by_token`, the station's reads) goes through it.

    What is left is plenty: a token is 21 random URL-safe base64 characters (6 bits each)
    and a last one carrying 2 bits (128 bits). Folding puts the 64 characters in 38
    classes — {o O 0}, {i I l L 1}, {_ -}, 23 other letters in two cases, 8 other digits —
    leaving 4.89 bits a character by the measure that counts for two codes coinciding
    (-log2 of the chance that two random characters fold alike: 138/4096), and the last
    character's 4 values (A Q g w) stay apart: 21 × 4.89 + 2 ≈ 104.7 bits (case folding
    alone left 110). Two of a billion codes ever issued fold alike with a chance of about
    10^-14: no two people collide, and the unique index would refuse the new code if they
    did (a re-issue or import would fail, never find the wrong person)."""
    return token.lower().translate(_FOLD)


def residents_by_token(qs, tokens):
    """`qs` narrowed to the residents with these tokens, whatever their case or look-alikes."""
    keys = [token_key(t) for t in tokens]
    return qs.alias(token_key=TokenKey("token")).filter(token_key__in=keys)


def qr(resident: Resident):
    return segno.make(code_payload(resident), error=QR_ERROR, micro=False)


def svg_data_uri(resident: Resident) -> str:
    """The QR as an SVG data: URI for an <img> (the CSP allows data: images)."""
    return qr(resident).svg_data_uri(scale=1, border=4)
