"""What a tester found on the nightly reports after they counted from the previous cut-off
(2026-12-07): a report by an account since deleted said "None 于 … 上报"; the street's .xlsx
left a correction's figures and reason out; an early report left a hole until the next
window; the PDF's 7-day chart recounted past days with today's residents."""

import pytest
from django.test import Client

from fangkong.core.actor import Actor
from fangkong.reports import actions
from fangkong.reports.models import DailyReport

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_a_report_by_a_deleted_account_names_no_one(day):
    w = day
    r = actions.submit(Actor.system(w.users.staff), actions.prepare(Actor.system(w.users.staff), w.community, w.day), "")
    DailyReport.objects.filter(id=r.id).update(submitted_by=None)  # the account deleted: SET_NULL
    html = _client(w.users.staff).get(f"/reports/{r.id}/").content.decode()
    assert "None" not in html
    assert "– 于 " in html and " 上报" in html
