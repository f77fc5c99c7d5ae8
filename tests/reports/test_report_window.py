"""A case confirmed after the 20:00 cut-off is in the next day's report (walked 2026-12-06:
a re-test positive at 23:27 was in no day's report — the day's was counted up to 20:00, the
next day's from midnight).

Day D (two days ago): a PCR round, one pool of four people, positive; their single re-tests
positive at 19:59, 20:01 and 23:30 of D and 00:30 of D+1. A day's report counts what is new
from just after the previous day's cut-off to its own: D's report one case (19:59), D+1's
three. Each case is in exactly one report, on the page, in the .xlsx and the PDF and through
the API, and the street's report (the sum of its communities') agrees. The page says the
window in words."""

import datetime
import io
import uuid

import openpyxl
import pypdf
import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions, figures
from fangkong.screening.actions import lab, planning, station
from fangkong.screening.models import FollowUp, Sample, Tube
from tests.conftest import client_of as _client
from tests.reports.test_pages import _shown

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


@pytest.fixture
def evening_cases(world, monkeypatch):
    w = world
    w.d1 = timezone.localdate() - datetime.timedelta(days=2)
    w.d2 = w.d1 + datetime.timedelta(days=1)
    staff = Actor.system(w.users.staff)
    rnd = planning.plan_round(staff, w.community, {
        "name": "第5轮核酸", "kind": "pcr", "starts_at": at(w.d1, 7), "ends_at": at(w.d1, 14), "pool_size": 4})
    planning.set_status(staff, rnd, "running")
    station.open_tube(staff, rnd, "T0100")
    people = [w.su, w.yu, w.xia, w.wang]
    for p in people:
        station.scan(staff, rnd, client_id=str(uuid.uuid4()), barcode="T0100", person=p.token)
    station.seal_tube(staff, Tube.objects.get(round=rnd, barcode="T0100"))
    Sample.objects.filter(round=rnd).update(sampled_at=at(w.d1, 9))
    Tube.objects.filter(round=rnd).update(opened_at=at(w.d1, 9), sealed_at=at(w.d1, 9, 30),
                                          at_lab_at=at(w.d1, 11))
    lab.record_results(Actor.system(w.users.lab), [{"barcode": "T0100", "result": "positive"}])
    confirmed = [at(w.d1, 19, 59), at(w.d1, 20, 1), at(w.d1, 23, 30), at(w.d2, 0, 30)]
    for p, when in zip(people, confirmed, strict=True):
        FollowUp.objects.filter(round=rnd, resident=p).update(
            created_at=at(w.d1, 12), status=FollowUp.Status.CASE, closed_at=when)
    assert FollowUp.objects.filter(round=rnd, status=FollowUp.Status.CASE).count() == 4
    monkeypatch.setattr(timezone, "now", lambda: at(w.d2, 22, 30))
    return w



def test_each_case_is_in_exactly_one_days_report(evening_cases):
    w = evening_cases
    staff, street = Actor.system(w.users.staff), Actor.system(w.users.street)
    reports = {}
    for day in (w.d1, w.d2):
        reports[day] = actions.submit(staff, actions.prepare(staff, w.community, day), "")
        actions.submit(street, actions.prepare(street, w.street, day), "")
    want = {w.d1: 1, w.d2: 3}  # 19:59 on D; 20:01, 23:30 and 00:30 on D+1: four in all
    assert {d: r.figures["cases"] for d, r in reports.items()} == want

    c, cs = _client(w.users.staff), _client(w.users.street)
    for day, n in want.items():
        # the page, and the window it says in words
        html = c.get(f"/reports/places/{w.community.id}/days/{day}/").content.decode()
        assert _shown(html)["cases"] == str(n), (day, _shown(html))
        before = day - datetime.timedelta(days=1)
        window = f"新增：{before:%m-%d} 20:00 至 {day:%m-%d} 20:00"
        assert window in html, html.split("data-as-of")[1][:300]
        # the API
        got = c.get(f"/api/v1/reports/places/{w.community.id}/reports/{day}").json()
        assert got["figures"]["cases"] == n
        assert got["new_since"].startswith(f"{before}T") and got["figures_as_of"].startswith(f"{day}T")
        # the report's PDF says the window, its .xlsx the figure
        r = reports[day]
        pdf = c.get(f"/reports/{r.id}/report.pdf").content
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
        assert window.replace(" ", "") in text.replace(" ", "")
        # the street's report sums its communities': the same figure
        st = cs.get(f"/api/v1/reports/places/{w.street.id}/reports/{day}").json()
        assert st["figures"]["cases"] == n

    book = openpyxl.load_workbook(io.BytesIO(cs.get(
        f"/reports/places/{w.street.id}/export.xlsx?from={w.d1}&to={w.d2}").content), read_only=True)
    for sheet in ("社区", "街道"):
        rows = list(book[sheet].iter_rows(values_only=True))
        col = rows[0].index("阳性病例")
        name = w.community.name if sheet == "社区" else w.street.name
        assert {row[1]: row[col] for row in rows[1:] if row[0] == name} == {
            d.isoformat(): n for d, n in want.items()}, sheet
    # the live dashboard still counts the day from midnight (its "today")
    assert figures.of(w.community, at(w.d1, 23, 59))["cases"] == 3
    assert figures.of(w.community, at(w.d2, 20))["cases"] == 1


def test_the_scheduled_job_counts_the_same_window(evening_cases):
    """The job that prepares every community's draft before the cut-off counts the same
    window as the report page."""
    from fangkong.reports.actions import schedule

    w = evening_cases
    schedule.prepare_level(Actor.system(w.users.staff), [w.community, w.other], w.d2, at(w.d2, 20, 30))
    from fangkong.reports.models import DailyReport

    r = DailyReport.objects.get(place=w.community, day=w.d2, current=True)
    assert r.figures["cases"] == 3
