"""A supplier's manifest that changes what a household gets (found on the gate walk: the file
cut 蔬菜包 3→2, priced 大米 32→35, dropped 鸡蛋, swapped 蔬菜包 for 蔬菜包（6种） and left a sealed
family's order out; the household's page and the API kept the old lines and ¥, the order
left out went back to waiting in silence, and nobody was told). The order shows what the
supplier sends, each change marked, with the new total — page and API alike; the household
and its grid worker are told once per import; the order left out is said in the import's
message and on the batch page, and its household told."""

import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.notify.models import Notification
from fangkong.services.models import Batch, Order
from tests.conftest import client_of as _client


def _order(c, **body):
    r = c.post("/api/v1/services/orders", {"client_id": str(uuid.uuid4()), **body}, content_type="application/json")
    assert r.status_code == 201, r.content
    return r.json()["id"]


def _told(user, key_part):
    return list(Notification.objects.filter(user=user, key__contains=key_part).order_by("id"))


def test_the_suppliers_changes_reach_the_order_and_the_household(world, svc):
    w = world
    staff = _client(w.users.staff)
    s = svc.supplier.id
    a = _order(staff, household=w.hh101.id, supplier=s, lines=[
        {"item": svc.veg.id, "quantity": 3}, {"item": svc.rice.id, "quantity": 1}, {"item": svc.eggs.id, "quantity": 1}])
    b = _order(staff, household=w.hh102.id, supplier=s, lines=[{"item": svc.veg.id, "quantity": 2}])
    c = _order(staff, household=w.hh201.id, supplier=s, lines=[{"item": svc.rice.id, "quantity": 1}])
    made = staff.post("/api/v1/services/batches", {"supplier": s, "checkpoint": svc.gate.id,
                                                   "due_at": timezone.now().isoformat()}, content_type="application/json")
    assert made.status_code == 201, made.content
    batch = Batch.objects.get(pk=made.json()["id"])
    assert staff.get(f"/api/v1/services/orders/{a}").json()["total"] == "177.20"  # 3×39.90 + 32 + 25.50

    csv = ("订单号,商品,数量,单价,金额\n"
           f"{a},蔬菜包,2,39.90,\n"
           f"{a},大米 5kg,1,35.00,\n"
           f"{b},蔬菜包（6种）,2,35.00,\n").encode("gb18030")
    sup = _client(w.users.supplier)
    r = sup.post(f"/services/batches/{batch.id}/manifest/import/", {"file": SimpleUploadedFile("m.csv", csv)},
                 follow=True)
    said = [str(m) for m in r.context["messages"]]
    assert any("1 单" in m and "201" in m and "不在清单中" in m for m in said), said
    assert Order.objects.get(pk=c).state == Order.State.PLACED

    # the API: the supplier's lines, each change marked, the new total
    got = staff.get(f"/api/v1/services/orders/{a}").json()
    assert got["total"] == "114.80" and got["ordered_total"] == "177.20" and got["changed"] is True
    lines = {ln["name"]: ln for ln in got["lines"]}
    assert lines["蔬菜包"]["change"] == ["quantity"] and lines["蔬菜包"]["was_quantity"] == 3
    assert lines["蔬菜包"]["change_text"] == "数量 3→2"
    assert lines["大米 5kg"]["change"] == ["price"] and lines["大米 5kg"]["price"] == "35.00"
    assert lines["鸡蛋 30枚"]["change"] == ["removed"] and lines["鸡蛋 30枚"]["change_text"] == "已删除"
    got_b = staff.get(f"/api/v1/services/orders/{b}").json()
    assert [(ln["name"], ln["change"], ln["was_name"]) for ln in got_b["lines"]] == [
        ("蔬菜包（6种）", ["replaced"], "蔬菜包")]
    assert got_b["total"] == got_b["amount"] == "70.00"

    # the household's page says the same
    page = staff.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert "数量 3→2" in page and "改价 32.00→35.00" in page and "已删除" in page and "¥114.80" in page
    assert "蔬菜包 换成 蔬菜包（6种）" in staff.get(f"/services/households/{w.hh102.id}/").content.decode()

    # the household (and its grid worker) told once, in their language; the one left out too
    mine = _told(w.users.resident, f"services.manifest.{batch.id}.{a}.")
    assert len(mine) == 1 and "数量 3→2" in mine[0].body and "114.80" in mine[0].body
    assert mine[0].translations["en"]["body"].startswith("蔬菜包: quantity 3 → 2")
    assert len(_told(w.users.grid, f"services.manifest.{batch.id}.{a}.")) == 1
    assert len(_told(w.users.grid, f"services.manifest.{batch.id}.{c}.released")) == 1
    # the same file again: nothing changed, nobody told again
    sup.post(f"/services/batches/{batch.id}/manifest/import/", {"file": SimpleUploadedFile("m.csv", csv)})
    assert len(_told(w.users.resident, f"services.manifest.{batch.id}.{a}.")) == 1

    # the staff's batch page says which order is back to waiting
    page = staff.get(f"/services/batches/{batch.id}/").content.decode()
    assert 'id="left-out"' in page and "不在清单中，已退回待下批" in page
