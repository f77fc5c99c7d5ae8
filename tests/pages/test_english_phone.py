"""English on a phone (390×844), as a demo walker read it: the staff home's search box and
the call page's "choose a volunteer" list show their whole text, not a cut-off one. The
text is measured in the field's own font against the room the field gives it."""

import pytest

from tests.conftest import log_in
from tests.volunteers.security_routes import setup as volunteer_setup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# [text width, room for it, the text] of a field's placeholder or chosen option.
MEASURE = """(sel) => {
  const el = document.querySelector(sel);
  const cs = getComputedStyle(el);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = cs.font;
  const text = el.tagName === "SELECT" ? el.options[el.selectedIndex].text : el.placeholder;
  const arrow = el.tagName === "SELECT" ? 20 : 0;  // the select's own arrow
  const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - arrow;
  return [ctx.measureText(text).width, room, text];
}"""


def whole(page, sel):
    width, room, text = page.evaluate(MEASURE, sel)
    assert width <= room, f"{text!r} needs {width:.0f}px, the field gives {room:.0f}px"
    return text


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_search_box_and_the_volunteer_list_show_their_whole_text(phone_page, world, lang):
    page = phone_page
    volunteer_setup(world)
    log_in(page, "staff_a")
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.base}])
    page.goto(f"{page.base}/places/{world.community.id}/")
    text = whole(page, "form.search input[type=search]")
    assert ("3-2-501" in text) and (lang != "en" or text.isascii())
    page.shot(f"english-search-{lang}")
    page.goto(f"{page.base}/volunteers/calls/{world.call.id}/")
    whole(page, "select[name=volunteer]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert "{#" not in page.inner_text("main")  # a template's note is not the page's text
    page.shot(f"english-call-{lang}")
