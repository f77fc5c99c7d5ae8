"""The street's and district's command walk (2026-12-07): a past day's report says its
population is today's roll (the registry keeps no history); a report is never locked before
its cut-off; a street's partial sum says so beside the live total; the district drills from
a street to its communities before the street submits, and its file lists them; a street's
draft is the same on its page, in the API and in its file; `due_at` has one format."""

import datetime
import io
import re

import openpyxl
import pytest
from django.utils import timezone

from fangkong.core import pii
from fangkong.core.errors import Conflict
from fangkong.registry import actions as reg
from fangkong.registry.figures import POPULATION_AT
from fangkong.reports import actions
from fangkong.reports.actions import snapshots
from fangkong.reports.models import DailyReport
from tests.conftest import client_of as _client


def _at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def test_a_past_days_report_says_its_population_is_the_roll_of_now(day, actors, system):
    w = day
    # a household registered today, after D's cut-off: the roll keeps no history, so D's
    # report (sent late) cannot count D's roll; it must not pass today's off as D 20:00
    hh = reg.create_household(system, w.unit2, "202")
    reg.create_resident(system, hh, {"name": "新住户", "relation": "户主",
                                     "id_number": pii.make_id_number("140106", datetime.date(1990, 1, 1), 77)})
    r = actions.submit(actors.staff, actions.prepare(actors.staff, w.community, w.day))
    assert r.figures[POPULATION_AT] and datetime.datetime.fromisoformat(r.figures[POPULATION_AT][0]) > w.cutoff
    html = _client(w.users.staff).get(f"/reports/{r.id}/").content.decode()
    note = re.search(r'data-note="residents">([^<]*)<', html)
    assert note and timezone.localtime(datetime.datetime.fromisoformat(r.figures[POPULATION_AT][0])) \
        .strftime("%m-%d %H:%M") in note.group(1)
    # the street's sum carries it on
    street = actions.submit(actors.street, actions.prepare(actors.street, w.street, w.day))
    assert street.figures[POPULATION_AT] == r.figures[POPULATION_AT]
    # counted before its cut-off (the job's draft at 19:30): no such note
    early = actions.prepare(actors.other_staff, w.other, w.day, now=_at(w.day, 19, 30))
    assert POPULATION_AT not in early.figures
    # nor an on-time report read in the evening after it (every report was said to be "not
    # the cut-off's roll", so the note meant nothing when it mattered)
    on_time = actions.prepare(actors.other_staff, w.other, w.day, now=_at(w.day, 20, 30))
    assert POPULATION_AT not in on_time.figures


def test_the_confirm_of_a_past_day_says_the_roll_is_read_now(day):
    w = day
    staff = _client(w.users.staff)
    html = staff.post(f"/reports/places/{w.community.id}/days/{w.day}/start/",
                      {"do": "submit", "remarks": ""}).content.decode()
    assert "名册不保留历史，无法按截止时间回溯" in html
    assert "下一日报" not in html  # "goes into the next one" was never true


def test_a_report_is_never_locked_before_its_cut_off(world, actors, monkeypatch):
    w = world
    today = timezone.localdate()
    monkeypatch.setattr(timezone, "now", lambda: _at(today, 9, 27))
    r = actions.prepare(actors.staff, w.community, today)
    with pytest.raises(Conflict) as e:
        actions.submit(actors.staff, r)
    assert e.value.code == "report_before_cutoff"
    assert DailyReport.objects.get(pk=r.pk).status == "draft"
    staff = _client(w.users.staff)
    page = staff.get(f"/reports/{r.id}/").content.decode()
    assert 'value="submit"' not in page and "data-before-cutoff" in page
    asked = staff.post(f"/reports/{r.id}/submit/", {"remarks": ""})
    assert asked.status_code == 409
    assert "next one" not in asked.content.decode() and "下一份" not in asked.content.decode()
    api = staff.post(f"/api/v1/reports/{r.id}/submit", {}, content_type="application/json")
    assert api.status_code == 409 and api.json()["error"]["code"] == "report_before_cutoff"
    # from the cut-off on it is submitted as before
    monkeypatch.setattr(timezone, "now", lambda: _at(today, 20, 5))
    assert actions.submit(actors.staff, r).status == "submitted"


def test_a_streets_partial_sum_says_so_beside_the_live_total(day, actors):
    w = day
    actions.submit(actors.staff, actions.prepare(actors.staff, w.community, w.day))
    snapshots.refresh_stale()
    html = _client(w.users.street).get(f"/reports/places/{w.street.id}/days/{w.day}/").content.decode()
    box = re.search(r'id="partial" data-counted="(\d+)" data-total="(\d+)"', html)
    assert box and box.groups() == ("1", "2")
    assert re.findall(r"data-live-value>(\d+)<", html) == ["5", "4"]  # the street now: 4 + 1, 3 + 1
    assert "data-partial" in html


def test_the_district_drills_down_to_the_communities_and_its_file_lists_them(day, actors):
    w = day
    actions.submit(actors.staff, actions.prepare(actors.staff, w.community, w.day))
    district = _client(w.users.district)
    html = district.get(f"/reports/places/{w.district.id}/completeness/", {"day": str(w.day)}).content.decode()
    assert f'href="/reports/places/{w.street.id}/completeness/?day={w.day}" data-below="{w.street.id}"' in html
    assert district.get(f"/reports/places/{w.street.id}/completeness/", {"day": str(w.day)}).status_code == 200
    got = district.get(f"/reports/places/{w.district.id}/export.xlsx", {"from": str(w.day), "to": str(w.day)})
    book = openpyxl.load_workbook(io.BytesIO(got.content))
    sheets = {ws.title: [r for r in ws.iter_rows(values_only=True)][1:] for ws in book.worksheets}
    communities = next(rows for title, rows in sheets.items() if title in ("社区", "Community"))
    assert {r[0] for r in communities} == {"光明社区", "惠泽苑社区"}
    assert all(rows for rows in sheets.values())  # no empty sheet


def test_a_streets_draft_is_in_the_api_and_its_file_as_on_its_page(day, actors):
    w = day
    actions.submit(actors.staff, actions.prepare(actors.staff, w.community, w.day))
    street = _client(w.users.street)
    got = street.get(f"/api/v1/reports/places/{w.street.id}/reports/{w.day}")
    assert got.status_code == 200
    body = got.json()
    assert body["id"] is None and body["status"] == "draft" and body["figures"]["residents"] == 4
    assert not DailyReport.objects.filter(place=w.street).exists()  # a GET never writes
    # whoever may not submit it sees no draft there, as on the page
    assert _client(w.users.district).get(f"/api/v1/reports/places/{w.street.id}/reports/{w.day}").status_code == 404
    f = street.get(f"/reports/places/{w.street.id}/export.xlsx", {"from": str(w.day), "to": str(w.day)})
    book = openpyxl.load_workbook(io.BytesIO(f.content))
    streets = next(ws for ws in book.worksheets if ws.title in ("街道", "Street"))
    rows = list(streets.iter_rows(values_only=True))[1:]
    assert [r[0] for r in rows] == ["桥东街道"]
    assert 4 in rows[0]


def test_due_at_has_one_format(day, actors):
    w = day
    actions.submit(actors.staff, actions.prepare(actors.staff, w.community, w.day))
    district = _client(w.users.district)
    a = district.get(f"/api/v1/reports/places/{w.street.id}/completeness", {"day": str(w.day)}).json()
    b = district.get(f"/api/v1/reports/places/{w.district.id}/completeness", {"day": str(w.day)}).json()
    assert a["due_at"].endswith("Z") and b["due_at"].endswith("Z")
