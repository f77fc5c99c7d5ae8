"""A draft's overlap warning says the real rule (the most severe zone applies) and only
what the draft will not do; a notice corrected by another is marked both ways and lifts
nothing; a lift is not filed under the notice that sealed the place; a draft's households
carry their full address (the walk of zones, items 3, 4, 5 and 9)."""

import datetime

import pytest
from django.utils import timezone

from fangkong.core.errors import Conflict, Invalid
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones import queries
from fangkong.zones.actions import notices as notice_actions
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, ZoneType
from tests.conftest import actor_for
from tests.zones.conftest import approve_if_needed

Op = pub.Op


def types():
    return {t.code: t for t in ZoneType.objects.filter(policy__is_active=True)}


def notice(staff, w, number, title="关于将光明小区1号楼划为封控区的通告", at=None):
    return pub.create_notice(staff, w.community, {
        "number": number, "issued_by": "桥东街道疫情防控指挥部", "title": title,
        "effective_at": (at or timezone.now()).isoformat()})


def draft(staff, w, title, items, n=None):
    adj = pub.draft(staff, w.community, title, notice=n)
    for op, place, zt in items:
        pub.add_item(staff, adj, op, place, zt)
    return adj


# --- 1. the overlap warning ------------------------------------------------------------------

def test_a_building_and_the_community_drafted_together_are_no_warning(world, presets, login):
    """Old: every ancestor/descendant pair was "overlaps … whichever is published last"."""
    w, t = world, types()
    staff = actor_for(w.users.staff)
    seal = draft(staff, w, "1号楼封控", [(Op.CREATE, w.building, t["sealed"])])
    draft(staff, w, "光明社区防范区", [(Op.CREATE, w.community, t["precaution"])])
    c = login(w.users.staff)
    page = c.get(f"/zones/adjustments/{seal.id}/").content.decode()
    assert 'id="overlaps"' not in page and "以最后发布的为准" not in page
    api = c.get(f"/api/v1/zones/adjustments/{seal.id}/diff").json()
    assert api["conflicts"] == [] and api["overlaps"] == []


def test_a_milder_zone_under_a_more_severe_one_is_said_with_the_rule(world, presets, login):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    pub.publish(staff, draft(staff, w, "光明小区封控", [(Op.CREATE, w.compound, t["sealed"])], notice(staff, w, "第18号")))
    mild = draft(staff, w, "1号楼管控", [(Op.CREATE, w.building, t["controlled"])], notice(staff, w, "第19号"))
    other = draft(staff, w, "2单元封控", [(Op.CREATE, w.unit2, t["sealed"])])
    below = draft(staff, w, "1单元防范", [(Op.CREATE, w.unit1, t["precaution"])])
    c = login(w.users.staff)
    page = c.get(f"/zones/adjustments/{mild.id}/").content.decode()
    box = page.split('id="overlaps"')[1].split("</div>")[0]
    assert "最严的区域" in box and "以最后发布的为准" not in page
    assert "光明小区 1号楼仍将是封控区：其上的光明社区 光明小区是封控区" in box
    # another draft making a unit under it milder: that one will have no effect once this is published
    assert "1单元防范" in box and "2单元封控" not in box  # a more severe zone below is expected
    api = c.get(f"/api/v1/zones/adjustments/{mild.id}/diff").json()
    assert api["conflicts"] == [below.id] and len(api["overlaps"]) == 2
    # the publish confirm step says the same
    r = c.post(f"/zones/adjustments/{mild.id}/publish/")
    assert "最严的区域" in r.content.decode() and "在那里不起作用" in r.content.decode()
    assert other.id not in api["conflicts"]


def test_one_place_given_two_zones_by_two_drafts_is_said(world, presets, login):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    a = draft(staff, w, "1号楼封控", [(Op.CREATE, w.building, t["sealed"])])
    b = draft(staff, w, "1号楼管控", [(Op.CREATE, w.building, t["controlled"])])
    c = login(w.users.staff)
    api = c.get(f"/api/v1/zones/adjustments/{a.id}/diff").json()
    assert api["conflicts"] == [b.id] and "后发布的那个会被拒绝" in api["overlaps"][0]


# --- 2. a notice corrected by another -----------------------------------------------------------

def test_a_corrected_notice_is_marked_both_ways_and_lifts_nothing(world, presets, login):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    n18 = notice(staff, w, "第18号", "关于将光明小区2单元划为封控区的通告")
    pub.publish(staff, draft(staff, w, "2单元封控", [(Op.CREATE, w.unit2, t["sealed"])], n18))
    five = timezone.now() + datetime.timedelta(hours=6)
    n19 = notice(staff, w, "第19号", "关于将光明小区1单元划为封控区的通告", at=five)
    adj = draft(staff, w, "1单元封控", [(Op.CREATE, w.unit1, t["sealed"])], n19)
    pub.schedule(staff, adj, five.isoformat())
    n22 = notice(staff, w, "第22号", "关于将光明小区2单元划为封控区的通告(更正第19号)", at=five)
    with pytest.raises(Conflict) as e:  # still scheduled under 19: nothing is dropped in silence
        notice_actions.withdraw(staff, n19, n22)
    assert e.value.code == "open_adjustment"
    pub.unschedule(staff, adj)
    pub.set_notice(staff, adj, n22)
    pub.schedule(staff, adj, five.isoformat())
    c = login(w.users.staff)
    r = c.post(f"/zones/notices/{n19.id}/withdraw/", {"replaced_by": n22.id})  # asked first
    assert r.status_code == 200 and "confirm-yes" in r.content.decode()
    n19.refresh_from_db()
    assert n19.withdrawn_at is None
    c.post(f"/zones/notices/{n19.id}/withdraw/", {"replaced_by": n22.id, "confirm": "1"})
    n19.refresh_from_db()
    assert n19.withdrawn_at is not None and n19.replaced_by == n22
    listing = c.get(f"/zones/p/{w.community.id}/notices/").content.decode()
    assert f'已被<a href="/zones/notices/{n22.id}/">第22号</a>更正' in listing
    assert f'更正<a href="/zones/notices/{n19.id}/">第19号</a>' in listing
    assert "已被" in c.get(f"/zones/notices/{n19.id}/").content.decode()
    assert "更正<a" in c.get(f"/zones/notices/{n22.id}/").content.decode()
    api = {n["number"]: n for n in c.get(f"/api/v1/zones/notices?place={w.community.id}").json()}
    assert api["第19号"]["replaced_by"] == {"id": n22.id, "number": "第22号"} and api["第19号"]["withdrawn_at"]
    assert api["第22号"]["replaces"] == [{"id": n19.id, "number": "第19号"}]
    # withdrawing 18 lifts nothing: the confirm says so, and the seal stays
    r = c.post(f"/zones/notices/{n18.id}/withdraw/").content.decode()
    assert "它不解除任何区域" in r and "2单元 封控区" in r
    r = c.post(f"/api/v1/zones/notices/{n18.id}/withdraw", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["withdrawn_at"] and r.json()["replaced_by"] is None
    assert queries.household_zone(w.hh201.id).zone_type.code == "sealed"
    # and no draft is published under a withdrawn notice
    late = draft(staff, w, "1单元管控", [(Op.CREATE, w.unit1, t["controlled"])], n18)
    with pytest.raises(Invalid) as e:
        pub.publish(staff, late)
    assert e.value.code == "notice_withdrawn"
    assert n18 not in queries.notices_to_attach(staff.scope, late)


# --- 3. a lift under the notice that sealed the place -------------------------------------------

def test_a_lift_is_not_filed_under_the_notice_that_sealed(world, presets, login):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    n18 = notice(staff, w, "第18号")
    pub.publish(staff, draft(staff, w, "1号楼封控", [(Op.CREATE, w.building, t["sealed"])], n18))
    lift = draft(staff, w, "解除1号楼封控", [(Op.LIFT, w.building, None)], n18)
    c = login(w.users.staff)
    r = c.post(f"/zones/adjustments/{lift.id}/publish/", follow=True).content.decode()
    assert "confirm-yes" not in r and "正是将1号楼划为封控区的通告" in r
    r = c.post(f"/api/v1/zones/adjustments/{lift.id}/publish", content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "notice_of_the_zone"
    step = draft(staff, w, "1号楼降为管控", [(Op.CHANGE, w.building, t["controlled"])], n18)
    with pytest.raises(Invalid):
        pub.schedule(staff, step, (timezone.now() + datetime.timedelta(hours=1)).isoformat())
    pub.set_notice(staff, lift, notice(staff, w, "第20号", "关于解除光明小区1号楼封控的通告"))
    pub.publish(staff, approve_if_needed(staff, lift))
    assert queries.household_zone(w.hh101.id) is None


# --- 4. the draft's households with their full address ------------------------------------------

def test_the_drafts_households_name_their_building(world, presets, login, system):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    b2 = reg.create_place(system, w.compound, Kind.BUILDING, "2号楼")
    hh = reg.create_household(system, reg.create_place(system, b2, Kind.UNIT, "1单元"), "101")
    reg.create_resident(system, hh, {"name": "李强", "id_number": "140106198001010018"})
    adj = draft(staff, w, "两栋封控", [(Op.CREATE, w.building, t["sealed"]), (Op.CREATE, b2, t["sealed"])])
    c = login(w.users.staff)
    page = c.get(f"/zones/adjustments/{adj.id}/diff/").content.decode()
    assert "光明小区 1号楼 1单元 101" in page and "光明小区 2号楼 1单元 101" in page
    api = c.get(f"/api/v1/zones/adjustments/{adj.id}/diff").json()
    assert {"光明小区 1号楼 1单元 101", "光明小区 2号楼 1单元 101"} <= {h["address"] for h in api["households_shown"]}
    assert Adjustment.objects.get(pk=adj.pk).state == Adjustment.State.DRAFT
