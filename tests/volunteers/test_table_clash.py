"""One overlap rule for a volunteer's time: a sampling table in a round (screening's
`Sampler`) holds them as a place on a call does — for answering, staff assigning and moving up
from the waitlist, and the reverse (a table for someone holding a call place then).
Found walking an urgent call at 2 a.m.: a sampler at table 1 (03:02–10:02) answered a call
06:44–10:44 and was moved up into it from the waitlist."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Conflict, Invalid
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import planning
from fangkong.volunteers.actions import answers
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for


def _round(world, system, start_h=-1, hours=7):
    start = timezone.now() + datetime.timedelta(hours=start_h)
    point = planning.add_point(system, planning.plan_round(system, world.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": start,
        "ends_at": start + datetime.timedelta(hours=hours), "pool_size": 10}),
        reg.create_place(system, world.community, Kind.SAMPLING_POINT, "1号点"), 2)
    return point.round, point


def _call(world, hours=2, slots=1):
    start = timezone.now() + datetime.timedelta(hours=hours)
    return vol_calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "door_check", "title": "1号点 采样辅助", "place": world.building.id,
        "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=4)).isoformat(),
        "slots": slots})


def test_a_sampler_cannot_answer_a_call_at_the_same_time(world, system, make_volunteer):
    v = make_volunteer(1)
    rnd, point = _round(world, system)
    planning.assign_sampler(system, rnd, point, v.user, 1)
    call = _call(world)
    with pytest.raises(Conflict) as e:
        answers.sign_up(actor_for(v.user), call)
    assert e.value.code == "clash" and "1号点" in str(e.value.message) and rnd.name in str(e.value.message)
    assert not Assignment.objects.filter(call=call, volunteer=v).exists()
    with pytest.raises(Conflict) as e:  # nor be assigned by staff
        vol_calls.assign(actor_for(world.users.staff), call, v)
    assert e.value.code == "clash" and v.name in str(e.value.message)
    later = _call(world, hours=9)  # after the round's end: free
    assert answers.sign_up(actor_for(v.user), later).status == "confirmed"


def test_answering_again_after_cancelling_checks_the_table_too(world, system, make_volunteer):
    v = make_volunteer(1)
    call = _call(world)
    a = answers.sign_up(actor_for(v.user), call)
    answers.cancel(actor_for(v.user), a)
    rnd, point = _round(world, system)
    planning.assign_sampler(system, rnd, point, v.user, 1)
    with pytest.raises(Conflict) as e:
        answers.sign_up(actor_for(v.user), call)
    assert e.value.code == "clash"


def test_promotion_skips_a_sampler_and_says_so(world, system, make_volunteer, client):
    first, sampler, third = make_volunteer(1), make_volunteer(2), make_volunteer(3)
    call = _call(world, slots=1)
    answers.sign_up(actor_for(first.user), call)
    assert answers.sign_up(actor_for(sampler.user), call).status == "waitlisted"
    assert answers.sign_up(actor_for(third.user), call).status == "waitlisted"
    rnd, point = _round(world, system)
    planning.assign_sampler(system, rnd, point, sampler.user, 1)  # given a table after answering
    client.force_login(world.users.staff)
    r = client.post(reverse("volunteers_call_slots", args=[call.id]), {"slots": "2"}, follow=True)
    assert Assignment.objects.get(call=call, volunteer=sampler).status == "waitlisted"
    assert Assignment.objects.get(call=call, volunteer=third).status == "confirmed"
    page = r.content.decode()
    assert sampler.name in page and "1号点" in page  # the staff member is told who was passed over
    assert AuditEvent.objects.filter(action="call.promote_skip", target_id=call.id).count() == 1
    # a place freed by a volunteer: the sampler is passed over again, never promoted
    answers.cancel(actor_for(first.user), Assignment.objects.get(call=call, volunteer=first))
    assert Assignment.objects.get(call=call, volunteer=sampler).status == "waitlisted"


def test_a_table_is_refused_to_someone_holding_a_call_place_then(world, system, make_volunteer):
    v = make_volunteer(1)
    call = _call(world)
    answers.sign_up(actor_for(v.user), call)
    rnd, point = _round(world, system)
    with pytest.raises(Invalid) as e:
        planning.assign_sampler(system, rnd, point, v.user, 1)
    assert call.title in str(e.value.fields["volunteer"][0])
    from fangkong.screening.models import Sampler

    assert not Sampler.objects.filter(round=rnd, user=v.user).exists()
    answers.cancel(actor_for(v.user), Assignment.objects.get(call=call, volunteer=v))
    assert planning.assign_sampler(system, rnd, point, v.user, 1).table == 1
