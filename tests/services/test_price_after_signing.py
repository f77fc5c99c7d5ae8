"""A substitute's price told after the hand-off (found on the supply evening: 蔬菜包（8种）
substituted at the gate by 蔬菜包（6种） with no price known there — 价格待定 — and once the
batch was signed its line could no longer change: the supplier's price, phoned in the next
morning, had nowhere to go and the household's bill stayed short for good). The supplier's
login or staff set it once, afterwards — the batch page and `POST /services/lines/{id}/price`
through one action (`pricing.price_substitute`) — audited; the amounts owed then count it."""

import json
import uuid
from decimal import Decimal

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.services import queries
from fangkong.services.actions import handoff, orders
from fangkong.services.models import Line
from tests.conftest import actor_for
from tests.conftest import client_of as _client


def price(client, line, value):
    return client.post(f"/api/v1/services/lines/{line.id}/price", json.dumps({"substitute_price": value}),
                       content_type="application/json")


def test_a_price_pending_substitute_is_priced_once_after_the_batch_was_signed(world, svc):
    w = world
    o = orders.place_order(actor_for(w.users.resident), w.hh101, svc.supplier,
                           [(svc.veg.id, 2), (svc.rice.id, 1), (svc.eggs.id, 1)], client_id=uuid.uuid4())
    staff = actor_for(w.users.staff)
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    lines = {ln.name: ln for ln in queries.batch_lines(batch)}
    vol = actor_for(svc.vol_user)
    veg = handoff.check_line(vol, lines["蔬菜包"], "substituted", substitute="蔬菜包（6种）")
    rice = handoff.check_line(vol, lines["大米 5kg"], "substituted", substitute="小米 2kg")
    assert veg.price_pending and rice.price_pending
    handoff.receive_rest(vol, batch)
    handoff.sign(staff, batch, supplier_name="李师傅")
    owed = queries.owed(staff.scope, batch=batch)
    assert [(r["amount"], r["price_pending"]) for r in owed] == [(Decimal("25.50"), 2)]

    # the supplier's own login, through the API
    sup = _client(w.users.supplier)
    r = price(sup, veg, "35")
    assert r.status_code == 200, r.content
    assert r.json()["substitute_price"] == "35.00" and r.json()["price_pending"] is False
    assert price(sup, veg, "35.00").status_code == 200  # a retry: the same answer, nothing more
    again = price(sup, veg, "30")
    assert again.status_code == 409 and again.json()["error"]["code"] == "price_set"
    assert "35.00" in again.json()["error"]["message"]
    assert price(sup, Line.objects.get(batch=batch, name="鸡蛋 30枚"), "1").status_code == 409  # no substitute
    bad = price(sup, rice, "abc")
    assert bad.status_code == 400 and "substitute_price" in bad.json()["error"]["fields"]
    # the team on duty checked the gate; the batch signed, it does not price (nor see it)
    assert price(_client(svc.vol_user), rice, "12").status_code == 404

    # staff on the batch page: the form beside the line, then the price
    c = _client(w.users.staff)
    page = c.get(f"/services/batches/{batch.id}/").content.decode()
    assert f'data-price-line="{rice.id}"' in page and f'data-price-line="{veg.id}"' not in page
    r = c.post(f"/services/batches/{batch.id}/", {"do": "price", "line": rice.id, "substitute_price": "12.50"})
    assert r.status_code == 302 and r["Location"].endswith(f"#line-{rice.id}")
    page = c.get(f"/services/batches/{batch.id}/").content.decode()
    assert "data-price-line" not in page and "¥12.50" in page

    # the bill is complete: 2 × 35 + 12.50 + 25.50, nothing pending
    owed = queries.owed(staff.scope, batch=batch)
    assert [(r["amount"], r["price_pending"]) for r in owed] == [(Decimal("108.00"), 0)]
    assert c.get(f"/api/v1/services/orders/{o.id}").json()["amount"] == "108.00"
    events = AuditEvent.objects.filter(action="services.line.price").order_by("id")
    assert [(e.changes["line"], e.changes["price"]) for e in events] == [(veg.id, "35.00"), (rice.id, "12.50")]
