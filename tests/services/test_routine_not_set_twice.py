"""The same routine disinfection is not set twice (found on the gate walk: 3号楼's 08:00 16:00
set again made two identical rows; pausing one left the other spraying, and the worker
believed it had stopped). A place with a routine running or paused at one of the times is
refused, the routine named; at other times, or once it ended, a new one is set."""

import pytest

from fangkong.core.errors import Invalid
from fangkong.services.actions import routines as rt
from fangkong.services.models import DisinfectionRoutine
from tests.conftest import actor_for


def test_a_routine_at_a_time_the_place_already_has_is_refused_and_named(world, svc):
    w, staff = world, actor_for(world.users.staff)
    first = rt.create(staff, w.building, times="08:00 16:00", team=svc.team)
    with pytest.raises(Invalid) as e:
        rt.create(staff, w.building, times="08:00 16:00", team=svc.team)
    said = e.value.fields["times"][0]
    assert w.building.name in said and "08:00 16:00" in said and "进行中" in said
    rt.pause(staff, first)
    with pytest.raises(Invalid):  # paused: still the one to resume, not a second
        rt.create(staff, w.building, times="16:00", team=svc.team)
    assert DisinfectionRoutine.objects.filter(place=w.building).count() == 1
    rt.create(staff, w.building, times="12:00", team=svc.team)  # another time: a routine of its own
    rt.end(staff, first)
    rt.create(staff, w.building, times="08:00 16:00", team=svc.team)  # ended: set again
    assert DisinfectionRoutine.objects.filter(place=w.building).exclude(state="ended").count() == 2
