"""A change of zone counts households as the zones page counts them (a household with
someone who counts), on the draft, its confirm step, the published adjustment, its message
and the API: a seal said "32 户" while the sealed count went from 57 to 88 (+31, an empty
flat counted); notice No. 17 said 308 households against the page's 305."""

import re

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.zones import queries
from fangkong.zones.models import Adjustment, ZoneType


def _sealed_households(w):
    return next((f["households"] for f in queries.figures(w.community) if f["zone_type"].code == "sealed"), 0)


def test_a_seal_counts_the_households_the_zones_page_counts(world, presets, login):
    w = world
    system = Actor.system()
    reg.create_household(system, w.unit1, "103")  # an empty flat
    gone = reg.create_household(system, w.unit2, "202")  # everyone moved out
    reg.create_resident(system, gone, {"name": "刘洋", "presence": "moved_out"})
    c = login(w.users.staff)
    c.post(f"/zones/p/{w.community.id}/adjust/", {"title": "1号楼封控"})
    adj = Adjustment.objects.get()
    c.post(f"/zones/adjustments/{adj.id}/items/",
           {"place": w.building.id, "zone_type": ZoneType.objects.get(policy__is_active=True, code="sealed").id})
    c.post(f"/zones/adjustments/{adj.id}/notice/", {"number": "第18号", "issued_by": "指挥部", "title": "封控",
                                                    "effective_at": "2099-01-01T05:00"})
    before = _sealed_households(w)
    diff = c.get(f"/zones/adjustments/{adj.id}/diff/").content.decode()
    assert "3 户、4 人" in diff and "5 户" not in diff, diff  # 101, 102, 201 — not 103, 202
    step = c.post(f"/zones/adjustments/{adj.id}/publish/").content.decode()
    assert "3 户、4 人" in step and "5 户" not in step
    done = c.post(f"/zones/adjustments/{adj.id}/publish/", {"confirm": "1"}, follow=True).content.decode()
    assert re.search(r"3\s*户", done) and "5 户" not in done
    after = _sealed_households(w)
    adj.refresh_from_db()
    assert adj.households_changed == after - before == 3
    # read back after publishing: the same number
    assert "3 户、4 人" in c.get(f"/zones/adjustments/{adj.id}/diff/").content.decode()
    api = c.get(f"/api/v1/zones/adjustments/{adj.id}/diff").json()
    assert api["households"] == 3 and len(api["household_ids"]) == 3
    assert c.get(f"/api/v1/zones/adjustments/{adj.id}").json()["households_changed"] == 3
    # the empty flats still change zone (the map colours the whole building)
    assert queries.household_zone(gone.id).zone_type.code == "sealed"
