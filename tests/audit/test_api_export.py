"""The audit log outside the page: GET /api/v1/audit/events (the page's filters, scoped,
paged, the page's words beside the codes) and the filtered log as .xlsx, itself audited."""

import io

import openpyxl
import pytest
from django.urls import reverse

from fangkong.audit.models import AuditEvent
from tests.api.routes import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen(world, login):
    c = login(world.users.staff)
    c.get(reverse("place", args=[world.building.id]))  # 4 phones, 夏明's among them
    c.get(reverse("household", args=[world.hh102.id]))  # 夏明's
    c.get(reverse("household", args=[world.hh101.id]))  # 苏霞's and 于海涛's
    return world


def test_the_api_filters_by_resident_and_kind_and_says_it_in_words(seen, client):
    w = seen
    auth = bearer(w.users.district)
    r = client.get("/api/v1/audit/events", {"resident": w.xia.id, "kind": "phones"}, headers=auth)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 2 and body["page"] == 1
    one = next(e for e in body["results"] if e["changes"]["count"] == 1)
    assert one["action"] == "resident.view_phones" and one["action_label"] == "查看了居民电话"
    assert one["lines"] == ["查看位置：住户页面（光明小区 1号楼 1单元 102）",
                            "涉及：夏明（光明小区 1号楼 1单元 102）"]
    assert one["actor"] == w.users.staff.id and one["community"] == w.community.id
    many = next(e for e in body["results"] if e["changes"]["count"] == 4)
    assert "共 4 人，含 夏明（光明小区 1号楼 1单元 102）" in many["lines"]
    r = client.get("/api/v1/audit/events", {"resident": w.xia.id}, headers={**auth, "Accept-Language": "en"})
    assert any("whose: 夏明 (光明小区 1号楼 1单元 102)" in e["lines"] for e in r.json()["results"])


def test_the_api_pages_and_refuses_what_it_cannot_read(seen, client):
    w = seen
    auth = bearer(w.users.staff)
    everything = client.get("/api/v1/audit/events", headers=auth).json()["count"]
    r = client.get("/api/v1/audit/events", {"page_size": 2, "page": 2}, headers=auth).json()
    assert r["count"] == everything and r["page_size"] == 2 and len(r["results"]) == 2
    assert client.get("/api/v1/audit/events", {"resident": w.other_person.id},
                      headers=auth).status_code == 404  # another community's: as a missing one
    bad = client.get("/api/v1/audit/events", {"since": "last night"}, headers=auth)
    assert bad.status_code == 400 and "since" in bad.json()["error"]["fields"]
    kind = client.get("/api/v1/audit/events", {"kind": "everything"}, headers=auth)
    assert kind.status_code == 422 and "kind" in kind.json()["error"]["fields"]
    other = client.get("/api/v1/audit/events", headers=bearer(w.users.other_staff)).json()
    assert all(e["community"] in (w.other.id, None) for e in other["results"])
    assert not any(e["target_id"] == w.su.id for e in other["results"])


def test_the_filtered_log_as_xlsx_is_the_pages_and_is_audited(seen, client):
    w = seen
    client.force_login(w.users.district)
    r = client.get(reverse("audit_export"), {"resident": w.xia.id})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert "居民：夏明（光明小区 1号楼 1单元 102）" in rows[0][0]
    assert rows[1][:6] == ("时间", "账号", "途径", "操作", "对象", "详情")
    body = rows[2:]
    assert len(body) == 3
    assert {b[6] for b in body} == {"resident.view_phones", "resident.create"}
    assert any(b[5] == "查看位置：住户页面（光明小区 1号楼 1单元 102）；涉及：夏明（光明小区 1号楼 1单元 102）"
               for b in body)
    event = AuditEvent.objects.get(action="audit.export")
    assert event.actor == w.users.district and event.district_id == w.district.id
    assert event.changes == {"filters": {"resident": w.xia.id}, "rows": 3}
    page = client.get(reverse("audit"), {"kind": "exports"}).content.decode()
    assert "导出了操作日志" in page and "筛选条件：居民：夏明（光明小区 1号楼 1单元 102）" in page


def test_an_export_past_the_limit_is_refused_not_cut(seen, client, settings):
    settings.FANGKONG_AUDIT_EXPORT_MAX = 2
    client.force_login(seen.users.district)
    r = client.get(reverse("audit_export"))
    assert r.status_code == 400 and "请缩短时间范围" in r.content.decode()
    assert not AuditEvent.objects.filter(action="audit.export").exists()
