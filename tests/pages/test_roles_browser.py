"""Each role logs in with its password on a phone (360×740 and 390×844) and lands where
its work is — never on "your account has no place yet" — with a menu of only what it
may use, and nothing wider than the screen. Screenshots: test-output/screenshots/role-*.png."""

import pytest

from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANDING = {
    # who: (username, where they land, text that shows it is their work)
    "volunteer": ("volunteer_a", lambda w: "/volunteers/", "volunteers"),
    "lab": ("lab_op", lambda w: "/screening/lab/", 'name="file"'),
    "supplier": ("supplier_a", lambda w: "/supplier/", "tel:13800000001"),
    "resident": ("resident_a", lambda w: f"/households/{w.hh101.id}/", "苏霞"),
    "staff": ("staff_a", lambda w: f"/places/{w.community.id}/", "光明社区"),
    "command": ("command_district", lambda w: f"/places/{w.district.id}/", "迎泽区"),
}


@pytest.mark.parametrize("size", [(360, 740), (390, 844)])
@pytest.mark.parametrize("who", list(LANDING))
def test_role_lands_on_its_work_after_password_login(phone_page, world, who, size):
    page = phone_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    username, where, mark = LANDING[who]
    log_in(page, username)
    assert page.url == page.base + where(world), who
    html = page.content()
    assert "还没有分配辖区" not in html and mark in html
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0], "wider than the phone"
    page.shot(f"role-{who}-{size[0]}")
    page.click("details.menu summary")
    menu = page.locator("details.menu nav").inner_text()
    if who in ("volunteer", "resident", "supplier"):
        assert "API 令牌" not in menu and "我的辖区" not in menu and "搜索" not in menu
    page.shot(f"role-{who}-{size[0]}-menu")
    assert page.problems == [], page.problems
