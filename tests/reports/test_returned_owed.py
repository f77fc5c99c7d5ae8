"""A report of an earlier day still owed (walked 2026-12-07, staff_shuangta at 02:00 after the
street returned the 12-06 report):

- the community's home panel said only "今日日报 草稿" (the new day's): a returned or
  unsubmitted report of an earlier day is said there, with the way to it, until it is
  submitted again;
- the returned report's page said "已退回：<reason>" above ~35 tiles, and the only way on was
  a closed "更正此日报（生成新版本）" at the very bottom: the red banner carries the action."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def _client(user, lang=None):
    c = Client()
    c.force_login(user)
    if lang:
        c.cookies["django_language"] = lang
    return c


def _panel(html):
    return re.search(r"<h2>[^<]*(数据看板与日报|Dashboard and nightly report)</h2>(.*?)</section>", html, re.S).group(2)


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def returned(world):
    w = world
    w.d = timezone.localdate() - datetime.timedelta(days=1)
    w.staff_a = Actor.system(w.users.staff)
    # the place was there at the day's cut-off
    type(w.community).objects.filter(pk=w.community.pk).update(created_at=at(w.d, 8))
    w.r1 = actions.submit(w.staff_a, actions.prepare(w.staff_a, w.community, w.d, now=at(w.d, 20, 10)), "",
                          now=at(w.d, 20, 10))
    w.r1 = actions.return_report(Actor.system(w.users.street), w.r1, "核酸人数与采样点登记不符")
    return w


def test_the_home_panel_says_an_earlier_days_returned_report_until_it_is_sent_again(returned):
    w = returned
    staff = _client(w.users.staff)
    panel = _panel(staff.get(f"/places/{w.community.id}/").content.decode())
    said = _text(panel)
    day = w.d.strftime("%m-%d")
    assert f"{day} 日报已退回：核酸人数与采样点登记不符" in said, said
    assert "修改后重新上报" in said
    assert f'href="/reports/{w.r1.id}/#returned"' in panel
    assert "今日日报" in said  # today's still there, after it
    assert said.index("已退回") < said.index("今日日报")
    # English: the day as English readers read it, not "12-06"
    en = _text(_panel(_client(w.users.staff, "en").get(f"/places/{w.community.id}/").content.decode()))
    assert f"{w.d.day} {w.d.strftime('%b')} report returned: 核酸人数与采样点登记不符" in en, en
    # the street's command sees it too, without the staff's action words
    street = _text(_panel(_client(w.users.street).get(f"/places/{w.community.id}/").content.decode()))
    assert f"{day} 日报已退回" in street and "修改后重新上报" not in street
    # corrected (version 2, a draft): still owed, said as not submitted
    r2 = actions.correct(w.staff_a, w.r1, "已按采样点登记核对")
    said = _text(_panel(staff.get(f"/places/{w.community.id}/").content.decode()))
    assert f"{day} 日报未上报（第2版草稿）" in said and "已退回" not in said, said
    # sent again: nothing owed
    actions.submit(w.staff_a, r2, "")
    said = _text(_panel(staff.get(f"/places/{w.community.id}/").content.decode()))
    assert day not in said and "未上报" not in said, said


def test_the_home_panel_says_yesterdays_report_never_sent(world):
    w = world
    d = timezone.localdate() - datetime.timedelta(days=1)
    staff = _client(w.users.staff)
    # a place made today owes no report of yesterday
    assert "未上报" not in _text(_panel(staff.get(f"/places/{w.community.id}/").content.decode()))
    type(w.community).objects.filter(pk=w.community.pk).update(created_at=at(d, 8))
    panel = _panel(staff.get(f"/places/{w.community.id}/").content.decode())
    assert f"{d:%m-%d} 日报未上报" in _text(panel), _text(panel)
    assert f'href="/reports/places/{w.community.id}/days/{d.isoformat()}/"' in panel
    # a draft kept by the job, still not submitted: said the same, to its page
    r = actions.prepare(Actor.system(w.users.staff), w.community, d, now=at(d, 19, 30))
    panel = _panel(staff.get(f"/places/{w.community.id}/").content.decode())
    assert f"{d:%m-%d} 日报未上报（草稿）" in _text(panel) and f'href="/reports/{r.id}/"' in panel


def test_the_returned_banner_carries_the_way_to_send_it_again(returned):
    w = returned
    html = _client(w.users.staff).get(f"/reports/{w.r1.id}/").content.decode()
    banner = re.search(r'<div class="msg error[^"]*" role="alert" id="returned">(.*?)</div>', html, re.S)
    assert banner, html[:3000]
    inside = banner.group(1)
    assert "已退回：核酸人数与采样点登记不符" in _text(inside)
    # the form is right there, before the figures (not a closed <details> at the bottom)
    assert 'id="correct"' in inside and f'action="/reports/{w.r1.id}/correct/"' in inside
    # the button says what it does: version 2 as a draft, not sent yet (walk_street.md defect 5)
    assert "生成第2版草稿" in _text(inside) and "修改后重新上报" not in _text(inside)
    assert html.index('id="returned"') < html.index('class="figs"')
    assert html.count('id="correct"') == 1 and "<details" not in html.split('id="returned"')[1].split("</div>")[0]
    # it makes version 2, the draft the staff check and submit
    r = _client(w.users.staff).post(f"/reports/{w.r1.id}/correct/", {"reason": "已按采样点登记核对"})
    assert r.status_code == 302
    # the street's command reads the banner, without the staff's form
    html = _client(w.users.street).get(f"/reports/{w.r1.id}/").content.decode()
    banner = re.search(r'id="returned">(.*?)</div>', html, re.S).group(1)
    assert "已退回：核酸人数与采样点登记不符" in _text(banner) and "<form" not in banner
