"""On a phone (390×844): 苏霞's son asks for home sampling at night. Choosing 上门采样 shows who
of the household is at home, 苏霞 (独居老人、行动不便) ticked; another kind of help hides the
choice. Sent, the page says she is on the running round's home-sampling list, and the request
page says it too. Screenshots: test-output/screenshots/services-home-sampling-*."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.core.actor import Actor
from fangkong.screening.actions import planning
from fangkong.screening.models import HomeVisit
from fangkong.services.actions import requests
from fangkong.services.models import Request
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_family_asks_for_home_sampling_on_a_phone(phone_page, world):
    w, page = world, phone_page
    requests.install_categories()
    start = timezone.now() - datetime.timedelta(hours=1)
    rnd = planning.plan_round(Actor.system(), w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": start, "ends_at": start + datetime.timedelta(hours=7),
        "pool_size": 10})
    planning.set_status(Actor.system(), rnd, "running")
    log_in(page, "resident_a")
    page.goto(f"{page.base}/services/households/{w.hh101.id}/")
    page.click("#request-box summary")
    who = page.locator("#f-people")
    expect(who).to_be_hidden()  # nothing chosen yet
    page.select_option("#f-cat", "home_sampling")
    expect(who).to_be_visible()
    expect(who.locator(f'input[value="{w.su.id}"]')).to_be_checked()
    expect(who.locator(f'input[value="{w.yu.id}"]')).not_to_be_checked()
    page.fill("#f-text", "母亲82岁独居，下不了楼")
    who.scroll_into_view_if_needed()
    page.shot("services-home-sampling-01-who")
    _fits(page)
    page.select_option("#f-cat", "medicine")
    expect(who).to_be_hidden()
    page.select_option("#f-cat", "home_sampling")
    page.click("#request-box button.primary")
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("苏霞：已列入")
    page.shot("services-home-sampling-02-sent")
    _fits(page)

    r = Request.objects.get(category__code="home_sampling")
    assert HomeVisit.objects.get(round=rnd).request_id == r.id
    page.goto(f"{page.base}/services/requests/{r.id}/")
    expect(page.locator("#home-people")).to_contain_text("苏霞")
    expect(page.locator("#home-lines")).to_contain_text("第3轮核酸 上门采样名单")
    page.shot("services-home-sampling-03-request")
    _fits(page)
    assert not page.problems, page.problems
