"""A round that runs past midnight is counted in one nightly report: the one whose window
holds its tests (walked 2026-12-07: round 12月6日 第3轮核酸, 21:51 → 04:51, 327 sampled; the
12-06 report, cut off at 20:00, showed none, the 12-07 report — its window 12-06 20:00 to the
cut-off — counted from midnight, 159: the 234 samples before midnight were in no report, and
the street's roll-up carried the same hole).

A round planned D 21:51 → D+1 04:51; one person sampled at 22:00 of D, another at 02:00 of
D+1. D's report (cut-off D 20:00) counts neither; D+1's (from D 20:00) counts both: the page,
the API, the .xlsx and the street's roll-up alike. The live dashboard still counts its day
from midnight."""

import datetime
import io
import uuid

import openpyxl
import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions, figures
from fangkong.screening.actions import planning, station
from fangkong.screening.models import Sample, Tube
from tests.conftest import client_of as _client
from tests.reports.test_pages import _shown

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


@pytest.fixture
def night_round(world, monkeypatch):
    w = world
    w.d1 = timezone.localdate() - datetime.timedelta(days=2)
    w.d2 = w.d1 + datetime.timedelta(days=1)
    staff = Actor.system(w.users.staff)
    w.rnd = rnd = planning.plan_round(staff, w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": at(w.d1, 21, 51), "ends_at": at(w.d2, 4, 51),
        "pool_size": 1})
    planning.set_status(staff, rnd, "running")
    for barcode, person, when in (("T0301", w.su, at(w.d1, 22)), ("T0302", w.yu, at(w.d2, 2))):
        station.open_tube(staff, rnd, barcode)
        station.scan(staff, rnd, client_id=str(uuid.uuid4()), barcode=barcode, person=person.token)
        station.seal_tube(staff, Tube.objects.get(round=rnd, barcode=barcode))
        Sample.objects.filter(round=rnd, resident=person).update(sampled_at=when)
        Tube.objects.filter(round=rnd, barcode=barcode).update(opened_at=when, sealed_at=when)
    monkeypatch.setattr(timezone, "now", lambda: at(w.d2, 22, 30))
    return w



def test_a_round_past_midnight_is_counted_whole_in_the_next_days_report(night_round):
    w = night_round
    staff, street = Actor.system(w.users.staff), Actor.system(w.users.street)
    for day in (w.d1, w.d2):
        actions.submit(staff, actions.prepare(staff, w.community, day), "")
        actions.submit(street, actions.prepare(street, w.street, day), "")
    want = {w.d1: 0, w.d2: 2}  # 22:00 of D and 02:00 of D+1: both after D's cut-off
    c, cs = _client(w.users.staff), _client(w.users.street)
    for day, n in want.items():
        html = c.get(f"/reports/places/{w.community.id}/days/{day}/").content.decode()
        assert _shown(html).get("sampled", "0") == str(n), (day, _shown(html))
        got = c.get(f"/api/v1/reports/places/{w.community.id}/reports/{day}").json()
        assert got["figures"].get("sampled", 0) == n, day
        st = cs.get(f"/api/v1/reports/places/{w.street.id}/reports/{day}").json()
        assert st["figures"].get("sampled", 0) == n, day
    d2 = c.get(f"/api/v1/reports/places/{w.community.id}/reports/{w.d2}").json()["figures"]
    assert d2["expected"] >= 2 and d2["coverage"] == round(100 * 2 / d2["to_sample"])

    resp = cs.get(f"/reports/places/{w.street.id}/export.xlsx?from={w.d1}&to={w.d2}")
    book = openpyxl.load_workbook(io.BytesIO(resp.content), read_only=True)
    for sheet in ("社区", "街道"):
        rows = list(book[sheet].iter_rows(values_only=True))
        col = rows[0].index("已检")
        name = w.community.name if sheet == "社区" else w.street.name
        assert {row[1]: row[col] or 0 for row in rows[1:] if row[0] == name} == {
            d.isoformat(): n for d, n in want.items()}, sheet
    # the live dashboard counts its day from midnight: on D+1, the 02:00 test only
    assert figures.of(w.community, at(w.d2, 3))["sampled"] == 1
    assert figures.of(w.community, at(w.d1, 23))["sampled"] == 1
