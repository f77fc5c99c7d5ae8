"""A sealed family's orders, walked (resident_demo, 光明小区 3号楼 101): a medicine order
with a need-by told nobody, and its need-by passing raised no alarm; an order read "配送中"
while its delivery was only expected at the gate at 15:30, a time the family never saw;
the staff's household page counted 2 open requests and left out the medicine request
waiting for the family and the pharmacy order still placed."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.services.actions import catalogue, handoff, orders, requests
from fangkong.services.models import Category, Order, Request
from fangkong.services.tasks import recover_services
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


def pharmacy(w):
    """A pharmacy the community buys from by hand: no login, no phone."""
    return catalogue.create_supplier(Actor.system(w.users.staff), w.community,
                                     {"name": "老百姓大药房", "kind": "pharmacy"})


def medicine_order(w, supplier, hours=3):
    return orders.place_order(actor_for(w.users.resident), w.hh101, supplier, [], medicine="二甲双胍片 0.5g",
                              deadline=timezone.now() + datetime.timedelta(hours=hours), client_id=uuid.uuid4())


def told(key):
    return set(Notification.objects.filter(key=key).values_list("user_id", flat=True))


def test_a_medicine_order_to_a_supplier_without_logins_tells_the_grid_worker_and_staff(world):
    w = world
    o = medicine_order(w, pharmacy(w))
    who = told(f"services.order.{o.id}.placed")
    assert who == {w.users.grid.id, w.users.staff.id}
    n = Notification.objects.filter(key=f"services.order.{o.id}.placed", user=w.users.grid).get()
    assert "二甲双胍片 0.5g" in n.body and "老百姓大药房" in n.title
    assert n.url == reverse("services_household", args=[w.hh101.id]) + "#orders"
    # in every reader's language: the inbox row keeps both
    assert "药品订单" in n.translations["zh-hans"]["title"] and "medicine order" in n.translations["en"]["title"]
    # a retry (same client id) tells nobody again
    orders.place_order(actor_for(w.users.resident), w.hh101, o.supplier, [], medicine="二甲双胍片 0.5g",
                       client_id=o.client_id)
    assert Notification.objects.filter(key=f"services.order.{o.id}.placed").count() == 2


def test_an_order_to_a_supplier_with_a_login_tells_its_supplier(world, svc):
    w = world
    o = orders.place_order(actor_for(w.users.resident), w.hh101, svc.supplier, [(svc.veg.id, 2)])
    assert told(f"services.order.{o.id}.placed") == {w.users.supplier.id}
    n = Notification.objects.get(key=f"services.order.{o.id}.placed")
    assert n.url == reverse("supplier_home") and "蔬菜包 × 2" in n.body


def test_an_order_past_its_need_by_alarms_once_like_an_overdue_request(world):
    from fangkong.services.actions.order_news import escalate_late_orders

    w = world
    o = medicine_order(w, pharmacy(w), hours=2)
    assert escalate_late_orders() == 0  # not yet
    later = timezone.now() + datetime.timedelta(hours=3)
    assert escalate_late_orders(later) == 1
    assert escalate_late_orders(later) == 0  # once an order: a retried pass tells nobody again
    assert told(f"services.order.{o.id}.late") == {w.users.grid.id, w.users.staff.id}
    n = Notification.objects.get(key=f"services.order.{o.id}.late", user=w.users.staff)
    assert "二甲双胍片 0.5g" in n.body and "等待供应商" in n.translations["zh-hans"]["body"]
    assert AuditEvent.objects.filter(action="services.order.late").count() == 1
    assert Order.objects.get(pk=o.pk).late_told_at is not None
    # the worker's recovery pass runs it too; a delivered or cancelled order is never late
    o2 = medicine_order(w, o.supplier, hours=1)
    orders.cancel_order(actor_for(w.users.resident), o2)

    class Live:
        now = later
    out = recover_services(Live)
    assert out["services_orders_late"] == 0 and not told(f"services.order.{o2.id}.late")


def test_the_order_says_it_is_expected_at_the_gate_at_its_time_on_the_page_and_the_api(world, svc, login):
    w = world
    o = orders.place_order(actor_for(w.users.resident), w.hh101, svc.supplier, [(svc.veg.id, 1)])
    c = login(w.users.resident)
    page = c.get(reverse("services_household", args=[w.hh101.id])).content.decode()
    assert 'data-progress="at_supplier"' in page
    due = timezone.localtime(timezone.now() + datetime.timedelta(hours=4)).replace(second=0, microsecond=0)
    handoff.create_batch(actor_for(w.users.staff), svc.supplier, svc.gate, due_at=due, orders=[o.id])
    assert Order.objects.get(pk=o.pk).state == Order.State.IN_BATCH
    page = c.get(reverse("services_household", args=[w.hh101.id])).content.decode()
    badge = page.split(f'id="progress-{o.id}"')[1].split("</span>")[0]
    assert 'data-progress="expected"' in badge and due.strftime("%H:%M") in badge and "卡口" in badge
    assert "配送中" not in badge
    got = c.get(f"/api/v1/services/orders/{o.id}").json()
    assert got["progress"] == "expected" and due.strftime("%H:%M") in got["progress_text"]
    assert datetime.datetime.fromisoformat(got["expected_at"]) == due
    en = c.get(f"/api/v1/services/orders/{o.id}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["progress_text"].startswith("Expected at the gate")


def test_an_order_past_its_time_at_the_gate_says_it_is_late(world, svc, login, monkeypatch):
    """Walk (family): at 15:38 the order still read "预计 15:30 到达卡口" — late could not be
    told from on time. Past its time, still expected: it says so, on the page and the API."""
    w = world
    o = orders.place_order(actor_for(w.users.resident), w.hh101, svc.supplier, [(svc.veg.id, 1)])
    due = timezone.localtime(timezone.now() + datetime.timedelta(hours=1)).replace(second=0, microsecond=0)
    handoff.create_batch(actor_for(w.users.staff), svc.supplier, svc.gate, due_at=due, orders=[o.id])
    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() + datetime.timedelta(hours=1, minutes=8))
    c = login(w.users.resident)
    page = c.get(reverse("services_household", args=[w.hh101.id])).content.decode()
    badge = page.split(f'id="progress-{o.id}"')[1].split("</span>")[0]
    assert 'data-progress="expected"' in badge and "已晚点" in badge and due.strftime("%H:%M") in badge
    got = c.get(f"/api/v1/services/orders/{o.id}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert got["progress_text"].startswith("Late: expected at the gate") and got["progress"] == "expected"


def test_the_staff_household_page_counts_requests_waiting_for_the_family_and_open_orders(world, svc, login):
    w = world
    requests.install_categories()
    staff = actor_for(w.users.staff)
    med = requests.raise_request(staff, w.hh101, Category.objects.get(code="medicine"), "降压药快吃完了")
    requests.take(actor_for(w.users.grid), med)
    requests.done(actor_for(w.users.grid), Request.objects.get(pk=med.pk), "药已买到，放在门口")
    repair = requests.raise_request(staff, w.hh101, Category.objects.get(code="repair"), "水管漏水")
    o = medicine_order(w, pharmacy(w))
    html = login(w.users.staff).get(reverse("household", args=[w.hh101.id])).content.decode()
    card = html.split('id="open-requests"')[1].split("</section>")[0]
    assert 'data-open-work="3"' in html
    assert f'data-request="{med.id}"' in card and "待住户确认" in card
    assert f'data-request="{repair.id}"' in card and f'data-order="{o.id}"' in card and "二甲双胍片" in card
    api = login(w.users.staff).get(f"/api/v1/services/households/{w.hh101.id}/open-work").json()
    assert api["count"] == 3 and api["requests_n"] == 2 and api["orders_n"] == 1
    assert {r["id"] for r in api["requests"]} == {med.id, repair.id} and api["orders"][0]["id"] == o.id
    # the medicine request's page, marked done, shows the pharmacy order still open
    page = login(w.users.resident).get(reverse("services_request", args=[med.id])).content.decode()
    assert 'id="orders-like"' in page and "二甲双胍片 0.5g" in page and "等待供应商" in page
