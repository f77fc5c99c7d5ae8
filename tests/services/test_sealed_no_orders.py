"""A newly sealed building's supplies (walk "zone", defect 7): 4号楼 was sealed at 18:43, 28
households, many elderly living alone, and its services page said only "还没有到货批次". Now a
sealed place's services page, the community's services page and panel say how many sealed
households have no supplies ordered for today or tomorrow, and list them, those with someone
vulnerable first; the API says the same. Which households are sealed is read through the
registry's zone hook (`registry.queries.zone_q`)."""

import uuid

import pytest

from fangkong.services.actions import orders
from tests.conftest import actor_for, seal_now

pytestmark = pytest.mark.django_db


def _card(html):
    card = html[html.index('id="sealed-no-orders"'):]
    return card[:card.index("</section>")]


def test_a_sealed_buildings_households_without_supplies_are_listed_vulnerable_first(login, world, svc):
    w = world
    staff = login(w.users.staff)
    assert 'id="sealed-no-orders"' not in staff.get(f"/services/p/{w.building.id}/").content.decode()
    seal_now(w)
    card = _card(staff.get(f"/services/p/{w.building.id}/").content.decode())
    assert "3 户封控中（共 3 户），今日/明日无物资订单" in card
    # 101: 苏霞 独居老人、行动不便; 102: 夏明 卧床; 201: nobody tagged
    assert card.index(f"/services/households/{w.hh101.id}/") < card.index(f"/services/households/{w.hh102.id}/") \
        < card.index(f"/services/households/{w.hh201.id}/")
    assert "独居老人" in card and "卧床" in card
    orders.place_order(actor_for(w.users.staff), w.hh102, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    card = _card(staff.get(f"/services/p/{w.community.id}/").content.decode())
    assert "2 户封控中（共 3 户）" in card and f"/services/households/{w.hh102.id}/" not in card
    panel = staff.get(f"/places/{w.community.id}/").content.decode()
    assert "2 户封控中（共 3 户），今日/明日无物资订单" in panel and "#sealed-no-orders" in panel
    assert 'id="sealed-no-orders"' not in login(w.users.other_staff).get(
        f"/services/p/{w.other.id}/").content.decode()


def test_the_api_lists_them_and_refuses_outsiders(login, world, svc):
    w = world
    seal_now(w)
    url = f"/api/v1/services/places/{w.building.id}/sealed-without-orders"
    out = login(w.users.staff).get(url).json()
    assert (out["sealed"], out["n"]) == (3, 3)
    assert [h["id"] for h in out["households"]] == [w.hh101.id, w.hh102.id, w.hh201.id]
    assert "独居老人" in out["households"][0]["tags"] and out["households"][0]["weight"] > out["households"][1]["weight"]
    assert login(w.users.resident).get(url).status_code == 404
    assert login(w.users.other_staff).get(url).status_code == 404
    assert login(w.users.supplier).get(url).status_code == 404
    assert login(w.users.staff).get("/api/v1/services/places/987654321/sealed-without-orders").status_code == 404
