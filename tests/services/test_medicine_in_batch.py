"""Found on the lab walk: an order of only a typed medicine ("胰岛素 诺和锐 3盒（冷藏）", no
catalogue item) for an elderly woman living alone made a batch of 0 households and 0
lines, and a mixed order's typed medicine and its note "冷藏" were missing from the gate's
page, the API, manifest.xlsx and the run. Every order of a batch gives its household
lines and a stop, typed medicine and the order's note included."""

import io
import uuid

from django.utils import timezone
from openpyxl import load_workbook

from fangkong.services.actions import handoff
from fangkong.services.models import Run, Stop
from tests.conftest import actor_for
from tests.conftest import client_of as _client


def test_typed_medicine_and_its_note_reach_the_gate_the_manifest_and_the_door(world, svc):
    w = world
    staff = _client(w.users.staff)
    only = staff.post("/api/v1/services/orders", {
        "household": w.hh101.id, "supplier": svc.supplier.id, "medicine": "胰岛素 诺和锐 3盒（冷藏）",
        "client_id": str(uuid.uuid4())}, content_type="application/json")
    assert only.status_code == 201, only.content
    mixed = staff.post("/api/v1/services/orders", {
        "household": w.hh201.id, "supplier": svc.supplier.id, "lines": [{"item": svc.rice.id, "quantity": 1}],
        "medicine": "胰岛素 诺和锐 1盒", "note": "冷藏", "client_id": str(uuid.uuid4())},
        content_type="application/json")
    assert mixed.status_code == 201, mixed.content
    made = staff.post("/api/v1/services/batches", {
        "supplier": svc.supplier.id, "checkpoint": svc.gate.id, "due_at": timezone.now().isoformat(),
        "team": svc.team.id}, content_type="application/json")
    assert made.status_code == 201, made.content
    b = made.json()

    api = staff.get(f"/api/v1/services/batches/{b['id']}").json()
    lines = {(ln["household"], ln["name"]): ln for ln in api["lines"]}
    assert (w.hh101.id, "胰岛素 诺和锐 3盒（冷藏）") in lines
    assert (w.hh201.id, "胰岛素 诺和锐 1盒") in lines and (w.hh201.id, "大米 5kg") in lines
    assert lines[(w.hh201.id, "胰岛素 诺和锐 1盒")]["order_note"] == "冷藏"
    assert lines[(w.hh201.id, "大米 5kg")]["order_note"] == "冷藏"

    vol = _client(svc.vol_user)
    gate = vol.get(f"/services/batches/{b['id']}/").content.decode()
    assert "胰岛素 诺和锐 3盒（冷藏）" in gate and "胰岛素 诺和锐 1盒" in gate and "冷藏</strong>" in gate

    wb = load_workbook(io.BytesIO(staff.get(f"/services/batches/{b['id']}/manifest.xlsx").content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    head = list(rows[0])
    assert "订单备注" in head
    by = {(r[1], r[3]): dict(zip(head, r, strict=True)) for r in rows[1:]}
    assert (w.hh101.id, "胰岛素 诺和锐 3盒（冷藏）") in by
    assert by[(w.hh201.id, "胰岛素 诺和锐 1盒")]["订单备注"] == "冷藏"

    from fangkong.services.models import Batch

    batch = Batch.objects.get(pk=b["id"])
    v = actor_for(svc.vol_user)
    handoff.receive_rest(v, batch)
    handoff.sign(v, batch, supplier_name="李师傅")
    handoff.split(actor_for(w.users.staff), batch)
    assert set(Stop.objects.filter(run__batch=batch).values_list("household_id", flat=True)) == {w.hh101.id,
                                                                                                  w.hh201.id}
    for run in Run.objects.filter(batch=batch):
        page = vol.get(f"/services/runs/{run.id}/").content.decode()
        assert "胰岛素 诺和锐" in page
        if Stop.objects.filter(run=run, household=w.hh201).exists():
            assert "冷藏</strong>" in page
