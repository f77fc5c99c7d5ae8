"""On a phone (390×844) in headless Chromium, no map tiles: staff draw building 1's outline
on the map (start, tap four corners, undo one, tap it again, save) and see it coloured as a
sealed area (only its unit 1 is sealed: 部分封控区), labelled, with its households and people; then draw the gate as a point and
are asked before replacing a drawing. The empty map opened at FANGKONG_MAP_CENTER (the
corners tapped are there). Screenshots in test-output/screenshots/
(zones-map-*.png) — look at them."""

import pytest

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import Shape
from tests.conftest import log_in
from tests.zones.test_rules import designate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tap_map(page, x, y):
    page.locator("#map").click(position={"x": x, "y": y})


def test_draw_an_outline_and_see_it_by_zone(phone_page, world, settings):
    settings.FANGKONG_MAP_CENTER = "31.2304,121.4737"  # nothing drawn yet: opens there
    install_presets()
    w, page = world, phone_page
    designate(w, w.unit1, "sealed")
    reg.create_place(Actor.system(), w.compound, Kind.CHECKPOINT, "东门卡口")

    log_in(page, "staff_a")
    page.goto(f"{page.base}/zones/p/{w.community.id}/map/")
    page.wait_for_selector("#map[data-ready]")
    assert "还没有画任何楼栋" in page.inner_text("main")
    page.select_option("#f-shape-place", label="光明小区 1号楼")
    page.shot("zones-map-01-empty")
    page.click("#draw-start")
    assert page.is_disabled("#draw-save")
    for x, y in ((120, 120), (270, 120), (270, 260), (60, 300)):
        tap_map(page, x, y)
    page.click("#draw-undo")  # the last corner was wrong
    tap_map(page, 120, 260)
    assert "已点 4 个角" in page.inner_text("#draw-hint")
    assert page.locator("#map .leaflet-overlay-pane path").count() == 5  # the dashed outline, 4 corners
    page.shot("zones-map-02-drawing")
    page.click("#draw-save")
    page.wait_for_selector(".msg")
    assert "1号楼的轮廓已保存" in page.inner_text(".msg")
    g = Shape.objects.get(place=w.building).geometry
    assert g["type"] == "Polygon" and len(g["coordinates"][0]) == 5
    assert all(abs(lng - 121.4737) < 0.01 and abs(lat - 31.2304) < 0.01 for lng, lat in g["coordinates"][0])

    # coloured by its zone (sealed: red), labelled, counts on tap and in the legend
    page.wait_for_selector("#map[data-ready]")
    assert page.locator("path.leaflet-interactive[fill='#c0392b']").count() == 1
    assert "1号楼 · 部分封控区" in page.inner_text(".leaflet-tooltip-pane")  # its unit 1 is sealed
    assert "户" in page.inner_text(".legend") and "人" in page.inner_text(".legend")
    assert "封控区 2户 3人" in page.inner_text(".leaflet-tooltip-pane")  # counts on the label (print)
    page.shot("zones-map-03-saved")
    page.emulate_media(media="print")  # the notice's attachment: no editor, no buttons
    assert not page.is_visible("#draw") and not page.is_visible(".leaflet-control-zoom")
    page.shot("zones-map-03b-print")
    page.emulate_media(media="screen")
    page.locator("path.leaflet-interactive[fill='#c0392b']").click()
    page.wait_for_selector(".leaflet-popup-content")
    popup = page.inner_text(".leaflet-popup-content")
    assert "封控区" in popup and "户" in popup and "人" in popup, popup
    page.shot("zones-map-04-counts")

    # the gate as one point; drawing building 1 again is asked first
    page.select_option("#f-shape-place", label="光明小区 东门卡口")
    page.click("text=一个点")
    assert page.is_checked("input[name=shape][value=point]")
    page.click("#draw-start")
    tap_map(page, 200, 330)
    page.shot("zones-map-05-point")
    page.click("#draw-save")
    page.wait_for_selector(".msg")
    assert "东门卡口已标在地图上" in page.inner_text(".msg")
    page.wait_for_selector("#map[data-ready]")
    page.select_option("#f-shape-place", label="光明小区 1号楼（已画，保存将替换）")
    page.click("#draw-start")
    for x, y in ((100, 100), (200, 100), (200, 200)):
        tap_map(page, x, y)
    page.click("#draw-save")
    page.wait_for_selector(".confirm")
    assert "替换1号楼的图形" in page.inner_text("main")
    page.shot("zones-map-05-replace-asked")
    assert not page.problems, page.problems


def test_labels_of_neighbouring_buildings_never_cover_each_other(phone_page, world):
    """Four buildings side by side, seen whole on a phone: labels that would overlap are
    hidden, the sealed building's label is the one kept, and zooming in shows them all."""
    from fangkong.zones.actions.shapes import save_shape

    install_presets()
    w, page = world, phone_page
    staff = Actor.system(w.users.staff)
    buildings = [w.building] + [reg.create_place(Actor.system(), w.compound, Kind.BUILDING,
                                                 f"{n}号楼") for n in (2, 3, 4)]
    designate(w, buildings[2], "sealed")
    for i, b in enumerate(buildings):  # 12 m wide, 4 m apart: the labels are wider
        x0 = 112.55 + i * 0.00018
        save_shape(staff, b, {"type": "Polygon", "coordinates": [[
            [x0, 37.87], [x0 + 0.00013, 37.87], [x0 + 0.00013, 37.8702], [x0, 37.8702], [x0, 37.87]]]})
    log_in(page, "staff_a")
    page.goto(f"{page.base}/zones/p/{w.community.id}/map/")
    page.wait_for_selector("#map[data-ready]")

    def shown():
        return page.evaluate("""() => [...document.querySelectorAll('.leaflet-tooltip')]
            .filter(el => el.style.visibility !== 'hidden')
            .map(el => { const r = el.getBoundingClientRect();
                         return {text: el.innerText, l: r.left, r: r.right, t: r.top, b: r.bottom}; })""")

    def overlap(a, b):
        return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]

    labels = shown()
    assert not any(overlap(a, b) for i, a in enumerate(labels) for b in labels[i + 1:]), labels
    assert any(lb["text"].startswith("3号楼 · 封控区") for lb in labels)  # the sealed one stays
    assert len(labels) < 4  # some were hidden: they could not all fit
    page.shot("zones-map-06-neighbours")
    page.click(".leaflet-control-zoom-in")  # twice as large: room for every label
    page.wait_for_function("() => [...document.querySelectorAll('.leaflet-tooltip')]"
                           ".every(el => el.style.visibility !== 'hidden')")
    labels = shown()
    assert not any(overlap(a, b) for i, a in enumerate(labels) for b in labels[i + 1:]), labels
    assert len(labels) == 4
    page.shot("zones-map-07-neighbours-zoomed")
    assert not page.problems, page.problems
