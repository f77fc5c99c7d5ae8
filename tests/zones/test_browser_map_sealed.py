"""The printable zone map never leaves a sealed building unnamed (walker: 8号楼's label hidden
by the declutter, the legend saying 封控区 101 户): on a phone (390×844) with neighbouring
buildings whose labels cover each other, every sealed building's label stays on the map,
and the table under the map names every zoned place with its households and people, on
screen and in print. Screenshots: test-output/screenshots/zones-map-sealed-*.png."""

import json

import pytest

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones.actions import shapes
from fangkong.zones.actions.policy import install_presets
from tests.conftest import actor_for, log_in
from tests.zones.test_rules import designate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

W = 0.00008  # a building about 7 m wide: its neighbours' labels overlap at the fitted zoom


def square(x):
    x0, y0 = 112.55 + x * W * 1.1, 37.87
    return json.dumps({"type": "Polygon", "coordinates": [[[x0, y0], [x0 + W, y0], [x0 + W, y0 + W], [x0, y0 + W]]]})


def building(w, name, people, x):
    system = Actor.system()
    b = reg.create_place(system, w.compound, Kind.BUILDING, name)
    u = reg.create_place(system, b, Kind.UNIT, "1单元")
    for i, person in enumerate(people):
        hh = reg.create_household(system, u, f"{101 + i}")
        reg.create_resident(system, hh, {"name": person})
    shapes.save_shape(actor_for(w.users.staff), b, square(x))
    return b


def test_every_sealed_building_is_named_on_the_phone_and_in_print(phone_page, world):
    install_presets()
    w, page = world, phone_page
    seven = building(w, "7号楼", ["甲一", "甲二"], 0)
    eight = building(w, "8号楼", ["乙一"], 1)
    nine = building(w, "9号楼", ["丙一", "丙二"], 2)
    designate(w, seven, "sealed")
    designate(w, eight, "sealed", number="第19号")
    designate(w, nine, "controlled", number="第20号")

    log_in(page, "staff_a")
    page.goto(f"{page.base}/zones/p/{w.community.id}/map/")
    page.wait_for_selector("#map[data-ready]")
    page.wait_for_timeout(300)
    page.shot("zones-map-sealed-01-phone")
    tips = page.locator(".leaflet-tooltip-pane .map-label")
    shown = [tips.nth(i).inner_text() for i in range(tips.count()) if tips.nth(i).is_visible()]
    for name in ("7号楼", "8号楼"):  # every sealed building's label is on the map
        assert any(t.startswith(f"{name} · ") for t in shown), (name, shown)
    table = page.locator("#zone-places")
    assert table.is_visible()
    rows = {table.locator("tbody tr").nth(i).locator("th").inner_text(): table.locator("tbody tr").nth(i).inner_text()
            for i in range(table.locator("tbody tr").count())}
    assert "光明小区 7号楼" in rows and "光明小区 8号楼" in rows and "光明小区 9号楼" in rows
    assert "封控区" in rows["光明小区 7号楼"] and "\t2\t2" in rows["光明小区 7号楼"]
    assert "封控区" in rows["光明小区 8号楼"] and "管控区" in rows["光明小区 9号楼"]
    assert list(rows).index("光明小区 8号楼") < list(rows).index("光明小区 9号楼")  # sealed first
    page.emulate_media(media="print")  # the notice's attachment: the table prints
    assert table.is_visible()
    page.shot("zones-map-sealed-02-print")
    page.emulate_media(media="screen")


def test_a_sealed_block_shows_its_red_under_its_label(phone_page, world):
    """At the opening zoom a small sealed building was hidden under its own centred label:
    every block on the phone looked orange (walked 2026-12-07). The label sits above its
    building and carries the zone's colour as a bar, so the red shows twice."""
    install_presets()
    w, page = world, phone_page
    building(w, "6号楼", ["丁一"], 0)
    seven = building(w, "7号楼", ["甲一", "甲二"], 3)
    designate(w, seven, "sealed")

    log_in(page, "staff_a")
    page.goto(f"{page.base}/zones/p/{w.community.id}/map/")
    page.wait_for_selector("#map[data-ready]")
    page.wait_for_timeout(300)
    page.shot("zones-map-sealed-03-red-shows")
    label = page.locator(".leaflet-tooltip-pane .map-label", has_text="7号楼")
    bar = label.locator("> span").first.evaluate(
        "e => [getComputedStyle(e).borderLeftWidth, getComputedStyle(e).borderLeftColor]")
    assert bar[0] == "6px" and bar[1] not in ("rgba(0, 0, 0, 0)", "transparent"), bar
    # the sealed block's own middle is the block, not its label: one sees its red
    found = page.evaluate("""() => {
        const paths = [...document.querySelectorAll('.leaflet-overlay-pane path')];
        const sealed = paths.filter(p => p.getAttribute('stroke-width') === '3');
        return sealed.map(p => { const r = p.getBoundingClientRect();
            const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height * 0.75);
            return at === p; });
    }""")
    assert found == [True], found
