"""A round past its planned end did not hold its sampler (weak spot of 2026-12): a round still
running past its planned end (`Round.overrun`: nobody ended it; its station still registers
the sampler, their home still lists the table) stopped counting in the one overlap rule the
minute its window closed — the sampler could answer a call starting now elsewhere, and be
given a table in it while holding a call place now (the check looked at a window already
over). Now such a round holds its samplers until someone ends it, both ways, and says so;
a finished round gives no table at all."""

import datetime

import pytest
from django.utils import timezone

from fangkong.core.errors import Conflict, Invalid
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import planning
from fangkong.screening.models import Round, RoundStatus, Sampler
from fangkong.volunteers.actions import answers
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for


def _overrun_round(world, system):
    """07:00–14:00 planned, it is past 14:00 and the round still runs."""
    now = timezone.now()
    rnd = planning.plan_round(system, world.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": now + datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=8), "pool_size": 10})
    point = planning.add_point(system, rnd, reg.create_place(system, world.community, Kind.SAMPLING_POINT, "1号点"), 2)
    Round.objects.filter(pk=rnd.pk).update(starts_at=now - datetime.timedelta(hours=8),
                                           ends_at=now - datetime.timedelta(hours=1), status=RoundStatus.RUNNING)
    rnd.refresh_from_db()
    assert rnd.overrun
    return rnd, point


def _call(world, hours=1):
    start = timezone.now() + datetime.timedelta(hours=hours)
    return vol_calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "door_check", "title": "1号点 采样辅助", "place": world.building.id,
        "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=3)).isoformat(),
        "slots": 2})


def test_a_round_running_past_its_end_still_holds_its_sampler(world, system, make_volunteer):
    v = make_volunteer(1)
    rnd, point = _overrun_round(world, system)
    Sampler.objects.create(round=rnd, point=point, user=v.user, table=1)  # given before its end
    call = _call(world)
    with pytest.raises(Conflict) as e:
        answers.sign_up(actor_for(v.user), call)
    assert e.value.code == "clash" and "已过计划结束时间" in str(e.value.message)
    assert not Assignment.objects.filter(call=call, volunteer=v).exists()
    with pytest.raises(Conflict) as e:  # nor be assigned by staff
        vol_calls.assign(actor_for(world.users.staff), call, v)
    assert e.value.code == "clash" and v.name in str(e.value.message)
    # ended: free at once
    planning.set_status(system, rnd, "closed")
    assert answers.sign_up(actor_for(v.user), call).status == "confirmed"


def test_a_table_in_a_round_past_its_end_checks_the_call_places_held_now(world, system, make_volunteer):
    v = make_volunteer(1)
    call = _call(world)
    answers.sign_up(actor_for(v.user), call)
    rnd, point = _overrun_round(world, system)
    with pytest.raises(Invalid) as e:
        planning.assign_sampler(system, rnd, point, v.user, 1)
    assert e.value.code == "clash"
    assert not Sampler.objects.filter(round=rnd).exists()


def test_a_finished_round_gives_no_table(world, system, make_volunteer):
    v = make_volunteer(1)
    rnd, point = _overrun_round(world, system)
    planning.set_status(system, rnd, "closed")
    with pytest.raises(Invalid) as e:
        planning.assign_sampler(system, rnd, point, v.user, 1)
    assert e.value.code == "round_closed"
    assert not Sampler.objects.filter(round=rnd).exists()
