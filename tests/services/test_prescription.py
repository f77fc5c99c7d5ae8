"""Found walking a sealed building's vulnerable people (wip/walk_vulnerable.md, 4 and 6): the
prescription photo of 杨存枝's blood-pressure pills was stored and shown to nobody; a morning
call's "有需要 → 买药" made a second task for the same pills, whose volunteer read neither the
drug, the pharmacy nor the prescription; nobody was asked who pays, and the typed medicine
read "¥0.00". Now the pharmacy, the grid worker and the volunteer carrying it open the photo
(others 404, each opening audited); the order says who pays and "价格待药房填写" everywhere it
is read; and the call's need follows the order still coming instead of buying twice."""

import io
import uuid

from django.utils import timezone
from openpyxl import load_workbook

from fangkong.audit.models import AuditEvent
from fangkong.services.actions import care, handoff, orders, requests
from fangkong.services.models import Category, CheckIn, Request, Run
from tests.conftest import actor_for
from tests.conftest import client_of as _client
from tests.screening.photos import png


def _rx_order(w, svc, **kw):
    return orders.place_order(actor_for(w.users.grid), w.hh101, svc.supplier, [],
                              medicine="苯磺酸氨氯地平片 5mg 1盒", prescription=png(name="rx.png"),
                              payer="at_door", deadline=timezone.now() + timezone.timedelta(hours=6), **kw)


def _opens(client, order) -> int:
    r = client.get(f"/services/orders/{order.id}/prescription")
    if r.status_code == 200:
        assert r["Content-Type"] == "image/png" and b"".join(r.streaming_content).startswith(b"\x89PNG")
    return r.status_code


def test_the_pharmacy_the_grid_worker_and_the_carrier_open_the_prescription_and_nobody_else(world, svc):
    w = world
    o = _rx_order(w, svc)
    grid, pharmacy, vol = _client(w.users.grid), _client(w.users.supplier), _client(svc.vol_user)
    assert _opens(grid, o) == 200
    assert _opens(pharmacy, o) == 200  # the supplier's own login: it dispenses by it
    assert _opens(vol, o) == 404  # not carrying it yet
    for u in (w.users.leader, w.users.street, w.users.other_staff, w.users.lab):
        assert _opens(_client(u), o) == 404, u
    # the API answers the same
    assert pharmacy.get(f"/api/v1/services/orders/{o.id}/prescription").status_code == 200
    assert _client(w.users.leader).get(f"/api/v1/services/orders/{o.id}/prescription").status_code == 404
    # an order without a photo has none to open
    plain = orders.place_order(actor_for(w.users.grid), w.hh101, svc.supplier, [(svc.rice.id, 1)])
    assert _opens(grid, plain) == 404

    # carried to the door by the volunteer's team: they open it while the run is open
    staff = actor_for(w.users.staff)
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), orders=[o.id], team=svc.team)
    handoff.receive_rest(staff, b)
    handoff.sign(staff, b, supplier_name="李师傅")
    handoff.split(staff, b)
    assert _opens(vol, o) == 200
    run = Run.objects.get(batch=b)
    page = vol.get(f"/services/runs/{run.id}/").content.decode()
    door = page.split(f'id="medicine-{o.id}"')[1].split("</small>")[0]
    assert "付款方式：<strong>住户自付（送达时付）</strong>" in door
    assert f'href="/services/orders/{o.id}/prescription"' in door and "处方照片" in door
    # each opening is audited, naming the household
    seen = AuditEvent.objects.filter(action="services.order.prescription")
    assert seen.count() == 4 and set(seen.values_list("changes__order", flat=True)) == {o.id}


def test_the_order_card_batch_manifest_file_and_api_say_the_prescription_who_pays_and_the_price_to_come(world, svc):
    w = world
    grid = _client(w.users.grid)
    # ordered on the household's page, with who pays
    r = grid.post(f"/services/households/{w.hh101.id}/", {
        "do": "order", "supplier": svc.supplier.id, "medicine": "苯磺酸氨氯地平片 5mg 1盒",
        "prescription": png(name="rx.png"), "payer": "community", "client_id": str(uuid.uuid4())})
    assert r.status_code == 302, r.content
    o = w.hh101.orders.get()
    assert o.payer == "community" and o.prescription
    card = grid.get(f"/services/households/{w.hh101.id}/").content.decode().split(f'id="order-{o.id}"')[1] \
        .split("</li>")[0]
    assert "苯磺酸氨氯地平片 5mg 1盒：价格待药房填写" in card and "不含药品价格" not in card
    assert "¥0.00" not in card  # no price yet is not a price of nothing
    summary = grid.get(f"/services/households/{w.hh101.id}/").content.decode().split('id="orders-coming"')[1] \
        .split("</p>")[0]
    assert "其中药品价格尚未计入，待药房填写。" in summary
    assert "付款方式：社区垫付" in card and f'href="/services/orders/{o.id}/prescription"' in card
    # the building's leader reads the card, not the photo
    leader_card = _client(w.users.leader).get(f"/services/households/{w.hh101.id}/").content.decode()
    assert "苯磺酸氨氯地平片" in leader_card and "/prescription" not in leader_card

    api = grid.get(f"/api/v1/services/orders/{o.id}").json()
    assert api["payer"] == "community" and api["payer_text"] == "社区垫付"
    assert api["has_prescription"] is True and api["prescription_url"] == f"/api/v1/services/orders/{o.id}/prescription"
    assert api["medicine_price_pending"] is True
    # the leader reads the order through the API too: it says a photo exists, not where
    for leader_api in (_client(w.users.leader).get(f"/api/v1/services/orders/{o.id}").json(),
                       *[x for x in _client(w.users.leader).get(
                           f"/api/v1/services/orders?household={w.hh101.id}").json() if x["id"] == o.id]):
        assert leader_api["has_prescription"] is True and leader_api["prescription_url"] is None
    assert [x["prescription_url"] for x in grid.get(f"/api/v1/services/orders?household={w.hh101.id}").json()
            if x["id"] == o.id] == [f"/api/v1/services/orders/{o.id}/prescription"]

    staff = actor_for(w.users.staff)
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), orders=[o.id], team=svc.team)
    pharmacy = _client(w.users.supplier)
    batch_page = pharmacy.get(f"/services/batches/{b.id}/").content.decode()
    box = batch_page.split('id="medicine-orders"')[1].split("</div>")[0]
    assert "苯磺酸氨氯地平片 5mg 1盒" in box and "付款方式：社区垫付" in box and "价格待药房填写" in box
    assert f'href="/services/orders/{o.id}/prescription"' in box
    manifest = pharmacy.get(f"/services/batches/{b.id}/manifest/").content.decode()
    assert "付款方式：社区垫付" in manifest and f'href="/services/orders/{o.id}/prescription"' in manifest
    assert "data-medicine-unpriced" in manifest and "¥0.00" not in manifest.split('id="manifest"')[1]

    wb = load_workbook(io.BytesIO(pharmacy.get(f"/services/batches/{b.id}/manifest.xlsx").content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["处方照片"] == "有：请在清单页面查看" and row["付款方式"] == "社区垫付"
    assert row["价格说明"] == "价格待药房填写"

    # the pharmacy prices it with its manifest file: the price is no longer "to come"
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = SimpleUploadedFile("清单.csv", f"订单号,商品,数量,单价\n{o.id},苯磺酸氨氯地平片 5mg 1盒,1,23.50\n".encode())
    assert pharmacy.post(f"/services/batches/{b.id}/manifest/import/", {"file": f}).status_code == 302
    card = grid.get(f"/services/households/{w.hh101.id}/").content.decode().split(f'id="order-{o.id}"')[1] \
        .split("</li>")[0]
    assert "价格待药房填写" not in card and "¥23.50" in card
    assert grid.get(f"/api/v1/services/orders/{o.id}").json()["medicine_price_pending"] is False


def test_a_payer_not_offered_is_refused(world, svc):
    w = world
    r = _client(w.users.grid).post("/api/v1/services/orders", {
        "household": w.hh101.id, "supplier": svc.supplier.id, "medicine": "阿司匹林", "payer": "neighbour"},
        content_type="application/json")
    assert r.status_code == 400 and "payer" in r.json()["error"]["fields"], r.content


def test_a_morning_calls_need_for_medicine_follows_the_order_still_coming(world, svc):
    w = world
    o = _rx_order(w, svc)
    care.check_ins_today()
    c = CheckIn.objects.get(resident=w.su)
    assert c.household_id == w.hh101.id
    grid = _client(w.users.grid)
    url = f"/services/p/{w.grid.id}/"
    r = grid.post(url, {"do": "check_in", "check_in": c.id, "result": "needs", "note": "降压药断了，今天中午前要送到",
                        "category": "medicine"})
    said = grid.get(r.url).content.decode().split('id="check-in-last"')[1].split("</p>")[0]
    assert "该户已有药品订单（美特好超市 · 苯磺酸氨氯地平片 5mg 1盒" in said and "不要再买一份" in said
    req = Request.objects.get()
    assert req.for_order_id == o.id and req.category.code == "medicine"

    # given to the volunteer's team: the volunteer reads what, from where, who pays, the prescription
    requests.assign(actor_for(w.users.grid), req, team=svc.team)
    vol = _client(svc.vol_user)
    page = vol.get(f"/services/requests/{req.id}/").content.decode()
    box = page.split('id="follows"')[1].split("</dd>")[0]
    assert "苯磺酸氨氯地平片 5mg 1盒" in box and "美特好超市" in box
    assert "付款方式：住户自付（送达时付）" in box and "价格待药房填写" in box
    assert f'href="/services/orders/{o.id}/prescription"' in box and "不要再买一份" in box
    assert _opens(vol, o) == 200  # while the request is theirs
    requests.cancel(actor_for(w.users.grid), req)
    assert _opens(vol, o) == 404  # and no longer after


def test_a_need_for_medicine_with_no_medicine_order_coming_is_a_request_of_its_own(world, svc):
    w = world
    orders.cancel_order(actor_for(w.users.grid), _rx_order(w, svc))  # cancelled: not coming
    care.check_ins_today()
    c = CheckIn.objects.get(resident=w.su)
    care.record_check_in(actor_for(w.users.grid), c, "needs", "降压药断了", category="medicine")
    req = Request.objects.get()
    assert req.for_order_id is None and req.category == Category.objects.get(code="medicine")
