"""Opening a report page never writes (gap 1): the day's figures are counted as of the
cut-off and shown without a stored draft; the draft is made by the POST that saves the
remarks or submits (an action), and a retry of that POST never makes a second report."""

import datetime

from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions
from fangkong.reports.models import DailyReport
from tests.conftest import client_of as _client
from tests.reports.conftest import A_AT_CUTOFF


def _url(w, tail=""):
    return f"/reports/places/{w.community.id}/days/{w.day}/{tail}"


def test_opening_the_day_shows_the_cutoff_figures_and_stores_nothing(day):
    w = day
    c = _client(w.users.staff)
    for _ in range(2):
        page = c.get(_url(w))
        assert page.status_code == 200 and b"data-unsaved" in page.content
        assert b'data-figure="sampled"' in page.content
    assert not DailyReport.objects.exists()
    # the street's own report (a roll-up) is not stored on opening either
    assert _client(w.users.street).get(f"/reports/places/{w.street.id}/days/{w.day}/").status_code == 200
    assert not DailyReport.objects.exists()


def test_opening_a_draft_does_not_touch_it(day, actors):
    w = day
    r = actions.prepare(actors.staff, w.community, w.day)
    stamp = DailyReport.objects.get(pk=r.pk).computed_at
    DailyReport.objects.filter(pk=r.pk).update(figures={})  # as the scheduled job left it, say
    c = _client(w.users.staff)
    for url in (_url(w), f"/reports/{r.id}/"):
        page = c.get(url)
        assert page.status_code == 200 and b"data-unsaved" not in page.content
        assert b'data-figure="sampled"' in page.content  # counted now for the page
    r.refresh_from_db()
    assert r.figures == {} and r.computed_at == stamp and DailyReport.objects.count() == 1


def test_save_remarks_makes_the_draft_once(day):
    w = day
    c = _client(w.users.staff)
    for _ in range(2):  # the retry after a lost answer
        done = c.post(_url(w, "start/"), {"remarks": "一切正常", "do": "save"})
        assert done.status_code == 302
    r = DailyReport.objects.get(place=w.community, day=w.day)
    assert r.status == "draft" and r.remarks == "一切正常" and r.version == 1
    assert {k: r.figures[k] for k in A_AT_CUTOFF} == A_AT_CUTOFF


def test_submit_from_the_page_asks_first_then_makes_and_locks_once(day):
    w = day
    c = _client(w.users.staff)
    ask = c.post(_url(w, "start/"), {"remarks": "夏明计入次日", "do": "submit"})
    assert ask.status_code == 200 and b'name="confirm"' in ask.content
    assert not DailyReport.objects.exists()
    # "no, go back": the page with the remarks as typed, nothing made (found walking the demo:
    # going back from the question dropped the remarks)
    back = c.post(_url(w, "start/"), {"remarks": "夏明计入次日", "do": "submit", "edit": "1"})
    assert back.status_code == 200 and "夏明计入次日</textarea>" in back.content.decode()
    assert b'name="confirm"' not in back.content and not DailyReport.objects.exists()
    for _ in range(2):
        done = c.post(_url(w, "start/"), {"remarks": "夏明计入次日", "do": "submit", "confirm": "1"})
        assert done.status_code == 302
    r = DailyReport.objects.get(place=w.community, day=w.day)
    assert r.status == "submitted" and r.remarks == "夏明计入次日" and r.version == 1
    assert {k: r.figures[k] for k in A_AT_CUTOFF} == A_AT_CUTOFF


def test_bad_remarks_store_nothing(day):
    w = day
    bad = _client(w.users.staff).post(_url(w, "start/"), {"remarks": "长" * 3000, "do": "save"})
    assert bad.status_code == 400 and b"data-unsaved" in bad.content
    assert not DailyReport.objects.exists()


def test_start_needs_the_submit_grant_and_a_day_in_the_window(day):
    w = day
    assert _client(w.users.street).post(_url(w, "start/"), {"do": "save"}).status_code == 403
    future = timezone.localdate() + datetime.timedelta(days=1)
    c = _client(w.users.staff)
    assert c.post(f"/reports/places/{w.community.id}/days/{future}/start/", {"do": "save"}).status_code == 404
    assert c.get(f"/reports/places/{w.community.id}/days/{future}/").status_code == 200  # "no report yet"
    assert not DailyReport.objects.exists()
    assert actions.start(Actor.system(w.users.staff), w.community, w.day, "x").remarks == "x"
