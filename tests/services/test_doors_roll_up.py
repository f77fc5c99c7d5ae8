"""A household's delivery problems count at every level of the tree (found on a phone: the
building's services page said "no batches yet" and "异常 1" while that building's run was
being carried and the compound and community pages said 2 — a line damaged at the gate was
stored at the gate's level, so the building never counted it). Roll-up rule: a figure is
defined once and each level shows its part, building + building = compound."""

import importlib
import uuid

from django.apps import apps
from django.test import Client
from django.utils import timezone

from fangkong.registry.models import Kind
from fangkong.services import queries
from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Problem, Stop
from tests.conftest import actor_for
from tests.services.conftest import households


def carried(w, svc):
    """An order at 101 (building 1) and one in building 2; 101's vegetables come damaged at
    the gate; the batch is signed and split; building 2's door is not delivered."""
    staff = actor_for(w.users.staff)
    (hh2,) = households(w, 1, buildings=1)
    for hh in (w.hh101, hh2):
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1), (svc.rice.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    veg = queries.batch_lines(batch).get(household=w.hh101, name="蔬菜包")
    handoff.check_line(vol, veg, "damaged")
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    runs = handoff.split(staff, batch, teams=[svc.team])
    delivery.confirm_stop(vol, Stop.objects.get(household=hh2), delivered=False, client_id=uuid.uuid4(),
                          reason="敲门无人应答")
    return batch, runs, hh2


def test_a_households_problems_count_under_its_building_and_sum_to_the_compound(world, svc):
    w = world
    batch, runs, hh2 = carried(w, svc)
    scope = actor_for(w.users.staff).scope
    b2 = hh2.place.parent
    one, two = (queries.problems(scope, place=b).count() for b in (w.building, b2))
    assert (one, two) == (1, 1)
    assert one + two == queries.problems(scope, place=w.compound).count() \
        == queries.problems(scope, place=w.community).count() == 2
    damaged = Problem.objects.get(line__isnull=False)
    assert (damaged.building_id, damaged.unit_id) == (w.building.id, w.unit1.id)


def test_the_building_page_shows_the_batch_and_run_that_serve_its_households(world, svc):
    w = world
    batch, runs, _hh2 = carried(w, svc)
    run1 = next(r for r in runs if r.place_id == w.building.id)
    for user in (w.users.staff, w.users.leader):  # the building's leader too: his building's page
        c = Client()
        c.force_login(user)
        page = c.get(f"/services/p/{w.building.id}/").content.decode()
        assert "还没有到货批次" not in page, user
        assert "美特好超市 · 东门" in page and f'href="/services/runs/{run1.id}/"' in page
        assert "本楼 1 户" in page
        assert 'id="problems"' in page and page.count("蔬菜包") >= 1
    c = Client()
    c.force_login(w.users.leader)  # the batch hangs at the gate: not his to open, so not a link
    assert f'href="/services/batches/{batch.id}/"' not in c.get(f"/services/p/{w.building.id}/").content.decode()


def test_the_migration_gives_existing_problems_their_households_levels(world, svc):
    w = world
    carried(w, svc)
    gate = svc.gate
    Problem.objects.update(**{f: getattr(gate, f) for f in ("compound_id", "building_id", "unit_id")})
    assert not Problem.objects.filter(building_id=w.building.id).exists()
    migration = importlib.import_module("fangkong.services.migrations.0005_problem_levels_of_household")
    migration.household_levels(apps, None)
    assert Problem.objects.filter(building_id=w.building.id, unit_id=w.unit1.id).count() == 1
    assert Problem.objects.filter(building__isnull=True).count() == 0
    assert gate.kind == Kind.CHECKPOINT
