"""One draft, one set of figures: its page, the API and its .xlsx show the same (found
walking the demo: the page counted the draft again while the API and the file gave the
figures of its last save, and the page said "as of 20:00" for figures counted in the
morning). A draft is counted now whoever reads it (tests/reports/test_draft_live_for_all.py)."""

import io

from django.test import Client
from openpyxl import load_workbook

from fangkong.reports import actions, figures
from fangkong.reports.export_xlsx import header
from tests.conftest import PASSWORD
from tests.reports.conftest import A_AT_CUTOFF, at


def test_a_drafts_page_api_and_file_show_the_same_figures(day, actors):
    w = day
    morning = actions.prepare(actors.staff, w.community, w.day, now=at(w.day, 8))
    assert morning.figures["sampled"] == 0  # saved at 08:00: 于海涛 came at 09:00
    c = Client()
    assert c.login(username=w.users.staff.username, password=PASSWORD)
    api = c.get(f"/api/v1/reports/{morning.id}").json()
    assert {k: api["figures"][k] for k in A_AT_CUTOFF} == A_AT_CUTOFF  # counted now, as of 20:00
    book = load_workbook(io.BytesIO(c.get(f"/reports/{morning.id}/report.xlsx").content))
    head, row = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)][:2]
    label = header(next(f for f in figures.definitions() if f.key == "sampled"))
    assert row[head.index(label)] == 1
    api_file = load_workbook(io.BytesIO(c.get(f"/api/v1/reports/{morning.id}/export/xlsx").content))
    assert [list(r) for r in api_file.worksheets[0].iter_rows(values_only=True)][1] == row
    page = c.get(f"/reports/{morning.id}/").content.decode()
    assert "数据截至" in page and f"{w.day:%m-%d} 20:00" in page
    # a draft saved in the morning and shown to someone who cannot submit it: counted now
    # too (it had been shown as saved, so the street read other figures than the community)
    assert c.login(username=w.users.street.username, password=PASSWORD)
    assert c.get(f"/api/v1/reports/{morning.id}").json()["figures"]["sampled"] == 1
    page = c.get(f"/reports/{morning.id}/").content.decode()
    assert f"{w.day:%m-%d} 20:00" in page and f"{w.day:%m-%d} 08:00" not in page


def test_the_period_export_shows_a_draft_as_its_page_does(day, actors):
    """Found walking the services evening: the history page's period export gave today's
    draft as last saved (all zeros) while its page, its own .xlsx and the API counted it now."""
    w = day
    morning = actions.prepare(actors.staff, w.community, w.day, now=at(w.day, 8))
    assert morning.figures["sampled"] == 0
    c = Client()
    assert c.login(username=w.users.staff.username, password=PASSWORD)
    own = load_workbook(io.BytesIO(c.get(f"/reports/{morning.id}/report.xlsx").content))
    head, row = [list(r) for r in own.worksheets[0].iter_rows(values_only=True)][:2]
    label = header(next(f for f in figures.definitions() if f.key == "sampled"))
    assert row[head.index(label)] == 1
    q = f"from={w.day.isoformat()}&to={w.day.isoformat()}"
    for url in (f"/reports/places/{w.community.id}/export.xlsx?{q}",
                f"/api/v1/reports/places/{w.community.id}/export/xlsx?first={w.day}&last={w.day}"):
        resp = c.get(url)
        assert resp.status_code == 200, url
        rows = [list(r) for r in load_workbook(io.BytesIO(resp.content)).worksheets[0].iter_rows(values_only=True)]
        assert rows[1][rows[0].index(label)] == 1, url
