"""A code typed as read aloud but without the colon (walk "family", 2026-12-07): a colon is
hard to find on a phone keyboard, so the sampler typed the card's `FK1: R85N D-DM TXYF 2063
BX1G -A` as `FK1 R85N D-DM TXYF 2063 BX1G -A` and the station said "不是个人码". "FK1"
followed by a space, or by nothing, is the same code (`codes.parse_code`), at the station's
scan (API and page) and in an offline batch; the station's script tells it from a tube and
knows it for the same person as the colon form (`screening.js`)."""

import pytest
from playwright.sync_api import expect

from fangkong.core.actor import Actor
from fangkong.registry import codes
from fangkong.registry.models import Resident
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Sample
from tests.conftest import log_in

from .conftest import api, cid

TOKEN = "R85nD-dmtxYf2063bX1g-A"  # 22 characters, as every code issued (`new_token`)


@pytest.fixture
def su(world):
    Resident.objects.filter(pk=world.su.pk).update(token=TOKEN)
    world.su.refresh_from_db()
    return world.su


def no_colon(resident) -> str:
    """The card's typed form without its colon: "FK1 R85N D-DM TXYF 2063 BX1G -A"."""
    return codes.typed_form(resident).replace("FK1:", "FK1", 1)


def test_the_parser_reads_fk1_followed_by_a_space_or_nothing(su):
    typed = no_colon(su)
    assert typed == "FK1 R85N D-DM TXYF 2063 BX1G -A"
    key = codes.token_key(TOKEN)
    for text in (typed, typed.lower(), "FK1  R85ND-DMTXYF2063BX1G-A", "FK1R85ND-DMTXYF2063BX1G-A",
                 "FK1R85N D-DM TXYF 2063 BX1G -A", "ＦＫ１ R85N D-DM TXYF 2063 BX1G -A\r\n"):
        got = codes.parse_code(text)
        assert got is not None and codes.token_key(got) == key, text
        assert codes.parse_code(text, bare=True) == got, text
    # a bare code that happens to begin with FK1 is still itself (a code is 22 characters)
    bare = "FK1abcdefghijklmnopqrs"
    assert codes.parse_code(bare, bare=True) == bare
    # not a code: too short after FK1, a tube barcode, an ID number
    for text in ("FK1 ABCD", "FK1", "FK1 ", "FK10001", "110101199003071234"):
        assert codes.parse_code(text, bare=True) is None, text


def test_the_stations_scan_registers_a_code_typed_without_the_colon(world, rnd, client, su):
    client.force_login(world.users.staff)
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "GMH0003"}).status_code == 201
    r = api(client, "post", f"/rounds/{rnd.id}/scan",
            {"client_id": cid(), "barcode": "GMH0003", "person": no_colon(su)})
    assert r.status_code == 200, r.content
    assert r.json()["name"] == su.name
    # the same card typed with its colon, or glued to its prefix: the same person, already here
    for again in (codes.typed_form(su), "FK1R85ND-DMTXYF2063BX1G-A"):
        r = api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "GMH0003", "person": again})
        assert r.status_code == 409 and r.json()["error"]["code"] == "already_sampled", (again, r.content)
    assert list(Sample.objects.filter(round=rnd).values_list("resident_id", flat=True)) == [su.id]


def test_an_offline_batch_registers_a_code_typed_without_the_colon(world, rnd, su):
    out = sync(Actor.system(world.users.staff), rnd, [
        {"client_id": cid(), "type": "open", "barcode": "B0001", "capacity": 3},
        {"client_id": cid(), "type": "scan", "barcode": "B0001", "person": no_colon(su)}])
    assert [o["status"] for o in out] == ["ok", "ok"], out
    assert out[1]["name"] == su.name


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_station_page_takes_a_code_typed_without_the_colon(phone_page, world, rnd, su):
    from .test_browser import scan

    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    # no tube open yet: the script knows it for a person's code, not a bad tube barcode
    scan(page, no_colon(su))
    expect(page.locator("#say")).to_have_text("这是核酸码：请先扫试管条码。")
    scan(page, "GMH0003")
    expect(page.locator("#tube-left")).to_have_text("3")
    scan(page, no_colon(su))
    expect(page.locator("#say")).to_contain_text(su.name)
    expect(page.locator("#tube-left")).to_have_text("2")
    # typed again with the colon: the phone itself knows it for the same person (no request)
    asked = []
    page.on("request", lambda req: asked.append(req.url) if "/scan" in req.url else None)
    scan(page, codes.typed_form(su))
    expect(page.locator("#say")).to_contain_text("已在本台扫过")
    scan(page, "fk1r85nd-dmtxyf2063bx1g-a")  # glued to the prefix, in lower case: the same
    expect(page.locator("#say")).to_contain_text("已在本台扫过")
    assert asked == []
    assert list(Sample.objects.filter(round=rnd).values_list("resident_id", flat=True)) == [su.id]
    assert not page.problems, page.problems
