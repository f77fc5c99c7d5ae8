"""The reports' scene: a day D (yesterday, cut-off 20:00) in community A, every event put
at a known time so that every figure can be counted by hand (see test_figures.py).

Community A: 苏霞 + 于海涛 (101), 夏明 (102), 王新勇 (201) — 4 people, 3 households.
Community B (same street): 袁桂英 — 1 person, 1 household.

- PCR round over A, D 07:00–22:00, running. 于海涛 scanned into T0001 at 09:00 (T1 sealed
  12:00, positive; he is held from 15:00, never re-sampled); 夏明 scanned into T2 at 20:01
  (after the cut-off); 王新勇 exempt from 10:00.
- Volunteers: 报到1 and 报到3 approved at 08:00; a call published 08:00 (deadline 21:00,
  5 places), both confirmed at 08:30; 报到1 in 09:00–11:00 (120 min credited), 报到3 in
  at 19:00 and still there.
- Zones: unit 2 (王新勇's 201) controlled from D 06:00 and still; unit 1 (101, 102: 3 people)
  sealed today, after D's cut-off. At D 20:00: 1 controlled household / 1 person, nothing
  sealed; now: 2 sealed households / 3 people and the controlled one.
"""

import datetime
import uuid
from types import SimpleNamespace

import pytest
from django.utils import timezone

from fangkong.core import pii
from fangkong.core.actor import Actor
from fangkong.screening.actions import lab, planning, station
from fangkong.screening.models import Exemption, FollowUp, Sample, Tube
from fangkong.volunteers.actions import calls, registration
from fangkong.volunteers.models import Assignment, Call, Volunteer
from tests.screening.conftest import to_lab


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def person(w, n):
    return {"name": f"报到{n}", "phone": f"1390351{n:04d}",
            "id_number": pii.make_id_number("140106", datetime.date(1985, 3, 1) + datetime.timedelta(days=n), n),
            "household": w.hh102.id, "work_unit": "迎泽区医院", "consent": True}


def build_day(w):
    system = Actor.system()
    staff = Actor.system(w.users.staff)
    d = timezone.localdate() - datetime.timedelta(days=1)
    w.day = d
    w.cutoff = at(d, 20)
    w.round = planning.plan_round(staff, w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": at(d, 7), "ends_at": at(d, 22), "pool_size": 3})
    planning.set_status(staff, w.round, "running")
    station.open_tube(staff, w.round, "T0001")
    station.scan(staff, w.round, client_id=str(uuid.uuid4()), barcode="T0001", person=w.yu.token, at=at(d, 9))
    t1 = Tube.objects.get(round=w.round, barcode="T0001")
    station.seal_tube(staff, t1)
    Tube.objects.filter(pk=t1.pk).update(sealed_at=at(d, 12), opened_at=at(d, 9))
    to_lab(w, w.round, "T0001")
    lab.record_results(Actor.system(w.users.lab), [{"barcode": "T0001", "result": "positive"}])
    FollowUp.objects.filter(round=w.round).update(created_at=at(d, 15))
    station.open_tube(staff, w.round, "T0002")
    station.scan(staff, w.round, client_id=str(uuid.uuid4()), barcode="T0002", person=w.xia.token,
             at=at(d, 20, 1))
    Tube.objects.filter(round=w.round, barcode="T0002").update(opened_at=at(d, 20, 1))
    # the station's clock times (as a phone queue sends them)
    Sample.objects.filter(round=w.round, resident=w.yu).update(sampled_at=at(d, 9))
    Sample.objects.filter(round=w.round, resident=w.xia).update(sampled_at=at(d, 20, 1))
    planning.add_exemption(staff, w.round, w.wang, "vaccinated")
    Exemption.objects.filter(round=w.round).update(created_at=at(d, 10))

    soon = timezone.now() + datetime.timedelta(hours=2)
    w.call = calls.create_call(system, w.community, {
        "task": "sampling", "place": w.building.id, "starts_at": soon,
        "ends_at": soon + datetime.timedelta(hours=2), "slots": 5})
    w.v1 = registration.approve(system, registration.add_volunteer(system, w.community, person(w, 1)))
    w.v3 = registration.approve(system, registration.add_volunteer(system, w.community, person(w, 3)))
    Volunteer.objects.filter(pk__in=[w.v1.pk, w.v3.pk]).update(decided_at=at(d, 8))
    a1 = calls.assign(system, w.call, w.v1)
    a3 = calls.assign(system, w.call, w.v3)
    Call.objects.filter(pk=w.call.pk).update(published_at=at(d, 8), deadline=at(d, 21),
                                             starts_at=at(d, 9), ends_at=at(d, 21))
    w.call.refresh_from_db()
    Assignment.objects.filter(pk__in=[a1.pk, a3.pk]).update(confirmed_at=at(d, 8, 30),
                                                            starts_at=at(d, 9), ends_at=at(d, 21))
    Assignment.objects.filter(pk=a1.pk).update(check_in_at=at(d, 9), check_out_at=at(d, 11), minutes=120)
    Assignment.objects.filter(pk=a3.pk).update(check_in_at=at(d, 19))
    # Zones: unit 2 controlled since D 06:00; unit 1 sealed today, after D's cut-off.
    from fangkong.zones.actions import publish as zones_publish
    from fangkong.zones.actions.policy import install_presets
    from fangkong.zones.models import HouseholdZone, ZoneType

    install_presets()
    notice = zones_publish.create_notice(staff, w.community, {
        "number": "第17号", "issued_by": "指挥部", "title": "2单元管控", "effective_at": at(d, 6).isoformat()})
    w.control = zones_publish.draft(staff, w.community, "2单元管控", notice=notice)
    zones_publish.add_item(staff, w.control, "create", w.unit2,
                           ZoneType.objects.get(policy__is_active=True, kind="controlled"))
    w.control = zones_publish.publish(staff, w.control)
    HouseholdZone.objects.filter(household=w.hh201).update(since=at(d, 6))
    notice = zones_publish.create_notice(staff, w.community, {
        "number": "第18号", "issued_by": "指挥部", "title": "1单元封控", "effective_at": timezone.now().isoformat()})
    w.sealing = zones_publish.draft(staff, w.community, "1单元封控", notice=notice)
    zones_publish.add_item(staff, w.sealing, "create", w.unit1,
                           ZoneType.objects.get(policy__is_active=True, kind="sealed"))
    w.sealing = zones_publish.publish(staff, w.sealing)
    return w


# What a person counts by hand for D at 20:00 (see the module docstring).
A_AT_CUTOFF = {
    "residents": 4, "households": 3,
    "expected": 4, "sampled": 1, "exempt": 1, "missing": 2, "to_sample": 3, "coverage": 33,
    # households to test: 101 (于海涛 done, 苏霞 not) and 102 (夏明, after the cut-off); 201
    # (王新勇 alone, exempt) neither to test nor covered
    "test_households": 2, "households_covered": 0, "households_coverage": 0,
    "cases": 0, "awaiting_retest": 1, "tubes_not_at_lab": 1,
    "volunteers": 2, "on_duty": 1, "minutes_today": 120, "calls_open": 1, "slots_open": 5,
    "filled_open": 2, "fill": 40,
    # zones: unit 2 (201, 王新勇) controlled since 06:00; unit 1 sealed only after the cut-off
    "sealed_households": 0, "sealed_people": 0, "controlled_households": 1, "controlled_people": 1,
    "precaution_households": 0, "precaution_people": 0,
    # services: nothing delivered or asked for on D in this scene (tests/services count them)
    "doors_delivered": 0, "doors_missed": 0, "requests_open": 0, "requests_overdue": 0, "exceptions_open": 0,
    "check_ins_due": 0, "check_ins_done": 0, "check_ins_open": 0, "check_ins_no_answer": 0,
}
# community B: no round and no call that day — its ratios are no figure ("–"), not 100 %
B_AT_CUTOFF = dict.fromkeys(A_AT_CUTOFF, 0) | {
    "residents": 1, "households": 1, "coverage": None, "households_coverage": None, "fill": None}


@pytest.fixture
def day(world):
    return build_day(world)


@pytest.fixture
def actors(world):
    u = world.users
    return SimpleNamespace(**{k: Actor.system(getattr(u, k)) for k in vars(u)})
