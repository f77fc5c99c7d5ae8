"""The rules at work: a person in a sealed building is refused at the gate and not called
out; controlled areas' one-collector rule; health codes and fever; pool sizes and home
sampling follow the zone."""

import datetime
import uuid

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.core.errors import Forbidden, Invalid, NotFound
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.volunteers import access as vol_access
from fangkong.volunteers.actions import answers, calls
from fangkong.zones import cadence, queries
from fangkong.zones.actions import gate
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import CheckpointEvent, HealthCode, ZoneType
from tests.conftest import actor_for
from tests.zones.conftest import approve_if_needed

Op = pub.Op


def designate(w, place, code, number="第18号"):
    staff = actor_for(w.users.staff)
    n = pub.create_notice(staff, w.community, {"number": number, "issued_by": "指挥部", "title": "通告",
                                               "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.community, "调整", notice=n)
    pub.add_item(staff, adj, Op.CREATE, place, ZoneType.objects.get(policy__is_active=True, code=code))
    return pub.publish(staff, adj)


@pytest.fixture
def east_gate(world):
    return reg.create_place(Actor.system(), world.compound, Kind.CHECKPOINT, "东门")


def through(w, gate_place, person, direction="out", colour="green", temperature="36.5", **kw):
    return gate.pass_gate(actor_for(w.users.grid), gate_place, direction=direction, resident=person,
                          colour=colour, temperature=temperature, client_id=kw.pop("cid", uuid.uuid4()), **kw)


def test_a_person_in_a_sealed_building_is_refused_at_the_gate_and_not_called_out(world, presets, east_gate):
    from tests.api.test_security import ROUTES  # noqa: F401 - loads the tables in their order
    from tests.volunteers.security_routes import setup as volunteer_setup

    w = world
    volunteer_setup(w)  # w.approved lives in household 102, building 1; w.call is a call of the community
    assert vol_access.audience(w.call).filter(pk=w.approved.pk).exists()
    designate(w, w.building, "sealed")
    ev = through(w, east_gate, w.xia)
    assert not ev.allowed and "足不出户" in ev.reason and ev.zone_kind == "sealed"
    assert through(w, east_gate, w.xia, direction="in").allowed  # coming home is never refused
    # not called out, and told why
    assert not vol_access.audience(w.call).filter(pk=w.approved.pk).exists()
    with pytest.raises(Forbidden) as e:
        answers.sign_up(actor_for(w.approved.user), w.call)
    assert "封控区" in str(e.value.message)
    with pytest.raises(Invalid) as e:
        calls.assign(actor_for(w.users.staff), w.call, w.approved)
    assert "封控区" in str(e.value.fields["volunteer"])
    # the rest of Fangkong: single tubes and home sampling for the sealed households
    assert queries.pool_size_for(w.hh102.id, default=10) == 1 and queries.home_sampling(w.hh102.id)
    assert queries.pool_size_for(w.other_hh.id, default=10) == 10
    assert queries.sealed_over(w.unit1).place == w.building  # a call's place inside is marked
    from django.test import Client

    c = Client()
    c.force_login(w.users.staff)
    page = c.get(f"/volunteers/calls/{w.call.id}/").content.decode()
    assert "zone-sealed" in page and "封控区" in page  # the call is at building 1
    page = c.get(f"/households/{w.hh102.id}/").content.decode()
    assert "zone-sealed" in page and f"/zones/households/{w.hh102.id}/" in page
    page = c.get(f"/volunteers/people/{w.approved.id}/").content.decode()
    assert "zone-sealed" in page


def test_controlled_one_collector_per_household_every_two_days(world, presets, east_gate):
    w = world
    designate(w, w.compound, "controlled")  # the east gate is inside the compound
    assert through(w, east_gate, w.su).allowed
    second = through(w, east_gate, w.yu)  # the same household, an hour later
    assert not second.allowed and "2" in second.reason and "苏霞" in second.reason
    assert through(w, east_gate, w.wang).allowed  # another household
    later = through(w, east_gate, w.yu, at=timezone.now() + datetime.timedelta(days=2, minutes=1))
    assert later.allowed


def test_controlled_building_may_not_leave_the_area(world, presets, east_gate):
    w = world
    designate(w, w.building, "controlled")  # the gate is outside the building's area
    ev = through(w, east_gate, w.wang)
    assert not ev.allowed and "人不出区" in ev.reason


def test_codes_fever_and_retries(world, presets, east_gate):
    w = world
    assert not through(w, east_gate, w.wang, colour="red", direction="in").allowed
    assert HealthCode.objects.get(resident=w.wang).colour == "red"
    yellow = through(w, east_gate, w.su, colour="yellow")
    assert not yellow.allowed and "黄码" in yellow.reason or "Yellow" in yellow.reason
    hot = through(w, east_gate, w.xia, temperature="37.8")
    assert not hot.allowed and "37.8" in hot.reason
    cid = uuid.uuid4()
    first = through(w, east_gate, w.xia, cid=cid)
    assert through(w, east_gate, w.xia, cid=cid) == first
    assert CheckpointEvent.objects.filter(client_id=cid).count() == 1
    with pytest.raises(Invalid) as e:
        through(w, east_gate, w.xia, temperature="hot")
    assert "temperature" in e.value.fields
    with pytest.raises(Invalid):
        gate.pass_gate(actor_for(w.users.grid), east_gate, direction="out", client_id=uuid.uuid4())
    # a visitor not on the roll, by name
    assert gate.pass_gate(actor_for(w.users.grid), east_gate, direction="in", name="快递员",
                          colour="green", client_id=uuid.uuid4()).allowed


def test_gate_is_scoped(world, presets, east_gate):
    w = world
    with pytest.raises(NotFound):
        gate.pass_gate(
            actor_for(w.users.other_staff), east_gate, direction="out", resident=w.xia, client_id=uuid.uuid4())
    with pytest.raises(Forbidden):
        gate.pass_gate(actor_for(w.users.street), east_gate, direction="out", resident=w.xia,
                       client_id=uuid.uuid4())


def test_sealed_households_are_sampled_at_home(world, presets):
    from fangkong.screening.actions import followup
    from fangkong.screening.models import HomeVisit
    from tests.api.test_security import ROUTES  # noqa: F401 - loads the tables in their order
    from tests.screening.security_routes import make_round

    w = world
    rnd = make_round(w)
    designate(w, w.unit2, "sealed")
    followup.generate_home_list(actor_for(w.users.staff), rnd)
    listed = set(HomeVisit.objects.filter(round=rnd).values_list("resident__name", flat=True))
    assert listed == {"苏霞", "夏明", "王新勇"}  # two by their tags, 王新勇 by his sealed unit


def test_cadence_proposes_the_weeks_testing(world, presets):
    w = world
    designate(w, w.building, "sealed")  # Shanghai: PCR every day
    days = cadence.cadence(w.community, datetime.date(2022, 4, 18))
    assert len(days) == 7 and all([t.code for t in d["pcr"]] == ["sealed"] for d in days)
    from fangkong.zones.actions import publish as pub2

    staff = actor_for(w.users.staff)
    adj = pub2.draft(staff, w.community, "管控", notice=pub2.create_notice(staff, w.community, {
        "number": "第20号", "issued_by": "指挥部", "title": "x", "effective_at": timezone.now().isoformat()}))
    pub2.add_item(staff, adj, Op.CHANGE, w.building, ZoneType.objects.get(policy__is_active=True, code="controlled"))
    pub2.publish(staff, approve_if_needed(staff, adj))  # a 封控区 stepped down: approved by the street
    days = cadence.cadence(w.community, datetime.date(2022, 4, 18))
    assert sum(1 for d in days if d["pcr"]) == 3 and sum(1 for d in days if d["antigen"]) == 4


def test_a_colour_seen_at_the_station_is_kept_in_the_code_history(world, presets):
    from fangkong.screening.actions import station
    from fangkong.zones.models import HealthCodeObservation

    w = world
    station.set_health_code(actor_for(w.users.staff), w.wang, "yellow", "采样点")
    obs = HealthCodeObservation.objects.get(resident=w.wang)
    assert (obs.colour, obs.source) == ("yellow", "sampling")
    assert queries.health_code(w.wang.id).colour == "yellow"
    assert "黄码" in queries.call_out_refusal(w.wang.household_id, w.wang.id_hash) or \
        "Yellow" in queries.call_out_refusal(w.wang.household_id, w.wang.id_hash)


def test_zone_now_is_the_same_row_as_household_zone(world, presets):
    w = world
    assert queries.zone_now(w.hh101.id) is None
    designate(w, w.building, "sealed")
    kind, code, pool, home, called_out, leave = queries.zone_now(w.hh101.id)
    z = queries.household_zone(w.hh101.id)
    assert (kind, code, pool, home, called_out, leave) == (
        z.kind, z.zone_type.code, z.zone_type.pool_size, True, False, False)
