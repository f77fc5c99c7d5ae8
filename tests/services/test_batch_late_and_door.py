"""A supply evening as the family lives it (walk_family 1 and 2): the demo's 美特好超市 batch,
due at the gate at 15:30 for 24 sealed households, had not come at 22:10 — the family's page
said "已晚点", but no inbox had a word and the grid worker's panel read "待到货"; a door
delivered at last told the family nothing; and a family cancelled an order after the gate
had counted its goods, the lines vanished from the batch, and nobody was told."""

import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Invalid
from fangkong.notify.models import Notification
from fangkong.services.actions import arrival, delivery, handoff, orders
from fangkong.services.actions.batch_late import escalate_late_batches, late_after
from fangkong.services.models import Batch, Line, Order, Stop
from fangkong.services.tasks import recover_services
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


def _batch(w, svc, due_at, homes):
    staff = actor_for(w.users.staff)
    placed = [orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
              for hh in homes]
    return handoff.create_batch(staff, svc.supplier, svc.gate, due_at=due_at, team=svc.team), placed


def _said(user, key_part):
    return list(Notification.objects.filter(user=user, key__contains=key_part).order_by("id"))


def test_a_batch_late_at_the_gate_is_told_once_to_the_gate_the_grid_the_supplier_and_the_family(world, svc):
    w = world
    due = timezone.now() - late_after() - datetime.timedelta(minutes=5)
    batch, _placed = _batch(w, svc, due, [w.hh101, w.hh102])
    on_time, _p = _batch(w, svc, timezone.now() - datetime.timedelta(minutes=5), [w.hh101])  # 5 min: not yet
    assert escalate_late_batches() == 1
    assert escalate_late_batches() == 0  # once: a second pass tells nobody again
    assert AuditEvent.objects.filter(action="services.batch.late").count() == 1
    (gate,) = _said(svc.vol_user, f"services.batch.{batch.id}.late")  # the team on duty
    assert gate.title.startswith("晚点：美特好超市 原定") and "东门，至今未到" in gate.title, gate.title
    assert "共 2 户的物资" in gate.body and gate.url == f"/services/batches/{batch.id}/"
    assert _said(w.users.grid, f"services.batch.{batch.id}.late")  # the households' grid worker
    assert _said(w.users.staff, f"services.batch.{batch.id}.late")
    (sup,) = _said(w.users.supplier, f"services.batch.{batch.id}.late")
    assert "请致电社区说明何时送到" in sup.body and sup.url == "/supplier/"
    (fam,) = _said(w.users.resident, f"services.batch.{batch.id}.late")  # the family of 101
    assert fam.title == "您从美特好超市订的物资晚点了" and "到达后会送到您家门口" in fam.body
    assert not Notification.objects.filter(key__contains=f"services.batch.{on_time.id}.late").exists()
    assert not _said(w.users.other_staff, "late")  # another community: nothing
    # the panel and the batch's own page say late, with the warning badge, in the one wording
    c = Client()
    c.force_login(w.users.grid)
    panel = c.get(f"/services/p/{w.grid.id}/").content.decode()
    row = panel.split('id="batches"', 1)[1].split("</ul>", 1)[0]
    assert "已晚点：原定" in row and "尚未到卡口" in row and 'badge warn' in row, row
    api = c.get(f"/api/v1/services/batches/{batch.id}").json()
    assert api["state_text"].startswith("已晚点：原定")
    # said to have arrived, it is no longer late, and nothing more is sent
    arrival.arrived(actor_for(w.users.supplier), on_time)
    assert not Batch.objects.get(pk=on_time.pk).is_late


def test_the_worker_pass_runs_it(world, svc):
    w = world
    batch, _p = _batch(w, svc, timezone.now() - late_after() - datetime.timedelta(minutes=1), [w.hh101])
    out = recover_services(type("Live", (), {"now": timezone.now()})())
    assert out["services_batches_late"] == 1
    assert Batch.objects.get(pk=batch.pk).late_told_at is not None


def test_a_door_delivered_tells_the_family_once(world, svc):
    w = world
    batch, _p = _batch(w, svc, timezone.now(), [w.hh101])
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    handoff.split(actor_for(w.users.staff), batch, teams=[svc.team])
    stop = Stop.objects.get(household=w.hh101)
    cid = uuid.uuid4()
    delivery.confirm_stop(vol, stop, delivered=True, client_id=cid)
    delivery.confirm_stop(vol, stop, delivered=True, client_id=cid)  # the phone's queue again
    (told,) = _said(w.users.resident, f"services.stop.{stop.id}.delivered")
    assert told.title == "您从美特好超市订的物资已送到门口" and "请尽快取回" in told.body
    assert told.url == f"/services/households/{w.hh101.id}/#orders"


@pytest.mark.parametrize("at_gate", ["arrived", "checking"])
def test_an_order_cannot_be_cancelled_once_its_goods_are_at_the_gate(world, svc, at_gate):
    w = world
    batch, (order,) = _batch(w, svc, timezone.now(), [w.hh101])
    if at_gate == "arrived":
        arrival.arrived(actor_for(svc.vol_user), batch)
    else:
        line = Line.objects.get(order=order)
        handoff.check_line(actor_for(svc.vol_user), line, "received", received=line.quantity)
        assert Batch.objects.get(pk=batch.pk).state == Batch.State.CHECKING
    family = Client()
    family.force_login(w.users.resident)
    url = f"/services/households/{w.hh101.id}/"
    page = family.get(url).content.decode()
    row = page.split('id="orders"', 1)[1].split("</ul>", 1)[0]
    assert 'value="cancel"' not in row and "物资已到卡口：不能再取消订单" in row, row
    family.post(url, {"do": "cancel", "order": order.id, "confirm": "1"})
    with pytest.raises(Invalid):
        orders.cancel_order(actor_for(w.users.resident), Order.objects.get(pk=order.pk))
    r = Client()
    r.force_login(w.users.staff)
    api = r.post(f"/api/v1/services/orders/{order.id}/cancel")
    assert api.status_code == 400 and "物资已到卡口" in api.json()["error"]["message"]
    assert Order.objects.get(pk=order.pk).state == Order.State.IN_BATCH
    assert Line.objects.filter(order=order).count() == 1  # the counted lines stay in the batch
