"""On a phone (390×844): the street seals building 1 under its own notice; the family of
101 opens its home and reads the zone, since when and the notice (one tap to its text), and
its inbox says the same; the community's staff find the street's notice on their notices
list and under "已发布". Screenshots zones-told-*.png — look at them."""

import pytest
from django.utils import timezone

from fangkong.zones.actions import publish as pub
from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import ZoneType
from tests.conftest import actor_for, log_in, switch_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_family_and_the_staff_read_the_streets_seal_on_a_phone(phone_page, world):
    install_presets()
    w, page = world, phone_page
    street = actor_for(w.users.street)
    n = pub.create_notice(street, w.street, {
        "number": "迎泽防控〔2022〕19号", "issued_by": "桥东街道疫情防控指挥部",
        "title": "关于将光明小区1号楼划为封控区的通告",
        "text": "自即日起，光明小区1号楼实行封控管理，足不出户、服务上门。", "effective_at": timezone.now().isoformat()})
    adj = pub.draft(street, w.street, "1号楼封控", notice=n)
    pub.add_item(street, adj, pub.Op.CREATE, w.building, ZoneType.objects.get(policy__is_active=True, code="sealed"))
    pub.publish(street, adj)

    log_in(page, "resident_a")  # the family's home: the zone, since when, the notice
    page.wait_for_selector("#zone-now")
    head = page.inner_text("#zone-now")
    assert "封控区" in head and "迎泽防控〔2022〕19号" in head and "足不出户" in head
    page.shot("zones-told-01-family-home")
    page.click("#zone-now a:has-text('19号')")
    page.wait_for_selector("h1")
    body = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "自即日起" in body and "光明小区 1号楼" in body
    page.shot("zones-told-02-notice")
    page.goto(f"{page.base}/inbox/")
    assert "光明小区 1号楼自" in page.inner_text("body")
    page.shot("zones-told-03-family-inbox")

    switch_to(page, "staff_a")
    page.goto(f"{page.base}/zones/p/{w.community.id}/notices/")
    assert "迎泽防控〔2022〕19号" in page.inner_text("body")
    page.shot("zones-told-04-staff-notices")
    page.goto(f"{page.base}/zones/p/{w.community.id}/")
    page.click("summary:has-text('未来7天')")
    assert "关于将光明小区1号楼划为封控区的通告" in page.inner_text("body")
    page.shot("zones-told-05-staff-zones")
    page.goto(f"{page.base}/inbox/")
    assert "区域调整已发布" in page.inner_text("body")
    page.shot("zones-told-06-staff-inbox")
