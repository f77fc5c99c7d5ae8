"""The batch's API carries the money the pages print (found on the gate walk: the manifest
page's 清单金额 ¥39020.60 · 核对后应付 ¥38764.80 · 未送达/拒收 ¥79.80 and the .xlsx's 单价/金额
could not be read back from GET /api/v1/services/batches/{id}): each line's price and
amount, and the batch's listed, owed and not-delivered amounts, by the page's function."""

import uuid
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from fangkong.services import queries
from fangkong.services.actions import handoff, orders
from tests.conftest import actor_for


def test_the_batch_api_says_the_amounts_the_manifest_page_prints(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    orders.place_order(staff, w.hh101, svc.supplier, [(svc.veg.id, 2), (svc.eggs.id, 1)], client_id=uuid.uuid4())
    orders.place_order(staff, w.hh102, svc.supplier, [(svc.rice.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    lines = {ln.name: ln for ln in queries.batch_lines(batch)}
    handoff.check_line(vol, lines["鸡蛋 30枚"], "damaged")
    handoff.receive_rest(vol, batch)
    c = Client()
    c.force_login(w.users.staff)
    got = c.get(f"/api/v1/services/batches/{batch.id}").json()
    assert got["manifest_amount"] == "137.30"  # 2 × 39.90 + 25.50 + 32
    assert got["owed_amount"] == "111.80"  # the eggs damaged: not owed
    assert got["undelivered_amount"] == "0.00" and got["price_pending"] == 0
    veg = next(ln for ln in got["lines"] if ln["name"] == "蔬菜包")
    assert (veg["price"], veg["amount"]) == ("39.90", "79.80")
    page = c.get(f"/services/batches/{batch.id}/manifest/").content.decode()
    assert "¥137.30" in page and "¥111.80" in page
    assert Decimal(got["owed_amount"]) == sum(r["amount"] for r in queries.owed(staff.scope, batch=batch))
