"""The supplier's manifest in the reader's language (found by an English-UI walker: the
English file mixed 订单号…核对结果 with English columns): its headers are English for an
English reader, Chinese otherwise, and the import reads either back — the same lines."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from fangkong.services.manifest import HEADERS
from fangkong.services.models import Batch
from tests.services.test_manifest_round_trip import _client, _lines, _order


@pytest.mark.parametrize("export_lang,import_lang", [("en", "en"), ("en", "zh-hans"), ("zh-hans", "en")])
def test_the_manifest_reads_back_in_either_language(world, svc, export_lang, import_lang):
    from django.utils import timezone

    w = world
    staff = _client(w.users.staff)
    s = svc.supplier.id
    _order(staff, household=w.hh201.id, supplier=s, lines=[{"item": svc.rice.id, "quantity": 1}], note="冷藏")
    _order(staff, household=w.hh102.id, supplier=s, lines=[{"item": svc.veg.id, "quantity": 2}])
    made = staff.post("/api/v1/services/batches", {"supplier": s, "checkpoint": svc.gate.id,
                                                   "due_at": timezone.now().isoformat()},
                      content_type="application/json")
    assert made.status_code == 201, made.content
    batch = Batch.objects.get(pk=made.json()["id"])
    before = _lines(batch)

    sup = _client(w.users.supplier)
    sup.cookies["django_language"] = export_lang
    got = sup.get(f"/services/batches/{batch.id}/manifest.xlsx")
    assert got.status_code == 200
    header = [c for c in next(load_workbook(io.BytesIO(got.content)).worksheets[0]
                              .iter_rows(max_row=1, values_only=True))]
    if export_lang == "en":
        assert header[:8] == ["Order", "Household", "Address", "Item", "Quantity", "Unit price",
                              "Amount", "Check"]
        assert not any("\u4e00" <= ch <= "\u9fff" for h in header for ch in str(h)), header
    else:
        assert header[:8] == HEADERS

    sup.cookies["django_language"] = import_lang
    r = sup.post(f"/api/v1/services/batches/{batch.id}/manifest",
                 {"file": SimpleUploadedFile("manifest.xlsx", got.content)})
    assert r.status_code == 200, r.content
    assert r.json()["lines"] == len(before)
    assert _lines(batch) == before
