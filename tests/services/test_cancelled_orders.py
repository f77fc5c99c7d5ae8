"""A cancelled order reads as cancelled to the household (found walking the demo: the
building's leader changed a door on the group sheet, and the resident's page showed the old
order, cancelled, like the new one, as if both were coming). The orders that count are
listed; the cancelled ones apart, struck, with when and why; what is still to come is one
figure (`queries.order_amount` over `queries.COMING`) on the page and in the API, and agrees
with the amounts owed file once the gate checked it."""

import datetime
import io
import uuid
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from fangkong.services.actions import handoff
from fangkong.services.models import Order
from tests.conftest import actor_for
from tests.conftest import client_of as _client


def _orders_part(page):
    return page.split('id="orders"')[1].split("</ul>")[0]


def test_a_group_order_changed_by_the_leader_reads_as_cancelled_and_is_not_counted(world, svc):
    w = world
    leader = _client(w.users.leader)
    leader.post(f"/services/p/{w.building.id}/groups/", {
        "supplier": svc.supplier.id, "title": "周五集单",
        "closes_at": (timezone.localtime() + datetime.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")})
    group = svc.supplier.group_orders.get()
    url = f"/services/groups/{group.id}/"
    v, e = f"q{w.hh101.id}_{svc.veg.id}", f"q{w.hh101.id}_{svc.eggs.id}"
    assert leader.post(url, {"token": str(uuid.uuid4()), v: "2", e: "2",
                             f"q{w.hh102.id}_{svc.rice.id}": "1"}).status_code == 302
    first = Order.objects.get(group=group, household=w.hh101)
    assert first.total == Decimal("130.80")  # 2 × 39.90 + 2 × 25.50
    # the leader changes 101 to one bag of vegetables: its first order gives way to a new one
    assert leader.post(url, {"token": str(uuid.uuid4()), v: "1", e: "2",
                             f"q{w.hh102.id}_{svc.rice.id}": "1"}).status_code == 302
    first.refresh_from_db()
    new = Order.objects.get(group=group, household=w.hh101, state="placed")
    assert first.state == "cancelled" and first.cancelled_why == "group_changed" and first.cancelled_at
    assert new.total == Decimal("90.90")

    resident = _client(w.users.resident)
    page = resident.get(f"/services/households/{w.hh101.id}/").content.decode()
    live = _orders_part(page)
    assert "蔬菜包 × 1" in live and "蔬菜包 × 2" not in live and "已取消" not in live
    assert "还有 1 单待送达，共 ¥90.90（不计已取消的）。" in page
    gone = page.split('id="orders-cancelled"')[1].split("</details>")[0]
    when = timezone.localtime(first.cancelled_at).strftime("%m-%d %H:%M")
    assert "已取消的订单（1）：不会送达，不计入" in gone
    struck = gone.split("<s>")[1].split("</s>")[0]  # struck through: what was ordered, not coming
    assert struck.startswith("楼栋集单 ") and struck.endswith(" · ¥130.80")
    assert "蔬菜包 × 2" in struck and "鸡蛋 30枚 × 2" in struck
    assert f"取消于 {when}" in gone and "楼栋集单已改：以新的一单为准" in gone and "已取消" in gone

    # the API says the same: the state, nothing counted, when and why; the same figure
    api = {o["id"]: o for o in resident.get(f"/api/v1/services/orders?household={w.hh101.id}").json()}
    old = api[first.id]
    assert (old["state"], old["amount"], old["coming"], old["cancelled_why"]) == (
        "cancelled", "0.00", False, "group_changed")
    assert old["cancelled_at"] is not None and old["total"] == "130.80"  # what was ordered, kept
    assert (api[new.id]["amount"], api[new.id]["coming"]) == ("90.90", True)
    assert sum(Decimal(o["amount"]) for o in api.values() if o["coming"]) == Decimal("90.90")

    # checked at the gate (one box of eggs short): page, API and the amounts owed file agree,
    # and the cancelled order is in none of the batch's files
    staff = actor_for(w.users.staff)
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    assert not batch.lines.filter(order=first).exists()
    eggs = batch.lines.get(order=new, name__startswith="鸡蛋")
    handoff.check_line(actor_for(svc.vol_user), eggs, "short", received=1)
    handoff.receive_rest(actor_for(svc.vol_user), batch)
    page = resident.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert "还有 1 单待送达，共 ¥65.40（不计已取消的）。" in page  # 39.90 + 25.50 came
    api = {o["id"]: o for o in resident.get(f"/api/v1/services/orders?household={w.hh101.id}").json()}
    assert sum(Decimal(o["amount"]) for o in api.values() if o["coming"]) == Decimal("65.40")
    assert api[first.id]["amount"] == "0.00"
    c_staff = _client(w.users.staff)
    book = load_workbook(io.BytesIO(c_staff.get(f"/services/batches/{batch.id}/owed.xlsx").content))
    rows = {r[0]: r[2] for r in book.active.iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert Decimal(str(rows["光明小区 1号楼 1单元 101"])).quantize(Decimal("0.01")) == Decimal("65.40")
    manifest = load_workbook(io.BytesIO(c_staff.get(f"/services/batches/{batch.id}/manifest.xlsx").content))
    assert first.id not in [r[0] for r in manifest.active.iter_rows(min_row=2, values_only=True)]


def test_a_door_taken_out_of_the_group_and_an_order_cancelled_by_hand_say_so(world, svc):
    w = world
    leader = _client(w.users.leader)
    leader.post(f"/services/p/{w.building.id}/groups/", {
        "supplier": svc.supplier.id, "title": "周五集单",
        "closes_at": (timezone.localtime() + datetime.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")})
    group = svc.supplier.group_orders.get()
    url = f"/services/groups/{group.id}/"
    leader.post(url, {"token": str(uuid.uuid4()), f"q{w.hh101.id}_{svc.veg.id}": "1"})
    leader.post(url, {"token": str(uuid.uuid4()), f"q{w.hh101.id}_{svc.veg.id}": ""})  # emptied
    resident = _client(w.users.resident)
    hh = f"/services/households/{w.hh101.id}/"
    cid = str(uuid.uuid4())
    resident.post(hh, {"do": "order", "supplier": svc.supplier.id, f"q{svc.rice.id}": "1", "client_id": cid})
    mine = Order.objects.get(client_id=cid)
    resident.post(hh, {"do": "cancel", "order": mine.id, "confirm": "1"})
    assert Order.objects.get(pk=mine.pk).cancelled_why == "by_hand"
    page = resident.get(hh).content.decode()
    assert "待送达" not in page and "除已取消的以外，没有订单。" in _orders_part(page)
    gone = page.split('id="orders-cancelled"')[1].split("</details>")[0]
    assert "已取消的订单（2）" in gone and "已从楼栋集单中移出" in gone
    assert "<s>大米 5kg × 1 · ¥32.00</s>" in gone
