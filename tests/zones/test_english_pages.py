"""The zones page in English is English throughout (found by a demo walker): a round proposed
for two zones names them as the community's language writes a list ("封控区、管控区", the
round's name being shared data: tests/zones/test_cadence_walk_names.py), and the cadence's days read "December 6 (Sun)", not
"12月6日 Sun". Chinese is unchanged: 封控区、管控区 and 12月6日 周日."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override

from tests.zones.test_plan_from_cadence import plan_links
from tests.zones.test_rules import designate


def _round_names(client, place):
    return [parse_qs(urlsplit(u).query)["name"][0] for u in plan_links(client, place)]


def test_a_round_for_two_zones_names_them_as_the_language_writes_a_list(world, presets, client):
    w = world
    designate(w, w.unit1, "sealed")
    designate(w, w.unit2, "controlled", number="第19号")
    client.force_login(w.users.staff)
    zh = _round_names(client, w.building)
    assert any("封控区、管控区" in n for n in zh), zh
    client.cookies["django_language"] = "en"
    en = _round_names(client, w.building)  # a name is shared data: the community's language
    assert en == zh, en  # whatever the planner's page (walker 2026-12-07: "Sealed area PCR, 12/7")


def test_the_cadence_days_are_written_in_the_pages_language(world, presets, client):
    designate(world, world.unit1, "sealed")
    client.force_login(world.users.staff)
    today = timezone.localdate()
    page = client.get(f"/zones/p/{world.compound.id}/").content.decode()
    with override("zh-hans"):
        weekday = date_format(today, "D")
    assert f"{today.month}月{today.day}日 {weekday}" in page
    client.cookies["django_language"] = "en"
    page = client.get(f"/zones/p/{world.compound.id}/").content.decode()
    assert f"{today:%B} {today.day} ({today:%a})" in page
    assert not re.search(r"\d+月\d+日", page), "a Chinese date on the English page"


def test_one_household_and_one_person_are_singular_in_english(world, presets, login):
    """English said "1 households, 1 people change zone." and "Published: 1 households
    changed zone."; Chinese has one form (1 户、1 人) and is unchanged."""
    from fangkong.zones.models import Adjustment, ZoneType

    w = world  # 2单元: one household (201), one person (王新勇)
    c = login(w.users.staff)
    c.cookies["django_language"] = "en"
    c.post(f"/zones/p/{w.community.id}/adjust/", {"title": "Unit 2"})
    adj = Adjustment.objects.get()
    c.post(f"/zones/adjustments/{adj.id}/items/",
           {"place": w.unit2.id, "zone_type": ZoneType.objects.get(policy__is_active=True, code="sealed").id})
    yesterday = timezone.localtime() - datetime.timedelta(days=1)  # entered late: from when is asked
    c.post(f"/zones/adjustments/{adj.id}/notice/", {"number": "第18号", "issued_by": "指挥部", "title": "封控",
                                                    "effective_at": yesterday.strftime("%Y-%m-%dT%H:%M")})
    diff = c.get(f"/zones/adjustments/{adj.id}/diff/").text
    assert "1 household, 1 person change zone." in diff, diff
    step = c.post(f"/zones/adjustments/{adj.id}/publish/").text  # asked first, counted the same way
    assert "1 household, 1 person change zone." in step and ": 1 household, 1 person" in step, step
    assert "1 day after the notice&#x27;s date." in step, step
    done = c.post(f"/zones/adjustments/{adj.id}/publish/", {"confirm": "1", "from": "now"}, follow=True).text
    assert "Published, in force from" in done and "Published: " not in done, done  # said once: the header
    assert "1 household changed zone." in done  # the published adjustment's headline
    assert "1 household, 1 person changed zone." in c.get(f"/zones/adjustments/{adj.id}/diff/").text
    for url in (f"/zones/p/{w.compound.id}/", f"/zones/p/{w.compound.id}/map/"):
        page = c.get(url).text
        assert "1 household · 1 person" in page, url
        assert not re.search(r"\b1 (households|people)\b", page), url
    c.cookies["django_language"] = "zh-hans"
    assert "1 户 · 1 人" in c.get(f"/zones/p/{w.compound.id}/").text
