"""What a supplier is owed is what reached the door (found on the services evening: the
refused door 2单元102, "拒收，说没订过", was listed at its price in owed.xlsx and in the
supplier home's total). A door refused or not delivered owes nothing; its goods are shown
beside ("未送达/拒收 ¥39.90，不计入应付") the same on the page, the .xlsx and the API; a door
delivered after all counts again. The supplier reads its own batch's amounts owed through
the API as through the file (it had the file and a 404 from the API)."""

import io

from django.test import Client
from openpyxl import load_workbook

from fangkong.services.actions import delivery
from fangkong.services.models import Problem
from tests.conftest import actor_for
from tests.services.test_ended_not_delivered import carried_with_one_door_failed


def _owed(c, batch):
    api = c.get(f"/api/v1/services/batches/{batch.id}/owed")
    book = c.get(f"/services/batches/{batch.id}/owed.xlsx")
    assert api.status_code == 200 and book.status_code == 200
    return api.json(), list(load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))


def test_a_door_not_delivered_is_not_owed_on_the_page_the_file_or_the_api(world, svc):
    w = world
    batch, _run = carried_with_one_door_failed(w, svc)  # 101 delivered, 102 "敲门无人应答"
    for who in (w.users.staff, w.users.supplier):
        c = Client()
        c.force_login(who)
        api, rows = _owed(c, batch)
        by = {r["household"]: r for r in api}
        assert (by[w.hh101.id]["amount"], by[w.hh101.id]["not_delivered"]) == ("39.90", "0.00")
        assert (by[w.hh102.id]["amount"], by[w.hh102.id]["not_delivered"]) == ("0.00", "39.90")
        assert by[w.hh102.id]["reason"] == "敲门无人应答"
        assert rows[0] == ("住户", "保供单位", "金额（元）", "未送达/拒收（元，不计入应付）", "未送达原因",
                           "价格待定（替代品，未计入金额）")
        door = next(r for r in rows if r[0] and r[0].endswith("102"))
        assert door[2] == 0 and abs(door[3] - 39.90) < 0.001 and door[4] == "敲门无人应答"
        assert rows[-1][0] == "合计" and abs(rows[-1][2] - 39.90) < 0.001 and abs(rows[-1][3] - 39.90) < 0.001
    c = Client()
    c.force_login(w.users.supplier)
    home = c.get("/supplier/").content.decode()
    assert "¥39.90</strong>" in home and "¥79.80" not in home
    assert "未送达/拒收 ¥39.90，不计入应付" in home
    manifest = c.get(f"/services/batches/{batch.id}/manifest/").content.decode()
    assert "核对后应付 ¥39.90" in manifest and "未送达/拒收 ¥39.90，不计入应付" in manifest
    # delivered after all: owed again
    delivery.resolve_problem(actor_for(w.users.staff), Problem.objects.get(stop__isnull=False),
                             resolution="晚上放在门口", delivered=True)
    api, rows = _owed(c, batch)
    assert sorted(r["amount"] for r in api) == ["39.90", "39.90"] and all(r["not_delivered"] == "0.00" for r in api)
    assert abs(rows[-1][2] - 79.80) < 0.001 and rows[-1][3] is None


def test_another_supplier_gets_a_404_from_the_api_as_from_the_file(world, svc):
    w = world
    batch, _run = carried_with_one_door_failed(w, svc)
    c = Client()
    c.force_login(w.users.resident)
    assert c.get(f"/api/v1/services/batches/{batch.id}/owed").status_code == 404
    assert c.get(f"/services/batches/{batch.id}/owed.xlsx").status_code == 404
