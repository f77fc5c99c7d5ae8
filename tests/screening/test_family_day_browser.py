"""On a phone (390×844) in Chromium, the family's landing page of 3号楼 3单元 301 while a PCR
and an antigen round run: the breadcrumb stays on the screen (it ran to 553 px), ends on a
crumb not a bare "›", links only what the user may open; the code to show at the sampling
table is on the first screen (it sat ~1170 px down). Screenshots: test-output/screenshots/
family-day-*.png."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, log_in

from .test_family_day import both, family  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDEST = """() => {
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.width && r.height && (r.right > window.innerWidth + 0.5 || r.left < -0.5))
      out.push(`${e.tagName}.${e.className} ${Math.round(r.left)}–${Math.round(r.right)}`);
  }
  return out;
}"""


def nothing_off_the_screen(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    off = page.evaluate(WIDEST)
    assert not off, off


def crumbs_of(page):
    """(the crumbs as read, "›" between them as drawn; the links)."""
    nav = page.locator("nav.crumbs")
    said = nav.evaluate("""n => [...n.querySelectorAll('li')].map(li => {
        const sep = getComputedStyle(li, '::before').content;
        return (sep && sep !== 'none' ? '›' : '') + li.textContent.trim(); }).join('')""")
    return said, nav.locator("a").all_inner_texts()


def test_the_family_landing_page_fits_and_shows_the_code_first(phone_page, world, family, both):  # noqa: F811
    from fangkong.accounts.models import User

    User.objects.filter(pk=family.login.pk).update(phone="18900005170")
    page = phone_page
    log_in(page, "family_301", PASSWORD)
    expect(page.locator("#testing-now")).to_contain_text("杨振斌")
    nothing_off_the_screen(page)
    text, links = crumbs_of(page)
    assert not text.endswith("›") and text.endswith("3单元"), text
    assert links == []  # none of these places' pages is the family's to open
    code = page.locator("#show-codes")
    expect(code).to_have_text("出示我家的核酸码")
    box = code.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, box
    page.shot("family-day-1-landing")
    code.click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("杨振斌")
    nothing_off_the_screen(page)


def test_the_staff_breadcrumb_wraps_and_links_what_they_may_open(phone_page, world, family):  # noqa: F811
    page = phone_page
    log_in(page, "grid_a")
    page.goto(f"{page.base}/households/{family.id}/")
    nothing_off_the_screen(page)
    text, links = crumbs_of(page)
    assert not text.endswith("›") and text.count("›") == 6 and text.startswith("迎泽区"), text
    assert links == ["第一网格", "光明小区", "3号楼", "3单元"], links
    assert page.locator("#show-codes").count() == 0  # staff keep theirs with the other tools
    page.shot("family-day-2-staff-household")
    page.goto(f"{page.base}/places/{world.building.id}/")
    nothing_off_the_screen(page)
    assert not crumbs_of(page)[0].endswith("›")
