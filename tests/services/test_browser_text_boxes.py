"""On a phone (390×844): the family's free-text boxes — "what is needed" (a drug's name and
dose), the order problem's "anything to add" and the pet's care — are as wide as the other
fields, with the same type size (found on the family walk: 171 px wide in small type beside
332 px fields; app.css had no rule for a textarea). Screenshot:
test-output/screenshots/services-text-boxes.png."""

import datetime

import pytest
from django.utils import timezone

from fangkong.services.actions import handoff, orders
from tests.conftest import actor_for, log_in
from tests.services.conftest import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _box(page, selector):
    return page.evaluate("""(sel) => {
        const el = document.querySelector(sel), st = getComputedStyle(el);
        return {width: el.getBoundingClientRect().width, size: st.fontSize, family: st.fontFamily,
                form: el.closest("form").getBoundingClientRect().width};
    }""", selector)


def test_every_text_box_is_as_wide_as_the_fields_beside_it_on_a_phone(phone_page, world):
    w, page = world, phone_page
    s = build_services(w)
    staff = actor_for(w.users.staff)
    orders.place_order(staff, w.hh101, s.supplier, [(s.veg.id, 1)])
    handoff.create_batch(staff, s.supplier, s.gate, due_at=timezone.now() + datetime.timedelta(hours=2))
    log_in(page, "resident_a")
    page.goto(f"{page.base}/services/households/{w.hh101.id}/")
    page.click("#request-box summary")
    page.click("#for-neighbour summary")
    page.click("#pet-box summary")
    page.click("details.order-problem summary")
    field = _box(page, "#f-cat")  # a select of the same form: the width every field has
    room = _box(page, "#f-room")
    assert field["width"] > 300 and abs(room["width"] - field["width"]) < 1
    assert abs(_box(page, "#f-text")["width"] - field["width"]) < 1  # beside the select and the room
    assert abs(_box(page, "#f-pet-care")["width"] - _box(page, "#f-pet-name")["width"]) < 1
    for sel in ("#f-text", "#f-pet-care", "details.order-problem textarea"):
        box = _box(page, sel)
        assert box["width"] > 300 and abs(box["width"] - box["form"]) < 1, (sel, box)  # its form's width
        assert box["size"] == _box(page, "#f-pet-name")["size"] == room["size"], (sel, box)
        assert box["family"] == room["family"]
    page.locator("#f-text").scroll_into_view_if_needed()
    page.shot("services-text-boxes")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.problems, page.problems
