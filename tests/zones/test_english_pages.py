"""The zones page in English is English throughout (found by a demo walker): a round proposed
for two zones names them as English writes a list ("Sealed area, Controlled area", not
"Sealed area、Controlled area"), and the cadence's days read "December 6 (Sun)", not
"12月6日 Sun". Chinese is unchanged: 封控区、管控区 and 12月6日 周日."""

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
    en = _round_names(client, w.building)
    assert any(n.startswith("Sealed area, Controlled area PCR, ") for n in en), en
    assert not any("、" in n for n in en), en


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
