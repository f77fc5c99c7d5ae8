"""What a tester found on the nightly reports after they counted from the previous cut-off
(2026-12-07): a report by an account since deleted said "None 于 … 上报"; the street's .xlsx
left a correction's figures and reason out; an early report left a hole until the next
window."""

import datetime
import io

import pypdf
import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions
from fangkong.reports.models import DailyReport
from tests.conftest import client_of as _client
from tests.reports.test_report_window import at, evening_cases  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db



def test_a_report_by_a_deleted_account_names_no_one(day):
    w = day
    r = actions.submit(Actor.system(w.users.staff), actions.prepare(Actor.system(w.users.staff), w.community, w.day), "")
    DailyReport.objects.filter(id=r.id).update(submitted_by=None)  # the account deleted: SET_NULL
    html = _client(w.users.staff).get(f"/reports/{r.id}/").content.decode()
    assert "None" not in html
    # not "– 于 …" (read as an anonymous submission, walked 2026-12-07): who it may have been
    assert "系统或已删除账号 于 " in html and "– 于 " not in html
    pdf = _client(w.users.staff).get(f"/reports/{r.id}/report.pdf").content
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")
    assert "系统或已删除账号于" in text and "–于" not in text, text[:400]


def test_the_next_window_starts_where_an_early_report_was_counted(evening_cases):  # noqa: F811
    """D's report submitted at 12:00 (before its 20:00 cut-off) is counted as of 12:00: its
    case at 19:59 is not in it, and D+1's report — from 12:00 of D, not 20:00 — counts it.
    Such a report is refused now (`require_cutoff_passed`): one locked before the rule is
    made by hand here."""
    w = evening_cases
    staff = Actor.system(w.users.staff)
    early = actions.prepare(staff, w.community, w.d1, now=at(w.d1, 12))
    DailyReport.objects.filter(id=early.id).update(status="submitted", submitted_at=at(w.d1, 12))
    assert early.figures["cases"] == 0
    late = actions.submit(staff, actions.prepare(staff, w.community, w.d2), "")
    assert late.figures["cases"] == 4  # 19:59, 20:01, 23:30 of D and 00:30 of D+1
    html = _client(w.users.staff).get(f"/reports/{late.id}/").content.decode()
    assert f"新增：{w.d1:%m-%d} 12:00 至 {w.d2:%m-%d} 20:00" in html
    # before the cut-off it is refused, never told the rest "goes into the next one"
    d3 = timezone.localdate()
    r3 = actions.prepare(staff, w.community, d3, now=timezone.now())
    DailyReport.objects.filter(id=r3.id).update(cutoff_at=timezone.now() + datetime.timedelta(hours=3))
    ask = _client(w.users.staff).post(f"/reports/{r3.id}/submit/", {"remarks": ""})
    assert ask.status_code == 409 and "下一日报" not in ask.content.decode()
