"""On a phone in Chromium: the grid worker's landing page the evening before lists the round
planned for tomorrow morning with their grid's figure, one tap from the round's page.
Screenshot: test-output/screenshots/grid-planned-round.png."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.core.actor import Actor
from fangkong.screening import figures
from fangkong.screening.actions import planning
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_grid_worker_sees_tomorrows_round_on_their_home(phone_page, world):
    d = timezone.localdate() + datetime.timedelta(days=1)
    at = lambda hh: timezone.make_aware(datetime.datetime.combine(d, datetime.time(hh)))  # noqa: E731
    rnd = planning.plan_round(Actor.system(world.users.staff), world.community, {
        "name": "第4轮核酸", "kind": "pcr", "starts_at": at(7), "ends_at": at(14), "pool_size": 10})
    n = figures.coverage(rnd, world.grid)["to_sample"]
    page = phone_page
    log_in(page, "grid_a")
    page.goto(f"{page.base}/places/{world.grid.id}/")
    row = page.locator(f'[data-planned="{rnd.id}"]')
    expect(row).to_contain_text(f"明天 07:00–14:00 第4轮核酸：第一网格应检 {n} 人")
    box = row.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, box  # on the first screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("grid-planned-round")
    row.click()
    page.wait_for_load_state()
    assert f"/screening/rounds/{rnd.id}/" in page.url
    assert not page.problems, page.problems
