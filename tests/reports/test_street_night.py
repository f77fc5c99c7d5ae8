"""A street's night (walked 2026-12-07): the 20:30 job prepares the street's draft before its
communities report; they submit at 20:35 and are approved; the street submits at 20:45;
光明社区 corrects its report at 21:10.

- The submit question names who is not counted as the page shows it (the stored 20:30
  draft had said "2 个中有 2 个尚未计入" of two approved communities).
- The street's figures are as of its communities' data (20:00), not of when they were
  summed (20:39): said apart.
- A correction below after the street locked never changes the street's figures silently:
  the street's report, its PDF, .xlsx and API say "光明社区已更正（第2版，21:10）" with what
  changed, the street's submitters are told once, and the street's own corrected version
  counts it.

The clock of each step is the actions' `now` (and `timezone.now` moved for the pages, the
project's way, as tests/day does)."""

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
from fangkong.reports import actions, present
from fangkong.reports.models import DailyReport
from tests.conftest import client_of as _client

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))



@pytest.fixture
def night(world, monkeypatch):
    w = world
    w.d = timezone.localdate() - datetime.timedelta(days=1)
    w.staff_a, w.staff_b = Actor.system(w.users.staff), Actor.system(w.users.other_staff)
    w.street_a = Actor.system(w.users.street)
    # 20:30: the job prepares the street's draft (both communities still to report)
    w.draft = actions.prepare(w.street_a, w.street, w.d, now=at(w.d, 20, 30))
    assert [c["included"] for c in w.draft.children] == [False, False]
    # 20:35: both submit; the street approves them
    w.a1 = actions.submit(w.staff_a, actions.prepare(w.staff_a, w.community, w.d, now=at(w.d, 20, 35)), "",
                          now=at(w.d, 20, 35))
    w.b1 = actions.submit(w.staff_b, actions.prepare(w.staff_b, w.other, w.d, now=at(w.d, 20, 35)), "",
                          now=at(w.d, 20, 35))
    for r in (w.a1, w.b1):
        actions.approve(w.street_a, r)
    monkeypatch.setattr(timezone, "now", lambda: at(w.d, 20, 39))
    return w


def test_the_submit_question_counts_the_places_as_the_page_shows_them(night):
    w = night
    c = _client(w.users.street)
    page = c.get(f"/reports/{w.draft.id}/").content.decode()
    assert 'id="left-out"' not in page  # the page counts both (as_shown)
    ask = c.post(f"/reports/{w.draft.id}/submit/", {"remarks": ""}).content.decode()
    assert 'name="confirm"' in ask
    assert "尚未计入" not in ask and "光明社区" not in ask, re.sub(r"\s+", " ", ask)[-1500:]
    # one community sent back: the question names it, as the page does
    DailyReport.objects.filter(pk=w.b1.pk).update(status=DailyReport.Status.RETURNED)
    ask = c.post(f"/reports/{w.draft.id}/submit/", {"remarks": ""}).content.decode()
    assert "2 个中有 1 个尚未计入（未提交或已退回）：惠泽苑社区。" in ask


def test_a_street_report_is_as_of_its_communities_data_not_of_its_sum(night):
    w = night
    r = actions.submit(w.street_a, w.draft, "", now=at(w.d, 20, 39))
    day = w.d.strftime("%m-%d")
    page = _client(w.users.street).get(f"/reports/{r.id}/").content.decode()
    as_of = re.search(r"<span data-as-of>(.*?)</span>", page).group(1)
    assert as_of == f"数据截至 {day} 20:00（下级日报）", as_of
    assert f"汇总于 {day} 20:39" in page and f"数据截至 {day} 20:39" not in page
    api = _client(w.users.street).get(f"/api/v1/reports/{r.id}").json()
    when = datetime.datetime.fromisoformat
    assert when(api["figures_as_of"]) == when(api["figures_as_of_earliest"]) == at(w.d, 20)
    assert [when(c["as_of"]) for c in api["children"]] == [at(w.d, 20)] * 2
    assert when(api["computed_at"]) == at(w.d, 20, 39)
    pdf = pypdf.PdfReader(io.BytesIO(_client(w.users.street).get(f"/reports/{r.id}/report.pdf").content))
    text = "".join(p.extract_text() for p in pdf.pages).replace(" ", "")
    assert f"数据截至{day}20:00（下级日报）" in text and f"汇总于{day}20:39" in text
    # the district sums the street: as of the communities' 20:00 too
    district = Actor.system(w.users.district)
    top = actions.prepare(district, w.district, w.d, now=at(w.d, 21, 50))
    assert present.as_of(top) == (at(w.d, 20), at(w.d, 20))


def test_a_correction_below_is_said_told_and_counted_by_the_streets_new_version(night, monkeypatch):
    from fangkong.reports.queries import changed_below

    w = night
    locked = actions.submit(w.street_a, w.draft, "", now=at(w.d, 20, 45))
    assert locked.figures["residents"] == 5
    # 21:10: 光明社区 finds a resident missing from its roll and corrects its report
    reg.create_resident(Actor.system(), w.hh102, {"name": "夏雨", "relation": "子女"})
    monkeypatch.setattr(timezone, "now", lambda: at(w.d, 21, 10))
    a2 = actions.correct(w.staff_a, w.a1, "漏报一人", now=at(w.d, 21, 5))
    a2 = actions.submit(w.staff_a, a2, "", now=at(w.d, 21, 10))
    assert a2.figures["residents"] == 5
    locked.refresh_from_db()
    assert locked.figures["residents"] == 5 and locked.children[0]["version"] == 1  # never changed silently
    [change] = changed_below(locked)
    assert (change["kind"], change["version"], change["counted_version"]) == ("corrected", 2, 1)
    assert ("residents", 4, 5) in change["changes"]
    # told once: the street's command, who submits its report
    notes = Notification.objects.filter(kind="report.below_changed")
    assert list(notes.values_list("user_id", flat=True)) == [w.users.street.id]
    assert "光明社区已更正（第2版，21:10）" in notes.get().body
    assert actions.nightly.tell_above(w.staff_a, a2) == 0  # once
    # the page says so, with what changed, and offers the street's corrected version
    page = _client(w.users.street).get(f"/reports/{locked.id}/").content.decode()
    said = re.search(r'<div class="msg warn" role="status" id="changed-below">(.*?)</div>', page, re.S).group(1)
    assert "光明社区已更正（第2版，21:10）：居民 4 → 5。本报告仍按第1版汇总。" in said, said
    # the reason is a hint to type over, never a value stored as it was (walk_street.md defect 8)
    assert 'id="correct" open' in page and 'placeholder="例如：计入下级的更正"' in page
    # the API gives the rows, the .xlsx lists version 2 as not counted (the counted rows still add up)
    api = _client(w.users.street).get(f"/api/v1/reports/{locked.id}").json()
    [row] = api["changed_below"]
    assert row["place"] == w.community.id and row["version"] == 2 and row["counted_version"] == 1
    assert {"key": "residents", "label": "居民", "counted": 4, "now": 5} in row["changes"]
    book = openpyxl.load_workbook(io.BytesIO(_client(w.users.street).get(f"/reports/{locked.id}/report.xlsx").content))
    rows = [r for r in book["社区"].iter_rows(values_only=True) if r[0] == "光明社区"]
    head = next(book["社区"].iter_rows(values_only=True))
    changed = head.index("汇总后的变化")
    assert [r[2] for r in rows] == [1, 2] and rows[1][head.index("上级汇总")] == "未计入：上级汇总后提交", rows
    assert rows[1][3] == "已上报"  # its own status (test_period_corrected.py)
    assert "光明社区已更正（第2版，21:10）" in rows[1][changed]
    # version 2's change in words and its reason, as the page and the PDF say them; no figures
    # in the summed columns: each column still adds up to the street's figure
    col = [r for r in book["社区"].iter_rows(values_only=True)][0].index("居民")
    assert (rows[0][col], rows[1][col]) == (4, None) and rows[1][-1] == "漏报一人", rows
    assert "居民 4 → 5" in rows[1][changed]
    assert sum(r[col] or 0 for r in list(book["社区"].iter_rows(values_only=True))[1:]) == locked.figures["residents"]
    pdf = pypdf.PdfReader(io.BytesIO(_client(w.users.street).get(f"/reports/{locked.id}/report.pdf").content))
    assert "光明社区已更正（第2版，21:10）" in "".join(p.extract_text() for p in pdf.pages).replace(" ", "")
    # the street's own corrected version counts it, and says nothing more
    s2 = actions.correct(w.street_a, locked, "计入下级的更正", now=at(w.d, 21, 20))
    s2 = actions.submit(w.street_a, s2, "", now=at(w.d, 21, 20))
    assert s2.figures["residents"] == 6 and s2.children[0]["version"] == 2
    assert changed_below(s2) == []


def test_a_report_sent_after_the_street_locked_is_said_too(world):
    from fangkong.reports.queries import changed_below

    w = world
    w.d = timezone.localdate() - datetime.timedelta(days=1)
    street_a, staff_b = Actor.system(w.users.street), Actor.system(w.users.other_staff)
    locked = actions.submit(street_a, actions.prepare(street_a, w.street, w.d, now=at(w.d, 20, 45)), "",
                            now=at(w.d, 20, 45))
    late = actions.submit(staff_b, actions.prepare(staff_b, w.other, w.d, now=at(w.d, 21, 30)), "",
                          now=at(w.d, 21, 30))
    [change] = changed_below(locked)
    assert (change["kind"], change["place"], change["report"]) == ("late", w.other.id, late.id)
    assert "惠泽苑社区在本报告之后提交了日报（第1版，21:30），未计入以上数字。" in present.change_text(change)
    assert Notification.objects.filter(kind="report.below_changed", user=w.users.street).count() == 1


def test_the_correcting_community_reads_what_changed_and_what_happens_next(night, monkeypatch):
    """光明社区 corrects after the street locked: its draft and its submitted version 2 say what
    changed against the version the street counted (as the street reads it) and that the
    street still counts version 1 until it corrects (it had said only "已上报，日报已锁定")."""
    w = night
    locked = actions.submit(w.street_a, w.draft, "", now=at(w.d, 20, 45))
    reg.create_resident(Actor.system(), w.hh102, {"name": "夏雨", "relation": "子女"})
    monkeypatch.setattr(timezone, "now", lambda: at(w.d, 21, 10))
    a2 = actions.correct(w.staff_a, w.a1, "漏报一人", now=at(w.d, 21, 5))
    c = _client(w.users.staff)

    def said(r):
        page = c.get(f"/reports/{r.id}/").content.decode()
        m = re.search(r'<div class="msg warn" role="status" id="counted-above">(.*?)</div>', page, re.S)
        return m and re.sub(r"<[^>]+>", "", m.group(1))

    draft = said(a2)
    assert "与桥东街道汇总的第1版相比： 居民 4 → 5" in draft, draft
    assert "提交本更正后，将把变化内容通知桥东街道的上报人员" in draft
    a2 = actions.submit(w.staff_a, a2, "", now=at(w.d, 21, 10))
    done = said(a2)
    assert "居民 4 → 5" in done and "在桥东街道更正前仍按本报告第1版汇总" in done, done
    assert said(w.a1) is None  # the earlier version says nothing of it
    # the street counts version 2 once it corrects: nothing more to say
    s2 = actions.correct(w.street_a, locked, "计入下级的更正", now=at(w.d, 21, 20))
    actions.submit(w.street_a, s2, "", now=at(w.d, 21, 20))
    assert said(a2) is None
