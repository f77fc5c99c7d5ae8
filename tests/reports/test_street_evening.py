"""The street's and the district's evening (walk_street.md, 2026-12-07; defects 1–5, 7, 8):

1. A district's report summing a street's partial sum says it is partial, naming the place
   missing two levels down ("惠泽苑社区（桥东街道）未报"): page, submit question, PDF, .xlsx, API.
2. The street's and the district's home says the night's work at its top — "今晚：2 个未报 ·
   1 个待审核 · …" to who has reported —, who has reported counts the reports awaiting review,
   and the reviewers are told when a report arrives (submitted or sent again).
3. A street's dashboard chart shows today as its submitted report says it, as a community's
   does, and never says "no report was submitted" of a day that has one.
4. Returning a report asks first, worded by its level ("退回街道" for a street's report).
5. A returned report's button says what it does (生成第2版草稿), and today's home row gives
   the reason.
7. The reminder asks first, naming the places, the people and that it goes out by SMS.
8. A report's "on duty" figure is the cut-off's ("On duty at the cut-off"); the correction's
   reason is a hint to type over, never an English value stored for Chinese readers.

Day D is yesterday (cut-off 20:00, due 21:00 for communities, 22:00 streets, 23:00 district),
unless a test moves the clock to today's evening."""

import datetime
import html as htmllib
import io
import re

import openpyxl
import pypdf
import pytest
from django.test import Client
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.reports import actions, present
from fangkong.reports.actions import snapshots
from fangkong.reports.models import DailyReport
from tests.day.scene import Clock

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def _client(user, lang=None):
    c = Client()
    c.force_login(user)
    if lang:
        c.cookies["django_language"] = lang
    return c


def _text(html):
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _submit(actor, place, day, t):
    return actions.submit(actor, actions.prepare(actor, place, day, now=t), "", now=t)


@pytest.fixture
def w(world, monkeypatch):
    w = world
    w.d = timezone.localdate() - datetime.timedelta(days=1)
    w.staff_a, w.staff_b = Actor.system(w.users.staff), Actor.system(w.users.other_staff)
    w.street_a, w.district_a = Actor.system(w.users.street), Actor.system(w.users.district)
    w.clock = Clock(monkeypatch, w.d, 22, 10)
    return w


# --- 1. a partial sum two levels down ---------------------------------------------------------

MISSING_BELOW = "惠泽苑社区（桥东街道）未报"


def test_a_districts_report_over_a_streets_partial_sum_says_it_is_partial(w):
    _submit(w.staff_a, w.community, w.d, at(w.d, 20, 35))  # 惠泽苑社区 never reports
    street = _submit(w.street_a, w.street, w.d, at(w.d, 21, 45))
    assert present.partial(street)["counted"] == 1  # the street's own report says so already
    w.clock.at(w.d, 22, 41)
    c = _client(w.users.district)
    # the district's draft: every street summed, yet not the district's total
    page = c.get(f"/reports/places/{w.district.id}/days/{w.d}/").content.decode()
    assert re.search(r'id="partial" data-counted="1" data-total="2"', page), _text(page)[:3000]
    left = re.search(r'id="left-out">(.*?)</p>', page, re.S)
    assert left and MISSING_BELOW in left.group(1), _text(page)[:3000]
    assert "部分合计：所汇总的下级日报本身也是部分合计" in _text(page)
    # the submit question warns, in red, naming the place
    ask = c.post(f"/reports/places/{w.district.id}/days/{w.d}/start/", {"do": "submit", "remarks": ""})
    assert ask.status_code == 200 and 'name="confirm"' in ask.content.decode()
    warns = " ".join(re.findall(r'<p class="error" role="alert">(.*?)</p>', ask.content.decode(), re.S))
    assert "部分合计：上报的数字不是迎泽区的总数。" in warns and MISSING_BELOW in warns, _text(ask.content.decode())
    done = c.post(f"/reports/places/{w.district.id}/days/{w.d}/start/",
                  {"do": "submit", "remarks": "", "confirm": "1"})
    assert done.status_code == 302
    top = DailyReport.objects.get(place=w.district, day=w.d, current=True)
    assert top.status == "submitted" and top.figures["residents"] == street.figures["residents"]
    # locked: the page, the PDF, the .xlsx and the API say it
    page = c.get(f"/reports/{top.id}/").content.decode()
    assert re.search(r'id="partial" data-counted="1" data-total="2"', page)
    assert MISSING_BELOW in re.search(r'id="left-out">(.*?)</p>', page, re.S).group(1)
    assert page.count("data-partial>") >= 10  # every figure marked "（2 个中 1 个）"
    pdf = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(
        c.get(f"/reports/{top.id}/report.pdf").content)).pages).replace(" ", "").replace("\n", "")
    assert "部分合计：所汇总的下级日报本身也是部分合计" in pdf and MISSING_BELOW in pdf, pdf[:1500]
    book = openpyxl.load_workbook(io.BytesIO(c.get(f"/reports/{top.id}/report.xlsx").content))
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    head, *rows = sheets["区"]
    assert [r[head.index("部分合计")] for r in rows] == [f"部分合计，未计入：{MISSING_BELOW}"], rows
    head, *rows = sheets["街道"]
    assert [r[head.index("部分合计")] for r in rows] == ["部分合计，未计入：惠泽苑社区未报"], rows
    head, *rows = sheets["社区"]
    assert {r[0]: r[head.index("部分合计")] for r in rows} == {"光明社区": None, "惠泽苑社区": None}
    api = c.get(f"/api/v1/reports/{top.id}").json()
    assert api["partial_said"].startswith("部分合计：所汇总的下级日报本身也是部分合计，再下级 2 个单位中只计入了 1 个")
    assert MISSING_BELOW in api["left_out_said"]
    assert api["not_summed_below"] == [{"place": w.other.id, "name": "惠泽苑社区", "status": "missing",
                                        "via": "桥东街道", "via_place": w.street.id}]
    # the street's own report: a partial sum of its direct places only (nothing further below)
    s = c.get(f"/api/v1/reports/{street.id}").json()
    assert s["not_summed_below"] == [] and s["partial_said"].startswith("部分合计：下级 2 个单位中只计入了 1 个")


def test_a_complete_sum_says_nothing_of_it(w):
    _submit(w.staff_a, w.community, w.d, at(w.d, 20, 35))
    _submit(w.staff_b, w.other, w.d, at(w.d, 20, 36))
    _submit(w.street_a, w.street, w.d, at(w.d, 21, 45))
    top = _submit(w.district_a, w.district, w.d, at(w.d, 22, 45))
    api = _client(w.users.district).get(f"/api/v1/reports/{top.id}").json()
    assert (api["partial_said"], api["left_out_said"], api["not_summed_below"]) == ("", "", [])
    assert 'id="partial"' not in _client(w.users.district).get(f"/reports/{top.id}/").content.decode()


# --- 2. the night's work on the street's and the district's home --------------------------------

def _tonight(user, place):
    page = _client(user).get(f"/places/{place.id}/").content.decode()
    m = re.search(r'<a class="row link" id="tonight-below" href="([^"]+)"[^>]*>(.*?)</a>', page, re.S)
    return page, (m.group(1), _text(m.group(2)).strip()) if m else None


def test_the_home_of_the_street_and_the_district_says_the_nights_work(w):
    page, line = _tonight(w.users.street, w.street)
    assert line == (f"/reports/places/{w.street.id}/completeness/?day={w.d}", "今晚：2 个未报 ›"), line
    # at the top, above the duty phone and its form
    assert page.index('id="reports-tonight"') < page.index("<h1>") < page.index('id="duty-phone-form"')
    # 光明社区 submits by its page, 惠泽苑社区 by the API: the street's command is told each time
    a = _client(w.users.staff)
    assert a.post(f"/reports/places/{w.community.id}/days/{w.d}/start/",
                  {"do": "submit", "remarks": "", "confirm": "1"}).status_code == 302
    b1 = actions.prepare(w.staff_b, w.other, w.d)
    assert _client(w.users.other_staff).post(f"/api/v1/reports/{b1.id}/submit", {},
                                             content_type="application/json").status_code == 200
    told = Notification.objects.filter(kind="report.to_review").order_by("id")
    assert [(n.user_id, n.place_id) for n in told] == [(w.users.street.id, w.community.id),
                                                       (w.users.street.id, w.other.id)]
    assert told[0].said()[0] == f"待审核：光明社区 {w.d:%m-%d} 日报", told[0].said()
    assert "请审核通过，或说明原因退回" in told[0].said()[1]
    _page, line = _tonight(w.users.street, w.street)
    assert line[1] == "今晚：2 个待审核 ›", line
    # who has reported: the tile, each row, the API
    c = _client(w.users.street)
    html = c.get(f"/reports/places/{w.street.id}/completeness/", {"day": str(w.d)}).content.decode()
    assert re.search(r'data-figure="awaiting"><strong>2</strong><span>待审核</span>', html), _text(html)[:2000]
    assert html.count("<strong data-awaiting>待审核</strong>") == 2
    api = c.get(f"/api/v1/reports/places/{w.street.id}/completeness", {"day": str(w.d)}).json()
    assert (api["awaiting"], api["missing"], api["returned"]) == (2, 0, 0)
    # one returned, then sent again: told again (version 2)
    a1 = DailyReport.objects.get(place=w.community, day=w.d, current=True)
    actions.return_report(w.street_a, a1, "核酸数字有误")
    actions.approve(w.street_a, DailyReport.objects.get(place=w.other, day=w.d, current=True))
    _page, line = _tonight(w.users.street, w.street)
    assert line[1] == "今晚：1 个已退回待重报 ›", line
    a2 = actions.submit(w.staff_a, actions.correct(w.staff_a, a1, "已核对"), "")
    again = Notification.objects.filter(kind="report.to_review", user=w.users.street).order_by("-id").first()
    assert again.url == f"/reports/{a2.id}/" and "重新上报" in again.said()[1] and "第2版" in again.said()[1]
    # the district: its street's report is its night's work
    _page, line = _tonight(w.users.district, w.district)
    assert line[1] == "今晚：1 个未报 ›", line
    actions.submit(w.street_a, actions.prepare(w.street_a, w.street, w.d), "")
    assert Notification.objects.filter(kind="report.to_review", user=w.users.district).count() == 1
    _page, line = _tonight(w.users.district, w.district)
    assert line[1] == "今晚：1 个待审核 ›", line


def test_before_the_cut_off_the_line_is_the_evening_gones_while_work_is_left(w):
    w.clock.at(w.d + datetime.timedelta(days=1), 2)  # 02:00: today's reports are not due yet
    _page, line = _tonight(w.users.street, w.street)
    assert line == (f"/reports/places/{w.street.id}/completeness/?day={w.d}",
                    f"{w.d:%m-%d} 日报：2 个未报 ›"), line
    _submit(w.staff_a, w.community, w.d, at(w.d, 20, 35))
    _submit(w.staff_b, w.other, w.d, at(w.d, 20, 35))
    for r in DailyReport.objects.filter(day=w.d, level="community"):
        actions.approve(w.street_a, r)
    page, line = _tonight(w.users.street, w.street)
    assert line is None and 'id="reports-tonight"' not in page  # nothing left to do then
    # a community's staff never see it
    assert 'id="reports-tonight"' not in _client(w.users.staff).get(f"/places/{w.community.id}/").content.decode()


# --- 3. one number a day on the charts ------------------------------------------------------------

def test_a_streets_chart_shows_today_as_its_submitted_report_like_a_communitys(world, monkeypatch):
    from fangkong.zones.actions import escalate

    w = world
    today = timezone.localdate()
    clock = Clock(monkeypatch, today, 22, 10)
    for actor, place in ((Actor.system(w.users.staff), w.community), (Actor.system(w.users.other_staff), w.other),
                         (Actor.system(w.users.street), w.street)):
        actions.submit(actor, actions.prepare(actor, place, today), "")
    clock.at(today, 22, 20)  # a case after the cut-off: live, not in today's reports
    escalate.record_case(Actor.system(w.users.staff), w.su, confirmed_at=timezone.now(), source="区疾控中心 2026-118")
    snapshots.refresh([w.community, w.other])
    for user, node in ((w.users.street, w.street), (w.users.staff, w.community)):
        r = _client(user).get(f"/reports/places/{node.id}/")
        tile = next(row["value"] for s in r.context["sections"] for row in s["rows"] if row["key"] == "cases")
        chart, _svg, note = next(x for x in r.context["charts"] if x[0].key == "cases")
        assert tile == 1  # the tiles: now
        day, shown, counted_now = chart.table()[-1]
        assert (shown, counted_now) == ("0", False), (node, chart.table()[-1])  # the report's, said so
        counted_now = re.search(r"以下日期没有已提交的日报[^：]*：([^。]*)。", note)
        assert not counted_now or day not in counted_now.group(1), note  # never said of today
        assert note.endswith(f"{day} 为已提交日报的数字（截至其截止时间）；上方数字为此刻的数字。"), note


# --- 4. returning asks first, worded by level -----------------------------------------------------

def test_returning_a_report_asks_first_and_names_the_level(w):
    a1 = _submit(w.staff_a, w.community, w.d, at(w.d, 20, 35))
    c = _client(w.users.street)
    page = c.get(f"/reports/{a1.id}/").content.decode()
    assert re.search(r'id="return-button">退回社区…</button>', page)
    ask = c.post(f"/reports/{a1.id}/return/", {"reason": "核酸数字有误"})
    said = _text(ask.content.decode())
    assert ask.status_code == 200 and 'name="confirm"' in ask.content.decode()
    assert f"将光明社区 {w.d:%Y-%m-%d} 的日报（第1版）退回社区？" in said or \
        f"将光明社区 {w.d} 的日报（第1版）退回社区？" in said, said[:1500]
    assert "原因：核酸数字有误" in said and "是，退回社区" in said
    assert DailyReport.objects.get(pk=a1.pk).status == "submitted"  # nothing done yet
    assert c.post(f"/reports/{a1.id}/return/", {"reason": ""}).status_code == 400  # no reason: the form
    done = c.post(f"/reports/{a1.id}/return/", {"reason": "核酸数字有误", "confirm": "1"}, follow=True)
    assert DailyReport.objects.get(pk=a1.pk).status == "returned" and "已退回光明社区" in _text(done.content.decode())
    # a street's report, at the district: "退回街道"
    b1 = _submit(w.staff_b, w.other, w.d, at(w.d, 20, 36))
    actions.approve(w.street_a, b1)
    s1 = _submit(w.street_a, w.street, w.d, at(w.d, 21, 45))
    d = _client(w.users.district)
    assert re.search(r'id="return-button">退回街道…</button>', d.get(f"/reports/{s1.id}/").content.decode())
    said = _text(d.post(f"/reports/{s1.id}/return/", {"reason": "请补报光明社区"}).content.decode())
    assert "退回街道？" in said and "是，退回街道" in said and "退回社区" not in said, said[:1500]
    # English
    en = _text(_client(w.users.district, "en").get(f"/reports/{s1.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "Return to the street…" in en and "Return to the community" not in en
    # the API returns in one call (its client asks its own question), as before
    r = d.post(f"/api/v1/reports/{s1.id}/return", {"reason": "请补报光明社区"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "returned"


# --- 5. the way back of a returned report -------------------------------------------------------

def test_a_returned_reports_button_says_what_it_does_and_home_gives_the_reason(world, monkeypatch):
    w = world
    today = timezone.localdate()
    Clock(monkeypatch, today, 22, 10)
    staff = Actor.system(w.users.staff)
    r1 = actions.submit(staff, actions.prepare(staff, w.community, today), "")
    actions.return_report(Actor.system(w.users.street), r1, "核酸数字有误")
    c = _client(w.users.staff)
    home = c.get(f"/places/{w.community.id}/").content.decode()
    row = re.search(r'<a class="row link" id="tonight-own" data-status="returned" href="([^"]+)">(.*?)</a>', home, re.S)
    assert row and row.group(1) == f"/reports/{r1.id}/#returned", _text(home)[-2000:]
    assert "今日日报 已退回：核酸数字有误" in _text(row.group(2))
    page = c.get(f"/reports/{r1.id}/").content.decode()
    banner = re.search(r'id="returned">(.*?)</div>', page, re.S).group(1)
    assert re.search(r'id="make-version">生成第2版草稿</button>', banner), _text(banner)
    assert "修改后重新上报" not in _text(banner) and "不会上报" in _text(banner)
    # the API's day of the place says the same
    api = c.get(f"/api/v1/reports/places/{w.community.id}/reports/{today}").json()
    assert (api["status"], api["return_reason"]) == ("returned", "核酸数字有误")
    assert c.post(f"/reports/{r1.id}/correct/", {"reason": "已核对"}).status_code == 302
    home = c.get(f"/places/{w.community.id}/").content.decode()
    row = re.search(r'id="tonight-own" data-status="draft"[^>]*>(.*?)</a>', home, re.S)
    assert row and "今日日报 未上报（第2版草稿）" in _text(row.group(1)), _text(home)[-2000:]


# --- 7. the reminder asks first -------------------------------------------------------------------

def test_the_reminder_asks_first_naming_places_people_and_sms(w, settings):
    settings.NOTIFY_CHANNELS = dict(settings.NOTIFY_CHANNELS, sms={
        "BACKEND": "fangkong.notify.channels.SmsHttp", "URL": "http://127.0.0.1:9/", "TOKEN": ""})
    settings.NOTIFY_PERSONAL_CHANNELS = ["sms"]
    c = _client(w.users.street)
    ask = c.post(f"/reports/places/{w.street.id}/remind/", {"day": str(w.d)})
    said = _text(ask.content.decode())
    assert ask.status_code == 200 and 'name="confirm"' in ask.content.decode()
    assert "现在提醒 2 个单位？" in said
    assert "光明社区（未报）：staff_a" in said and "惠泽苑社区（未报）：staff_b" in said, said[:2000]
    assert "将于现在（" in said and "通过短信发到对方手机" in said, said[:2000]
    assert not Notification.objects.filter(kind="report.reminder").exists()  # nothing sent yet
    api = c.get(f"/api/v1/reports/places/{w.street.id}/remind", {"day": str(w.d)})
    assert api.status_code == 200, api.content
    assert api.json() == {"places": [
        {"place": w.community.id, "name": "光明社区", "state": "missing", "people": ["staff_a"], "again_at": None},
        {"place": w.other.id, "name": "惠泽苑社区", "state": "missing", "people": ["staff_b"], "again_at": None}],
        "nobody": [], "channels": ["短信"]}
    assert not Notification.objects.filter(kind="report.reminder").exists()
    settings.NOTIFY_PERSONAL_CHANNELS = ["console"]  # nothing goes to a gateway from the test
    done = c.post(f"/reports/places/{w.street.id}/remind/", {"day": str(w.d), "confirm": "1"})
    assert done.status_code == 302
    assert Notification.objects.filter(kind="report.reminder").count() == 2
    # asked again within 30 minutes: nothing would go, so nothing is asked; the page says when
    again = c.post(f"/reports/places/{w.street.id}/remind/", {"day": str(w.d)}, follow=True)
    assert 'name="confirm"' not in again.content.decode() and "后可再次提醒" in _text(again.content.decode())
    assert [p["again_at"] is not None for p in c.get(f"/api/v1/reports/places/{w.street.id}/remind",
                                                      {"day": str(w.d)}).json()["places"]] == [True, True]


# --- 8. words of a report -------------------------------------------------------------------------

def test_a_reports_on_duty_is_the_cut_offs_and_the_correction_reason_is_typed(w):
    a1 = _submit(w.staff_a, w.community, w.d, at(w.d, 20, 35))
    en = _client(w.users.street, "en")
    page = htmllib.unescape(en.get(f"/reports/{a1.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    tile = re.search(r'data-figure="on_duty"><strong>[^<]*</strong><span>([^<]*)', page)
    assert tile and tile.group(1).strip() == "On duty at the cut-off", page[:200]
    en.cookies["django_language"] = "en"
    book = openpyxl.load_workbook(io.BytesIO(en.get(f"/reports/{a1.id}/report.xlsx",
                                                    HTTP_ACCEPT_LANGUAGE="en").content))
    head = next(book.worksheets[0].iter_rows(values_only=True))
    assert "On duty at the cut-off" in head and "On duty now" not in head
    zh = _client(w.users.street).get(f"/reports/{a1.id}/").content.decode()
    assert re.search(r'data-figure="on_duty"><strong>[^<]*</strong><span>截止时在岗志愿者', zh)
    # the dashboard is now: its label stays, on the page and in its API
    dash = en.get(f"/api/v1/reports/places/{w.community.id}/figures", HTTP_ACCEPT_LANGUAGE="en").json()
    assert next(f["label"] for f in dash["figures"] if f["key"] == "on_duty") == "On duty now"
    # a street report that a correction below changed: the form's reason is a hint, not a value
    b1 = _submit(w.staff_b, w.other, w.d, at(w.d, 20, 36))
    for r in (a1, b1):
        actions.approve(w.street_a, r)
    s1 = _submit(w.street_a, w.street, w.d, at(w.d, 21, 45))
    actions.submit(w.staff_a, actions.correct(w.staff_a, a1, "漏报一人", now=at(w.d, 22, 0)), "", now=at(w.d, 22, 1))
    page = htmllib.unescape(en.get(f"/reports/{s1.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    field = re.search(r'<details class="card panel" id="correct" open>.*?<input id="reason"([^>]*)>', page, re.S)
    assert field and 'value="' not in field.group(1), field and field.group(1)
    assert 'placeholder="e.g. count the corrections of the places below"' in field.group(1)
    # nothing typed: refused on the page and in the API, never stored in the corrector's language
    assert en.post(f"/reports/{s1.id}/correct/", {"reason": ""}).status_code == 400
    api = en.post(f"/api/v1/reports/{s1.id}/correct", {"reason": ""}, content_type="application/json")
    assert api.status_code == 400
    assert DailyReport.objects.filter(place=w.street, day=w.d).count() == 1
