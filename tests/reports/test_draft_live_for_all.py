"""A draft report is live until it is submitted, whoever reads it; a submitted one is its
stored figures. Found walking the zones (report_zone item 8): after a building was sealed,
the street's command downloaded the community's period .xlsx and read today's draft at 24
households / 38 people sealed (as the job had stored it) while the report's page and the
API said 58 / 90; it caught up only once the draft was counted again and saved. The rule
had been "counted now for whoever may submit it", so the figure depended on the reader."""

import io
import re

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.core.actor import Actor
from fangkong.reports import actions, figures
from fangkong.reports.actions.nightly import prepare_unchecked
from fangkong.reports.export_xlsx import header, value
from fangkong.zones.actions import publish as zones_publish
from fangkong.zones.models import HouseholdZone, ZoneType
from tests.conftest import PASSWORD
from tests.reports.conftest import at

# counted on the page as shown there (numbers, no units): zones, testing, volunteers' people
PAGE_KEYS = ["sealed_households", "sealed_people", "controlled_households", "controlled_people",
             "sampled", "missing", "exempt", "to_sample", "on_duty"]


def _seal_unit2_from_19(w, actors):
    """A seal published after the draft was saved, in force from D 19:00 (before the cut-off):
    unit 2 (王新勇, controlled since 06:00) becomes sealed."""
    notice = zones_publish.create_notice(actors.staff, w.community, {
        "number": "第19号", "issued_by": "指挥部", "title": "2单元封控", "effective_at": timezone.now().isoformat()})
    adj = zones_publish.draft(actors.staff, w.community, "2单元封控", notice=notice)
    zones_publish.add_item(actors.staff, adj, "change", w.unit2,
                           ZoneType.objects.get(policy__is_active=True, kind="sealed"))
    zones_publish.publish(actors.staff, adj)
    HouseholdZone.objects.filter(household=w.hh201, until=None).update(since=at(w.day, 19))
    HouseholdZone.objects.filter(household=w.hh201, kind="controlled").update(until=at(w.day, 19))


def _sheet_row(content):
    rows = [list(r) for r in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)]
    return dict(zip(rows[0], rows[1], strict=True))


def _page(c, url):
    resp = c.get(url)
    assert resp.status_code == 200, url
    return dict(re.findall(r'data-figure="(\w+)"[^>]*>\s*<strong>([^<]*)</strong>', resp.content.decode()))


def test_a_draft_is_counted_now_on_every_surface_for_every_reader(day, actors):
    w = day
    draft = prepare_unchecked(actors.staff, w.community, w.day, now=at(w.day, 8))  # the job's morning save
    assert (draft.figures["sealed_households"], draft.figures["sampled"], draft.figures["missing"]) == (0, 0, 4)
    _seal_unit2_from_19(w, actors)
    live = figures.figures_only(actions.preview(w.community, w.day, draft).figures)
    # the seal and the day's tests are in it, as of the cut-off
    assert (live["sealed_households"], live["sealed_people"], live["controlled_households"]) == (1, 1, 0)
    assert (live["sampled"], live["missing"], live["minutes_today"]) == (1, 2, 120)
    defs = figures.definitions()
    want_sheet = {header(f): value(f, live.get(f.key)) for f in defs}
    span = f"from={w.day}&to={w.day}"
    for user in (w.users.staff, w.users.street):  # who may submit it, and who may only read it
        c = Client()
        assert c.login(username=user.username, password=PASSWORD)
        for url in (f"/api/v1/reports/{draft.id}",
                    f"/api/v1/reports/places/{w.community.id}/reports/{w.day}"):
            got = c.get(url).json()["figures"]
            assert {k: got.get(k) for k in live} == live, (user.username, url)
        versions = c.get(f"/api/v1/reports/{draft.id}/versions").json()
        assert {k: versions[0]["figures"].get(k) for k in live} == live, user.username
        for url in (f"/reports/{draft.id}/report.xlsx", f"/api/v1/reports/{draft.id}/export/xlsx",
                    f"/reports/places/{w.community.id}/export.xlsx?{span}",
                    f"/api/v1/reports/places/{w.community.id}/export/xlsx?first={w.day}&last={w.day}"):
            resp = c.get(url)
            assert resp.status_code == 200, (user.username, url)
            row = _sheet_row(resp.content)
            assert {h: row[h] for h in want_sheet} == want_sheet, (user.username, url)
            assert row["数据截至"] == f"{w.day} 20:00", (user.username, url)  # as the page says
        for url in (f"/reports/{draft.id}/", f"/reports/places/{w.community.id}/days/{w.day}/"):
            shown = _page(c, url)
            assert {k: shown[k] for k in PAGE_KEYS} == {k: str(live[k]) for k in PAGE_KEYS}, (user.username, url)
    draft.refresh_from_db()
    assert draft.figures["sealed_households"] == 0  # nothing was saved by reading it


def test_a_submitted_report_is_its_stored_figures_everywhere(day, actors):
    w = day
    late = w.cutoff + timezone.timedelta(minutes=30)
    r = actions.submit(Actor.system(), prepare_unchecked(actors.staff, w.community, w.day, now=late), now=late)
    assert r.figures["sealed_households"] == 0
    _seal_unit2_from_19(w, actors)  # after the submission: not in the locked report
    c = Client()
    assert c.login(username=w.users.street.username, password=PASSWORD)
    assert c.get(f"/api/v1/reports/{r.id}").json()["figures"]["sealed_households"] == 0
    label = header(next(f for f in figures.definitions() if f.key == "sealed_households"))
    row = _sheet_row(c.get(f"/reports/places/{w.community.id}/export.xlsx?from={w.day}&to={w.day}").content)
    assert row[label] == 0
    assert _page(c, f"/reports/{r.id}/")["sealed_households"] == "0"
