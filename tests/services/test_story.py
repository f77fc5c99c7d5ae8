"""The 15:30 story end to end: 300 households order; one batch arrives at the east gate
with two lines short and one substituted; the team on duty checks it and both sides sign;
it splits into 8 runs (one per building, doors in carrying order); every door is confirmed
through the API (retries answer the same); one door is not delivered and that exception
is resolved; amounts owed are totalled and exported."""

import io
import uuid

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.core.actor import Actor
from fangkong.services import delivery_queries, queries
from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Batch, Line, Order, Problem, Run, Stop
from tests.conftest import actor_for
from tests.services.conftest import households


def test_the_1530_handoff_from_300_orders_to_every_door(world, svc):
    w = world
    grid = actor_for(w.users.grid)
    hhs = households(w, 300)
    for n, h in enumerate(hhs):
        lines = [(svc.veg.id, 1)] + ([(svc.eggs.id, 2)] if n % 3 == 0 else [])
        orders.place_order(grid, h, svc.supplier, lines, client_id=uuid.UUID(int=n + 1))
    # a retry of the same order (the phone sent it twice) places nothing more
    orders.place_order(grid, hhs[0], svc.supplier, [(svc.veg.id, 1)], client_id=uuid.UUID(int=1))
    assert Order.objects.filter(supplier=svc.supplier).count() == 300

    staff = actor_for(w.users.staff)
    today_1530 = timezone.localtime().replace(hour=15, minute=30, second=0, microsecond=0)
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=today_1530, team=svc.team)
    assert batch.lines.count() == 300 + 100
    assert Order.objects.filter(batch=batch, state=Order.State.IN_BATCH).count() == 300

    # the supplier's login sees its batch; the volunteer of the team on duty checks it
    vol = actor_for(svc.vol_user)
    lines = list(queries.batch_lines(batch))
    eggs = [ln for ln in lines if ln.name.startswith("鸡蛋")]
    handoff.check_line(vol, eggs[0], "short", received=1)
    handoff.check_line(vol, eggs[1], "short", received=0)
    handoff.check_line(vol, lines[5], "substituted", substitute="蔬菜包（大）")
    assert handoff.receive_rest(vol, batch) == 400 - 3
    figures = queries.batch_figures(batch)
    assert (figures["received"], figures["short"], figures["substituted"], figures["pending"]) == (397, 2, 1, 0)
    assert Problem.objects.filter(batch=batch, resolved_at=None).count() == 3
    batch = handoff.sign(vol, batch, supplier_name="李师傅")
    assert batch.state == Batch.State.SIGNED and batch.checked_by == svc.vol_user

    runs = handoff.split(staff, batch, teams=[svc.team])
    assert len(runs) == 8
    assert handoff.split(staff, batch) == runs  # again: the same runs
    assert Stop.objects.filter(run__batch=batch).count() == 300
    first = delivery_queries.checklist(Actor.system(svc.vol_user).scope, runs[0])
    keys = [(s["household"].unit_id, s["household"].sort_key) for s in first]
    assert keys == sorted(keys)  # carrying order: unit, then floor and door
    assert first[0]["phone"]  # the carrier sees the phone while the run is open

    # every door through the API, as the phone's offline queue sends them (twice)
    client = Client()
    client.force_login(svc.vol_user)
    stops = list(Stop.objects.filter(run__batch=batch).order_by("id"))
    failed = stops[17]
    for s in stops:
        body = {"client_id": str(uuid.uuid5(uuid.NAMESPACE_URL, str(s.id))), "delivered": s != failed,
                "reason": "家中无人应答" if s == failed else ""}
        r = client.post(f"/api/v1/services/stops/{s.id}/confirm", body, content_type="application/json")
        assert r.status_code == 201, r.content
    again = client.post(f"/api/v1/services/stops/{stops[0].id}/confirm",
                        {"client_id": str(uuid.uuid5(uuid.NAMESPACE_URL, str(stops[0].id))), "delivered": True},
                        content_type="application/json")
    assert again.status_code == 200 and again.json()["state"] == "delivered"
    assert Stop.objects.filter(run__batch=batch, state="delivered").count() == 299
    assert Run.objects.filter(batch=batch, state="done").count() == 8
    batch.refresh_from_db()
    assert batch.state == Batch.State.DONE
    # the run is over: the volunteer no longer sees its doors
    assert client.get(f"/api/v1/services/runs/{runs[0].id}").status_code == 404

    # the exception comes back to staff, who resolve it
    open_problems = list(queries.problems(Actor.system(w.users.staff).scope, batch=batch))
    assert len(open_problems) == 4
    nd = next(p for p in open_problems if p.kind == "not_delivered")
    delivery.resolve_problem(staff, nd, resolution="晚上七点再次送达", delivered=True)
    assert Order.objects.get(batch=batch, household_id=failed.household_id).state == Order.State.DELIVERED
    assert queries.problems(Actor.system(w.users.staff).scope, batch=batch).count() == 3

    # amounts owed: Σ received × price (short lines count what came)
    owed = {r["household"]: r["amount"] for r in queries.owed(Actor.system(w.users.staff).scope, batch=batch)}
    assert len(owed) == 300
    h_short = eggs[0].household_id
    assert str(owed[h_short]) == "65.40"  # 39.90 + 1 × 25.50
    total = sum(owed.values())
    # a substitute at its own price; 价格待定 (no price known) not charged
    expected = sum((ln.received or 0) * (ln.charged_price or 0) for ln in Line.objects.filter(batch=batch))
    assert total == expected
    c = Client()
    c.force_login(w.users.staff)
    r = c.get(f"/services/batches/{batch.id}/owed.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content)).active
    rows = [x for x in ws.iter_rows(min_row=2, values_only=True) if x[0] and x[0] != "合计"]
    assert len(rows) == 300 and all(str(x[0]).startswith("光明小区 ") for x in rows)  # doors, not ids
    assert abs(sum(float(x[2]) for x in rows) - float(total)) < 0.001  # the amount column


def test_the_services_figures_for_reports(world, svc):
    """The provider the dashboards and nightly reports read: today's doors, open and overdue
    requests, open exceptions, per node (grouped by level)."""
    import datetime

    from fangkong.services.actions import requests
    from fangkong.services.figures import compute
    from fangkong.services.models import Category

    w = world
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1)])
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now())
    handoff.receive_rest(staff, batch)
    handoff.sign(staff, batch, supplier_name="李师傅")
    run = handoff.split(staff, batch)[0]
    a, b = run.stops.order_by("position")
    delivery.confirm_stop(staff, a, delivered=True, client_id=uuid.uuid4())
    delivery.confirm_stop(staff, b, delivered=False, client_id=uuid.uuid4(), reason="无人")
    requests.raise_request(staff, w.hh101, Category.objects.get(code="repair"), "门锁",
                           now=timezone.now() - datetime.timedelta(days=1))
    requests.raise_request(staff, w.hh201, Category.objects.get(code="rubbish"), "垃圾")
    got = compute([w.unit1, w.unit2], timezone.now())
    assert got[w.unit1.id] == {"doors_delivered": 1, "doors_missed": 1, "requests_open": 1,
                               "requests_overdue": 1, "exceptions_open": 1, "check_ins_due": 0,
                               "check_ins_done": 0, "check_ins_open": 0, "check_ins_no_answer": 0}
    assert got[w.unit2.id]["requests_open"] == 1 and got[w.unit2.id]["requests_overdue"] == 0
