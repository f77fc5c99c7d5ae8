"""The home-sampling list said "乔秀兰 [封控区] … · 所在管控区须居家采样" for the people of a sealed
building (walk "family", 2026-12-07): 管控区 is another, lower zone level, so the line read
as a contradiction. A person listed because their household's zone samples at home (any
zone type may: `ZoneType.home_sampling`) is labelled by a level-neutral phrase — the zone's
own tag beside the name says which level — on the page and in the API, in both languages."""

from fangkong.core.actor import Actor
from fangkong.screening.actions import followup
from fangkong.screening.models import HomeVisit
from tests.zones.conftest import presets  # noqa: F401 - the zone types
from tests.zones.test_rules import designate

from .conftest import api

LEVELS = ("封控区", "管控区", "防范区")


def test_a_sealed_households_visit_names_no_other_zone_level(world, rnd, presets, client):  # noqa: F811
    designate(world, world.unit2, "sealed")  # 王新勇 (no tag) lives in a sealed unit
    followup.generate_home_list(Actor.system(world.users.staff), rnd)
    hv = HomeVisit.objects.get(round=rnd, resident=world.wang)
    assert hv.note == HomeVisit.ZONE_NOTE
    assert hv.source_label(rnd) == "所在区域须居家采样"
    client.force_login(world.users.staff)
    page = client.get(f"/screening/rounds/{rnd.id}/home/").content.decode()
    row = page[page.index(world.wang.name):]
    row = row[:row.index("</li>")]
    assert "所在区域须居家采样" in row and "封控区" in row  # the zone's tag says the level
    assert "管控区" not in row
    rows = api(client, "get", f"/rounds/{rnd.id}/home-visits").json()["results"]
    label = next(v["source_label"] for v in rows if v["resident"]["id"] == world.wang.id)
    assert label == "所在区域须居家采样" and not any(w in label for w in LEVELS)
    client.cookies["django_language"] = "en"
    rows = api(client, "get", f"/rounds/{rnd.id}/home-visits").json()["results"]
    label = next(v["source_label"] for v in rows if v["resident"]["id"] == world.wang.id)
    assert label == "Sampled at home: the household's zone"
    assert not any(w in label.lower() for w in ("sealed", "controlled", "precaution"))
