"""The next morning on a phone (390×844), in headless Chromium: yesterday's rounds nobody
ended are flagged on the community's page ("已过计划结束时间 14:00，请结束本轮", the end button)
and not listed under "正在检测"; staff end one from there (asked first). The street's officer
reads her locked report of last night: as of the communities' 20:00, summed at 20:45, and
"光明社区已更正（第2版，21:10）" with what changed and the corrected version offered.
Screenshots in test-output/screenshots/next-day-*.png — look at them."""

import datetime

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.reports import actions
from fangkong.screening.actions import planning
from fangkong.screening.models import Round
from tests.conftest import log_in, switch_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def test_the_next_morning_on_a_phone(phone_page, world):
    page, w = phone_page, world
    d = timezone.localdate() - datetime.timedelta(days=1)
    staff = Actor.system(w.users.staff)
    rnd = planning.plan_round(staff, w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": at(d, 7), "ends_at": at(d, 14), "pool_size": 10})
    planning.set_status(staff, rnd, "running")
    log_in(page, "staff_a")
    page.goto(f"{page.base}/places/{w.community.id}/")
    flag = page.locator(f"[data-overrun='{rnd.id}']")
    assert "请结束本轮" in flag.inner_text() and page.locator("text=正在检测").count() == 0
    page.shot("next-day-01-round-past-its-end")
    flag.locator("button").click()
    page.wait_for_selector(".confirm")
    page.shot("next-day-02-end-asks-first")
    page.click(".confirm-yes button")
    page.wait_for_load_state()
    assert Round.objects.get(pk=rnd.pk).status == "closed"
    # the street's locked report of last night, and a correction below it
    street, other = Actor.system(w.users.street), Actor.system(w.users.other_staff)
    a1 = actions.submit(staff, actions.prepare(staff, w.community, d, now=at(d, 20, 35)), "", now=at(d, 20, 35))
    actions.submit(other, actions.prepare(other, w.other, d, now=at(d, 20, 35)), "", now=at(d, 20, 35))
    locked = actions.submit(street, actions.prepare(street, w.street, d, now=at(d, 20, 45)), "", now=at(d, 20, 45))
    reg.create_resident(Actor.system(), w.hh102, {"name": "夏雨", "relation": "子女"})
    actions.submit(staff, actions.correct(staff, a1, "漏报一人", now=at(d, 21, 5)), "", now=at(d, 21, 10))
    switch_to(page, "command_street")
    page.goto(f"{page.base}/reports/{locked.id}/")
    assert page.locator("[data-as-of]").inner_text().startswith(f"数据截至 {d:%m-%d} 20:00")
    said = page.locator("#changed-below").inner_text()
    assert "光明社区已更正（第2版，21:10）" in said and "居民 4 → 5" in said
    page.shot("next-day-03-street-report-corrected-below")
    assert page.problems == []
