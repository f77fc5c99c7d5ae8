"""The pages say what the report says: every figure on the report page and on the
dashboard (for the same node and time) is the report's; the submit asks first; exports read
back with the same figures (the .xlsx opened, the PDF's text extracted and its first page
rendered to PNG)."""

import datetime
import io
import re
from pathlib import Path

import openpyxl
import pypdf
import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions, figures, present
from fangkong.reports.models import DailyReport
from tests.conftest import client_of as _client
from tests.reports.conftest import A_AT_CUTOFF

OUT = Path("test-output/screenshots")



def _shown(html: str) -> dict:
    """{figure key: text shown} from a page's figure tiles."""
    return dict(re.findall(r'data-figure="(\w+)"[^>]*>\s*<strong>([^<]*)</strong>', html))


def _at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def _expected(values: dict) -> dict:
    by = figures.by_key()
    return {k: present.shown(by[k], values[k]) for k in A_AT_CUTOFF}


def test_report_page_shows_every_figure_of_the_report(day):
    w = day
    html = _client(w.users.staff).get(f"/reports/places/{w.community.id}/days/{w.day}/").content.decode()
    assert not DailyReport.objects.filter(place=w.community).exists()  # a GET never writes
    assert {k: _shown(html)[k] for k in A_AT_CUTOFF} == _expected(A_AT_CUTOFF)
    assert _shown(html)["sampled"] == "1" and _shown(html)["minutes_today"] in ("2.0 h", "2.0 小时")


def test_dashboard_agrees_with_the_figures_now(day, monkeypatch):
    w = day
    # D at 21:00, while the round (07:00–22:00) runs: today it is yesterday's round and
    # counts on no dashboard of today (`node_figures.rounds_of_day`, tests/reports/test_next_day.py)
    monkeypatch.setattr(timezone, "now", lambda: _at(w.day, 21))
    html = _client(w.users.street).get(f"/reports/places/{w.community.id}/").content.decode()
    now = figures.of(w.community, timezone.now())
    assert {k: _shown(html)[k] for k in A_AT_CUTOFF} == _expected(now)
    # every figure with a list behind it links there
    assert f'/screening/rounds/{w.round.id}/missing/?place={w.community.id}' in html
    assert f'/places/{w.community.id}/residents/' in html
    assert "<svg" in html and "<table" in html  # the charts and their tables


def test_street_dashboard_children_worst_first(day):
    w = day
    html = _client(w.users.street).get(f"/reports/places/{w.street.id}/").content.decode()
    # A (33 %) before B, which had no round and no call: its ratios are "–", never 100 %
    assert html.index("光明社区") < html.index("惠泽苑社区")
    kids = html[html.index('<table class="data kids">'):]
    b_row = kids[kids.index("惠泽苑社区"):].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in b_row.split("<td>")[1:]]
    keys = [f.key for f in present.child_columns()]
    assert cells[keys.index("coverage")] == cells[keys.index("fill")] == "–", cells
    assert "100%" not in b_row


def test_submit_asks_first_then_locks(day):
    w = day
    c = _client(w.users.staff)
    r = actions.prepare(Actor.system(w.users.staff), w.community, w.day)
    ask = c.post(f"/reports/{r.id}/submit/", {"remarks": "一切正常"})
    assert ask.status_code == 200 and b'name="confirm"' in ask.content
    assert b'class="confirm-back"' in ask.content  # "go back" posts the remarks back
    back = c.post(f"/reports/{r.id}/submit/", {"remarks": "一切正常", "edit": "1"})
    assert back.status_code == 200 and "一切正常</textarea>" in back.content.decode()
    r.refresh_from_db()
    assert r.status == "draft"
    done = c.post(f"/reports/{r.id}/submit/", {"remarks": "一切正常", "confirm": "1"})
    assert done.status_code == 302
    r.refresh_from_db()
    assert r.status == "submitted" and r.remarks == "一切正常"
    again = c.post(f"/reports/{r.id}/submit/", {"remarks": "x", "confirm": "1"})
    assert again.status_code == 409


@pytest.fixture
def street_report(day):
    w = day
    staff, other = Actor.system(w.users.staff), Actor.system(w.users.other_staff)
    actions.submit(staff, actions.prepare(staff, w.community, w.day), "A 社区：夏明 20:01 采样")
    actions.submit(other, actions.prepare(other, w.other, w.day), "")
    s = Actor.system(w.users.street)
    return actions.submit(s, actions.prepare(s, w.street, w.day), "街道汇总")


def test_xlsx_reads_back_one_sheet_per_level(day, street_report):
    w, r = day, street_report
    body = _client(w.users.street).get(f"/reports/{r.id}/report.xlsx").content
    wb = openpyxl.load_workbook(io.BytesIO(body))
    assert wb.sheetnames == ["街道", "社区"]
    head = [c.value for c in wb["街道"][1]]
    row = [c.value for c in wb["街道"][2]]
    by = figures.by_key()
    for k in A_AT_CUTOFF:
        col = head.index(next(h for h in head if h.startswith(present.label(by[k], report=True))))
        want = round(r.figures[k] / 60, 1) if by[k].unit == "minutes" else r.figures[k]
        assert row[col] == want, k
    names = [c.value for c in wb["社区"]["A"]][1:]
    assert sorted(names) == ["光明社区", "惠泽苑社区"]


def test_pdf_reads_back_and_looks_right(day, street_report):
    w, r = day, street_report
    body = _client(w.users.street).get(f"/reports/{r.id}/report.pdf").content
    reader = pypdf.PdfReader(io.BytesIO(body))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "桥东街道" in text and "光明社区" in text and "街道汇总" in text
    for row in present.rows(r.figures):
        assert f"{row[1]}" in text.replace("\n", "") or row[1].replace(" ", "") in text.replace(" ", ""), row
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4
    drawn = {c.key: c for c in _charts_read_back(r, text)}
    # as of the communities' cut-off, as the summed figures: 夏明's scan at 20:01 is not in it
    assert [(lbl, v) for lbl, v, _s in drawn["progress"].rows] == [("09:00", 1)]
    assert [lbl for lbl, _v, _s in drawn["coverage"].rows] == ["光明社区", "惠泽苑社区"]
    _render(body, "reports-street-pdf")


def _charts_read_back(r, text):
    """Every chart the dashboard shows for the node is in the PDF with its numbers: each
    title, each bar's shown value, each column's value, a stacked column's parts."""
    from fangkong.reports import charts

    flat = text.replace("\n", "").replace(" ", "")
    drawn = charts.for_report(r)
    assert {c.key for c in drawn} >= {"coverage", "cases", "hours", "zones"}
    for c in drawn:
        assert c.title.replace(" ", "") in flat, c.title
        if not any(v for _l, v, _s in c.rows) and c.unit != "%":
            continue  # drawn as "nothing yet", as on the page
        for label, value, shown in c.rows:
            if not value and not c.horizontal:
                continue  # an empty column has no number above it
            want = shown if c.horizontal or (not c.stacks and len(shown) <= 8) else str(value)
            assert want.replace(" ", "") in flat, (c.key, label, want)
        for parts in c.stacks:
            for part in parts:
                assert str(part) in flat, (c.key, parts)
    return drawn


def _render(body, name, pages=3):
    """The first pages rendered to PNG (test-output/screenshots), each with something drawn."""
    pdfium = pytest.importorskip("pypdfium2")
    OUT.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(body)
    for i in range(min(pages, len(doc))):
        image = doc[i].render(scale=1.5).to_pil()
        image.save(OUT / f"{name}-page{i + 1}.png")
        assert image.convert("L").getextrema()[0] < 80  # something dark was drawn (text, bars)


def test_community_pdf_has_every_chart_of_its_dashboard(day):
    """A community's report: the dashboard's charts as of the cut-off — tests by hour (夏明's
    scan at 20:01 is not in it), cases, volunteer hours (2.0 h on D), zones (unit 2's
    controlled person on D), coverage by grid."""
    from fangkong.reports import charts

    w = day
    staff = Actor.system(w.users.staff)
    r = actions.submit(staff, actions.prepare(staff, w.community, w.day), "")
    body = _client(w.users.staff).get(f"/reports/{r.id}/report.pdf").content
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages)
    drawn = {c.key: c for c in _charts_read_back(r, text)}
    assert set(drawn) == {c.key for c in charts.charts_for(w.community, r.cutoff_at, [(w.grid, {})])}
    assert [(lbl, v) for lbl, v, _s in drawn["progress"].rows] == [("09:00", 1)]
    d = w.day.strftime("%m-%d")
    assert (d, 120) in [(lbl, v) for lbl, v, _s in drawn["hours"].rows]
    assert (d, 1) in [(lbl, v) for lbl, v, _s in drawn["zones"].rows]
    # the dashboard's rows: the grid, and nothing the community counts in no grid (its tube
    # counts under the grid of the people in it, not in a "未分网格" row of its own)
    assert drawn["coverage"].rows == [("第一网格", 33, "33% (1/3)")]
    _render(body, "reports-community-pdf")


def test_street_dashboard_queries_do_not_grow_with_its_communities(day):
    """No query per child: one more community (snapshots fresh) costs no query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind

    w = day
    c = _client(w.users.street)
    url = f"/reports/places/{w.street.id}/"
    c.get(url)  # snapshots counted
    with CaptureQueriesContext(connection) as before:
        assert c.get(url).status_code == 200
    third = reg.create_place(Actor.system(), w.street, Kind.COMMUNITY, "新建社区")
    c.get(url)  # its snapshot counted (a stale one, in the request)
    with CaptureQueriesContext(connection) as after:
        html = c.get(url).content.decode()
    assert third.name in html
    assert len(after) == len(before)


def test_period_exports(day, street_report):
    """A period: the .xlsx holds every level's reports of those days, the PDF the node's own
    (a page each); more than 62 days is refused."""
    w = day
    c = _client(w.users.street)
    q = {"from": str(w.day), "to": str(w.day)}
    wb = openpyxl.load_workbook(io.BytesIO(c.get(f"/reports/places/{w.street.id}/export.xlsx", q).content))
    assert wb.sheetnames == ["街道", "社区"] and wb["社区"].max_row == 3
    pdf = pypdf.PdfReader(io.BytesIO(c.get(f"/reports/places/{w.street.id}/export.pdf", q).content))
    assert "桥东街道" in pdf.pages[0].extract_text()
    api = c.get(f"/api/v1/reports/places/{w.street.id}/export/pdf", {"first": str(w.day), "last": str(w.day)})
    assert api.status_code == 200 and api["Content-Type"] == "application/pdf"
    far = c.get(f"/api/v1/reports/places/{w.street.id}/export/xlsx", {"first": "2026-01-01", "last": "2026-06-01"})
    assert far.status_code == 400


def test_dashboard_agrees_with_the_round_and_place_pages(day, monkeypatch):
    """The same node now: the dashboard's testing figures are the round's (the round page and
    its missing list read `screening.figures.coverage`), its residents the place page's."""
    from fangkong.registry.queries import place_counts
    from fangkong.screening import figures as scr

    w = day
    monkeypatch.setattr(timezone, "now", lambda: _at(w.day, 21))  # while the round runs (07:00–22:00)
    html = _client(w.users.staff).get(f"/reports/places/{w.community.id}/").content.decode()
    shown = _shown(html)
    cov = scr.coverage(w.round, w.community)
    assert (shown["expected"], shown["sampled"], shown["exempt"], shown["missing"]) == tuple(
        str(cov[k]) for k in ("expected", "sampled", "exempt", "missing"))
    assert shown["coverage"] == f"{cov['percent']}%"
    assert shown["households_covered"] == str(cov["households_covered"])
    counts = place_counts(w.community)
    assert (shown["residents"], shown["households"]) == (str(counts["residents"]), str(counts["households"]))
    # and the missing figure links to that missing list
    assert f'href="/screening/rounds/{w.round.id}/missing/?place={w.community.id}" data-figure="missing"' in html


def test_people_in_no_grid_have_a_row_so_the_rows_add_up(day, system):
    """A compound right under the community (no grid): its people are the community's and
    no grid's. The dashboard (page and API) shows them in a row "未分网格" of their own."""
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind

    w = day
    loose = reg.create_place(system, w.community, Kind.COMPOUND, "东湖苑")
    unit = reg.create_place(system, reg.create_place(system, loose, Kind.BUILDING, "1号楼"),
                            Kind.UNIT, "1单元")
    hh = reg.create_household(system, unit, "101")
    for name in ("郑一", "郑二"):
        reg.create_resident(system, hh, {"name": name, "relation": "其他"})
    c = _client(w.users.staff)
    c.cookies["django_language"] = "zh-hans"
    html = c.get(f"/reports/places/{w.community.id}/").content.decode()
    assert "<th scope=\"row\">未分网格</th>" in html  # a row, with no page of its own to link
    api = c.get(f"/api/v1/reports/places/{w.community.id}/figures").json()
    total = {f["key"]: f["value"] for f in api["figures"]}
    rows = api["children"]
    assert rows[-1]["place"] is None and rows[-1]["name"] == "未分网格"
    assert rows[-1]["figures"]["residents"] == 2 and rows[-1]["figures"]["households"] == 1
    for key in ("residents", "households", "to_sample", "sampled"):
        assert sum(r["figures"][key] for r in rows) == total[key], key
    # every counted figure adds up, not only people: tubes at the community's own point, a
    # call placed at the community, volunteers (the walk found 20 tubes on the way to the
    # lab for the community and 0 in its one grid's row)
    derived = {f.key for f in figures.definitions() if f.derive is not None}
    for key in set(total) - derived:
        assert sum(r["figures"].get(key, 0) for r in rows) == total[key], key
    # a grid's dashboard, whose compounds hold all its people, has no such row
    grid = c.get(f"/api/v1/reports/places/{w.grid.id}/figures").json()
    assert all(r["place"] for r in grid["children"])


def test_the_history_page_says_what_it_is_and_offers_its_exports_once(day):
    w = day
    html = _client(w.users.staff).get(f"/reports/places/{w.community.id}/history/").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and "历史报表" in title
    assert html.count("/export.") == 2  # the .xlsx and the PDF, once each, under the list
    assert "服务记录" not in html  # a volunteer's word, not a report's


def test_a_return_without_a_reason_says_so_where_the_eye_is(day):
    """Found walking the demo: the page came back scrolled to the top, the error 1,400 px
    below it. The answer now leads with it and puts the cursor in the reason."""
    w = day
    staff = Actor.system(w.users.staff)
    r = actions.submit(staff, actions.prepare(staff, w.community, w.day), "")
    page = _client(w.users.street).post(f"/reports/{r.id}/return/", {"reason": ""})
    html = page.content.decode()
    assert page.status_code == 400
    alert = html.index('role="alert"')
    assert alert < html.index('data-figure=')  # above every figure
    assert "请说明退回原因" in html[alert:alert + 300] and 'href="#return-reason"' in html[alert:alert + 300]
    assert re.search(r'id="return-reason"[^>]*autofocus', html)
    r.refresh_from_db()
    assert r.status == "submitted"


def test_submitting_before_the_cut_off_is_refused_saying_from_when(day):
    """Found walking the demo: at 09:00 the question said "counted as of 20:00", and the
    report was counted and locked as of 09:00; then it said the rest "goes into the next
    one", which the day's figures never did (walked 2026-12-07). Now it waits for the cut-off."""
    w = day
    r = actions.prepare(Actor.system(w.users.staff), w.community, w.day)
    r.cutoff_at = timezone.now() + datetime.timedelta(hours=3)
    r.save(update_fields=["cutoff_at"])
    got = _client(w.users.staff).post(f"/reports/{r.id}/submit/", {"remarks": ""})
    ask = got.content.decode()
    assert got.status_code == 409 and 'name="confirm"' not in ask
    assert f"统计截止时间（{timezone.localtime(r.cutoff_at):%m-%d %H:%M}）之后提交" in ask
    assert "下一日报" not in ask


def test_an_export_lists_below_only_the_reports_its_node_sums(day):
    """Found walking the demo: a street's .xlsx listed a community's unsubmitted draft (437
    residents) beside a street row that, rightly, did not count it: the rows did not add up."""
    w = day
    staff, other = Actor.system(w.users.staff), Actor.system(w.users.other_staff)
    actions.submit(staff, actions.prepare(staff, w.community, w.day), "")
    actions.prepare(other, w.other, w.day)  # a draft, not submitted
    s = Actor.system(w.users.street)
    street = actions.prepare(s, w.street, w.day)
    for url in (f"/reports/{street.id}/report.xlsx",
                f"/reports/places/{w.street.id}/export.xlsx?from={w.day}&to={w.day}"):
        wb = openpyxl.load_workbook(io.BytesIO(_client(w.users.street).get(url).content))
        names = [c.value for c in wb["社区"]["A"]][1:]
        head = [c.value for c in wb["街道"][1]]
        col = head.index(next(h for h in head if h.startswith("居民")))
        assert wb["街道"][2][col].value == wb["社区"][2][col].value  # the rows add up
        # the day's report and the period name the draft as not counted, with no figures
        # (test_period_left_out.py: day by day over a period)
        assert names == ["光明社区", "惠泽苑社区"], url
        assert wb["社区"][3][3].value == "未计入：草稿" and wb["社区"][3][col].value in (None, "")


def test_a_day_of_two_rounds_says_its_figures_add_them_up(world, system, monkeypatch):
    """A PCR round and an antigen round over the same community on one day: "to be
    tested" counts each person once in each round (the sum), and the dashboard says so on
    the community's and the street's (summed from snapshots); one round: no such line."""
    from fangkong.reports.actions import snapshots
    from fangkong.screening.actions import planning
    from fangkong.screening.figures import coverage

    staff = Actor.system(world.users.staff)
    # noon: the rounds begun an hour ago are in tonight's report (its cut-off is 20:00; run
    # after 21:00, they began after it and the report rightly counted none of them)
    now = _at(timezone.localdate(), 12)
    monkeypatch.setattr(timezone, "now", lambda: now)

    def plan(name, kind):
        r = planning.plan_round(staff, world.community, {
            "name": name, "kind": kind, "starts_at": now - datetime.timedelta(hours=1),
            "ends_at": now + datetime.timedelta(hours=10), "pool_size": 1 if kind == "antigen" else 3})
        planning.set_status(staff, r, "running")
        return r

    pcr = plan("第3轮核酸", "pcr")
    c = _client(world.users.street)
    html = c.get(f"/reports/places/{world.community.id}/").content.decode()
    assert 'data-note="expected"' not in html
    antigen = plan("抗原第1轮", "antigen")
    each = [coverage(r, world.community)["expected"] for r in (pcr, antigen)]
    html = c.get(f"/reports/places/{world.community.id}/").content.decode()
    assert _shown(html)["expected"] == str(sum(each)) and each[0] == each[1] > 0
    assert "检测数字为今日 2 轮合计：每人每轮各计一次（人次）。" in html
    # a figure of two rounds does not open one round's list, which would not add up to it:
    # it opens the rounds to choose from (found walking the demo: "1106 未检" opened 170)
    assert 'href="/screening/" data-figure="missing"' in html
    assert f"/screening/rounds/{pcr.id}/missing/" not in html
    snapshots.refresh([world.community, world.other])
    street = c.get(f"/reports/places/{world.street.id}/").content.decode()
    assert 'data-note="expected"' in street and "2 轮合计" in street
    # tonight's report of the community, then the street's summed from it: each says so too
    # (page and PDF); the API's figures stay figures (no hint among them)
    from fangkong.reports import actions

    staff_a, street_a = Actor.system(world.users.staff), Actor.system(world.users.street)
    mine = actions.prepare(staff_a, world.community)
    mine = actions.submit(staff_a, mine, "", now=mine.cutoff_at)  # submitted from the cut-off on
    theirs = actions.prepare(street_a, world.street)
    for r in (mine, theirs):
        page = c.get(f"/reports/{r.id}/").content.decode()
        assert "2 轮合计" in page and _shown(page)["expected"] == str(sum(each)), r.level
    pdf = pypdf.PdfReader(io.BytesIO(c.get(f"/reports/{theirs.id}/report.pdf").content))
    assert "2轮合计" in "".join(p.extract_text() for p in pdf.pages).replace(" ", "").replace("\n", "")
    api = c.get(f"/api/v1/reports/{theirs.id}").json()
    assert api["figures"]["expected"] == sum(each) and not any(k.startswith("_") for k in api["figures"])


def test_a_dashboards_rows_add_up_in_every_figure(day):
    """Not only people: the tubes of the community's own sampling point, a call placed at the
    community, its volunteers belong to no grid — the "未分网格" row carries them, so each
    counted figure of the rows sums to the node's (the walk found 20 tubes on their way to
    the lab for the community and 0 in its one grid's row)."""
    from fangkong.volunteers.actions import calls

    w = day
    start = timezone.now() + datetime.timedelta(hours=2)
    calls.create_call(Actor.system(w.users.staff), w.community, {  # at the community itself
        "task": "sampling", "place": w.community.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=3)).isoformat(), "slots": 4,
        "audience": "community"})
    c = _client(w.users.staff)
    api = c.get(f"/api/v1/reports/places/{w.community.id}/figures").json()
    total = {f["key"]: f["value"] for f in api["figures"]}
    rows = api["children"]
    assert total["slots_open"] >= 4 and rows[-1]["place"] is None  # the row of the rest
    derived = {f.key for f in figures.definitions() if f.derive is not None}
    for key in set(total) - derived:
        assert sum(r["figures"].get(key, 0) for r in rows) == total[key], (key, rows)
