"""A door of which nothing came through the gate is not a delivery stop (found on the gate
walk: 大米 5kg × 1 came 0 of 1, and the run still sent a volunteer up six floors to a stop
whose main button was 已送达, counted in "共 27 户"). Splitting leaves it out, its order stays
a problem for staff, the batch page names it to be told; a stop of it is never confirmed
delivered."""

import uuid

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.core.errors import Invalid
from fangkong.services import queries
from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Order, Stop
from tests.conftest import actor_for


def test_a_door_of_which_nothing_came_gets_no_stop(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    empty = orders.place_order(staff, w.hh101, svc.supplier, [(svc.rice.id, 1)], client_id=uuid.uuid4())
    full = orders.place_order(staff, w.hh102, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    lines = {ln.order_id: ln for ln in queries.batch_lines(batch)}
    handoff.check_line(vol, lines[empty.id], "short", received=0)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="王师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    assert list(Stop.objects.filter(run=run).values_list("household_id", flat=True)) == [w.hh102.id]
    assert Order.objects.get(pk=empty.id).state == Order.State.PROBLEM
    assert Order.objects.get(pk=full.id).state == Order.State.OUT
    c = Client()
    c.force_login(w.users.staff)
    page = c.get(f"/services/batches/{batch.id}/").content.decode()
    assert 'id="nothing-came"' in page and "101" in page.split('id="nothing-came"')[1].split("</p>")[0]

    # a stop for such a door (made before, or by hand) is never confirmed delivered
    stray = Stop(run=run, household=w.hh101, position=9)
    stray.copy_levels(w.hh101)
    stray.save()
    with pytest.raises(Invalid) as e:
        delivery.confirm_stop(vol, stray, delivered=True, client_id=uuid.uuid4())
    assert "delivered" in e.value.fields
    stray.refresh_from_db()
    assert stray.state == Stop.State.PENDING
