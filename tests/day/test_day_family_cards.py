"""A family prints their own member's code card: the elderly member has no smartphone, so
the family (logged in as a resident of the household) opens its codes page, prints her
card (one member, or the whole household) and reads her code aloud when the QR will not
scan. What was printed is read back with a real decoder (zxing-cpp) and sent to the
station's scan API exactly as a hand scanner types it and as a worker types the grouped
text from the page: every form registers her."""

import re

import pytest
from django.test import Client

from fangkong.accounts.roles import Role
from fangkong.screening.models import Sample
from tests.conftest import make_user
from tests.screening.conftest import api, cid, rnd  # noqa: F401 - the round fixture

from .scene import pdf_pages, pdf_text, qr_texts

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def family_prints(world, *, whole=False):
    """The family's way: "my codes", the member's typed form and her "print card" link,
    then the PDF that link gives. → (the typed form on the page, the PDF's bytes)."""
    family = as_user(world.users.resident)
    page = family.get("/my/codes/", follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    typed = re.search(rf'id="typed-{world.su.id}">([^<]+)<', html).group(1)
    link = f"/households/{world.hh101.id}/codes/cards.pdf"
    href = link if whole else f"{link}?member={world.su.id}"
    assert f'href="{href}"' in html, "no print link on the family's codes page"
    pdf = family.get(href)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    return typed, pdf.content


# What reaches the station: a hand scanner types the decoded QR then Enter; a worker types
# the grouped text read out to them, as shown, in lower case, or with a Chinese input method.
FORMS = {
    "qr, hand scanner": lambda qr, typed: qr + "\r\n",
    "qr, as decoded": lambda qr, typed: qr,
    "typed as shown": lambda qr, typed: typed,
    "typed as shown, Enter": lambda qr, typed: typed + "\n",
    "typed in lower case": lambda qr, typed: typed.lower(),
    "typed with a Chinese input method": lambda qr, typed: fullwidth(typed),
}


@pytest.mark.parametrize("form", FORMS)
def test_the_familys_printed_card_registers_its_member_at_the_station(world, rnd, form):  # noqa: F811
    typed, pdf = family_prints(world)
    found = [code for image in pdf_pages(pdf) for code in qr_texts(image)]
    assert len(found) == 1  # her card alone
    qr = found[0]
    assert qr.startswith("FK1:") and re.fullmatch(r"FK1: (\S{4} )+\S{1,4}", typed), typed
    assert typed in " ".join(pdf_text(pdf).split())  # the card carries the same text as the page (two lines)
    staff = as_user(world.users.staff)
    assert api(staff, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"}).status_code == 201
    r = api(staff, "post", f"/rounds/{rnd.id}/scan",
            {"client_id": cid(), "barcode": "T0001", "person": FORMS[form](qr, typed)})
    assert r.status_code == 200, (form, r.content)
    assert r.json()["name"] == world.su.name
    assert Sample.objects.filter(round=rnd, resident=world.su).count() == 1


def test_the_whole_households_cards_read_back_as_its_members(world, rnd):  # noqa: F811
    _typed, pdf = family_prints(world, whole=True)
    found = [code for image in pdf_pages(pdf) for code in qr_texts(image)]
    staff = as_user(world.users.staff)
    api(staff, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0002"})
    names = [api(staff, "post", f"/rounds/{rnd.id}/scan",
                 {"client_id": cid(), "barcode": "T0002", "person": code}).json()["name"]
             for code in found]
    assert sorted(names) == sorted([world.su.name, world.yu.name])


def test_another_household_cannot_print_or_see_her_card(world, system):
    neighbour = make_user(system, "resident_102", Role.RESIDENT, household=world.hh102)
    c = as_user(neighbour)
    base = f"/households/{world.hh101.id}/codes/"
    assert c.get(base).status_code == 404
    assert c.get(base + "cards.pdf").status_code == 404
    assert c.get(base + f"cards.pdf?member={world.su.id}").status_code == 404
    # nor through their own household's page, naming her
    own = f"/households/{world.hh102.id}/codes/cards.pdf"
    assert c.get(own + f"?member={world.su.id}").status_code == 404
    assert c.get(own + f"?member={world.xia.id}").status_code == 200
    # the family cannot print a member of another household through theirs
    family = as_user(world.users.resident)
    assert family.get(base + f"cards.pdf?member={world.xia.id}").status_code == 404
    assert family.get(base + "cards.pdf?member=abc").status_code == 404
