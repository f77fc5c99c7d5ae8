"""A supplier's own login: it lands on its page (orders waiting, medicine first; its
hand-offs by checkpoint and time with the line checks; amounts owed); its manifest is
printable and downloadable, and a manifest file it brings replaces the batch's lines —
all or nothing, each wrong row named in Chinese; the exported manifest reads back the
same. A second supplier sees none of it (404)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.core.actor import Actor
from fangkong.core.errors import Conflict, FileRejected
from fangkong.services import queries
from fangkong.services.actions import catalogue, handoff, manifest, orders
from fangkong.services.exports import manifest_xlsx
from fangkong.services.models import Line, Order
from tests.conftest import actor_for, make_user
from tests.conftest import client_of as _client


def _xlsx(content, name="manifest.xlsx"):
    return SimpleUploadedFile(name, content)


def _lines(batch):
    return sorted((ln.order_id, ln.household_id, ln.name, ln.quantity, str(ln.price))
                  for ln in Line.objects.filter(batch=batch))


def test_a_supplier_lands_on_its_own_page_and_sees_only_its_own(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    deadline = timezone.now() + datetime.timedelta(hours=5)
    orders.place_order(staff, w.hh101, svc.supplier, [(svc.veg.id, 1), (svc.eggs.id, 2)])
    orders.place_order(staff, w.hh102, svc.supplier, [(svc.rice.id, 1)])
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.localtime().replace(
        hour=15, minute=30), team=svc.team)
    eggs = batch.lines.get(name__startswith="鸡蛋")
    handoff.check_line(staff, eggs, "short", received=1)
    handoff.check_line(staff, batch.lines.get(name="蔬菜包"), "substituted", substitute="蔬菜包（小）")
    handoff.receive_rest(staff, batch)
    orders.place_order(staff, w.hh201, svc.supplier, [(svc.pills.id, 1)], medicine="硝苯地平 10mg",
                       deadline=deadline)

    c = _client(w.users.supplier)
    r = c.get("/", follow=True)
    assert r.redirect_chain[-1][0] == "/supplier/"
    html = r.content.decode()
    assert "美特好超市" in html and "东门" in html and "15:30" in html
    assert "硝苯地平 10mg" in html  # the medicine waiting, first
    assert "短缺" in html and "1/2" in html and "蔬菜包（小）" in html  # the line checks
    owed = sum(x["amount"] for x in queries.owed(actor_for(w.users.supplier).scope, batch=batch))
    # 25.50 + 32.00: eggs 1 of 2, rice; 蔬菜包（小）'s price is not known (价格待定): not charged at 39.90
    assert owed == Decimal("57.50")
    assert f"¥{owed}" in html
    m = c.get(f"/services/batches/{batch.id}/manifest/").content.decode()
    assert "1单元 101" in m and "鸡蛋 30枚" in m and "data-print" in m
    book = load_workbook(io.BytesIO(c.get(f"/services/batches/{batch.id}/manifest.xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:5] == ("订单号", "户号", "地址", "商品", "数量") and len(rows) == 1 + 3

    # a second supplier of the same community sees nothing of the first's
    other_user = make_user(Actor.system(), "supplier_b", "supplier", w.community)
    other = catalogue.create_supplier(staff, w.community, {"name": "大药房", "kind": "pharmacy"},
                                      users=[other_user])
    catalogue.add_item(staff, other, {"name": "布洛芬", "kind": "medicine", "price": "15.00"})
    c2 = _client(other_user)
    html2 = c2.get("/supplier/").content.decode()
    assert "大药房" in html2 and "美特好超市" not in html2 and "硝苯地平" not in html2
    for url in (f"/services/batches/{batch.id}/", f"/services/batches/{batch.id}/manifest/",
                f"/services/batches/{batch.id}/manifest.xlsx", f"/services/batches/{batch.id}/owed.xlsx",
                f"/api/v1/services/batches/{batch.id}", f"/api/v1/services/batches/{batch.id}/owed",
                f"/api/v1/services/orders/{eggs.order_id}"):
        assert c2.get(url).status_code == 404, url
    assert c2.post(f"/services/batches/{batch.id}/manifest/import/").status_code == 404
    assert c2.get("/api/v1/services/orders").json() == []


def test_the_exported_manifest_reads_back_and_a_wrong_file_changes_nothing(world, svc, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = world
    staff = actor_for(w.users.staff)
    sup = actor_for(w.users.supplier)
    o1 = orders.place_order(staff, w.hh101, svc.supplier, [(svc.veg.id, 1), (svc.eggs.id, 2)])
    o2 = orders.place_order(staff, w.hh102, svc.supplier, [(svc.rice.id, 3)])
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), orders=[o1.id])
    before = _lines(batch)
    content = manifest_xlsx(sup, batch)
    got = manifest.import_manifest(sup, batch, _xlsx(content))  # read back: the same manifest
    assert got == {"lines": 2, "households": 1, "orders": 1, "released": 0, "released_orders": []}
    assert _lines(batch) == before

    # the supplier's own file: o2 (waiting) joins, o1's eggs are substituted by its price
    csv = ("订单号,户号,商品,数量,单价\n"
           f"{o1.id},{w.hh101.id},蔬菜包,1,39.90\n"
           f"{o1.id},{w.hh101.id},鸭蛋 20枚,1,28.00\n"
           f"{o2.id},{w.hh102.id},大米 5kg,3,\n").encode("gb18030")
    got = manifest.import_manifest(sup, batch, _xlsx(csv, "清单.csv"))
    assert got["lines"] == 3 and got["households"] == 2
    assert ("大米 5kg", 3, "32.00") in [(x[2], x[3], x[4]) for x in _lines(batch)]  # price from the order
    assert Order.objects.get(pk=o2.pk).batch_id == batch.id

    # a wrong file: every wrong row named, nothing written
    now = _lines(batch)
    other = orders.place_order(staff, w.hh201, svc.supplier, [(svc.veg.id, 1)])
    orders.cancel_order(staff, other)
    bad = ("订单号,户号,商品,数量,单价\n"
           f"{o1.id},{w.hh101.id},蔬菜包,1,39.90\n"
           f"{o1.id},{w.hh102.id},蔬菜包,1,39.90\n"
           f"{other.id},,蔬菜包,1,39.90\n"
           f"{o2.id},,大米 5kg,0,32\n"
           f"{o2.id},,火龙果,1,\n"
           f"{o2.id},,大米 5kg,1,abc\n").encode()
    with pytest.raises(FileRejected) as e:
        manifest.import_manifest(sup, batch, _xlsx(bad, "bad.csv"))
    msgs = [r["message"] for r in e.value.rows]
    assert [r["row"] for r in e.value.rows] == [3, 4, 5, 6, 7]
    assert msgs[0].startswith("第 3 行")
    assert "火龙果" in msgs[3]
    assert _lines(batch) == now
    # through the page: the supplier sees each wrong row
    c = _client(w.users.supplier)
    r = c.post(f"/services/batches/{batch.id}/manifest/import/", {"file": _xlsx(bad, "bad.csv")}, follow=True)
    assert "第 7 行" in r.content.decode()
    # and through the API, in the one error shape
    r = c.post(f"/api/v1/services/batches/{batch.id}/manifest", {"file": _xlsx(bad, "bad.csv")})
    assert r.status_code == 422 and len(r.json()["error"]["rows"]) == 5
    r = c.post(f"/api/v1/services/batches/{batch.id}/manifest", {"file": _xlsx(content)})
    assert r.status_code == 200 and r.json()["lines"] == 2
    assert Order.objects.get(pk=o2.pk).batch_id is None  # left out by the file: waiting again
    # once the check has begun the manifest is fixed
    handoff.check_line(staff, batch.lines.first(), "received")
    with pytest.raises(Conflict):
        manifest.import_manifest(sup, batch, _xlsx(content))


def test_a_supplier_is_told_to_call_the_communities_it_delivers_to(world, system):
    """Found walking the demo: a supplier whose login was made by 惠泽苑 and who delivers
    to 光明社区 was given 惠泽苑's office to call about 光明's orders."""
    from fangkong.accounts.roles import Role

    w = world
    user = make_user(system, "supplier_far", Role.SUPPLIER, w.other)  # its login: community B
    catalogue.create_supplier(Actor.system(w.users.staff), w.community,
                              {"name": "光明菜站", "kind": "supermarket"}, users=[user])
    html = _client(user).get("/supplier/").content.decode()
    contacts = html.split("光明菜站", 1)[1]
    assert "光明社区 办公室" in contacts or "光明社区办公室" in contacts, contacts[-1500:]
    assert "惠泽苑社区办公室" not in contacts and "惠泽苑社区 办公室" not in contacts
