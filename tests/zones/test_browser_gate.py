"""On a phone (390×844) in headless Chromium, at the compound's own gate of a controlled
compound: a case just reported (the escalation still a draft) is refused in red with the
reason and the staff told; a neighbour going to collect goods is let through with the terms
(where, not leaving the compound, back by when). Screenshots in test-output/screenshots/
(zones-gate-*.png) — look at them."""

import datetime

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones.actions import escalate
from fangkong.zones.actions import policy as policy_actions
from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import ZoneType
from tests.conftest import IDS, actor_for, log_in
from tests.zones.test_rules import designate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_case_is_refused_in_red_and_a_collector_told_the_terms(phone_page, world):
    install_presets()
    w, page = world, phone_page
    reg.create_place(Actor.system(), w.compound, Kind.CHECKPOINT, "东门卡口")
    controlled = ZoneType.objects.get(policy__is_active=True, code="controlled")
    policy_actions.update_type(actor_for(w.users.district), controlled, {
        "collect_place_zh": "东门取物点", "collect_from": "00:00", "collect_until": "23:59"})
    designate(w, w.compound, "controlled")
    escalate.record_case(actor_for(w.users.staff), w.su, source="市卫健委通报",
                         confirmed_at=timezone.now() - datetime.timedelta(hours=2))

    log_in(page, "grid_a")
    page.goto(f"{page.base}/zones/p/{w.compound.id}/gate/")
    assert "东门取物点" in page.inner_text("#collect-rules")
    page.fill("#f-person", IDS["su_xia"])
    page.click("label:has(> input[name=direction][value=out])")
    page.click("label:has(> input[name=colour][value=green])")
    page.click("#gate-form button.primary")
    page.wait_for_selector("#verdict")
    assert "拒绝通行" in page.inner_text("#verdict")
    assert "不得放行：本人为确诊病例" in page.inner_text("#reason")
    assert "已通知" in page.inner_text("#held-told")
    page.shot("zones-gate-case-refused")

    if timezone.localtime().time() < datetime.time(23, 58):  # the hours set above end at 23:59
        page.fill("#f-person", IDS["xia_ming"])
        page.click("label:has(> input[name=direction][value=out])")
        page.click("label:has(> input[name=colour][value=green])")
        page.click("#gate-form button.primary")
        page.wait_for_selector("#terms")
        assert "放行" in page.inner_text("#verdict")
        assert "仅限到东门取物点取物，不得离开光明小区，23:59 前返回" in page.inner_text("#terms")
        page.shot("zones-gate-collector-terms")
