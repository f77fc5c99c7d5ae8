"""A household created after a zone is published gets the zone over its place from the
moment it exists (the page, the API, an import; a building added to a controlled compound;
a building moved under it): an import of 15 new flats into 光明小区 (管控区) had left them
without the badge, and the report said 305 户 in 管控区 where the registry had 320."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.registry import actions as reg
from fangkong.registry.models import Household, Kind
from fangkong.zones import figures, queries
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import HouseholdZone
from tests.conftest import actor_for
from tests.registry.test_import import csv_bytes, do_import, new_id, person
from tests.zones.test_publish import adjust, types, zone_now

Op = pub.Op


def _control_compound(w):
    staff = actor_for(w.users.staff)
    pub.publish(staff, adjust(staff, w, [(Op.CREATE, w.compound, types()["controlled"])]))
    return staff


def _controlled(w):
    return next(((f["households"], f["people"]) for f in queries.figures(w.community)
                 if f["zone_type"].code == "controlled"), (0, 0))


def test_a_household_added_on_the_page_or_the_api_is_in_the_compounds_zone(world, presets, login):
    w = world
    _control_compound(w)
    assert _controlled(w) == (3, 4)
    c = login(w.users.staff)
    r = c.post(f"/places/{w.unit1.id}/households/new/", {"door": "501"})
    assert r.status_code == 302, r.content
    page_hh = Household.objects.get(place=w.unit1, door="501")
    assert zone_now(page_hh) == "controlled"
    assert "管控区" in c.get(f"/households/{page_hh.id}/").content.decode()
    r = c.post("/api/v1/households", {"place": w.unit2.id, "door": "502"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert zone_now(Household.objects.get(pk=r.json()["id"])) == "controlled"
    # someone living there counts in the zone figures (the zones page and the reports)
    reg.create_resident(actor_for(w.users.staff), page_hh, {"name": "闫桂兰"})
    assert _controlled(w) == (4, 5)
    row = figures.compute([w.community])[w.community.id]
    assert (row["controlled_households"], row["controlled_people"]) == (4, 5)


def test_a_household_outside_any_zone_gets_none(world, presets):
    w = world
    _control_compound(w)
    assert zone_now(reg.create_household(actor_for(w.users.staff), w.unit1, "601")) == "controlled"
    other = reg.create_household(actor_for(w.users.other_staff), w.other_unit, "302")
    assert zone_now(other) is None and not HouseholdZone.objects.filter(household=other).exists()


def test_a_new_building_in_a_controlled_compound_and_a_building_moved_into_it(world, presets):
    w = world
    staff = _control_compound(w)
    building = reg.create_place(staff, w.compound, Kind.BUILDING, "9号楼")
    hh = reg.create_household(staff, building, "101")
    assert zone_now(hh) == "controlled"
    # a building hung under another compound takes that compound's zone (and leaves its own)
    outside = reg.create_place(staff, w.grid, Kind.COMPOUND, "阳光小区")
    moved = reg.create_place(staff, outside, Kind.BUILDING, "2号楼")
    flat = reg.create_household(staff, moved, "301")
    assert zone_now(flat) is None
    reg.move_place(staff, moved, w.compound)
    assert zone_now(flat) == "controlled"
    reg.move_place(staff, moved, outside)
    assert zone_now(flat) is None
    assert HouseholdZone.objects.filter(household=flat).exclude(until=None).count() == 1


def test_an_imported_roster_puts_its_new_households_in_the_zone_with_one_recompute(world, presets):
    w = world
    _control_compound(w)
    before = _controlled(w)
    rows = [person(i, f"新住户{i}", new_id(i), door=f"{500 + i}", building="1号楼", unit="1单元")
            for i in range(1, 16)]
    rows.append(person(16, "新楼住户", new_id(16), door="101", building="8号楼", unit="1单元"))
    with CaptureQueriesContext(connection) as ctx:
        job = do_import(w.users.staff, w.community, csv_bytes(rows), "roster.csv")
    assert job.status == "done", job.errors[:3]
    assert job.households_created == 16
    new = Household.objects.filter(created_at__gte=job.created_at, community_id=w.community.id)
    assert new.count() == 16
    assert {zone_now(h) for h in new} == {"controlled"}
    assert _controlled(w) == (before[0] + 16, before[1] + 16)
    row = figures.compute([w.community])[w.community.id]
    assert (row["controlled_households"], row["controlled_people"]) == (before[0] + 16, before[1] + 16)
    # one recompute for the import, not one per row: the zone rows go in at once
    zone_reads = [q for q in ctx.captured_queries if "zones_designation" in q["sql"]]
    assert len(zone_reads) <= 4, len(zone_reads)
