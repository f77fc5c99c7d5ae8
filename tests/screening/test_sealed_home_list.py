"""Found walking a pooled PCR round over 光明社区 with 3号楼 sealed: 38 residents of the
sealed building were turned away from pooled tubes ("须单人单管") and the home-sampling
list held 1 person — staff had to tap "Sample at home" for each. A sealed area's people may
not leave home (足不出户，服务上门): they are sampled at the door. Now planning a PCR round
lists them on its home-sampling list at once (page and API), and says how many."""

import datetime
import json

from django.utils import timezone

from fangkong.screening.models import HomeVisit, Round
from tests.zones.conftest import presets  # noqa: F401 - the zone types
from tests.zones.test_rules import designate


def _body(w, **extra):
    now = timezone.now()
    return {"place": w.community.id, "name": "核酸第9轮", "kind": "pcr", "pool_size": 10,
            "starts_at": (now + datetime.timedelta(days=3)).isoformat(),
            "ends_at": (now + datetime.timedelta(days=3, hours=6)).isoformat(), **extra}


def test_planning_a_pcr_round_lists_the_sealed_areas_people_for_home_sampling(world, presets, login):  # noqa: F811
    w = world
    designate(w, w.unit2, "sealed")  # 王新勇 lives in a sealed unit
    client = login(w.users.staff)
    r = client.post("/api/v1/screening/rounds", json.dumps(_body(w)), content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["home_listed"] == 1
    rnd = Round.objects.get(pk=r.json()["id"])
    visits = list(HomeVisit.objects.filter(round=rnd))
    assert [v.resident_id for v in visits] == [w.wang.id]
    assert visits[0].source_label(rnd) == "所在区域须居家采样"
    # only the sealed area's: bedridden 夏明 is added by the list's own button, as before
    assert w.xia.id not in [v.resident_id for v in visits]
    # the page says the count
    fmt = "%Y-%m-%dT%H:%M"
    later = timezone.localtime(timezone.now() + datetime.timedelta(days=5))
    page = client.post("/screening/plan/", {
        "place": w.community.id, "name": "核酸第10轮", "kind": "pcr", "pool_size": "10",
        "starts_at": later.strftime(fmt), "ends_at": (later + datetime.timedelta(hours=4)).strftime(fmt),
        "client_id": "0d7c1c4e-5a7e-4b1c-9d34-2f1e0b9c8a13"}, follow=True)
    assert "已将封控区内 1 人列入入户采样名单" in page.content.decode()


def test_an_antigen_round_or_no_sealed_area_lists_nobody(world, presets, login):  # noqa: F811
    w = world
    client = login(w.users.staff)
    r = client.post("/api/v1/screening/rounds", json.dumps(_body(w)), content_type="application/json")
    assert r.json()["home_listed"] == 0
    designate(w, w.unit2, "sealed")
    r = client.post("/api/v1/screening/rounds", json.dumps(_body(w, kind="antigen", pool_size=1, name="抗原")),
                    content_type="application/json")
    assert r.status_code == 201, r.content
    assert not HomeVisit.objects.filter(round_id=r.json()["id"]).exists()


def test_a_building_sealed_after_planning_is_listed_in_one_step_by_the_api(world, rnd, presets, login):  # noqa: F811
    w = world  # `rnd` was planned before the unit was sealed
    designate(w, w.unit2, "sealed")
    client = login(w.users.staff)
    url = f"/api/v1/screening/rounds/{rnd.id}/home-visits/generate"
    r = client.post(url, "{}", content_type="application/json")
    assert r.status_code == 200, r.content
    listed = set(HomeVisit.objects.filter(round=rnd).values_list("resident_id", flat=True))
    none_out = {"left_out": 0, "left_out_reason": ""}  # no confirmed case left out
    assert r.json() == {"added": len(listed), **none_out} and {w.wang.id, w.xia.id} <= listed  # sealed, 卧床
    again = client.post(url, "{}", content_type="application/json").json()
    assert again == {"added": 0, **none_out}  # again: nothing twice
