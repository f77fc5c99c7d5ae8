"""What staff and suppliers read is written as people read it (found on a phone): the
amounts owed file named each household by its database id (55, 56…) in the 住户 column —
it says the door now; Chinese pages wrote half-width punctuation between translated words
("保供单位: 王师傅", "蔬菜包（8种） × 1, 大米 5kg × 1") — a label and what it says take "：",
a list "、" (core.text.join_words), and English keeps ": " and ", "."""

import io
import uuid

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.services.actions import handoff, orders
from tests.conftest import actor_for


def test_the_amounts_owed_file_names_each_household_by_its_door(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    for hh in (w.hh101, w.hh201):
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    handoff.receive_rest(actor_for(svc.vol_user), batch)
    c = Client()
    c.force_login(w.users.staff)
    ws = load_workbook(io.BytesIO(c.get(f"/services/batches/{batch.id}/owed.xlsx").content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("住户", "保供单位", "金额（元）")
    assert [r[0] for r in rows[1:3]] == ["光明小区 1号楼 1单元 101", "光明小区 1号楼 2单元 201"]
    assert not any(isinstance(r[0], int) for r in rows)
    assert rows[-1][0] == "合计" and abs(rows[-1][2] - 79.80) < 0.001


def test_chinese_pages_write_full_width_punctuation_and_english_pages_do_not(world, svc):
    w = world
    resident = actor_for(w.users.resident)
    orders.place_order(resident, w.hh101, svc.supplier, [(svc.veg.id, 1), (svc.rice.id, 1)], client_id=uuid.uuid4())
    staff = actor_for(w.users.staff)
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    handoff.receive_rest(actor_for(svc.vol_user), batch)
    handoff.sign(actor_for(svc.vol_user), batch, supplier_name="王师傅")
    c = Client()
    c.force_login(w.users.staff)
    page = c.get(f"/services/batches/{batch.id}/").content.decode()
    assert "保供单位：" in page and "保供单位: " not in page and "卡口: " not in page
    home = c.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert "蔬菜包 × 1、大米 5kg × 1" in home and "× 1, " not in home
    c.cookies["django_language"] = "en"
    home = c.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert "蔬菜包 × 1, 大米 5kg × 1" in home
    page = c.get(f"/services/batches/{batch.id}/").content.decode()
    assert "Supplier: " in page
