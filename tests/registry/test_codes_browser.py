"""A family on a phone (390×844, real headless Chromium, in Chinese) finds their elderly
member's typed code and the link that prints her card on their codes page, and the link
gives her card as a PDF. Screenshots: test-output/screenshots/."""

import pytest
from playwright.sync_api import expect

from fangkong.registry import codes
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_family_finds_the_print_link_for_their_member_on_a_phone(phone_page, world):
    page = phone_page
    log_in(page, "resident_a")
    page.goto(page.base + "/my/codes/")
    card = page.locator(f"#code-{world.su.id}")
    typed = card.locator(".typed")
    expect(typed).to_have_text(codes.typed_form(world.su))
    link = card.get_by_role("link", name=f"打印{world.su.name}的核酸码卡")
    link.scroll_into_view_if_needed()
    expect(link).to_be_visible()
    expect(page.get_by_role("link", name="打印全户核酸码卡")).to_be_visible()
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("family-codes-print-link")
    pdf = page.context.request.get(page.base + link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
