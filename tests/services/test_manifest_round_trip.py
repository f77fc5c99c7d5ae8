"""The supplier's manifest file comes back whole (found on the supply evening: the pharmacy
downloaded the manifest, wrote in what it charges and imported it; the order notes — "冷藏",
the dose "硝苯地平缓释片 10mg" — were gone from the gate's page and the doors, a long typed
medicine's row was refused, and the insulin its clerk priced in 金额 was listed at ¥0).
Export, fill in as a supplier does, import: every line — typed medicine too — keeps its
order's note, and each price written is read; a wrong row is named, and nothing is written."""

import io
import uuid
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.services.models import Batch, Line, Order
from tests.conftest import client_of as _client

LONG = ("胰岛素 诺和锐 特充 300单位/3ml 3支（冷藏，2-8℃保存，勿冷冻）；另需一次性针头 BD 4mm 一盒；"
        "如无货请换 优泌乐 笔芯 同规格，并告知社区药师")  # a typed medicine of more than 80 characters



def _lines(batch):
    return sorted((ln.order_id, ln.household_id, ln.name, ln.quantity, ln.price, ln.order_note)
                  for ln in Line.objects.filter(batch=batch))


def _order(c, **body):
    r = c.post("/api/v1/services/orders", {"client_id": str(uuid.uuid4()), **body}, content_type="application/json")
    assert r.status_code == 201, r.content
    return r.json()["id"]


def _file(wb) -> SimpleUploadedFile:
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("清单.xlsx", out.getvalue())


def test_the_manifest_comes_back_whole_with_the_suppliers_prices(world, svc):
    w = world
    staff = _client(w.users.staff)
    s = svc.supplier.id
    long_only = _order(staff, household=w.hh101.id, supplier=s, medicine=LONG, note="放门口的保温箱里")
    mixed = _order(staff, household=w.hh201.id, supplier=s, lines=[{"item": svc.rice.id, "quantity": 1}],
                   medicine="胰岛素 诺和锐 1盒", note="冷藏")
    dose = _order(staff, household=w.hh102.id, supplier=s, lines=[{"item": svc.pills.id, "quantity": 2}],
                  medicine="硝苯地平缓释片 10mg", note="敲门两下")
    plain = _order(staff, household=w.hh102.id, supplier=s, lines=[{"item": svc.veg.id, "quantity": 2}])
    made = staff.post("/api/v1/services/batches", {"supplier": s, "checkpoint": svc.gate.id,
                                                   "due_at": timezone.now().isoformat()},
                      content_type="application/json")
    assert made.status_code == 201, made.content
    batch = Batch.objects.get(pk=made.json()["id"])
    before = _lines(batch)
    names = {(x[0], x[2]): x for x in before}
    assert names[(long_only, LONG)][5] == "放门口的保温箱里"
    assert names[(mixed, "胰岛素 诺和锐 1盒")][5] == names[(mixed, "大米 5kg")][5] == "冷藏"
    assert names[(dose, "硝苯地平缓释片")][5] == "硝苯地平缓释片 10mg；敲门两下"
    assert len(before) == 5

    sup = _client(w.users.supplier)
    got = sup.get(f"/services/batches/{batch.id}/manifest.xlsx")
    assert got.status_code == 200
    wb = load_workbook(io.BytesIO(got.content))

    # as downloaded: read back, the same manifest, notes and all
    r = sup.post(f"/api/v1/services/batches/{batch.id}/manifest", {"file": _file(wb)})
    assert r.status_code == 200, r.content
    assert r.json() == {"lines": 5, "households": 3, "orders": 4, "released": 0}
    assert _lines(batch) == before

    # filled in as the pharmacy's clerk does: "单价（元）", ¥ and 元 in the cells, one price in 金额 only
    ws = wb.worksheets[0]
    head = [c.value for c in ws[1]]
    col = {h: head.index(h) for h in ("订单号", "商品", "单价", "金额")}
    ws.cell(row=1, column=col["单价"] + 1).value = "单价（元）"
    rows = {(row[col["订单号"]].value, row[col["商品"]].value): row for row in ws.iter_rows(min_row=2)}
    rows[(long_only, LONG)][col["单价"]].value = "¥128.00"
    rows[(mixed, "胰岛素 诺和锐 1盒")][col["金额"]].value = 45.5  # 单价 left at the exported 0
    rows[(dose, "硝苯地平缓释片")][col["单价"]].value = "17.50元"
    r = sup.post(f"/api/v1/services/batches/{batch.id}/manifest", {"file": _file(wb)})
    assert r.status_code == 200, r.content
    after = {(x[0], x[2]): x for x in _lines(batch)}
    assert set(after) == set(names)  # every line, typed medicine too
    assert {k: x[5] for k, x in after.items()} == {k: x[5] for k, x in names.items()}  # and every note
    assert after[(long_only, LONG)][4] == Decimal("128.00")
    assert after[(mixed, "胰岛素 诺和锐 1盒")][4] == Decimal("45.50")
    assert after[(dose, "硝苯地平缓释片")][4] == Decimal("17.50")
    assert after[(plain, "蔬菜包")][3:5] == (2, Decimal("39.90"))
    assert after[(mixed, "大米 5kg")][4] == Decimal("32.00")
    filled = _lines(batch)

    # a wrong row: named with its column, and nothing written — not the good rows, not the notes
    rows[(plain, "蔬菜包")][col["单价"]].value = "39.9.0"
    rows[(mixed, "大米 5kg")][col["订单号"]].value = 999999
    r = sup.post(f"/api/v1/services/batches/{batch.id}/manifest", {"file": _file(wb)})
    assert r.status_code == 422, r.content
    errors = r.json()["error"]["rows"]
    assert sorted((e["column"]) for e in errors) == ["单价", "订单号"]
    assert all(e["message"].startswith(f"第 {e['row']} 行") for e in errors)
    assert _lines(batch) == filled
    assert set(Order.objects.filter(batch=batch).values_list("id", flat=True)) == {long_only, mixed, dose, plain}

    # the gate and the doors read the notes the file brought back
    gate = staff.get(f"/api/v1/services/batches/{batch.id}").json()
    assert {(ln["name"], ln["order_note"]) for ln in gate["lines"]} >= {
        ("胰岛素 诺和锐 1盒", "冷藏"), ("硝苯地平缓释片", "硝苯地平缓释片 10mg；敲门两下"), (LONG, "放门口的保温箱里")}


def test_an_amount_that_does_not_divide_and_a_price_in_words_are_wrong_rows(world, svc):
    w = world
    staff = _client(w.users.staff)
    o = _order(staff, household=w.hh101.id, supplier=svc.supplier.id, medicine="胰岛素 3盒")
    made = staff.post("/api/v1/services/batches", {"supplier": svc.supplier.id, "checkpoint": svc.gate.id,
                                                   "due_at": timezone.now().isoformat()},
                      content_type="application/json").json()
    batch = Batch.objects.get(pk=made["id"])
    before = _lines(batch)
    csv = ("订单号,商品,数量,单价,金额\n"
           f"{o},胰岛素 3盒,3,,100\n"
           f"{o},胰岛素 3盒,1,四十五,\n").encode("gb18030")
    r = _client(w.users.supplier).post(f"/api/v1/services/batches/{batch.id}/manifest",
                                       {"file": SimpleUploadedFile("m.csv", csv)})
    assert r.status_code == 422
    assert [(e["row"], e["column"]) for e in r.json()["error"]["rows"]] == [(2, "金额"), (3, "单价")]
    assert _lines(batch) == before
    ok = ("订单号,商品,数量,单价（元）,金额\n"
          f"{o},胰岛素 3盒,3,,\"1,350.00\"\n").encode("gb18030")
    r = _client(w.users.supplier).post(f"/api/v1/services/batches/{batch.id}/manifest",
                                       {"file": SimpleUploadedFile("m.csv", ok)})
    assert r.status_code == 200, r.content
    assert [(x[2], x[3], x[4]) for x in _lines(batch)] == [("胰岛素 3盒", 3, Decimal("450.00"))]


def test_a_blank_price_on_a_typed_medicine_line_is_a_wrong_row_not_free(world, svc):
    """Review finding 5: the batch lists a typed medicine at 0 ("no price yet"); a file with
    its 单价 cleared ("use your price") imported it at ¥0, the household's amount due and
    the supplier's total short. A listed 0 never stands in: the row needs a price. A price
    written on an earlier file (not 0) still does."""
    w = world
    staff = _client(w.users.staff)
    o = _order(staff, household=w.hh101.id, supplier=svc.supplier.id, medicine="硝苯地平缓释片 10mg ×2盒")
    made = staff.post("/api/v1/services/batches", {"supplier": svc.supplier.id, "checkpoint": svc.gate.id,
                                                   "due_at": timezone.now().isoformat()},
                      content_type="application/json").json()
    batch = Batch.objects.get(pk=made["id"])
    before = _lines(batch)
    assert [x[4] for x in before] == [Decimal("0")]

    def send(price):
        csv = f"订单号,商品,数量,单价,金额\n{o},硝苯地平缓释片 10mg ×2盒,2,{price},\n".encode("gb18030")
        return _client(w.users.supplier).post(f"/api/v1/services/batches/{batch.id}/manifest",
                                              {"file": SimpleUploadedFile("m.csv", csv)})

    r = send("")
    assert r.status_code == 422, r.content
    assert [(e["row"], e["column"]) for e in r.json()["error"]["rows"]] == [(2, "单价")]
    assert _lines(batch) == before
    assert send("23.50").status_code == 200
    r = send("")  # the price of the earlier file stands in
    assert r.status_code == 200, r.content
    assert [x[4] for x in _lines(batch)] == [Decimal("23.50")]
