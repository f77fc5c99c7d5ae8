"""A community worker on a phone (390×844) in real headless Chromium: log in, import the
roster, find a person by pinyin initials, open the household. Screenshots go to
test-output/screenshots/ — look at them."""

import io
from pathlib import Path

import openpyxl
import pytest

from fangkong.registry.models import Resident
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "roster-sample.xlsx"


def roster_bytes():
    """The sample roster from shared/ where present, else a small one in the same shape."""
    if SAMPLE.exists():
        return SAMPLE.read_bytes(), 120
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["光明社区居民花名册（2022年4月）"])
    ws.append(["序号", "姓名", "性别", "身份证号", "联系电话", "小区", "楼栋", "单元", "门牌号",
               "与户主关系", "人员状态", "重点人群", "备注"])
    ws.append([1, "孙秀兰", "女", "14010619480904786X", "17446416120", "光明小区", "1号楼", "1单元",
               "101", "户主", "在家", "独居老人", None])
    ws.append([2, "于海涛", "男", "140106194902100530", "17629786286", "光明小区", "1号楼", "1单元",
               "103", "户主", "在家", None, None])  # 102 has its head already (夏明, the world's)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), 2



def test_staff_imports_roster_then_finds_a_person_by_initials(phone_page, world):
    page = phone_page
    log_in(page, "staff_a")
    assert "光明社区" in page.text_content("h1")
    page.shot("01-community")

    page.click("text=导入花名册")
    page.shot("02-import-form")
    content, n = roster_bytes()
    page.set_input_files("#f-file", files=[{"name": "光明社区花名册.xlsx", "buffer": content,
                                            "mimeType": "application/octet-stream"}])
    page.click("text=检查文件")
    page.wait_for_selector(".status-checked", timeout=60_000)  # checked: nothing written yet
    page.click("#import-confirm")
    page.wait_for_selector(".status-done", timeout=60_000)
    page.shot("03-import-done")
    assert Resident.objects.filter(community=world.community).count() >= n

    # Two taps to a household: search by pinyin initials, tap the result.
    page.goto(page.base + f"/places/{world.community.id}/")
    person = Resident.objects.filter(community=world.community, initials__gt="").exclude(
        name__in=["苏霞", "于海涛", "夏明", "王新勇"]).order_by("id").first()
    page.fill("input[type=search]", person.initials)
    page.wait_for_selector(f"#results >> text={person.name}")
    page.shot("04-search-initials")
    page.click(f"#results >> text={person.name}")
    page.wait_for_selector(".person-card")
    assert person.name in page.text_content("main")
    page.shot("05-household")

    # Reveal one ID number (audited) with htmx.
    card = page.locator(f"#r{person.id}")
    if card.locator("text=显示").count():
        card.locator("text=显示").click()
        page.wait_for_selector(f"#r{person.id} .revealed")
    assert not page.problems, page.problems


def test_building_board_on_a_phone(phone_page, world):
    page = phone_page
    log_in(page, "grid_a")
    page.goto(page.base + f"/places/{world.building.id}/")
    assert page.locator(".door").count() == 3
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"
    page.shot("06-building-board")
    page.goto(page.base + f"/places/{world.grid.id}/vulnerable/")
    page.shot("07-vulnerable-list")
    assert "苏霞" in page.text_content("main")
    assert not page.problems, page.problems


def test_resident_sees_only_their_household_in_english(phone_page, world):
    page = phone_page
    log_in(page, "resident_a")
    page.click("text=English")
    page.wait_for_load_state()
    assert "苏霞" in page.text_content("main")
    assert "Phone" in page.text_content("main")
    page.shot("08-resident-own-household-en")
    assert not page.problems, page.problems
    resp = page.goto(page.base + f"/households/{world.hh102.id}/")
    assert resp.status == 404
    assert "夏明" not in page.text_content("body")
