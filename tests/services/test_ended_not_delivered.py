"""A batch with a door not delivered is not "delivered" (found on a phone: "已送达 24 户" and
the run's "共24户，还剩0户" while an exception was open). Once no door is left the pages, the
manifest and the API say "配送结束，1 户未送达" — unfinished work ("待处理") while its
exception is open — and "已全部送达" only when every door got its goods (a door delivered
after all counts as delivered)."""

import uuid

from django.test import Client
from django.utils import timezone

from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Batch, Problem, Run, Stop
from tests.conftest import actor_for


def carried_with_one_door_failed(w, svc):
    staff = actor_for(w.users.staff)
    for hh in (w.hh101, w.hh102):
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    delivery.confirm_stop(vol, Stop.objects.get(household=w.hh101), delivered=True, client_id=uuid.uuid4())
    delivery.confirm_stop(vol, Stop.objects.get(household=w.hh102), delivered=False, client_id=uuid.uuid4(),
                          reason="敲门无人应答")
    return batch, run


def texts(w, batch, run):
    c = Client()
    c.force_login(w.users.staff)
    place = c.get(f"/services/p/{w.community.id}/").content.decode()
    row = place.split('id="batches"', 1)[1].split("</li>", 1)[0]
    return (row, c.get(f"/services/batches/{batch.id}/").content.decode(),
            c.get(f"/services/runs/{run.id}/").content.decode(),
            c.get(f"/services/batches/{batch.id}/manifest/").content.decode(),
            c.get(f"/api/v1/services/batches/{batch.id}").json(), c.get(f"/api/v1/services/runs/{run.id}").json())


def test_a_batch_with_a_door_not_delivered_says_so_everywhere_and_waits_to_be_settled(world, svc):
    w = world
    batch, run = carried_with_one_door_failed(w, svc)
    assert Batch.objects.get().state == "done" and Run.objects.get().state == "done"  # every door confirmed
    row, batch_page, run_page, manifest, api_batch, api_run = texts(w, batch, run)
    ended = "配送结束，1 户未送达"
    assert ended in row and "待处理" in row and "已送达" not in row
    assert ended in batch_page and ended in manifest
    assert ended in run_page and "还剩 0 户" not in run_page.split('id="run-status"')[1].split("</p>")[0]
    for out in (api_batch, api_run):
        assert (out["state"], out["not_delivered"], out["unresolved"], out["outcome"]) == ("done", 1, 1, ended)

    # staff settle it without a delivery (the family moved to a relative's): still not delivered, not unfinished
    staff = actor_for(w.users.staff)
    delivery.resolve_problem(staff, Problem.objects.get(), resolution="住户已去亲戚家，退款")
    row, *_rest, api_batch, _api_run = texts(w, batch, run)
    assert ended in row and "待处理" not in row
    assert (api_batch["not_delivered"], api_batch["unresolved"]) == (1, 0)


def test_a_door_delivered_after_all_makes_the_batch_delivered_to_every_door(world, svc):
    w = world
    batch, run = carried_with_one_door_failed(w, svc)
    delivery.resolve_problem(actor_for(w.users.staff), Problem.objects.get(), resolution="晚上补送",
                             delivered=True)
    row, batch_page, run_page, _manifest, api_batch, api_run = texts(w, batch, run)
    assert "已全部送达" in row and "待处理" not in row and "已全部送达" in batch_page and "已全部送达" in run_page
    assert (api_batch["not_delivered"], api_run["outcome"]) == (0, "已全部送达")
