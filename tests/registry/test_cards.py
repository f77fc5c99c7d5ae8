"""Personal code cards: the code's text, the PDF (pages, names, QR symbols), who may print
what, the resident's own codes page, and re-issuing a lost code."""

import io
import re

import pypdf
import pytest
import segno
from django.test import Client

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Forbidden, NotFound
from fangkong.registry import actions as reg
from fangkong.registry import cards, codes, queries
from fangkong.registry.models import Resident
from tests.conftest import actor_for

PDF = "application/pdf"


def session(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


# --- the code ------------------------------------------------------------------

def test_payload_is_the_prefixed_token_and_parses_back(world):
    payload = codes.code_payload(world.su)
    assert payload == "FK1:" + world.su.token
    assert codes.parse_code(payload) == world.su.token
    assert codes.parse_code(f"  {payload}\r\n") == world.su.token  # scanner adds Enter
    assert codes.parse_code("fk1:" + world.su.token) == world.su.token


@pytest.mark.parametrize("text", ["", "FK1:", "FK1:short", "FK2:" + "a" * 22,
                                  "14010619480904786X", "FK1:abc def ghi jkl mno",
                                  "https://example.org/c/" + "a" * 22, None])
def test_parse_code_refuses_what_is_not_a_personal_code(text):
    assert codes.parse_code(text) is None


def test_the_typed_form_is_grouped_and_reads_back_as_the_code(world):
    typed = codes.typed_form(world.su)
    assert typed == "FK1: " + " ".join(re.findall(".{1,4}", codes.token_key(world.su.token).upper()))
    for text in (typed, typed.lower(), typed + "\r\n", typed.replace(" ", "  "),
                 typed.replace(":", "："), "fk1:" + typed[5:]):
        assert codes.token_key(codes.parse_code(text)) == codes.token_key(world.su.token), text
    assert cards.resident_by_code(actor_for(world.users.staff).scope, typed).id == world.su.id
    assert codes.parse_code(typed[5:]) is None  # the groups without the prefix are not a code


LOOKALIKE = "Vx3pQe0mS2n_yLk9aBcD1w"  # 0, 1, L and _: each has a look-alike


def test_the_typed_form_shows_no_look_alikes(world):
    """The card's typed form avoids the ambiguity where it is free to: a token's O, I, L
    and _ are printed as the 0, 1 and - they are looked up as (`codes.token_key`)."""
    assert codes.typed_form(LOOKALIKE) == "FK1: VX3P QE0M S2N- Y1K9 ABCD 1W"
    assert codes.typed_form("oOiIlL_-" * 2) == "FK1: 0011 11-- 0011 11--"


def test_a_code_typed_with_look_alikes_finds_its_person(world):
    """A worker reading a crumpled card types O for 0, I or l for 1, _ for - (or the
    reverse): the look-up folds them, in the registry as at the station. A code that
    differs in a real character is still nobody's."""
    Resident.objects.filter(pk=world.su.pk).update(token=LOOKALIKE)
    scope = actor_for(world.users.staff).scope
    for typed in ("FK1: VX3P QEOM S2N- YLK9 ABCD IW", "FK1: vx3p qeom s2n_ ylk9 abcd lw",
                  "FK1:Vx3pQeOmS2n-yIk9aBcDlw", "FK1:" + LOOKALIKE, codes.typed_form(LOOKALIKE)):
        assert cards.resident_by_code(scope, typed).id == world.su.id, typed
        kind, found = queries.search(scope, typed)
        assert (kind, [r.id for r in found]) == ("code", [world.su.id]), typed
    for wrong in ("FK1: VX3P QEOM S2N- YLK9 ABCD IX", "FK1: WX3P QE0M S2N- YLK9 ABCD 1W",
                  "FK1: VX3P QE0M S2N- YLK8 ABCD 1W"):
        with pytest.raises(NotFound):
            cards.resident_by_code(scope, wrong)
        assert queries.search(scope, wrong) == ("code", []), wrong


def test_two_codes_that_fold_alike_cannot_both_exist(world):
    """The unique index is on the folded key: a second code that only a look-alike tells
    apart from one in use is refused (it would be found as the first person)."""
    from django.db import IntegrityError, transaction

    Resident.objects.filter(pk=world.su.pk).update(token=LOOKALIKE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Resident.objects.filter(pk=world.yu.pk).update(token="VX3PQEOMS2N-YIK9ABCDLW")


def test_the_payload_never_holds_the_id_number_or_name(world):
    payload = codes.code_payload(world.su)
    assert "14010619480904786X" not in payload and world.su.name not in payload
    assert len(payload) <= 40


def test_resident_by_code_is_scoped(world):
    staff = actor_for(world.users.staff)
    other = actor_for(world.users.other_staff)
    code = codes.code_payload(world.su)
    assert cards.resident_by_code(staff.scope, code).id == world.su.id
    with pytest.raises(NotFound):
        cards.resident_by_code(other.scope, code)
    with pytest.raises(NotFound):
        cards.resident_by_code(staff.scope, "FK1:" + "x" * 22)


# --- the PDF ---------------------------------------------------------------------

def test_building_cards_default_to_people_without_smartphone_or_vulnerable(world):
    staff = actor_for(world.users.staff)
    reg.update_resident(staff, world.wang, {"has_smartphone": "0"})
    pdf, filename, n = cards.print_cards(staff, place=world.building)
    assert pdf.startswith(b"%PDF-") and filename.endswith(".pdf")
    pages, text = pdf_text(pdf)
    # 苏霞 and 夏明 are vulnerable, 王新勇 has no smartphone; 于海涛 needs no card.
    assert (n, pages) == (3, 1)
    for r in (world.su, world.xia, world.wang):
        assert r.name in text
        assert codes.typed_form(r) in " ".join(text.split())  # the code to type, grouped as on the codes page (two lines)
    assert world.yu.name not in text
    assert "光明小区 1号楼 1单元 101" in text and "光明社区" in text
    assert "140106" not in text  # no ID number, not even its head


@pytest.mark.parametrize("token", [None, "KEB11K1MEKF-VBN1ABCD1W"])
def test_the_typed_code_is_printed_large_enough_to_read_aloud(world, token):
    """An older person reads the code aloud to the sampler when the QR will not scan: its
    lines are printed at 8 pt or more, bold (walked 2026-12-06: 4.3 pt under the symbol),
    on at most two lines that together are the typed form. The second token's middle group
    ends in "-", so the cut moves on and its second line is only two groups (a random code
    did that in CI once in a while)."""
    if token:
        world.su.token = token
        world.su.save(update_fields=["token"])
    staff = actor_for(world.users.staff)
    pdf, _filename, _n = cards.print_cards(staff, household=world.su.household, everyone=True)
    seen = []

    def visit(text, cm, tm, font, size):
        # the shortest line is two groups, "ABCD 1W" (7): when the middle group ends in "-"
        # the cut moves one group on (`cards._typed_lines`)
        if text.strip() and re.fullmatch(r"[A-Z0-9_:\- ]+", text.strip()) and len(text.strip()) >= 6:
            seen.append((text.strip(), size * abs(tm[0]) * abs(cm[0] or 1), (font or {}).get("/BaseFont")))

    pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    typed = codes.typed_form(world.su)
    mine = [t for t in seen if t[0] in typed]
    assert len(mine) == 2 and " ".join(t[0] for t in mine) == typed, seen
    assert all(size >= 8 for _t, size, _f in mine), mine
    assert all(f == "/Courier-Bold" for _t, _s, f in mine), mine


def test_everyone_option_and_page_count(world):
    staff = actor_for(world.users.staff)
    for i in range(8):
        reg.create_resident(staff, world.hh201, {"name": f"测试{i}号", "relation": "子女"})
    pdf, _f, n = cards.print_cards(staff, place=world.building, everyone=True)
    pages, text = pdf_text(pdf)
    assert n == 12 and pages == 2  # 10 cards a page
    assert text.count("FK1:") == 12
    assert "测试7号" in text


def test_moved_out_people_get_no_card(world):
    staff = actor_for(world.users.staff)
    reg.update_resident(staff, world.xia, {"presence": "moved_out"})
    pdf, _f, n = cards.print_cards(staff, place=world.unit1, everyone=True)
    assert n == 2 and world.xia.name not in pdf_text(pdf)[1]


def test_the_qr_symbol_on_the_page_is_the_payload(world):
    """Render the page and read every module back: it must equal the symbol segno makes
    for the payload (segno cannot decode, so compare the matrices)."""
    pdfium = pytest.importorskip("pypdfium2")
    staff = actor_for(world.users.staff)
    pdf, _f, n = cards.print_cards(staff, place=world.building)
    people = cards.card_residents(staff.scope, place=world.building)
    scale = 4  # 288 dpi: a module is about 15 px
    image = pdfium.PdfDocument(pdf)[0].render(scale=scale).to_pil().convert("L")
    for slot, r in enumerate(people):
        expected = segno.make(codes.code_payload(r), error=codes.QR_ERROR, micro=False).matrix
        size = len(expected)
        x, y, box = cards.qr_box(slot)
        module = box / (size + 8)
        left, top = x + 4 * module, cards.PAGE_H - (y + box - 4 * module)  # to image coords
        seen = [bytearray(1 if image.getpixel((int((left + (c + .5) * module) * scale),
                                                int((top + (row + .5) * module) * scale))) < 128
                          else 0 for c in range(size)) for row in range(size)]
        assert seen == [bytearray(row) for row in expected], r.name


def test_printing_is_audited_with_the_people_printed(world):
    staff = actor_for(world.users.staff)
    cards.print_cards(staff, place=world.building)
    event = AuditEvent.objects.get(action="resident.print_cards")
    assert event.actor == world.users.staff
    assert event.changes["count"] == 2
    assert sorted(event.changes["residents"]) == sorted([world.su.id, world.xia.id])
    assert event.building_id == world.building.id and event.community_id == world.community.id


def test_nobody_needing_a_card_is_a_clear_error(world):
    staff = actor_for(world.users.staff)
    from fangkong.core.errors import Invalid

    with pytest.raises(Invalid, match="所有人"):  # "choose everyone", in Chinese (default)
        cards.print_cards(staff, household=world.hh201)
    assert not AuditEvent.objects.filter(action="resident.print_cards").exists()


def test_roles_that_may_not_edit_cannot_print(world):
    with pytest.raises(Forbidden):
        cards.print_cards(actor_for(world.users.leader), place=world.building)
    with pytest.raises(Forbidden):
        cards.print_cards(actor_for(world.users.district), place=world.building)
    with pytest.raises(NotFound):
        cards.print_cards(actor_for(world.users.other_staff), place=world.building)
    with pytest.raises(NotFound):
        cards.print_cards(actor_for(world.users.volunteer), place=world.building)


# --- pages ---------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["staff", "grid"])
def test_staff_and_grid_get_a_pdf_from_the_place_page(world, who):
    c = session(getattr(world.users, who))
    page = c.get(f"/places/{world.building.id}/")
    assert f"/places/{world.building.id}/code-cards/" in page.content.decode()
    form = c.get(f"/places/{world.building.id}/code-cards/")
    assert form.status_code == 200 and "101" in form.content.decode()
    r = c.get(f"/places/{world.building.id}/code-cards.pdf?everyone=1")
    assert r.status_code == 200 and r["Content-Type"] == PDF
    assert pdf_text(r.content)[1].count("FK1:") == 4


def test_selected_households_only(world):
    c = session(world.users.staff)
    r = c.get(f"/places/{world.building.id}/code-cards.pdf?everyone=1&hh={world.hh102.id}"
              f"&hh={world.hh201.id}")
    text = pdf_text(r.content)[1]
    assert r.status_code == 200 and text.count("FK1:") == 2
    assert world.xia.name in text and world.wang.name in text and world.su.name not in text


def test_another_communitys_household_in_the_selection_is_404(world):
    c = session(world.users.staff)
    r = c.get(f"/places/{world.building.id}/code-cards.pdf?hh={world.other_hh.id}")
    assert r.status_code == 404


@pytest.mark.parametrize("who,status", [("leader", 403), ("district", 403), ("other_staff", 404),
                                        ("volunteer", 404), ("resident", 404), ("nobody", 404)])
def test_place_pdf_refused_to_other_roles(world, who, status):
    c = session(getattr(world.users, who))
    assert c.get(f"/places/{world.building.id}/code-cards.pdf").status_code == status
    assert c.get(f"/places/{world.building.id}/code-cards/").status_code == status


def test_other_communitys_building_looks_missing(world):
    c = session(world.users.staff)
    foreign = c.get(f"/places/{world.other_building.id}/code-cards.pdf")
    missing = c.get("/places/99999999/code-cards.pdf")
    assert foreign.status_code == missing.status_code == 404
    assert strip_csrf(foreign.content) == strip_csrf(missing.content)


def strip_csrf(html):
    html = re.sub(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', b"", html)
    return re.sub(rb"/places/\d+/", b"/places/N/", html)  # the language form's "next"


def test_household_pdf_and_empty_selection_message(world):
    c = session(world.users.staff)
    r = c.get(f"/households/{world.hh101.id}/code-cards.pdf")
    assert r.status_code == 200 and pdf_text(r.content)[1].count("FK1:") == 1
    r = c.get(f"/households/{world.hh201.id}/code-cards.pdf", follow=True)
    assert r.redirect_chain[-1][0] == f"/households/{world.hh201.id}/"
    assert "所有人" in r.content.decode()  # "choose everyone", in the default language
    assert c.get(f"/households/{world.other_hh.id}/code-cards.pdf").status_code == 404


# --- the API -------------------------------------------------------------------------

def test_api_place_and_household_pdfs(world):
    c = session(world.users.staff)
    r = c.get(f"/api/v1/places/{world.building.id}/code-cards.pdf?everyone=true")
    assert r.status_code == 200 and r["Content-Type"] == PDF
    assert pdf_text(r.content)[1].count("FK1:") == 4
    r = c.get(f"/api/v1/places/{world.building.id}/code-cards.pdf"
              f"?everyone=true&household={world.hh101.id}")
    assert pdf_text(r.content)[1].count("FK1:") == 2
    r = c.get(f"/api/v1/households/{world.hh101.id}/code-cards.pdf")
    assert r.status_code == 200 and pdf_text(r.content)[1].count("FK1:") == 1
    assert AuditEvent.objects.filter(action="resident.print_cards", via="api").count() == 3


def test_api_scoping_and_errors(world):
    staff = session(world.users.staff)
    foreign = staff.get(f"/api/v1/places/{world.other_building.id}/code-cards.pdf")
    missing = staff.get("/api/v1/places/99999999/code-cards.pdf")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    r = staff.get(f"/api/v1/places/{world.building.id}/code-cards.pdf"
                  f"?household={world.other_hh.id}")
    assert r.status_code == 404
    r = staff.get(f"/api/v1/households/{world.hh201.id}/code-cards.pdf")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    leader = session(world.users.leader)
    assert leader.get(f"/api/v1/households/{world.hh101.id}/code-cards.pdf").status_code == 403


# --- the resident's own codes ----------------------------------------------------------

def test_resident_sees_their_households_codes(world):
    c = session(world.users.resident)
    r = c.get("/my/codes/", follow=True)
    html = r.content.decode()
    assert r.status_code == 200
    assert html.count('src="data:image/svg+xml') == 2  # 苏霞 and 于海涛
    assert world.su.name in html and world.yu.name in html
    assert AuditEvent.objects.filter(action="resident.view_codes",
                                     target_id=world.hh101.id).exists()
    assert "/my/codes/" in c.get(f"/households/{world.hh101.id}/").content.decode()


def test_codes_page_svg_is_the_payload(world):
    uri = codes.svg_data_uri(world.su)
    assert uri == segno.make(codes.code_payload(world.su), error=codes.QR_ERROR,
                             micro=False).svg_data_uri(scale=1, border=4)


@pytest.mark.parametrize("who,status", [("resident", 404), ("other_staff", 404),
                                        ("leader", 403), ("volunteer", 404)])
def test_codes_of_another_household_are_refused(world, who, status):
    c = session(getattr(world.users, who))
    assert c.get(f"/households/{world.hh102.id}/codes/").status_code == status


def test_someone_without_a_household_has_no_codes_page(world):
    assert session(world.users.staff).get("/my/codes/").status_code == 404


# --- re-issuing ------------------------------------------------------------------------

def test_reissue_makes_the_old_code_stop_working(world):
    staff = actor_for(world.users.staff)
    old = codes.code_payload(world.su)
    c = session(world.users.staff)
    r = c.post(f"/residents/{world.su.id}/reissue-code/")
    assert r.status_code == 302
    su = Resident.objects.get(pk=world.su.pk)
    assert codes.code_payload(su) != old
    with pytest.raises(NotFound):
        cards.resident_by_code(staff.scope, old)
    assert cards.resident_by_code(staff.scope, codes.code_payload(su)).id == su.id
    event = AuditEvent.objects.get(action="resident.reissue_code")
    assert event.target_id == su.id and event.actor == world.users.staff
    assert world.su.token not in str(event.changes) and su.token not in str(event.changes)


def test_reissue_refused_to_roles_that_may_not_edit(world):
    assert session(world.users.leader).post(
        f"/residents/{world.su.id}/reissue-code/").status_code == 403
    assert session(world.users.other_staff).post(
        f"/residents/{world.su.id}/reissue-code/").status_code == 404
    assert session(world.users.staff).get(
        f"/residents/{world.su.id}/reissue-code/").status_code == 405
    assert Resident.objects.get(pk=world.su.pk).token == world.su.token


def test_api_reissue(world):
    c = session(world.users.staff)
    r = c.post(f"/api/v1/residents/{world.su.id}/reissue-code")
    assert r.status_code == 200, r.content
    su = Resident.objects.get(pk=world.su.pk)
    assert r.json() == {"id": su.id, "code": "FK1:" + su.token}


@pytest.mark.parametrize("token", ["11ZRUX-ERRU-DUNWV31GCQ", "11ZRUX-ERRU-DUN-V31GCQ"])
def test_the_printed_code_never_breaks_its_line_after_a_dash(token):
    """A line ending in "-" reads as a word hyphenated across two lines: a reader drops the
    dash and the code is wrong (a PDF reader took it for a soft hyphen too). The code's two
    lines split beside the middle where the first line ends in a letter or digit, and the
    two lines still read back as the whole code."""
    typed = codes.typed_form(token)
    card = cards.Card(name="苏霞", address="光明小区 1号楼 1单元 101", community="光明社区",
                      payload=codes.PREFIX + token, typed=typed)
    pages, text = pdf_text(cards.render_pdf([card]))
    code_lines = [ln for ln in text.splitlines() if any(g in ln for g in typed.split()[1:])]
    assert len(code_lines) == 2, text
    assert not code_lines[0].rstrip().endswith("-"), code_lines
    assert " ".join(" ".join(code_lines).split()) == typed
