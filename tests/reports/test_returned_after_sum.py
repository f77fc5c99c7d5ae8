"""A community's report returned after the street's locked report summed it (walked
2026-12-07, "command" defect 1): the return step warns that the street's report adds up this
version, and afterwards every surface of the reports above — the street's page, PDF, .xlsx and
API, the district's report and its completeness line — marks the child as returned, not
counted as accepted (`queries.children_now`, `present.not_counted`, `queries.changed_below`
kind "returned"). The street's figures never change by themselves: they still hold the
version summed, and say so.

Day D is yesterday (cut-off 20:00, due 21:00); both communities submit at 20:35, the street
locks its report at 20:45, then 光明社区's version 1 is returned at 21:30."""

import datetime
import html
import io
import re

import openpyxl
import pypdf
import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.reports import actions, present, queries
from tests.conftest import client_of as _client

pytestmark = pytest.mark.django_db

WARN = "本街道日报已汇总此版本，对方重新上报后请更正本街道日报。"


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))



def _submit(actor, place, day, t):
    return actions.submit(actor, actions.prepare(actor, place, day, now=t), "", now=t)


@pytest.fixture
def w(world, monkeypatch):
    w = world
    w.d = timezone.localdate() - datetime.timedelta(days=1)
    w.staff_a, w.staff_b = Actor.system(w.users.staff), Actor.system(w.users.other_staff)
    w.street_a = Actor.system(w.users.street)
    w.a1 = _submit(w.staff_a, w.community, w.d, at(w.d, 20, 35))
    w.b1 = _submit(w.staff_b, w.other, w.d, at(w.d, 20, 35))
    w.locked = _submit(w.street_a, w.street, w.d, at(w.d, 20, 45))
    assert [c["included"] for c in w.locked.children] == [True, True]
    monkeypatch.setattr(timezone, "now", lambda: at(w.d, 21, 30))
    return w


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_return_step_warns_that_the_streets_report_sums_this_version(w):
    c = _client(w.users.street)
    page = c.get(f"/reports/{w.a1.id}/").content.decode()
    m = re.search(r'<p class="msg warn"[^>]*id="summed-above"[^>]*>(.*?)</p>', page, re.S)
    assert m and WARN in m.group(1), _text(page)[-2000:]
    ask = c.post(f"/reports/{w.a1.id}/return/", {"reason": "核酸数字有误"}).content.decode()  # asked first
    assert 'name="confirm"' in ask and WARN in ask, _text(ask)[-2000:]
    done = c.post(f"/reports/{w.a1.id}/return/", {"reason": "核酸数字有误", "confirm": "1"},
                  follow=True).content.decode()
    assert WARN in done, _text(done)[-2000:]
    # in the reader's language
    en = _client(w.users.street)
    en.cookies["django_language"] = "en"
    body = html.unescape(en.get(f"/reports/{w.b1.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert ("This street's report already adds up this version: correct it after they report again."
            in body), _text(body)[-2000:]


def test_the_api_says_which_report_above_sums_the_returned_version(w):
    api = _client(w.users.street).post(f"/api/v1/reports/{w.a1.id}/return", {"reason": "核酸数字有误"},
                                       content_type="application/json")
    assert api.status_code == 200, api.content
    body = api.json()
    assert body["status"] == "returned" and body["summed_by"] == w.locked.id
    assert WARN in body["summed_by_said"]
    # a report nobody sums: none
    assert _client(w.users.street).get(f"/api/v1/reports/{w.locked.id}").json()["summed_by"] is None


def test_every_surface_of_the_street_marks_the_returned_child(w):
    actions.return_report(w.street_a, w.a1, "核酸数字有误")
    locked = queries.get_report(w.street_a.scope, w.locked.id)
    # the figures never change by themselves
    assert locked.figures["residents"] == w.a1.figures["residents"] + w.b1.figures["residents"]
    # one definition: not counted as accepted, yet still in the sum
    [out] = present.not_counted(locked)
    assert (out["name"], out["status"], out["summed"], out["state"]) == ("光明社区", "returned", True, "returned")
    assert present.left_out(locked) == ""  # its figures ARE in the sum: not "not counted yet"
    [change] = queries.changed_below(locked)
    assert (change["kind"], change["place"], change["version"]) == ("returned", w.community.id, 1)
    said = present.change_text(change)
    assert said.startswith("光明社区的日报（第1版）已于"), said
    assert "退回" in said and "以上数字仍含该版本" in said and "重新上报后请更正本报告" in said, said
    c = _client(w.users.street)
    page = c.get(f"/reports/{locked.id}/").content.decode()
    row = re.search(rf'<tr class="state-returned"><th scope="row"><a href="/reports/{w.a1.id}/">光明社区</a></th>'
                    r"(.*?)</tr>", page, re.S)
    assert row and "已退回" in row.group(1) and "按时" not in row.group(1), _text(page)[-3000:]
    box = re.search(r'id="changed-below">(.*?)</div>', page, re.S).group(1)
    assert said in box
    pdf = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(
        c.get(f"/reports/{locked.id}/report.pdf").content)).pages).replace(" ", "").replace("\n", "")
    assert said.replace(" ", "") in pdf
    assert "已退回" in pdf.split("下级单位日报")[-1], pdf[-800:]
    # the API: not included (counted as accepted), its status now, still summed
    api = c.get(f"/api/v1/reports/{locked.id}").json()
    kid = next(k for k in api["children"] if k["place"] == w.community.id)
    assert (kid["included"], kid["summed"], kid["status"], kid["state"]) == (False, True, "returned", "returned")
    [row] = api["changed_below"]
    assert (row["kind"], row["version"], row["said"]) == ("returned", 1, said)
    # the .xlsx: the version summed keeps its figures (the columns add up), and its row says it
    # was returned after the sum, in words
    book = openpyxl.load_workbook(io.BytesIO(c.get(f"/reports/{locked.id}/report.xlsx").content))
    head, *rows = list(book["社区"].iter_rows(values_only=True))
    [mine] = [r for r in rows if r[0] == "光明社区"]
    col = head.index("居民")
    assert sum(r[col] or 0 for r in rows) == locked.figures["residents"] and mine[col] == w.a1.figures["residents"]
    assert (mine[head.index("状态")], mine[head.index("上级汇总")]) == ("已退回", "上级汇总后退回：仍计入上级数字"), mine
    assert said in mine, mine


def test_the_district_is_told_too(w):
    actions.return_report(w.street_a, w.a1, "核酸数字有误")
    district = Actor.system(w.users.district)
    top = actions.prepare(district, w.district, w.d, now=at(w.d, 21, 40))
    assert top.figures["residents"] == w.locked.figures["residents"]  # the street's report, as locked
    [change] = queries.changed_below(top)
    assert (change["kind"], change["name"], change["via"]) == ("returned", "光明社区", "桥东街道")
    said = present.change_text(change)
    assert "光明社区的日报（第1版）" in said and "桥东街道" in said, said
    c = _client(w.users.district)
    page = c.get(f"/reports/{top.id}/").content.decode()
    assert said in page
    api = c.get(f"/api/v1/reports/{top.id}").json()
    assert [r["kind"] for r in api["changed_below"]] == ["returned"]
    # the completeness line of the street: its returned community is outstanding
    html = c.get(f"/reports/places/{w.district.id}/completeness/", {"day": str(w.d)}).content.decode()
    line = re.search(rf'data-below="{w.street.id}"><small class="grow">(.*?)</small>', html, re.S).group(1)
    assert "下属社区：2 个中 1 个未报/待重报" in line, line


def test_the_street_is_told_when_its_district_returns_a_community_it_summed(w):
    actions.return_report(Actor.system(w.users.district), w.a1, "核酸数字有误")
    note = Notification.objects.get(kind="report.below_returned", user=w.users.street)
    assert "光明社区的日报（第1版）" in note.body and "核酸数字有误" in note.body, note.body
    assert note.url == f"/reports/{w.locked.id}/"
    # the street returning it itself reads the warning on the page: nobody else to tell
    actions.return_report(w.street_a, w.b1, "户数有误")
    assert Notification.objects.filter(kind="report.below_returned").count() == 1


def test_once_resubmitted_the_correction_is_said_as_before(w):
    actions.return_report(w.street_a, w.a1, "核酸数字有误")
    a2 = actions.submit(w.staff_a, actions.correct(w.staff_a, queries.report_for(w.community, w.d), "已核对",
                                                   now=at(w.d, 21, 40)), "", now=at(w.d, 21, 45))
    locked = queries.get_report(w.street_a.scope, w.locked.id)
    [change] = queries.changed_below(locked)
    assert (change["kind"], change["version"], change["report"]) == ("corrected", 2, a2.id)
    s2 = actions.submit(w.street_a, actions.correct(w.street_a, locked, "计入更正", now=at(w.d, 21, 50)), "",
                        now=at(w.d, 21, 50))
    assert queries.changed_below(s2) == [] and present.not_counted(s2) == []


def test_no_warning_while_nothing_above_sums_the_version(world):
    w = world
    d = timezone.localdate() - datetime.timedelta(days=1)
    staff, street = Actor.system(w.users.staff), Actor.system(w.users.street)
    a1 = _submit(staff, w.community, d, at(d, 20, 35))
    actions.prepare(street, w.street, d, now=at(d, 20, 40))  # the street's draft: counts it when submitted
    assert queries.summed_by(a1) is None
    assert 'id="summed-above"' not in _client(w.users.street).get(f"/reports/{a1.id}/").content.decode()
    actions.return_report(street, a1, "核酸数字有误")
    assert queries.changed_below(actions.as_shown(queries.report_for(w.street, d))) == []  # as shown
    assert not Notification.objects.filter(kind="report.below_returned").exists()
