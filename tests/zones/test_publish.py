"""Adjustments: draft → diff → publish (at once or at the scheduled minute); most severe wins;
history kept; conflicts shown; a notice is required."""

import datetime

import pytest
from django.utils import timezone

from fangkong.core.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.zones import queries
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, HouseholdZone, ZoneType
from fangkong.zones.overlaps import overlaps
from tests.conftest import actor_for
from tests.zones.conftest import approve_if_needed

Op = pub.Op


def types(code="shanghai-2022-04"):
    return {t.code: t for t in ZoneType.objects.filter(policy__code=code)}


def notice(staff, w, at=None, number=None):
    """A notice of the street's command; each its own number unless one is given (a number
    is filed once: the same one again is the same notice, sent again). The numbers follow
    the test's own notices (第18号, 第19号, …): a counter kept across tests made them depend on
    which tests ran before in the process (another module's test took 第18号, and a test's
    own 第19号 then clashed with its first notice)."""
    from fangkong.zones.models import Notice

    auto = f"第{18 + Notice.objects.filter(place=w.community).count()}号"
    return pub.create_notice(staff, w.community, {
        "number": number or auto, "issued_by": "桥东街道疫情防控指挥部",
        "title": "关于划定封控区的通告", "effective_at": (at or timezone.now()).isoformat()})


def adjust(staff, w, items, at=None):
    adj = pub.draft(staff, w.community, "通告第18号", notice=notice(staff, w, at))
    for op, place, zt in items:
        pub.add_item(staff, adj, op, place, zt)
    return adj


def zone_now(hh):
    z = queries.household_zone(hh.id)
    return z.zone_type.code if z else None


def test_most_severe_wins_and_history_is_kept(world, presets):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    adj = adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"]), (Op.CREATE, w.unit1, t["sealed"])])
    d = queries.diff(adj)
    assert d["households"] == 3 and d["people"] == 4
    moves = {(m["from"], m["to"].code): (m["households"], m["people"]) for m in d["transitions"]}
    assert moves == {(None, "sealed"): (2, 3), (None, "controlled"): (1, 1)}
    adj = pub.publish(staff, adj)
    assert (zone_now(w.hh101), zone_now(w.hh102), zone_now(w.hh201)) == ("sealed", "sealed", "controlled")
    after = queries.diff(adj)  # a published one: read back from the history, not recomputed
    assert {(m["from"], m["to"].code): (m["households"], m["people"]) for m in after["transitions"]} == moves
    assert zone_now(w.other_hh) is None
    # lifting the compound leaves unit 1 sealed (the more severe wins, the other falls out)
    comp = queries.designations(staff.scope).get(place=w.compound)
    adj2 = pub.draft(staff, w.community, "解除", notice=notice(staff, w, number="第19号"))
    pub.add_item(staff, adj2, Op.LIFT, w.compound)
    assert queries.diff(adj2)["households"] == 1
    pub.publish(staff, adj2)
    assert (zone_now(w.hh101), zone_now(w.hh201)) == ("sealed", None)
    comp.refresh_from_db()
    assert comp.ends_at is not None
    hist = queries.history(staff.scope, w.hh201)
    assert [h.zone_type.code for h in hist] == ["controlled"] and hist[0].until is not None
    # "who is sealed now in the district" — one indexed query over the level columns
    assert queries.who_now(w.district, "sealed").count() == 2
    figs = {f["zone_type"].code: (f["households"], f["people"]) for f in queries.figures(w.district)}
    assert figs == {"sealed": (2, 3)}


def test_publishing_needs_a_notice_and_places_and_is_once(world, presets):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    adj = pub.draft(staff, w.community, "草稿")
    with pytest.raises(Invalid):
        pub.publish(staff, adj)
    pub.set_notice(staff, adj, notice(staff, w))
    with pytest.raises(Invalid):
        pub.publish(staff, adj)
    pub.add_item(staff, adj, Op.CREATE, w.building, t["sealed"])
    pub.publish(staff, adj)
    assert pub.publish(staff, adj).households_changed == 3  # a second tap changes nothing
    assert HouseholdZone.objects.filter(until=None).count() == 3
    pub.cancel(staff, adj2 := pub.draft(staff, w.community, "作废"))
    with pytest.raises(Conflict):
        pub.publish(staff, adj2)
    # a place already designated cannot be designated twice; change it instead
    adj2 = pub.draft(staff, w.community, "再次")
    with pytest.raises(Invalid):
        pub.add_item(staff, adj2, Op.CREATE, w.building, t["controlled"])


def test_wrong_role_and_wrong_community(world, presets):
    w, t = world, types()
    with pytest.raises(NotFound):
        pub.draft(actor_for(w.users.other_staff), w.community, "x")
    with pytest.raises(Forbidden):
        pub.draft(actor_for(w.users.leader), w.building, "x")
    adj = pub.draft(actor_for(w.users.staff), w.community, "x")
    with pytest.raises(NotFound):
        pub.add_item(actor_for(w.users.other_staff), adj, Op.CREATE, w.building, t["sealed"])
    with pytest.raises(Invalid):  # another community's building is not under this one
        pub.add_item(actor_for(w.users.street), adj, Op.CREATE, w.other_building, t["sealed"])


def test_scheduled_publication_happens_at_the_stated_minute(world, presets):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    five = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=5, minute=0, second=0,
                                                                        microsecond=0)
    adj = adjust(staff, w, [(Op.CREATE, w.building, t["sealed"])], at=five)
    pub.schedule(staff, adj, five)  # the immediate task backend runs the task now: too early
    adj.refresh_from_db()
    assert adj.state == Adjustment.State.SCHEDULED and zone_now(w.hh101) is None
    assert pub.publish_due(five - datetime.timedelta(minutes=1)) == 0
    assert pub.publish_due(five) == 1
    adj.refresh_from_db()
    assert adj.state == Adjustment.State.PUBLISHED and adj.effective_at == five
    z = queries.household_zone(w.hh101.id)
    assert z.since == five and z.zone_type.code == "sealed"
    assert pub.publish_due(five + datetime.timedelta(hours=1)) == 0  # once


def test_overlapping_drafts_are_a_conflict_and_a_stale_one_is_refused(world, presets):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    a = adjust(staff, w, [(Op.CREATE, w.building, t["sealed"])])
    b = adjust(staff, w, [(Op.CREATE, w.unit1, t["controlled"])])
    assert [x["adjustment"] for x in overlaps(a)] == [b]  # b's unit: still sealed once a is published
    pub.publish(staff, a)
    pub.add_item(staff, b, Op.CREATE, w.unit2, t["controlled"])
    pub.publish(staff, b)  # units under a sealed building: still sealed (most severe)
    assert zone_now(w.hh201) == "sealed"
    lift1 = adjust(staff, w, [(Op.LIFT, w.building, None)])
    lift2 = adjust(staff, w, [(Op.CHANGE, w.building, t["controlled"])])
    approve_if_needed(staff, lift1), approve_if_needed(staff, lift2)  # the street approves both
    pub.publish(staff, lift1)
    with pytest.raises(Conflict) as e:
        pub.publish(staff, lift2)
    assert e.value.code == "stale"
    assert zone_now(w.hh201) == "controlled"


def test_a_lost_publication_task_is_made_up_for_by_the_recovery(world, presets):
    from types import SimpleNamespace

    from fangkong.zones.tasks import recover_publisher

    w, t = world, types()
    staff = actor_for(w.users.staff)
    five = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=5, minute=0, second=0,
                                                                        microsecond=0)
    adj = adjust(staff, w, [(Op.CREATE, w.unit2, t["sealed"])], at=five)
    pub.schedule(staff, adj, five)  # its task ran too early (or died with its worker)
    assert recover_publisher(SimpleNamespace(now=five - datetime.timedelta(seconds=1))) == {"zones_published": 0, "zones_rules_applied": 0}
    assert recover_publisher(SimpleNamespace(now=five + datetime.timedelta(minutes=3))) == {"zones_published": 1, "zones_rules_applied": 0}
    adj.refresh_from_db()
    assert adj.state == "published" and adj.effective_at == five  # at the stated minute


def test_editing_a_zone_type_is_the_districts_and_checked(world, presets):
    from fangkong.zones.actions import policy

    t = types()["sealed"]
    with pytest.raises(Forbidden):
        policy.update_type(actor_for(world.users.street), t, {"pool_size": 3})
    with pytest.raises(Invalid) as e:
        policy.update_type(actor_for(world.users.district), t, {"pool_size": 80, "colour": "red;x", "kind": "x"})
    assert set(e.value.fields) == {"pool_size", "colour", "kind"}
    policy.update_type(actor_for(world.users.district), t, {"pool_size": 3})
    t.refresh_from_db()
    assert t.pool_size == 3
    from fangkong.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="zones.type.update").count() == 1


def test_the_report_figures_of_zones_as_of_a_time(world, presets):
    from fangkong.zones.figures import compute

    w, t = world, types()
    staff = actor_for(w.users.staff)
    before = timezone.now()
    pub.publish(staff, adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"]), (Op.CREATE, w.unit1, t["sealed"])]))
    now = compute([w.community, w.other], timezone.now())
    assert now[w.community.id]["sealed_households"] == 2 and now[w.community.id]["sealed_people"] == 3
    assert now[w.community.id]["controlled_households"] == 1 and now[w.community.id]["controlled_people"] == 1
    assert set(now[w.other.id].values()) == {0}
    assert set(compute([w.community], before)[w.community.id].values()) == {0}  # as it stood then


def test_the_nightly_report_counts_zones_as_of_its_cut_off(world, presets):
    from fangkong.zones.figures import compute
    from tests.reports.conftest import build_day

    w = build_day(world)  # unit 1 sealed today, after yesterday's 20:00 cut-off
    assert compute([w.community], w.cutoff)[w.community.id]["sealed_households"] == 0
    now = compute([w.community], timezone.now())[w.community.id]
    assert (now["sealed_households"], now["sealed_people"]) == (2, 3)


def test_a_zones_household_count_is_the_registrys(world, presets):
    """Found walking the demo: the map said 32 households where the building's page said
    31 — an empty household (nobody who counts) was counted by the zone and not by the
    registry. A household is counted as the registry counts it, everywhere; the empty one
    still puts its place in the zone."""
    from django.test import Client

    from fangkong.registry import actions as reg
    from fangkong.registry import queries as reg_queries

    w, t = world, types()
    staff = actor_for(w.users.staff)
    empty = reg.create_household(staff, w.unit2, "202")
    pub.publish(staff, adjust(staff, w, [(Op.CREATE, w.building, t["sealed"])]))
    (sealed,) = queries.figures(w.building)
    counts = reg_queries.place_counts(w.building)
    assert (sealed["households"], sealed["people"]) == (counts["households"], counts["residents"]) == (3, 4)
    assert sealed["zoned"] == 4 and zone_now(empty) == "sealed"
    c = Client()
    c.force_login(w.users.staff)
    api = c.get(f"/api/v1/zones/figures?place={w.building.id}").json()
    assert [(f["households"], f["people"]) for f in api] == [(3, 4)]
    assert c.get(f"/api/v1/places/{w.building.id}").json()["household_count"] == 3


def test_a_notice_form_with_a_mistake_keeps_what_was_typed_and_a_number_is_not_used_twice(world, presets):
    """Found walking the demo: a notice with a blank field came back empty with a bare
    "请填写此项。", and the same number could be filed twice."""
    from django.test import Client

    w = world
    staff = actor_for(w.users.staff)
    adj = pub.draft(staff, w.community, "封1号楼")
    c = Client()
    c.force_login(w.users.staff)
    typed = {"number": "第20号", "issued_by": "   ", "title": "关于封控1号楼的通告", "text": "即日起封控。",
             "effective_at": "2026-12-06T05:00"}
    r = c.post(f"/zones/adjustments/{adj.id}/notice/", typed)
    page = r.content.decode()
    assert r.status_code == 400
    assert 'value="第20号"' in page and 'value="关于封控1号楼的通告"' in page and "即日起封控。" in page
    issued = page.split('id="f-issued"')[1].split('id="f-ntitle"')[0]
    assert 'class="error"' in issued  # the error sits under its own field
    first = notice(staff, w, number="第21号")
    assert notice(staff, w, at=first.effective_at, number="第21号") == first  # sent again: the same one
    r = c.post("/api/v1/zones/notices", {"place": w.community.id, "number": "第21号",
                                          "issued_by": "桥东街道疫情防控指挥部", "title": "另一份通告",
                                          "effective_at": first.effective_at.isoformat()},
               content_type="application/json")
    assert r.status_code == 400 and "第21号" in r.json()["error"]["fields"]["number"][0]
