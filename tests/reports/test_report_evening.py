"""The street office's nightly report evening (walked 2026-12-07): a correction after the
street locked its report, the lateness of a correction, the due time said before it passes,
a past day's window after the cut-off changed, one reminder of a kind, the correction's
notification, and what a street's submit question says.

Day D is yesterday (cut-off 20:00, due 21:00); the clock of each step is the actions' `now`
and `timezone.now` moved for the pages (as tests/reports/test_street_night.py does)."""

import datetime
import io
import re

import openpyxl
import pypdf
import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.reports import actions, queries
from fangkong.reports.actions import schedule
from fangkong.reports.models import ReportDefinition
from tests.conftest import client_of as _client

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))



def _clock(monkeypatch, t):
    monkeypatch.setattr(timezone, "now", lambda: t)


@pytest.fixture
def w(world):
    w = world
    w.d = timezone.localdate() - datetime.timedelta(days=1)
    w.staff_a, w.staff_b = Actor.system(w.users.staff), Actor.system(w.users.other_staff)
    w.street_a = Actor.system(w.users.street)
    return w


def _submit(actor, place, day, t):
    return actions.submit(actor, actions.prepare(actor, place, day, now=t), "", now=t)


def test_the_streets_xlsx_lists_a_later_correction_without_figures_so_each_column_adds_up(w, monkeypatch):
    a1 = _submit(w.staff_a, w.community, w.d, at(w.d, 20, 35))
    _submit(w.staff_b, w.other, w.d, at(w.d, 20, 35))
    locked = _submit(w.street_a, w.street, w.d, at(w.d, 20, 45))
    reg.create_resident(Actor.system(), w.hh102, {"name": "夏雨", "relation": "子女"})
    a2 = actions.submit(w.staff_a, actions.correct(w.staff_a, a1, "漏报一人", now=at(w.d, 21, 5)), "",
                        now=at(w.d, 21, 10))
    assert a2.figures["residents"] == a1.figures["residents"] + 1
    _clock(monkeypatch, at(w.d, 21, 20))
    c = _client(w.users.street)
    book = openpyxl.load_workbook(io.BytesIO(c.get(f"/reports/{locked.id}/report.xlsx").content))
    head, *rows = list(book["社区"].iter_rows(values_only=True))
    later = [r for r in rows if r[head.index("上级汇总")] == "未计入：上级汇总后提交"]
    assert [(r[0], r[2]) for r in later] == [("光明社区", 2)], rows
    for key in ("residents", "households"):  # every summed column adds up to the street's figure
        label = [f for f in queries.figures.definitions() if f.key == key][0].label
        col = head.index(str(label))
        assert later[0][col] in (None, ""), later
        assert sum(r[col] or 0 for r in rows) == locked.figures[key], (key, rows)
    assert "光明社区已更正（第2版，21:10）" in later[0][head.index("汇总后的变化")] and later[0][-1] == "漏报一人"
    # the PDF: the children's table holds the versions summed; the correction said in words
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(
        c.get(f"/reports/{locked.id}/report.pdf").content)).pages).replace(" ", "")
    assert "光明社区已更正（第2版，21:10）" in text


def test_a_correction_of_an_on_time_report_is_not_announced_late(w, monkeypatch):
    a1 = _submit(w.staff_a, w.community, w.d, at(w.d, 20, 47))  # on time (due 21:00)
    _clock(monkeypatch, at(w.d, 21, 2))
    a2 = actions.correct(w.staff_a, a1, "漏报一人", now=at(w.d, 21, 2))
    c = _client(w.users.staff)
    page = c.get(f"/reports/{a2.id}/").content.decode()
    assert "将记为迟报" not in page
    ask = c.post(f"/reports/{a2.id}/submit/", {"remarks": ""}).content.decode()
    assert 'name="confirm"' in ask and "将记为迟报" not in ask
    assert not queries.would_be_late(a2)
    actions.submit(w.staff_a, a2, "", now=at(w.d, 21, 2))
    [row] = [r for r in queries.completeness(w.street, w.d) if r["place"] == w.community]
    assert row["state"] == "on_time"
    # a first submission past the due time is announced late, and recorded late
    b = actions.prepare(w.staff_b, w.other, w.d, now=at(w.d, 21, 2))
    assert queries.would_be_late(b)
    ask = _client(w.users.other_staff).post(f"/reports/{b.id}/submit/", {"remarks": ""}).content.decode()
    assert "已过上报时限（21:00），将记为迟报。" in ask
    actions.submit(w.staff_b, b, "", now=at(w.d, 21, 2))
    [row] = [r for r in queries.completeness(w.street, w.d) if r["place"] == w.other]
    assert row["state"] == "late"


def test_the_due_time_is_said_before_it_passes(w, monkeypatch):
    _clock(monkeypatch, at(w.d, 20, 10))
    page = _client(w.users.staff).get(f"/reports/places/{w.community.id}/days/{w.d}/").content.decode()
    assert "请于 21:00 前上报。" in page and "将记为迟报" not in page
    out = actions.remind(w.street_a, w.street, w.d, now=at(w.d, 20, 10))
    assert out["sent"] == 2
    note = Notification.objects.get(kind="report.reminder", user=w.users.staff)
    assert note.body == "光明社区：请于 21:00 前提交日报。", note.body
    rows = _client(w.users.street).get(f"/reports/places/{w.street.id}/completeness/",
                                       {"day": str(w.d)}).content.decode()
    assert len(re.findall(r"<span data-due>上报时限 21:00</span>", rows)) == 2, rows
    # in English too
    en = _client(w.users.staff)
    en.cookies["django_language"] = "en"
    body = en.get(f"/reports/places/{w.community.id}/days/{w.d}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Please submit by 21:00." in body


def test_a_past_days_window_starts_at_the_previous_reports_cutoff_as_stored(w, monkeypatch):
    d0 = w.d - datetime.timedelta(days=1)
    _submit(w.staff_a, w.community, d0, at(d0, 20, 30))
    r = _submit(w.staff_a, w.community, w.d, at(w.d, 20, 30))
    street = _submit(w.street_a, w.street, w.d, at(w.d, 21, 30))
    ReportDefinition.objects.create(level="community", name="社区日报", cutoff=datetime.time(2, 30))
    assert queries.place_window_start(w.community, w.d) == at(d0, 20)
    assert queries.place_window_start(w.street, w.d) == at(d0, 20)
    # no report of the previous day: the definition's
    assert queries.place_window_start(w.other, w.d) == at(d0, 2, 30)
    c = _client(w.users.street)
    api = c.get(f"/api/v1/reports/{r.id}").json()
    assert datetime.datetime.fromisoformat(api["new_since"]) == at(d0, 20)
    want = f"新增：{d0:%m-%d} 20:00 至 {w.d:%m-%d} 20:00"
    book = openpyxl.load_workbook(io.BytesIO(c.get(
        f"/reports/places/{w.street.id}/export.xlsx", {"from": str(w.d), "to": str(w.d)}).content))
    [row] = [x for x in book["社区"].iter_rows(values_only=True) if x[0] == "光明社区"]
    assert want in row, row
    assert datetime.datetime.fromisoformat(c.get(f"/api/v1/reports/{street.id}").json()["new_since"]) == at(d0, 20)
    # a correction of the past day counts over the same window
    seen = []
    real = actions.nightly.figures.of

    def spy(place, at_, after=None):
        seen.append(after)
        return real(place, at_, after=after)

    monkeypatch.setattr(actions.nightly.figures, "of", spy)
    actions.correct(w.staff_a, r, "复核", now=at(w.d, 22))
    assert seen == [at(d0, 20)]


def test_a_manual_reminder_and_the_jobs_of_the_same_kind_send_once(w):
    actions.remind(w.street_a, w.street, w.d, now=at(w.d, 19, 20))  # before the due time
    assert Notification.objects.filter(kind="report.reminder", user=w.users.staff).count() == 1
    schedule.run(now=at(w.d, 19, 35))  # the job's "before" reminder: already sent
    assert Notification.objects.filter(kind="report.reminder", user=w.users.staff).count() == 1
    schedule.run(now=at(w.d, 21, 5))  # overdue: a reminder of another kind
    assert Notification.objects.filter(kind="report.reminder", user=w.users.staff).count() == 2
    assert actions.remind(w.street_a, w.street, w.d, now=at(w.d, 21, 10))["sent"] == 0  # the job sent it
    assert Notification.objects.filter(kind="report.reminder", user=w.users.other_staff).count() == 2


def test_the_correction_notification_says_it_is_a_correction(w):
    a1 = _submit(w.staff_a, w.community, w.d, at(w.d, 20, 35))
    _submit(w.street_a, w.street, w.d, at(w.d, 20, 45))
    actions.submit(w.staff_a, actions.correct(w.staff_a, a1, "漏报一人", now=at(w.d, 21, 5)), "",
                   now=at(w.d, 21, 10))
    note = Notification.objects.get(kind="report.below_changed", user=w.users.street)
    assert note.title == "光明社区在您的日报锁定后更正了日报（第2版）", note.title
    # a first report sent after the lock keeps its own title
    _submit(w.staff_b, w.other, w.d, at(w.d, 21, 30))
    assert Notification.objects.filter(kind="report.below_changed", user=w.users.street,
                                       title="惠泽苑社区在您的日报锁定后提交了日报").count() == 1


def test_the_streets_submit_question_says_it_adds_up_the_reports_below(w, monkeypatch):
    _submit(w.staff_a, w.community, w.d, at(w.d, 20, 35))
    draft = actions.prepare(w.street_a, w.street, w.d, now=at(w.d, 20, 40))
    _clock(monkeypatch, at(w.d, 20, 40))
    c = _client(w.users.street)
    ask = c.post(f"/reports/{draft.id}/submit/", {"remarks": ""}).content.decode()
    assert "提交时将汇总下级各单位已提交的日报（不重新统计）并锁定日报" in ask
    assert "提交时将按" not in ask and "重新统计数据" not in ask
    assert "2 个中有 1 个尚未计入（未提交或已退回）：惠泽苑社区。" in ask
    # a community's still says it counts once more as of its cut-off
    ask = _client(w.users.other_staff).post(f"/reports/places/{w.other.id}/days/{w.d}/start/",
                                            {"remarks": "", "do": "submit"}).content.decode()
    assert f"提交时将按 {w.d:%Y-%m-%d} 20:00 重新统计数据" in ask
