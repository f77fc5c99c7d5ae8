"""A worker at 5 a.m. types the code of a crumpled card by hand when its QR will not scan,
and reads O for 0, I or l for 1, _ for -. The station (single scans and offline batches,
API and page) and its look-up find the person all the same (`codes.token_key` folds the
look-alikes; the unique index is on the folded key); a code wrong in a real character is
still nobody's."""

import pytest
from django.db.models import F
from playwright.sync_api import expect

from fangkong.core.actor import Actor
from fangkong.registry import codes
from fangkong.registry.models import Resident, TokenKey
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Sample
from tests.conftest import log_in

from .conftest import api, cid

TOKEN = "Vx3pQe0mS2n_yLk9aBcD1w"  # 0, 1, L and _: each has a look-alike
TYPED = [  # the typed form `FK1: VX3P QE0M S2N- Y1K9 ABCD 1W` as misread
    "FK1: VX3P QEOM S2N- Y1K9 ABCD 1W",    # O for 0
    "FK1: VX3P QE0M S2N- YIK9 ABCD IW",    # I for 1
    "fk1: vx3p qe0m s2n- ylk9 abcd lw",    # l for 1, in lower case
    "FK1: VX3P QEOM S2N_ YLK9 ABCD lW",    # all at once, _ for -
    "FK1:Vx3pQe0mS2n-yLk9aBcD1w",           # the QR's text with - for _
    "Vx3pQeOmS2n-yIk9aBcDlw",               # bare, as the station's own look-ups send
]
WRONG = ["FK1: VX3P QEOM S2N- Y1K9 ABCD 1X", "FK1: WX3P QE0M S2N- Y1K9 ABCD 1W",
         "FK1: VX3P QE0M S2N- Y1K8 ABCD 1W"]


@pytest.fixture
def su(world):
    Resident.objects.filter(pk=world.su.pk).update(token=TOKEN)
    world.su.refresh_from_db()
    return world.su


def test_the_key_in_sql_is_the_key_in_python(world):
    """The index's expression (`TokenKey`) and `codes.token_key` fold alike, character by
    character, over the whole URL-safe base64 alphabet."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    tokens = [alphabet[i:i + 22] for i in range(0, 64, 22)]
    for r, token in zip(Resident.objects.order_by("id")[:3], tokens, strict=True):
        Resident.objects.filter(pk=r.pk).update(token=token)
    rows = Resident.objects.filter(token__in=tokens).annotate(key=TokenKey(F("token")))
    assert {r.token: r.key for r in rows} == {t: codes.token_key(t) for t in tokens}
    assert codes.token_key(alphabet) == ("abcdefgh1jk1mn0pqrstuvwxyzabcdefgh1jk1mn0pqrstuvwxyz"
                                         "0123456789--")


def test_a_single_scan_finds_a_code_typed_with_look_alikes(world, rnd, client, su):
    client.force_login(world.users.staff)
    for k, typed in enumerate(TYPED):
        Sample.objects.filter(round=rnd).delete()
        assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": f"T{k:04d}"}).status_code == 201
        r = api(client, "post", f"/rounds/{rnd.id}/scan",
                {"client_id": cid(), "barcode": f"T{k:04d}", "person": typed})
        assert r.status_code == 200, (typed, r.content)
        assert r.json()["name"] == su.name
    for typed in WRONG:
        r = api(client, "post", f"/rounds/{rnd.id}/scan",
                {"client_id": cid(), "barcode": f"T{k:04d}", "person": typed})
        assert r.status_code == 409 and r.json()["error"]["code"] == "unknown_person", typed


def test_an_offline_batch_finds_codes_typed_with_look_alikes(world, rnd, su):
    staff = Actor.system(world.users.staff)
    events = [{"client_id": cid(), "type": "open", "barcode": "B0001", "capacity": 5},
              {"client_id": cid(), "type": "scan", "barcode": "B0001", "person": TYPED[3]},
              *({"client_id": cid(), "type": "scan", "barcode": "B0001", "person": w} for w in WRONG)]
    out = sync(staff, rnd, events)
    assert [o["status"] for o in out] == ["ok", "ok", "conflict", "conflict", "conflict"], out
    assert out[1]["name"] == su.name
    assert all(o["kind"] == "unknown_person" for o in out[2:])
    # the same person typed another way is the same person: already sampled, not twice
    again = sync(staff, rnd, [{"client_id": cid(), "type": "scan", "barcode": "B0001", "person": TYPED[1]}])
    assert again[0]["status"] == "conflict" and again[0]["kind"] == "already_sampled", again
    assert list(Sample.objects.filter(round=rnd).values_list("resident_id", flat=True)) == [su.id]


def test_the_station_look_up_and_the_registry_search_find_look_alikes(world, rnd, client, su):
    from urllib.parse import quote

    client.force_login(world.users.staff)
    for typed in TYPED[:-1]:  # (both search boxes take codes with their prefix)
        found = api(client, "get", f"/rounds/{rnd.id}/lookup?q={quote(typed)}").json()
        assert [p["name"] for p in found] == [su.name], typed
        r = client.get(f"/api/v1/residents?q={quote(typed)}").json()
        assert [p["name"] for p in r["results"]] == [su.name], typed
    for typed in WRONG:
        assert api(client, "get", f"/rounds/{rnd.id}/lookup?q={quote(typed)}").json() == [], typed
        assert client.get(f"/api/v1/residents?q={quote(typed)}").json()["results"] == [], typed


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_station_page_registers_a_code_typed_with_look_alikes(phone_page, world, rnd):
    """Typed on the station's page as misread from the card, the code registers its person
    and the spoken line names them; typed again another way, the page knows her already."""
    Resident.objects.filter(pk=world.su.pk).update(token=TOKEN)
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    page.locator("#scan-input").press_sequentially("T0001")
    page.press("#scan-input", "Enter")
    expect(page.locator("#tube-label")).to_contain_text("T0001")
    page.locator("#scan-input").press_sequentially(TYPED[3])
    page.press("#scan-input", "Enter")
    expect(page.locator("#say")).to_contain_text(world.su.name)
    expect(page.locator("#say")).to_have_class("say good")
    # the QR's own text, then the code misread another way: the page knows her already
    # (its key folds look-alikes as the server's does), without asking the server
    for again in ("FK1:" + TOKEN, TYPED[1]):
        page.locator("#scan-input").press_sequentially(again)
        page.press("#scan-input", "Enter")
        expect(page.locator("#say")).to_contain_text(world.su.name + " 已在本台扫过")
        expect(page.locator("#say")).to_have_class("say bad")
        page.locator("#scan-input").press_sequentially("T0001")  # (the line changes between)
        page.press("#scan-input", "Enter")
    page.locator("#scan-input").press_sequentially(WRONG[0])
    page.press("#scan-input", "Enter")
    expect(page.locator("#say")).to_have_class("say bad")
    assert list(Sample.objects.filter(round=rnd).values_list("resident_id", flat=True)) == [world.su.id]
    # expected: the refusal of the wrong code itself (409)
    assert [p for p in page.problems if "status of 409" not in p] == [], page.problems
