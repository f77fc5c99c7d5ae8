"""On a phone (390×844) in headless Chromium: staff draft an adjustment (seal building 1),
see the difference, attach the notice and publish it (asked first); the map shows the
buildings coloured by zone; at the checkpoint a person of the sealed building is refused.
Screenshots in test-output/screenshots/ (zones-*.png) — look at them."""

import json

import pytest

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones import queries
from fangkong.zones.actions import shapes
from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import Adjustment
from tests.conftest import IDS, actor_for, log_in, switch_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_problems(page):
    assert not page.problems, page.problems


def test_draft_diff_publish_then_map_and_checkpoint(phone_page, world):
    install_presets()
    w, page = world, phone_page
    gate = reg.create_place(Actor.system(), w.compound, Kind.CHECKPOINT, "东门卡口")
    ring = [[112.55, 37.87], [112.5505, 37.87], [112.5505, 37.8701], [112.55, 37.8701], [112.55, 37.87]]
    shapes.import_geojson(actor_for(w.users.staff), w.community, json.dumps({
        "type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "1号楼"}, "geometry": {"type": "Polygon", "coordinates": [ring]}},
            {"type": "Feature", "properties": {"name": "东门卡口"},
             "geometry": {"type": "Point", "coordinates": [112.5497, 37.8700]}}]}))

    # 1. staff start a draft from the community's zones page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/zones/p/{w.community.id}/")
    page.shot("zones-01-community")
    page.fill("#f-title", "第18号通告：1号楼封控")
    page.click("text=开始起草")
    page.wait_for_selector("#f-place")
    page.select_option("#f-place", str(w.building.id))
    page.select_option("#f-type", label=page.locator("#f-type option", has_text="封控区").first.inner_text())
    page.click("text=加入草稿")
    page.wait_for_selector("#diff table.moves")  # htmx loaded the difference
    assert "3 户、4 人" in page.inner_text("#diff")
    page.shot("zones-02-draft-diff")

    # 2. the notice, then publish: asked first, then done
    page.fill("#f-number", "第18号")
    page.fill("#f-issued", "桥东街道疫情防控指挥部")
    page.fill("#f-ntitle", "关于1号楼实行封控管理的通告")
    page.click("text=附上通告")
    page.wait_for_load_state()
    page.click("text=现在发布…")
    page.wait_for_selector(".confirm")
    assert "3 户、4 人" in page.inner_text(".confirm")
    page.shot("zones-03-confirm-publish")
    page.click(".confirm-yes button")
    page.wait_for_selector(".msg")
    page.wait_for_selector("#diff table.moves")
    assert "3 户、4 人的区域已改变" in page.inner_text("#diff")  # done, not "will change"
    page.shot("zones-04-published")
    assert Adjustment.objects.get().state == "published"
    assert queries.household_zone(w.hh101.id).zone_type.code == "sealed"

    page.goto(f"{page.base}/zones/p/{w.community.id}/lifting/")
    assert "还差" in page.inner_text("main")  # day 0 of 14: the count says how many days to go
    page.shot("zones-04b-lifting")
    page.goto(f"{page.base}/zones/households/{w.hh101.id}/")
    assert "封控区" in page.inner_text("main")
    page.shot("zones-04c-household-history")

    # 3. the map: the building drawn red, labelled, no tiles
    page.goto(f"{page.base}/zones/p/{w.community.id}/map/")
    page.wait_for_selector(".leaflet-interactive")
    assert "1号楼" in page.inner_text(".leaflet-tooltip-pane")
    assert page.locator("path.leaflet-interactive[fill='#c0392b']").count() == 1
    page.shot("zones-05-map")

    # 4. the checkpoint: 夏明 (building 1) typed by ID number, going out: refused, with why
    switch_to(page, "grid_a")
    page.goto(f"{page.base}/zones/p/{w.compound.id}/gate/")
    page.fill("#f-person", IDS["xia_ming"])
    page.click("label:has(> input[name=direction][value=out])")  # the guard taps the big labels
    page.click("label:has(> input[name=colour][value=green])")  # none ticked in advance: the guard looks and chooses
    assert page.is_checked("input[name=direction][value=out]") and page.is_checked("input[name=colour][value=green]")
    page.fill("#f-temp", "36.6")
    page.shot("zones-06-checkpoint-form")
    page.click("#gate-form button.primary")
    page.wait_for_selector("#verdict")
    assert "拒绝通行" in page.inner_text("#verdict") and "足不出户" in page.inner_text("#reason")
    page.shot("zones-07-checkpoint-refused")
    assert gate.id
    no_problems(page)
