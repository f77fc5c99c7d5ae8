"""The escalation a case drafts says why ("12-07 16:00 确诊病例：夏明（区疾控中心报告）。"); it was kept
as finished text in the language of whoever reported the case, so a street command reading in
English saw Chinese, and a case reported in English read in English on a Chinese page. Now the
reason is kept as a message code and its parameters and said in each reader's language (the
draft's page and the API's `why`), the stock source ("卫健部门通报") in the reader's words too.
A row kept before has no code: it shows the text it kept."""

import datetime

from django.utils import timezone, translation
from django.utils.formats import date_format

from fangkong.zones.actions import escalate
from fangkong.zones.models import Adjustment
from tests.conftest import actor_for
from tests.zones.test_lift_home import _adjust


def _controlled(w):
    _adjust(actor_for(w.users.street), w.street, w.compound, "controlled", "第17号",
            timezone.now() - datetime.timedelta(hours=2), from_notice=True)


def _when(at, lang):
    with translation.override(lang):
        return date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")


def _why(c, adj, lang):
    c.cookies.load({"django_language": lang})
    page = c.get(f"/zones/adjustments/{adj.id}/").content.decode()
    start = page.index('id="adjustment-why">') + len('id="adjustment-why">')
    api = c.get(f"/api/v1/zones/adjustments/{adj.id}").json()["why"]
    return page[start:page.index("</p>", start)], api


def test_a_case_reported_in_chinese_reads_in_english_for_an_english_reader(world, presets, login):
    w = world
    _controlled(w)
    at = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    c = login(w.users.staff)
    c.cookies.load({"django_language": "zh-hans"})
    r = c.post("/api/v1/zones/cases", {"resident": w.xia.id, "source": "区疾控中心报告",
                                       "confirmed_at": at.isoformat()}, content_type="application/json")
    assert r.status_code == 201, r.content
    adj = Adjustment.objects.get(pk=r.json()["proposal"])
    zh = f"{_when(at, 'zh-hans')} 确诊病例：夏明（区疾控中心报告）。"
    assert _why(c, adj, "zh-hans") == (zh, zh)
    en = f"Case confirmed {_when(at, 'en')}: 夏明 (区疾控中心报告)."
    assert _why(c, adj, "en") == (en, en)


def test_a_case_reported_in_english_with_the_stock_source_reads_in_chinese(world, presets, login):
    w = world
    _controlled(w)
    c = login(w.users.staff)
    c.cookies.load({"django_language": "en"})
    r = c.post("/api/v1/zones/cases", {"resident": w.xia.id}, content_type="application/json")
    assert r.status_code == 201, r.content
    adj = Adjustment.objects.get(pk=r.json()["proposal"])
    at = adj.case.confirmed_at
    assert _why(c, adj, "en")[1] == f"Case confirmed {_when(at, 'en')}: 夏明 (Reported by the health authority)."
    zh = f"{_when(at, 'zh-hans')} 确诊病例：夏明（卫健部门通报）。"
    assert _why(c, adj, "zh-hans") == (zh, zh)


def test_a_reason_kept_before_as_text_shows_its_text(world, presets, login):
    w = world
    _controlled(w)
    _case, adj = escalate.record_case(actor_for(w.users.staff), w.xia, source="区疾控中心报告")
    Adjustment.objects.filter(pk=adj.pk).update(why="12-07 16:00 确诊病例：夏明（旧记录）。", why_said={})
    c = login(w.users.staff)
    for lang in ("zh-hans", "en"):
        assert _why(c, adj, lang) == ("12-07 16:00 确诊病例：夏明（旧记录）。",) * 2, lang
