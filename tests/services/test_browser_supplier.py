"""On a phone (390×844): the supplier logs in and lands on its own page (what to prepare,
medicine first; the 15:30 hand-off at the east gate with its line checks; the amount
owed), opens the printable manifest; a building leader enters a group order for the
doors of the building in one go. Screenshots: test-output/screenshots/services-supplier-*,
services-group-*."""

import datetime

import pytest
from django.utils import timezone

from fangkong.services.actions import handoff, orders
from fangkong.services.models import Order
from tests.conftest import actor_for, log_in
from tests.services.conftest import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_supplier_lands_on_its_page_and_opens_the_manifest(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102, w.hh201):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1), (svc.eggs.id, 1)])
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, team=svc.team,
                                 due_at=timezone.localtime().replace(hour=15, minute=30))
    handoff.check_line(staff, batch.lines.filter(name__startswith="鸡蛋").first(), "short", received=0)
    handoff.receive_rest(staff, batch)
    orders.place_order(staff, w.hh101, svc.supplier, [(svc.pills.id, 1)], medicine="硝苯地平 10mg",
                       deadline=timezone.now() + datetime.timedelta(hours=6))
    orders.place_order(staff, w.hh102, svc.supplier, [(svc.rice.id, 2)])

    log_in(page, "supplier_a")
    assert page.url == page.base + "/supplier/"
    text = page.inner_text("main")
    assert "美特好超市" in text and "硝苯地平 10mg" in text and "东门" in text and "短缺" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("services-supplier-01-home")
    page.click(f"#open-{svc.supplier.id} a[href$='/manifest/']")
    page.wait_for_load_state()
    assert "/manifest/" in page.url and "1单元 101" in page.inner_text("#manifest")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("services-supplier-02-manifest")
    assert not page.problems, page.problems


def test_a_leader_enters_a_group_order_on_the_phone(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    log_in(page, "leader_a")  # lands on the building's page: its services card leads on
    assert page.url == f"{page.base}/places/{w.building.id}/"
    page.shot("services-group-00-building")
    page.click(f"#services-panel a[href='/services/p/{w.building.id}/groups/']")
    page.wait_for_load_state()
    page.click("#new-group summary")
    page.fill("#f-title", "周五蔬菜集单")
    page.shot("services-group-01-start")
    page.click("#new-group button.primary")
    page.wait_for_load_state()
    assert "/services/groups/" in page.url
    page.fill(f"input[name=q{w.hh101.id}_{svc.veg.id}]", "1")
    page.fill(f"input[name=q{w.hh101.id}_{svc.eggs.id}]", "2")
    page.fill(f"input[name=q{w.hh201.id}_{svc.rice.id}]", "1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("services-group-02-sheet")
    page.click("#save-all")
    page.wait_for_load_state()
    assert "已保存 2 户的订单" in page.inner_text("main")
    assert Order.objects.filter(group__isnull=False).count() == 2
    page.shot("services-group-03-saved")
    assert not page.problems, page.problems


def test_the_supplier_changes_a_price_and_takes_an_item_off_sale(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    log_in(page, "supplier_a")
    page.click(f"a[href='/services/suppliers/{svc.supplier.id}/catalogue/']")
    page.wait_for_load_state()
    assert "蔬菜包" in page.inner_text("#on-sale")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("services-catalogue-01-list")
    page.fill(f"#price-{svc.eggs.id}", "27.80")
    page.click(f"#item-{svc.eggs.id} button[value=save]")
    page.wait_for_load_state()
    assert "已保存：鸡蛋 30枚，¥27.80" in page.inner_text("main")
    assert page.input_value(f"#price-{svc.eggs.id}") == "27.80"
    page.fill(f"#price-{svc.rice.id}", "-5")
    page.click(f"#item-{svc.rice.id} button[value=save]")
    page.wait_for_load_state()
    assert "金额不能为负数" in page.inner_text(f"#item-{svc.rice.id}")  # on the row itself
    page.screenshot(path="test-output/screenshots/services-catalogue-02b-error-in-view.png")
    page.shot("services-catalogue-02-price-error")
    page.click(f"#item-{svc.veg.id} button[value=off]")
    page.wait_for_load_state()
    assert "已下架：蔬菜包" in page.inner_text("main") and "蔬菜包" in page.inner_text("#off-sale")
    assert "蔬菜包" not in page.inner_text("#on-sale")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("services-catalogue-03-off-sale")
    svc.veg.refresh_from_db()
    svc.eggs.refresh_from_db()
    assert svc.veg.is_active is False and str(svc.eggs.price) == "27.80"
    assert not page.problems, page.problems
