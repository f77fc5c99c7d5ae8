"""A past day's report keeps the roll of its cut-off (`reports.models.CutoffRoll`,
`actions.roll`). The registry keeps no history of who lived where, so yesterday's report had
been counted with today's roll: a resident added, a household registered or someone moved
the next day changed yesterday's draft on its page, in the API and the exports, a late
submit or a correction of it, and so the street's and the district's sums. The roll is now
stored at the cut-off — by the scheduled job at the communities' cut-off, or by the submit
if that comes first — and every count of that day takes it from there; today's draft still
counts the roll as it stands."""

import datetime
import io
import re

import openpyxl
import pytest
from django.utils import timezone

from fangkong.core import pii
from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.figures import POPULATION_AT
from fangkong.reports import actions
from fangkong.reports.actions import roll, schedule
from fangkong.reports.models import CutoffRoll
from tests.conftest import client_of as _client
from tests.reports.conftest import at

ROLL = ("residents", "households", "controlled_households", "controlled_people", "sealed_people")


@pytest.fixture(autouse=True)
def _before_todays_cut_off(monkeypatch):
    """Today at noon, before today's own cut-off (20:00): after it, today's draft counts the
    zones as of its cut-off too, and the people this test adds "the next day" came later (the
    test failed whenever it ran after 20:00 Beijing time). Set before the world is built."""
    from tests.day.scene import Clock

    return Clock(monkeypatch, timezone.localdate(), 12)



def _after_the_cut_off(w):
    """The next day: 苏霞 moves from 光明社区 (101) to 惠泽苑社区 (301); a household 202 is
    registered in 光明's unit 2 (controlled) with one person; a second person joins 201."""
    system = Actor.system()
    reg.move_resident(system, w.su, w.other_hh)
    hh = reg.create_household(system, w.unit2, "202")
    reg.create_resident(system, hh, {"name": "新住户", "relation": "户主",
                                     "id_number": pii.make_id_number("140106", datetime.date(1990, 1, 1), 77)})
    reg.create_resident(system, w.hh201, {"name": "王小勇", "relation": "子女"})


def _mine(values):
    return {k: values.get(k) for k in ROLL}


def _sheet(content, title):
    book = openpyxl.load_workbook(io.BytesIO(content))
    ws = next(ws for ws in book.worksheets if ws.title == title)
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_a_past_days_report_keeps_the_roll_of_its_cut_off_everywhere(day, actors):
    w = day
    today = timezone.localdate()
    schedule.run(now=at(w.day, 19, 59))
    assert not CutoffRoll.objects.filter(day=w.day).exists()  # nothing before the cut-off
    assert (at(w.day, 20), "community", "roll") in schedule.moments(w.day)  # the job wakes then
    schedule.run(now=at(w.day, 20))  # the job at the communities' cut-off
    taken = {r.place_id: r for r in CutoffRoll.objects.filter(day=w.day)}
    assert set(taken) == {w.community.id, w.other.id}
    at_cutoff = _mine(actions.preview(w.community, w.day).figures)
    assert at_cutoff == {"residents": 4, "households": 3, "controlled_households": 1, "controlled_people": 1,
                         "sealed_people": 0}
    _after_the_cut_off(w)

    staff = _client(w.users.staff)
    # the API: the past day's draft keeps its cut-off's roll, today's counts the new one
    past = staff.get(f"/api/v1/reports/places/{w.community.id}/reports/{w.day}").json()["figures"]
    assert _mine(past) == at_cutoff
    now = staff.get(f"/api/v1/reports/places/{w.community.id}/reports/{today}").json()["figures"]
    assert (now["residents"], now["households"], now["controlled_people"]) == (5, 4, 3)  # 202 too
    # the page
    html = staff.get(f"/reports/places/{w.community.id}/days/{w.day}/").content.decode()
    shown = dict(re.findall(r'data-figure="(\w+)"[^>]*>\s*<strong>([^<]*)</strong>', html))
    assert (shown["residents"], shown["households"], shown["controlled_people"]) == ("4", "3", "1")
    assert 'data-note="residents"' not in html  # the cut-off's own roll: nothing to say
    # the period's .xlsx
    got = staff.get(f"/reports/places/{w.community.id}/export.xlsx", {"from": str(w.day), "to": str(w.day)})
    [row] = _sheet(got.content, "社区")
    assert (row["居民"], row["户数"]) == (4, 3)

    # submitted late, corrected: still the cut-off's roll, said as such
    a = actions.submit(actors.staff, actions.prepare(actors.staff, w.community, w.day))
    assert _mine(a.figures) == at_cutoff and POPULATION_AT not in a.figures
    b = actions.submit(actors.other_staff, actions.prepare(actors.other_staff, w.other, w.day))
    assert (b.figures["residents"], b.figures["households"]) == (1, 1)  # 苏霞 came after its cut-off
    a2 = actions.correct(actors.staff, a, "更正备注")
    assert _mine(actions.as_shown(a2).figures) == at_cutoff
    a2 = actions.submit(actors.staff, a2)
    assert _mine(a2.figures) == at_cutoff
    # the street's and the district's sums of that day
    street = actions.submit(actors.street, actions.prepare(actors.street, w.street, w.day))
    assert (street.figures["residents"], street.figures["households"], street.figures["controlled_people"]) == (5, 4, 1)
    district = actions.submit(actors.district, actions.prepare(actors.district, w.district, w.day))
    assert (district.figures["residents"], district.figures["households"]) == (5, 4)
    api = _client(w.users.district).get(f"/api/v1/reports/{street.id}").json()
    assert (api["figures"]["residents"], api["figures"]["households"]) == (5, 4)
    pdf = _client(w.users.street).get(f"/reports/{street.id}/report.pdf")
    assert pdf.status_code == 200
    # the roll stored at the cut-off was never replaced
    assert {r.place_id: r.taken_at for r in CutoffRoll.objects.filter(day=w.day)} == {
        k: r.taken_at for k, r in taken.items()}


def test_the_submit_stores_the_roll_when_the_job_has_not(day, actors):
    w = day
    r = actions.prepare(actors.staff, w.community, w.day, now=at(w.day, 19, 30))
    r = actions.submit(actors.staff, r, now=at(w.day, 20, 10))
    kept = CutoffRoll.objects.get(place=w.community, day=w.day)
    assert kept.taken_at == at(w.day, 20, 10) and kept.cutoff_at == at(w.day, 20)
    assert (kept.values["residents"], kept.values["households"]) == (4, 3)
    _after_the_cut_off(w)
    schedule.run(now=at(w.day, 20, 30))  # the job after it: the roll is not taken again
    assert CutoffRoll.objects.get(place=w.community, day=w.day).taken_at == at(w.day, 20, 10)
    # a correction the next day (returned for its remarks) brings in nobody moved since
    r2 = actions.correct(actors.staff, r, "补充备注")
    assert (r2.figures["residents"], r2.figures["households"], r2.figures["controlled_people"]) == (4, 3, 1)
    assert POPULATION_AT not in r2.figures
    # the street's draft of that day sums it as stored
    actions.submit(actors.staff, r2)
    assert actions.preview(w.street, w.day).figures["residents"] == 4


def test_a_roll_stored_long_after_its_cut_off_says_so(day, actors):
    w = day
    roll.take_due()  # the worker was down at D's cut-off: it stores D's roll now, late
    kept = CutoffRoll.objects.get(place=w.community, day=w.day)
    assert roll.roll_read_late(w.cutoff, kept.taken_at)
    _after_the_cut_off(w)
    shown = actions.day_report(actors.staff.scope, w.community, w.day)
    assert shown.figures["residents"] == 4  # the roll as it was stored, not today's
    assert shown.figures[POPULATION_AT] == [kept.taken_at.isoformat()]
    html = _client(w.users.staff).get(f"/reports/places/{w.community.id}/days/{w.day}/").content.decode()
    note = re.search(r'data-note="residents">([^<]*)<', html)
    assert note and timezone.localtime(kept.taken_at).strftime("%m-%d %H:%M") in note.group(1)


def test_the_submit_question_of_a_past_day_says_which_roll_it_counts(day):
    w = day
    schedule.run(now=at(w.day, 20))
    html = _client(w.users.staff).post(f"/reports/places/{w.community.id}/days/{w.day}/start/",
                                       {"do": "submit", "remarks": ""}).content.decode()
    assert "居民、户数为截止时保存的名册" in html
    assert "名册不保留历史" not in html


def test_a_correction_that_evening_reads_the_roll_again_the_next_day_it_does_not(day, actors):
    w = day
    a1 = actions.submit(actors.staff, actions.prepare(actors.staff, w.community, w.day, now=at(w.day, 20, 5)),
                        now=at(w.day, 20, 5))
    # 21:05: someone missing from the roll at the cut-off ("漏报一人") is registered and counted
    reg.create_resident(Actor.system(), w.hh102, {"name": "夏雨", "relation": "子女"})
    a2 = actions.submit(actors.staff, actions.correct(actors.staff, a1, "漏报一人", now=at(w.day, 21, 5)),
                        now=at(w.day, 21, 10))
    assert a2.figures["residents"] == 5 and POPULATION_AT not in a2.figures
    assert CutoffRoll.objects.get(place=w.community, day=w.day).values["residents"] == 5
    # the next day: people moved and registered since stay out of it, corrected again or not
    _after_the_cut_off(w)
    a3 = actions.correct(actors.staff, a2, "更正备注")
    assert (a3.figures["residents"], a3.figures["households"]) == (5, 3)
    assert actions.as_shown(a3).figures["residents"] == 5


def test_a_streets_past_day_draft_gives_its_communities_roll_of_the_cut_off(day, actors):
    w = day
    schedule.run(now=at(w.day, 20))
    actions.submit(actors.staff, actions.prepare(actors.staff, w.community, w.day))
    _after_the_cut_off(w)
    html = _client(w.users.street).get(f"/reports/places/{w.street.id}/days/{w.day}/").content.decode()
    assert re.search(r'id="partial" data-counted="1" data-total="2"', html)
    assert "data-at-cutoff" in html and "截止时实际总数" in html
    assert re.findall(r"data-live-value>(\d+)<", html) == ["5", "4"]  # 4 + 1, 3 + 1 at 20:00 (now 7, 5)
