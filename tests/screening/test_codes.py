"""What the app prints, the station reads: render the code-card PDF, decode every QR on it
with a real decoder (zxing-cpp, as a scanner's firmware does), and send exactly that text
— and what hand scanners and phone cameras make of it — to the station's API (single scans
and offline batches) and page. Every form registers its person; none is refused."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from fangkong.registry import actions as reg
from fangkong.registry import cards, codes
from fangkong.screening.models import Sample, Tube
from tests.conftest import IDS, actor_for, log_in

from .conftest import api, cid

zxingcpp = pytest.importorskip("zxingcpp")
pdfium = pytest.importorskip("pypdfium2")


def fullwidth(text: str) -> str:
    """As a Chinese input method types it: full-width letters, digits and colon."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# What a scanner, camera or person delivers for a printed code `t` ("FK1:<token>").
VARIANTS = {
    "as printed": lambda t: t,
    "scanner Enter (CR LF)": lambda t: t + "\r\n",
    "scanner Tab": lambda t: t + "\t",
    "spaces around": lambda t: "  " + t + "  ",
    "lower case (scanner setting)": lambda t: t.lower(),
    "Caps Lock on (case swapped)": lambda t: t.swapcase(),
    "upper case": lambda t: t.upper(),
    "full-width (Chinese input method)": fullwidth,
    "full-width colon only": lambda t: t.replace(":", "："),
    "in a URL path": lambda t: "https://fangkong.example/c/" + t,
    "in a URL query, escaped": lambda t: "https://fangkong.example/scan?code=" + quote(t, safe=""),
}


def printed_codes(world, people=16) -> list[tuple[str, str]]:
    """Print cards for a household of `people`, render the PDF at 200 dpi and decode it:
    [(decoded text, the name printed beside it)] for every card, in print order."""
    staff = actor_for(world.users.staff)
    for i in range(people - 1):
        reg.create_resident(staff, world.hh201, {"name": f"住户{i:02d}", "relation": "子女"})
    pdf, _f, n = cards.print_cards(staff, household=world.hh201, everyone=True)
    assert n == people
    doc = pdfium.PdfDocument(pdf)
    found = []
    for page in doc:
        image = page.render(scale=200 / 72).to_pil().convert("L")
        codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        # reading order on the page: top to bottom, left to right (the print order)
        codes.sort(key=lambda c: (round(c.position.top_left.y / 100), c.position.top_left.x))
        found += [c.text for c in codes]
    order = cards.card_residents(staff.scope, households=[world.hh201], everyone=True)
    assert len(found) == len(order) == people
    return [(text, r.name) for text, r in zip(found, order, strict=True)]


def test_every_printed_qr_decodes_to_its_persons_code(world):
    decoded = printed_codes(world, people=12)
    staff = actor_for(world.users.staff)
    for text, name in decoded:
        assert text.startswith("FK1:")
        assert cards.resident_by_code(staff.scope, text).name == name


def test_the_parser_reads_every_form_a_scanner_delivers(world):
    code = codes.code_payload(world.su)
    for label, make in VARIANTS.items():
        assert codes.parse_code(make(code)).lower() == world.su.token.lower(), label
    # a bare token only where asked for (the station's own look-ups); never an ID number
    assert codes.parse_code(world.su.token) is None
    assert codes.parse_code(world.su.token, bare=True) == world.su.token
    assert codes.parse_code("14010619480904786X", bare=True) is None
    assert codes.parse_code("https://fangkong.example/c/" + world.su.token) is None


@pytest.mark.parametrize("endpoint", ["scan", "sync"])
def test_the_station_api_registers_every_printed_code_in_every_form(world, rnd, client, endpoint):
    """Each printed card, decoded and then sent in one of the forms above, registers the
    person it names: one at a time (/scan) and as one offline batch (/sync)."""
    decoded = printed_codes(world, people=len(VARIANTS) + 1)
    # the household is in unit 2 of the round's community; tubes of one so none fills
    client.force_login(world.users.staff)
    sent = []
    events = []
    for i, ((text, name), (label, make)) in enumerate(zip(decoded, VARIANTS.items(), strict=False)):
        barcode = f"T{i:04d}"
        body = {"client_id": cid(), "barcode": barcode, "person": make(text)}
        sent.append((label, name, body))
        if endpoint == "scan":
            r = api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": barcode, "capacity": 1})
            assert r.status_code == 201, r.content
            r = api(client, "post", f"/rounds/{rnd.id}/scan", body)
            assert r.status_code == 200, (label, r.content)
            assert r.json()["name"] == name, label
        else:
            events += [{"client_id": cid(), "type": "open", "barcode": barcode, "capacity": 1},
                       dict(body, type="scan")]
    if endpoint == "sync":
        r = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": events})
        assert r.status_code == 200, r.content
        out = r.json()
        assert out["ok"] == len(events) and out["conflicts"] == 0, out
        scans = out["results"][1::2]
        assert [o["name"] for o in scans] == [name for _l, name, _b in sent]
    registered = set(Sample.objects.filter(round=rnd).values_list("resident__name", flat=True))
    assert registered == {name for _l, name, _b in sent}


def test_a_reissued_card_is_refused_in_every_form(world, rnd, client):
    old = codes.code_payload(world.su)
    reg.reissue_code(actor_for(world.users.staff), world.su)
    client.force_login(world.users.staff)
    api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"})
    for label, make in VARIANTS.items():
        r = api(client, "post", f"/rounds/{rnd.id}/scan",
                {"client_id": cid(), "barcode": "T0001", "person": make(old)})
        assert r.status_code == 409 and r.json()["error"]["code"] == "unknown_person", label
    assert not Sample.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_station_page_registers_printed_codes_typed_by_a_hand_scanner(phone_page, world, rnd):
    """A hand scanner is a keyboard: it types the decoded text and presses Enter. The codes
    of the printed cards, typed as printed, in lower case (a scanner setting), with Caps
    Lock on and with a Chinese input method's full-width characters, each register their
    person; the spoken line names them."""
    decoded = printed_codes(world, people=4)
    forms = [VARIANTS["as printed"], VARIANTS["lower case (scanner setting)"],
             VARIANTS["Caps Lock on (case swapped)"], VARIANTS["full-width colon only"]]
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    # an ID card scanned before any tube (the worker forgot the tube): no tube is opened
    # under the ID number; the page says to scan the tube first
    page.locator("#scan-input").press_sequentially(IDS["xia_ming"])
    page.press("#scan-input", "Enter")
    expect(page.locator("#say")).to_have_class("say bad")
    expect(page.locator("#say")).to_contain_text("先扫试管")
    assert not Tube.objects.filter(round=rnd).exists()
    # a wrong tube opened and left empty is set aside by the next tube scanned (it cannot
    # be sealed: there is nothing in it)
    page.locator("#scan-input").press_sequentially("E9999")
    page.press("#scan-input", "Enter")
    expect(page.locator("#tube-label")).to_contain_text("E9999")
    for i, ((text, name), make) in enumerate(zip(decoded, forms, strict=True)):
        if i % 3 == 0:  # pools of 3: a new tube when the last one closed
            page.locator("#scan-input").press_sequentially(f"T{i:04d}")
            page.press("#scan-input", "Enter")
            expect(page.locator("#tube-label")).to_contain_text(f"T{i:04d}")
        page.locator("#scan-input").press_sequentially(make(text))
        page.press("#scan-input", "Enter")
        expect(page.locator("#say")).to_contain_text(name)
        expect(page.locator("#say")).to_have_class("say good")
    page.shot("screening-station-printed-codes")
    assert set(Sample.objects.filter(round=rnd).values_list("resident__name", flat=True)) == {
        name for _t, name in decoded}
    assert page.problems == [], page.problems



def test_a_scanned_code_finds_its_person_in_the_look_ups(world, rnd, client):
    """The station's "find a person" box and the registry's search read codes too."""
    client.force_login(world.users.staff)
    code = codes.code_payload(world.xia)
    for label, make in VARIANTS.items():
        found = api(client, "get", f"/rounds/{rnd.id}/lookup?q={quote(make(code).strip())}").json()
        assert [p["name"] for p in found] == ["夏明"], label
    r = client.get(f"/api/v1/residents?q={quote(code.lower())}").json()
    assert [p["name"] for p in r["results"]] == ["夏明"]
    other = api(client, "get", f"/rounds/{rnd.id}/lookup?q={quote(codes.code_payload(world.other_person))}")
    assert other.json() == []  # the round's area only
