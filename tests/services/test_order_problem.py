"""这单有问题 (walk "zone", defect 8): the gate marked 101's rice damaged, and the family had
no way to say so on the order — the complaint went in as "其他", due in 24 hours, linked to
neither the order nor the gate's exception, and closing the exception left it open. Now each
order delivered or on its way has "这单有问题" (page and API, one action): a 物资问题 request
linked to the order and its line, shown on the staff's exception; resolving that exception
answers the request with the same words, and the family is told once."""

import datetime
import importlib
import uuid

import pytest
from django.utils import timezone

from fangkong.notify.models import Notification
from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Category, Line, Problem, Request
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


def _delivered(w, svc):
    """101's order of rice and vegetables: the rice damaged at the gate, the door delivered."""
    staff = actor_for(w.users.staff)
    o = orders.place_order(staff, w.hh101, svc.supplier, [(svc.rice.id, 1), (svc.veg.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    rice = Line.objects.get(batch=b, name="大米 5kg")
    handoff.check_line(staff, rice, "damaged")
    handoff.receive_rest(staff, b)
    handoff.sign(staff, b, supplier_name="李师傅")
    run = handoff.split(staff, b)[0]
    delivery.confirm_stop(staff, run.stops.get(), delivered=True, client_id=uuid.uuid4())
    o.refresh_from_db()
    return o, rice, Problem.objects.get(batch=b, line=rice)


def test_the_family_reports_the_damaged_rice_and_resolving_the_gate_exception_answers_it(login, client, world, svc):
    w = world
    o, rice, problem = _delivered(w, svc)
    c = login(w.users.resident)
    page = c.get(f"/services/households/{w.hh101.id}/").content.decode()
    box = page[page.index(f'id="order-problem-{o.id}"'):]
    assert "这单有问题" in box and f'value="{rice.id}"' in box and "破损" in box and "完全没收到" in box
    cid = str(uuid.uuid4())
    post = {"do": "order_problem", "order": o.id, "what": "damaged", "line": rice.id,
            "text": "能补送一袋吗？", "client_id": cid}
    assert c.post(f"/services/households/{w.hh101.id}/", post).status_code == 302
    assert c.post(f"/services/households/{w.hh101.id}/", post).status_code == 302  # a retry: the same one
    (req,) = Request.objects.all()
    assert (req.category.code, req.order_id, req.order_line_id, req.order_what) == ("goods", o.id, rice.id, "damaged")
    assert req.category.label == "物资问题" and req.due_at - req.raised_at == datetime.timedelta(hours=4)
    assert "大米 5kg × 1" in req.text and "能补送一袋吗？" in req.text
    seen = c.get(f"/services/requests/{req.id}/").content.decode()
    # the order as the family knows it (supplier, day, goods), never its id (walk "family" 7)
    assert "的订单，大米 5kg × 1：破损。" in seen and f"订单 {o.id}" not in seen
    assert "卡口核对：大米 5kg：破损 · 尚未处理" in seen
    mine = c.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert f'id="report-{req.id}"' in mine and "已反映问题：破损" in mine

    staff = login(w.users.staff)
    place = staff.get(f"/services/p/{w.community.id}/").content.decode()
    row = place[place.index(f'id="problem-{problem.id}"'):]
    row = row[:row.index("</li>")]
    assert f'href="/services/requests/{req.id}/"' in row and "住户反映：破损" in row
    ask = staff.post(f"/services/p/{w.community.id}/", {"do": "resolve", "problem": problem.id,
                                                        "resolution": "明天随下一批补送一袋"}).content.decode()
    assert "住户对此问题的反映将以同样内容答复" in ask
    staff.post(f"/services/p/{w.community.id}/", {"do": "resolve", "problem": problem.id, "confirm": "1",
                                                  "resolution": "明天随下一批补送一袋"})
    req.refresh_from_db()
    assert req.state == Request.State.DONE and req.result == "明天随下一批补送一袋"
    told = Notification.objects.filter(user=w.users.resident, kind="services.request")
    assert told.count() == 1 and "明天随下一批补送一袋" in told.get().body


def test_another_households_order_is_not_found_and_a_placed_order_cannot_be_reported(login, world, svc):
    w = world
    staff = actor_for(w.users.staff)
    theirs = orders.place_order(staff, w.hh102, svc.supplier, [(svc.veg.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now())
    assert theirs.batch_id is None and Line.objects.filter(batch=b, order=theirs).exists()
    theirs.refresh_from_db()
    c = login(w.users.resident)
    post = {"do": "order_problem", "order": theirs.id, "what": "missing", "client_id": str(uuid.uuid4())}
    assert c.post(f"/services/households/{w.hh101.id}/", post).status_code == 404
    assert c.post(f"/services/households/{w.hh102.id}/", post).status_code == 404
    api = c.post(f"/api/v1/services/orders/{theirs.id}/problem", {"what": "missing"}, content_type="application/json")
    assert api.status_code == 404
    other = login(w.users.other_staff)
    assert other.post(f"/api/v1/services/orders/{theirs.id}/problem", {"what": "missing"},
                      content_type="application/json").status_code == 404
    placed = orders.place_order(staff, w.hh101, svc.supplier, [(svc.veg.id, 1)])
    c = login(w.users.resident)
    page = c.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert f'id="order-problem-{placed.id}"' not in page
    assert c.post(f"/api/v1/services/orders/{placed.id}/problem", {"what": "missing"},
                  content_type="application/json").status_code == 409
    assert not Request.objects.exists()


def test_the_api_reports_once_and_the_exception_lists_it(login, world, svc):
    w = world
    o, rice, problem = _delivered(w, svc)
    c = login(w.users.resident)
    body = {"what": "damaged", "line": rice.id, "text": "袋子破了", "client_id": str(uuid.uuid4())}
    first = c.post(f"/api/v1/services/orders/{o.id}/problem", body, content_type="application/json")
    again = c.post(f"/api/v1/services/orders/{o.id}/problem", body, content_type="application/json")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and Request.objects.count() == 1
    out = first.json()
    assert (out["category"], out["order"], out["order_line"], out["order_what"]) == ("goods", o.id, rice.id, "damaged")
    bad = c.post(f"/api/v1/services/orders/{o.id}/problem", {"what": "lost"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["what"] == ["请选择出了什么问题。"]
    staff = login(w.users.staff)
    (row,) = [p for p in staff.get("/api/v1/services/problems").json() if p["id"] == problem.id]
    assert row["reports"] == [out["id"]]
    done = staff.post(f"/api/v1/services/problems/{problem.id}/resolve", {"resolution": "已补送"},
                      content_type="application/json")
    assert done.status_code == 200
    assert Request.objects.get().state == Request.State.DONE


def test_the_category_is_added_to_old_installations_once(world):
    from django.apps import apps

    from fangkong.services.actions import requests

    requests.install_categories()
    codes = list(Category.objects.values_list("code", flat=True))
    assert codes.index("goods") == codes.index("home_sampling") + 1
    Category.objects.get(code="goods").delete()
    for pos, code in enumerate(x for x in codes if x != "goods"):
        Category.objects.filter(code=code).update(position=pos)
    migration = importlib.import_module("fangkong.services.migrations.0019_goods_category")
    migration.install(apps, None)
    migration.install(apps, None)
    assert list(Category.objects.values_list("code", flat=True)) == codes
    c = Category.objects.get(code="goods")
    assert (c.priority, c.response_minutes) == (2, 240)
