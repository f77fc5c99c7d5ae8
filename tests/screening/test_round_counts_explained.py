"""Walker (staff_guangming, 2026-12-07): the place said "305 households · 520 residents", the
round page "Households covered: … of 301", the grid worker's message "500 people to be
tested" while the round page said 502 — three figures, no word why. The round page now says
how many more households have nobody to test (all away, in hospital, in quarantine or
exempt), and the planned message says its count is the one at planning time."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.screening import figures
from fangkong.screening.actions import planning

pytestmark = pytest.mark.django_db


def _round(world):
    now = timezone.now()
    return planning.plan_round(Actor.system(world.users.staff), world.community, {
        "name": "第4轮核酸", "kind": "pcr", "starts_at": (now + datetime.timedelta(hours=1)).isoformat(),
        "ends_at": (now + datetime.timedelta(hours=8)).isoformat(), "pool_size": 10})


def test_the_round_page_says_how_many_households_have_nobody_to_test(world, system, login):
    reg.update_resident(system, world.xia, {"presence": "hospital"})  # 102: 夏明 alone
    rnd = _round(world)
    fig = figures.coverage(rnd, world.community)
    assert (fig["households"], fig["households_none"]) == (2, 1)  # 101, 201 to test; 102 nobody
    assert figures.coverage(rnd, world.unit2)["households_none"] == 0
    c = login(world.users.staff)
    page = c.get(reverse("screening_round", args=[rnd.id])).content.decode()
    assert "已覆盖户数：0 / 2" in page and "另有 1 户无需检测：均外出、住院、隔离或免检" in page, page
    c.cookies["django_language"] = "en"
    page = c.get(reverse("screening_round", args=[rnd.id])).content.decode()
    assert "1 more household has nobody to test: all away, in hospital, in quarantine or exempt" in page
    # nothing said when every household has someone to test
    reg.update_resident(system, world.xia, {"presence": "home"})
    page = c.get(reverse("screening_round", args=[rnd.id])).content.decode()
    assert "nobody to test" not in page


def test_the_planned_message_counts_at_planning_time(world):
    _round(world)
    note = Notification.objects.get(kind="screening.round_planned", user=world.users.grid)
    assert re.search(r"第一网格应检 \d+ 人（安排时）。", note.body), note.body
    with translation.override("en"):
        body = note.said()[1]
    assert re.search(r"第一网格: \d+ (person|people) to be tested \(at planning time\)\.", body), body
