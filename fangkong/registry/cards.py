"""Sampling code cards (核酸码卡): the paper QR code for people without a smartphone.

Every resident has a sampling code (核酸码 — the one name of this code on every screen, the
card and the API; never 健康码, the province's health-code app), `Resident.token` (128 random bits, URL-safe base64).
The QR code on a card, and on the resident's own codes page, carries exactly

    FK1:<token>            e.g. FK1:Vx3pQe0mS2n7yLk9aBcD1w

— never the ID number, never a name. "FK1" names the format (Fangkong, version 1), so a
station can tell our codes from a health-code or a tube barcode and a later format can be
added without guessing. A plain string rather than a URL: a phone camera that scans it
opens nothing, and the QR stays small (version 3 at error level Q, 29 × 29 modules).
The code itself lives in `registry.codes`. Every place that reads a scanned code calls
`codes.parse_code(text)` (one parser: prefix and
letters in any case, scanner Enter and spaces, full-width characters, the code inside a
URL) and finds the person by `codes.token_key` (case and look-alikes folded: O/0, I/l/1,
_/-); `resident_by_code(scope, text)` (here) does both within a scope.
Re-issuing a code (`actions.reissue_code`) replaces the token: the old card stops working.
Under the symbol, on the card and on the household's codes page alike, the code is printed
in its typed form (`codes.typed_form`: `FK1: VX3P QE0M S2N7 Y1K9 ABCD 1W`), for reading
aloud and typing when the QR will not scan; `parse_code` reads it back as typed. It is
the token's key in upper case, so it shows only 0, 1 and - where the token may have O, I,
L or _ (the look-up folds those anyway).
Staff print cards for a place or household (`print_cards`); a family prints its own
member's card, or the whole household's, from its codes page (`print_own_cards`): the
same `render_pdf`, the same audit event.

The PDF is drawn with reportlab on A4, 2 × 5 cards a page (95 × 55 mm, wallet size, with
dashed cut lines). Chinese text uses reportlab's built-in CID font STSong-Light (Adobe-GB1),
so nothing depends on fonts installed on the server. The font is not embedded: the
viewer or printer supplies a Song face for it (Windows, macOS, Acrobat and phone viewers
do; a bare Linux viewer needs a CJK font package).
"""

import functools
import io
from dataclasses import dataclass
from urllib.parse import quote

import segno
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm
from fangkong.audit.actions import record
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.tree import is_under, under

from . import queries
from .access import require, require_cards, require_own_cards
from .codes import (
    QR_ERROR,
    code_payload,
    parse_code,
    residents_by_token,
    typed_form,
)
from .models import LEVELS, Household, Place, Presence, Resident

MAX_CARDS = 5000  # one PDF; a bigger place is printed building by building


# --- the code ------------------------------------------------------------------

def resident_by_code(scope, text: str, perm=Perm.VIEW_REGISTRY) -> Resident:
    """The resident whose code this is, within `scope`; NotFound for a malformed, unknown,
    re-issued or out-of-scope code alike."""
    token = parse_code(text)
    if token is None:
        raise NotFound()
    try:
        return residents_by_token(queries.residents(scope, perm).select_related("household__place"),
                                  [token]).get()
    except Resident.DoesNotExist:
        raise NotFound() from None


# --- who gets a card -----------------------------------------------------------

def needs_card() -> Q:
    """The default selection: people without a smartphone (or not known to have one: a
    roster imported without the column), or in a vulnerable group."""
    return Q(has_smartphone=False) | Q(has_smartphone=None) | ~Q(tags="")


def card_residents(scope, *, place: Place | None = None, households=None,
                   everyone: bool = False) -> list[Resident]:
    """Residents to print, under `place` and/or in `households`, in address order.

    Scoped by EDIT_REGISTRY (printing a card is handing out someone's code). People who
    moved out get no card."""
    qs = queries.residents(scope, Perm.EDIT_REGISTRY).exclude(presence=Presence.MOVED_OUT)
    if place is not None:
        qs = qs.filter(under(place))
    if households is not None:
        qs = qs.filter(household_id__in=[h.id for h in households])
    if not everyone:
        qs = qs.filter(needs_card())
    return list(qs.select_related("household").order_by(*queries.ADDRESS_ORDER)[:MAX_CARDS + 1])


@dataclass
class Card:
    name: str
    address: str  # 光明小区 1号楼 1单元 101
    community: str
    payload: str
    typed: str = ""  # `codes.typed_form`: printed on two lines beside the symbol, for typing by hand


def cards_for(rows: list[Resident]) -> list[Card]:
    """One Card per resident; the place names come from one query."""
    ids = set()
    for r in rows:
        ids.update(x for x in (r.community_id, r.compound_id, r.building_id, r.unit_id) if x)
    names = dict(Place.objects.filter(id__in=ids).values_list("id", "name"))
    out = []
    for r in rows:
        parts = [names[x] for x in (r.compound_id, r.building_id, r.unit_id) if x in names]
        parts.append(r.household.door)
        out.append(Card(name=r.name, address=" ".join(parts),
                        community=names.get(r.community_id, ""), payload=code_payload(r),
                        typed=typed_form(r)))
    return out


# --- the PDF -------------------------------------------------------------------

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
COLS, ROWS = 2, 5
MARGIN_X, MARGIN_Y = 10 * MM, 11 * MM
CARD_W = (PAGE_W - 2 * MARGIN_X) / COLS  # 95 mm
CARD_H = (PAGE_H - 2 * MARGIN_Y) / ROWS  # 55 mm
QR_SIZE = 40 * MM  # the symbol with its 4-module quiet zone
PAD = 4 * MM
CID_FONT = "STSong-Light"
FONT = CID_FONT  # set by _register_font
PER_PAGE = COLS * ROWS


def card_origin(index_on_page: int) -> tuple[float, float]:
    """Bottom-left corner of a card slot (PDF points, origin bottom-left)."""
    col, row = index_on_page % COLS, index_on_page // COLS
    return MARGIN_X + col * CARD_W, PAGE_H - MARGIN_Y - (row + 1) * CARD_H


def qr_box(index_on_page: int) -> tuple[float, float, float]:
    """(x, y, size) of the QR symbol including its quiet zone, in points."""
    x, y = card_origin(index_on_page)
    return x + 1 * MM, y + (CARD_H - QR_SIZE) / 2 + 1 * MM, QR_SIZE


def _register_font():
    """STSong-Light (built into reportlab, not embedded), or the TrueType font named by
    settings.FANGKONG_CARD_FONT, embedded as a subset so any viewer shows the same glyphs."""
    global FONT
    from django.conf import settings
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    rl_config.useA85 = 0  # binary streams: smaller, and no pure-Python ASCII85 pass
    path = getattr(settings, "FANGKONG_CARD_FONT", "")
    name = "FangkongCard" if path else CID_FONT
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path) if path else UnicodeCIDFont(name))
    FONT = name


def _fit(text: str, size: float, width: float, smallest: float = 6) -> tuple[str, float]:
    """Shrink the font until the text fits; cut it (with …) if even the smallest does not."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    while size > smallest and stringWidth(text, FONT, size) > width:
        size -= 0.5
    if stringWidth(text, FONT, size) > width:
        while text and stringWidth(text + "…", FONT, size) > width:
            text = text[:-1]
        text += "…"
    return text, size


@functools.lru_cache(maxsize=10_000)
def _matrix(payload: str):
    """segno picks the best of the 8 masks (≈ 2 ms a code, most of the PDF's time); a
    re-print of the same building is served from this cache."""
    return segno.make(payload, error=QR_ERROR, micro=False).matrix


def _draw_qr(c, payload: str, x: float, y: float, size: float):
    """The symbol as one filled path of horizontal runs, written in module units under a
    transform (a few hundred short operators, no image: small, fast, and sharp at any
    printer resolution)."""
    matrix = _matrix(payload)
    n = len(matrix)
    module = size / (n + 8)  # 4 modules of quiet zone on each side
    ops = []
    for r, row in enumerate(matrix):
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                ops.append(f"{start} {r} {col - start} 1 re")
            else:
                col += 1
    c.saveState()
    # Module (col, row) → points; rows grow downwards from the symbol's top-left corner.
    c.transform(module, 0, 0, -module, x + 4 * module, y + size - 4 * module)
    c.addLiteral("\n".join(ops) + "\nf")
    c.restoreState()


def render_pdf(cards: list[Card], *, title: str = "") -> bytes:
    """An A4 PDF with `PER_PAGE` cards a page; returns the bytes."""
    from reportlab.pdfgen.canvas import Canvas

    _register_font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_W, PAGE_H), pageCompression=1, invariant=1)
    c.setTitle(title or _("Sampling code cards"))
    c.setCreator("Fangkong")
    label = _("Sampling code · show it at the sampling table")
    lost = _("Lost it? Ask the community for a new one.")
    text_x = QR_SIZE + 2 * MM
    text_w = CARD_W - text_x - PAD
    for i, card in enumerate(cards):
        slot = i % PER_PAGE
        if slot == 0 and i:
            c.showPage()
        if slot == 0:
            _cut_lines(c)
        x, y = card_origin(slot)
        qx, qy, qs = qr_box(slot)
        c.setFillGray(0)
        _draw_qr(c, card.payload, qx, qy, qs)
        tx = x + text_x
        top = y + CARD_H - PAD
        name, size = _fit(card.name, 20, text_w, smallest=10)
        c.setFont(FONT, size)
        c.drawString(tx, top - size, name)
        cursor = top - size - 4 * MM
        for line in _wrap(card.address, 11, text_w, lines=3):
            c.setFont(FONT, 11)
            c.drawString(tx, cursor - 11, line)
            cursor -= 14
        if card.community:
            text, sz = _fit(card.community, 10, text_w)
            c.setFont(FONT, sz)
            c.setFillGray(0.25)
            c.drawString(tx, cursor - 12, text)
        # The code in text, for reading aloud and typing when a scanner fails: the same
        # grouped form as the codes page, on two lines in the text column, large enough for
        # an older person to read (11 pt, at least 8: a 32-character code's line fits at 9.6).
        lines = _typed_lines(card.typed or card.payload)
        sz = min(_courier_size(line, text_w, largest=11, smallest=8, font="Courier-Bold") for line in lines)
        c.setFont("Courier-Bold", sz)
        c.setFillGray(0)
        base = y + PAD + 20 + (len(lines) - 1) * (sz + 2)
        for n, line in enumerate(lines):
            c.drawString(tx, base - n * (sz + 2), line)
        c.setFillGray(0.35)
        text, sz = _fit(label, 7, text_w, smallest=5)
        c.setFont(FONT, sz)
        c.drawString(tx, y + PAD + 9, text)
        text, sz = _fit(lost, 7, text_w, smallest=5)
        c.setFont(FONT, sz)
        c.drawString(tx, y + PAD, text)
    if not cards:
        _cut_lines(c)
    c.showPage()
    c.save()
    return buf.getvalue()


def _typed_lines(typed: str) -> list[str]:
    """The typed form (`FK1: VX3P QE0M S2N7 Y1K9 ABCD 1W`) on two lines, split between its
    groups: `FK1: VX3P QE0M S2N7` / `Y1K9 ABCD 1W` (the prefix with the first half)."""
    words = typed.split()
    if len(words) < 4:
        return [typed]
    # A line ending in "-" reads as a word hyphenated across the lines: the reader drops
    # the dash (and a PDF reader takes it for a soft hyphen). Split next to the middle
    # instead, where the first line ends in a letter or digit.
    middle = 1 + len(words) // 2
    cuts = [c for c in (middle, middle + 1, middle - 1) if 1 < c < len(words)]
    cut = next((c for c in cuts if not words[c - 1].endswith("-")), middle)
    return [" ".join(words[:cut]), " ".join(words[cut:])]


def _courier_size(text: str, width: float, largest: float = 7, smallest: float = 5,
                  font: str = "Courier") -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size = largest
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.25
    return size


def _cut_lines(c):
    c.saveState()
    c.setStrokeGray(0.6)
    c.setLineWidth(0.3)
    c.setDash(2, 2)
    for col in range(COLS + 1):
        xx = MARGIN_X + col * CARD_W
        c.line(xx, MARGIN_Y, xx, PAGE_H - MARGIN_Y)
    for row in range(ROWS + 1):
        yy = MARGIN_Y + row * CARD_H
        c.line(MARGIN_X, yy, PAGE_W - MARGIN_X, yy)
    c.restoreState()


def _wrap(text: str, size: float, width: float, lines: int) -> list[str]:
    """Break at spaces where possible, else anywhere (Chinese has no spaces); at most
    `lines` lines, the last one cut with …"""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out, current = [], ""
    for ch in text:
        if stringWidth(current + ch, FONT, size) <= width:
            current += ch
            continue
        cut = current.rfind(" ")
        if cut > 0:
            out.append(current[:cut])
            current = current[cut + 1:] + ch
        else:
            out.append(current)
            current = ch.lstrip()
    if current:
        out.append(current)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = _fit(out[-1] + "…", size, width, smallest=size)[0]
    return out


# --- printing (scoped, audited) -------------------------------------------------

def print_cards(actor, *, place: Place | None = None, household: Household | None = None,
                households=None, everyone: bool = False) -> tuple[bytes, str, int]:
    """The PDF of code cards for a place (community, grid, compound, building or unit), one
    household, or selected households under a place. Returns (pdf, filename, cards).

    Needs EDIT_REGISTRY on the place or household (NotFound outside the scope, Forbidden
    for a role that sees it but may not edit). One audit event names everyone printed."""
    target = household if household is not None else place
    if target is None:
        raise NotFound()
    require_cards(actor, target)
    if place is not None and place.kind not in LEVELS:
        raise Invalid(_("Sampling code cards are printed for a community, grid, compound, building, "
                        "unit or household."))
    if household is not None:
        households = [household]
    elif households is not None:
        for h in households:
            require(actor, Perm.EDIT_REGISTRY, h)
            if place is not None and not is_under(h, place):
                raise NotFound()
    rows = card_residents(actor.scope, place=place if household is None else None,
                          households=households, everyone=everyone)
    if len(rows) > MAX_CARDS:
        raise Invalid(_("That is more than %(n)d cards: print one building at a time.")
                      % {"n": MAX_CARDS})
    if not rows:
        if everyone:
            raise Invalid(_("Nobody here to print a card for."))
        raise Invalid(_("Nobody here needs a card (everyone has a smartphone and no "
                        "vulnerability). Choose “everyone” to print all the same."))
    cards = cards_for(rows)
    where = _where(target)
    pdf = render_pdf(cards, title=f"{where} {_('Sampling code cards')}")
    record(actor, "resident.print_cards", target,
           {"count": len(rows), "everyone": everyone, "residents": [r.id for r in rows][:500],
            "households": [h.id for h in households] if households is not None else None},
           label=where)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return pdf, f"{where}-{_('sampling code cards')}-{stamp}.pdf", len(rows)


def print_own_cards(actor, household: Household, member: Resident | None = None
                    ) -> tuple[bytes, str, int]:
    """The cards a family prints from its codes page: one member's (`member`) or every
    member's who has not moved out, drawn by the same `render_pdf` as staff's cards.

    Allowed to whoever may see the household's codes (`access.can_show_codes`: its own
    residents, and roles that may print cards for it); another household looks missing.
    Audited as staff's printing is."""
    require_own_cards(actor, household)  # NotFound or Forbidden, as for editing
    qs = (queries.residents(actor.scope).filter(household=household)
          .exclude(presence=Presence.MOVED_OUT).select_related("household"))
    if member is not None:
        qs = qs.filter(pk=member.pk)
    rows = list(qs.order_by("relation", "id"))
    if member is not None and not rows:
        raise NotFound()
    if not rows:
        raise Invalid(_("Nobody here to print a card for."))
    where = _where(household)
    if member is not None:
        where = f"{where} {member.name}"
    pdf = render_pdf(cards_for(rows), title=f"{where} {_('Sampling code cards')}")
    record(actor, "resident.print_cards", household,
           {"count": len(rows), "everyone": member is None, "residents": [r.id for r in rows],
            "households": [household.id]}, label=where)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return pdf, f"{where}-{_('sampling code cards')}-{stamp}.pdf", len(rows)


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """The printed cards as the answer of a page or the API: shown inline, never cached."""
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    resp["Cache-Control"] = "private, no-store"
    return resp


def _where(target) -> str:
    if isinstance(target, Household):
        label = queries.address_labels([target]).get(target.place_id, "")
        return f"{label} {target.door}".strip()
    return target.name


# --- on screen -------------------------------------------------------------------

def household_codes(actor, household: Household) -> list[Resident]:
    """The members (not moved out) whose codes may be shown; audited once."""
    require_own_cards(actor, household)  # NotFound or Forbidden, as for editing
    people = list(queries.residents(actor.scope).filter(household=household)
                  .exclude(presence=Presence.MOVED_OUT).order_by("relation", "id"))
    record(actor, "resident.view_codes", household, {"residents": [r.id for r in people]},
           label=_where(household))
    return people
