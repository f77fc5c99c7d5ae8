"""A line substituted at the gate is owed at the substitute's price (found on the gate walk:
蔬菜包（8种） substituted by 蔬菜包（6种）, ¥35 in the supplier's own file, was charged at the
8种's ¥39.90 — the form had no price). Given at the gate, else the manifest's or the
catalogue's price of the substitute; none known: 价格待定 on the owed list, the pages and the
API, and nothing charged for it until then — never the dearer price in silence."""

import io
import uuid
from decimal import Decimal

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.services import queries
from fangkong.services.actions import handoff, orders
from tests.conftest import actor_for


def test_a_substitute_is_owed_at_its_own_price_or_marked_price_pending(world, svc):
    w = world
    resident = actor_for(w.users.resident)
    o = orders.place_order(resident, w.hh101, svc.supplier, [(svc.veg.id, 2), (svc.eggs.id, 1)],
                           client_id=uuid.uuid4())
    staff = actor_for(w.users.staff)
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    lines = {ln.name: ln for ln in queries.batch_lines(batch)}

    # no price known for 蔬菜包（6种）: 价格待定, not charged at 39.90
    handoff.check_line(vol, lines["蔬菜包"], "substituted", substitute="蔬菜包（6种）")
    handoff.receive_rest(vol, batch)
    owed = queries.owed(staff.scope, batch=batch)
    assert [(r["amount"], r["price_pending"]) for r in owed] == [(Decimal("25.50"), 1)]
    c = Client()
    c.force_login(w.users.staff)
    api = c.get(f"/api/v1/services/orders/{o.id}").json()
    assert api["amount"] == "25.50"
    assert c.get(f"/api/v1/services/batches/{batch.id}/owed").json()[0]["price_pending"] == 1
    assert "价格待定" in c.get(f"/services/batches/{batch.id}/").content.decode()
    assert "价格待定" in c.get(f"/services/batches/{batch.id}/manifest/").content.decode()
    assert c.get(f"/api/v1/services/batches/{batch.id}").json()["price_pending"] == 1
    assert "价格待定" in c.get(f"/services/households/{w.hh101.id}/").content.decode()
    sheet = load_workbook(io.BytesIO(c.get(f"/services/batches/{batch.id}/owed.xlsx").content)).worksheets[0]
    assert list(sheet.iter_rows(min_row=2, max_row=2, values_only=True))[0][5] == "1 行"

    # its price given at the gate: owed at it
    c.force_login(svc.vol_user)
    r = c.post(f"/api/v1/services/lines/{lines['蔬菜包'].id}/check",
               {"outcome": "substituted", "substitute": "蔬菜包（6种）", "substitute_price": "35"},
               content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["substitute_price"] == "35.00" and r.json()["price_pending"] is False
    owed = queries.owed(staff.scope, batch=batch)
    assert [(r["amount"], r["price_pending"]) for r in owed] == [(Decimal("95.50"), 0)]  # 2 × 35 + 25.50

    # a substitute the catalogue sells: its catalogue price
    handoff.check_line(vol, lines["蔬菜包"], "substituted", substitute="大米 5kg")
    assert queries.owed(staff.scope, batch=batch)[0]["amount"] == Decimal("89.50")  # 2 × 32 + 25.50
