"""Two tables at the same instant, on PostgreSQL (SQLite has a single writer)."""


import pytest
from django.db import connection

from fangkong.core.actor import Actor
from fangkong.screening.actions import planning, station, sync_writes
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Conflict, RoundCounter, Sample, Tube
from tests.conftest import at_once

from .conftest import cid

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
    pytest.mark.django_db(transaction=True),
]


def test_two_tables_scan_the_same_person_at_once(world, rnd):
    staff = Actor.system(world.users.staff)
    grid = Actor.system(world.users.grid)
    station.open_tube(staff, rnd, "TA001")
    station.open_tube(grid, rnd, "TB001")
    for _ in range(5):  # several attempts, each racing two tables for one person
        person = world.su if _ % 2 == 0 else world.yu
        Sample.objects.filter(resident=person).delete()
        Tube.objects.filter(round=rnd).update(count=0, state="open")
        out = at_once(
            lambda p=person: sync(staff, rnd, [{"client_id": cid(), "type": "scan",
                                                        "barcode": "TA001", "person": p.token}]),
            lambda p=person: sync(grid, rnd, [{"client_id": cid(), "type": "scan",
                                                       "barcode": "TB001", "person": p.token}]))
        statuses = sorted(o[0]["status"] for o in out)
        assert statuses == ["conflict", "ok"], out
        assert Sample.objects.filter(round=rnd, resident=person).count() == 1
        assert sum(Tube.objects.filter(round=rnd).values_list("count", flat=True)) == 1
    assert Conflict.objects.filter(round=rnd, kind="already_sampled").count() == 5


def test_two_stations_filling_one_tube_never_exceed_its_size(world, rnd, system):
    staff = Actor.system(world.users.staff)
    grid = Actor.system(world.users.grid)
    station.open_tube(staff, rnd, "TC001")  # pool size 3
    people_a = [world.su.token, world.yu.token]
    people_b = [world.xia.token, world.wang.token]
    out = at_once(
        lambda: sync(staff, rnd, [{"client_id": cid(), "type": "scan", "barcode": "TC001",
                                           "person": p} for p in people_a]),
        lambda: sync(grid, rnd, [{"client_id": cid(), "type": "scan", "barcode": "TC001",
                                          "person": p} for p in people_b]))
    results = [o for batch in out for o in batch]
    assert sorted(o["status"] for o in results) == ["conflict", "ok", "ok", "ok"]
    assert [o["kind"] for o in results if o["status"] == "conflict"] == ["tube_full"]
    tube = Tube.objects.get(round=rnd, barcode="TC001")
    assert tube.count == 3 == Sample.objects.filter(tube=tube).count()
    assert tube.state == "sealed"
    assert RoundCounter.objects.get(round=rnd, community_id=world.community.id).sampled == 3


def test_single_scans_racing_for_the_last_place(world, rnd):
    staff = Actor.system(world.users.staff)
    grid = Actor.system(world.users.grid)
    station.open_tube(staff, rnd, "TD001", capacity=1)
    out = at_once(
        lambda: station.scan(staff, rnd, client_id=cid(), barcode="TD001", person=world.su.token),
        lambda: station.scan(grid, rnd, client_id=cid(), barcode="TD001", person=world.yu.token))
    kinds = sorted("ok" if isinstance(o, dict) else o.code for o in out)
    assert kinds == ["ok", "tube_full"], out
    assert Tube.objects.get(barcode="TD001").count == 1


def test_single_scans_of_one_person_at_two_tables_register_once(world, rnd):
    staff = Actor.system(world.users.staff)
    grid = Actor.system(world.users.grid)
    station.open_tube(staff, rnd, "TE001")
    station.open_tube(grid, rnd, "TF001")
    for attempt in range(5):
        person = world.su if attempt % 2 == 0 else world.yu
        Sample.objects.filter(resident=person).delete()
        Tube.objects.filter(round=rnd).update(count=0, state="open")
        out = at_once(
            lambda p=person: station.scan(staff, rnd, client_id=cid(), barcode="TE001", person=p.token),
            lambda p=person: station.scan(grid, rnd, client_id=cid(), barcode="TF001", person=p.token))
        kinds = sorted("ok" if isinstance(o, dict) else o.code for o in out)
        assert kinds == ["already_sampled", "ok"], out
        assert Sample.objects.filter(round=rnd, resident=person).count() == 1
        assert sum(Tube.objects.filter(round=rnd).values_list("count", flat=True)) == 1


def test_four_single_scans_racing_for_three_places(world, rnd):
    actors = [Actor.system(u) for u in (world.users.staff, world.users.grid, world.users.staff,
                                        world.users.grid)]
    station.open_tube(actors[0], rnd, "TG001")  # pool size 3
    people = [world.su, world.yu, world.xia, world.wang]
    out = at_once(*[lambda a=a, p=p: station.scan(a, rnd, client_id=cid(), barcode="TG001",
                                                    person=p.token)
                      for a, p in zip(actors, people, strict=True)])
    kinds = sorted("ok" if isinstance(o, dict) else o.code for o in out)
    assert kinds in (["ok", "ok", "ok", "tube_full"], ["ok", "ok", "ok", "tube_sealed"]), out
    tube = Tube.objects.get(round=rnd, barcode="TG001")
    assert tube.count == 3 == Sample.objects.filter(tube=tube).count()
    assert tube.state == "sealed" and tube.sealed_at is not None
    assert RoundCounter.objects.get(round=rnd, community_id=world.community.id).sampled == 3


def test_two_batches_copied_at_once_register_a_shared_person_once(world, rnd, monkeypatch):
    """Batches go straight into the table by COPY; when two collide on one person, the
    later one falls back to ON CONFLICT and gets a conflict for that person only."""
    monkeypatch.setattr(sync_writes, "COPY_AFTER", 0)
    staff = Actor.system(world.users.staff)
    grid = Actor.system(world.users.grid)
    rnd.pool_size = 10
    rnd.save(update_fields=["pool_size"])
    for _ in range(3):
        Sample.objects.filter(round=rnd).delete()
        Tube.objects.filter(round=rnd).delete()
        Conflict.objects.filter(round=rnd).delete()

        def batch(actor, code, people):
            return lambda: sync(actor, rnd, [
                {"client_id": cid(), "type": "open", "barcode": code},
                *({"client_id": cid(), "type": "scan", "barcode": code, "person": p.token}
                  for p in people)])

        out = at_once(batch(staff, "CA001", [world.su, world.xia]),
                        batch(grid, "CB001", [world.su, world.yu]))
        assert not any(isinstance(o, Exception) for o in out), out
        su = sorted(o[1]["status"] for o in out)
        assert su == ["conflict", "ok"], out
        assert [o[2]["status"] for o in out] == ["ok", "ok"], out
        assert Sample.objects.filter(round=rnd, resident=world.su).count() == 1
        assert Sample.objects.filter(round=rnd).count() == 3
        assert sum(Tube.objects.filter(round=rnd).values_list("count", flat=True)) == 3


def test_a_recount_at_the_same_instant_as_registrations_loses_none(world, rnd):
    """`counters.recount` locks the community's counter before counting: a registration in
    flight is either counted by it or adds itself afterwards, never lost or counted twice."""
    from fangkong.screening import counters, figures

    staff = Actor.system(world.users.staff)
    grid = Actor.system(world.users.grid)
    planning.add_exemption(staff, rnd, world.wang, "other", "出差")
    for attempt in range(4):
        Sample.objects.filter(round=rnd).delete()
        Tube.objects.filter(round=rnd).delete()
        counters.recount(rnd)
        station.open_tube(staff, rnd, f"TR{attempt}A")
        station.open_tube(grid, rnd, f"TR{attempt}B")
        at_once(
            lambda: counters.recount(rnd),
            lambda a=attempt: station.scan(staff, rnd, client_id=cid(), barcode=f"TR{a}A",
                                           person=world.wang.token),
            lambda a=attempt: sync(grid, rnd, [{"client_id": cid(), "type": "scan",
                                                        "barcode": f"TR{a}B", "person": p.token}
                                                       for p in (world.su, world.yu)]))
        exact = figures.coverage(rnd, world.community)
        c = RoundCounter.objects.get(round=rnd, community_id=world.community.id)
        assert (c.expected, c.sampled, c.exempt) == (exact["expected"], exact["sampled"], exact["exempt"]) \
            == (4, 3, 0), attempt
