"""The reports API says what the report and the pages say: figures of a node as of the
cut-off equal the report's; submit locks (sent again: 409), a correction is version 2, the
street approves, the completeness and the exports read back."""

import datetime
import io

import openpyxl

from tests.conftest import client_of as _client
from tests.reports.conftest import A_AT_CUTOFF


def test_api_report_flow_agrees_with_the_figures(day):
    w = day
    staff, street = _client(w.users.staff), _client(w.users.street)
    r = staff.post(f"/api/v1/reports/places/{w.community.id}/reports/{w.day}").json()
    assert r["status"] == "draft" and {k: r["figures"][k] for k in A_AT_CUTOFF} == A_AT_CUTOFF
    at = w.cutoff.isoformat()
    got = street.get(f"/api/v1/reports/places/{w.community.id}/figures", {"at": at}).json()
    assert {f["key"]: f["value"] for f in got["figures"] if f["key"] in A_AT_CUTOFF} == A_AT_CUTOFF
    done = staff.post(f"/api/v1/reports/{r['id']}/submit", {"remarks": "完成"},
                      content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    again = staff.post(f"/api/v1/reports/{r['id']}/submit", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "report_locked"
    v2 = staff.post(f"/api/v1/reports/{r['id']}/correct", {"reason": "补充备注"},
                    content_type="application/json")
    assert v2.status_code == 201 and v2.json()["version"] == 2
    v2 = staff.post(f"/api/v1/reports/{v2.json()['id']}/submit", {}, content_type="application/json").json()
    assert [v["version"] for v in staff.get(f"/api/v1/reports/{v2['id']}/versions").json()] == [1, 2]
    ok = street.post(f"/api/v1/reports/{v2['id']}/approve").json()
    assert ok["status"] == "approved"
    comp = street.get(f"/api/v1/reports/places/{w.street.id}/completeness", {"day": str(w.day)}).json()
    assert (comp["late"] + comp["on_time"], comp["missing"]) == (1, 1)
    body = street.get(f"/api/v1/reports/{v2['id']}/export/xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(body))["社区"]
    head = [c.value for c in sheet[1]]
    assert sheet.cell(2, head.index("已检") + 1).value == 1


def test_figures_as_of_a_moment_with_any_offset_python_takes(day):
    """Found by the schema fuzzer on PostgreSQL: `at` with an offset of +21:36 (Python takes
    up to ±23:59, PostgreSQL refuses past ±15:59) was a 500. The same moment in UTC is asked."""
    w = day
    street = _client(w.users.street)
    url = f"/api/v1/reports/places/{w.community.id}/figures"
    odd = street.get(url, {"at": "0234-07-23T06:18:12.310510+21:36"})
    assert odd.status_code == 200 and odd.json()["at"].startswith("0234-07-22T08:42:12")
    same = w.cutoff.astimezone(datetime.timezone(datetime.timedelta(hours=21, minutes=36)))
    assert street.get(url, {"at": same.isoformat()}).json()["figures"] == \
        street.get(url, {"at": w.cutoff.isoformat()}).json()["figures"]
