"""The world fixture's copy (tests/world_snapshot.py) gives each test what the actions built:
the same rows, fresh objects, and nothing a test before it changed."""

import pytest
from django.db import transaction
from django.utils import timezone

from fangkong.registry.models import Resident
from tests import world_snapshot
from tests.conftest import build_world

pytestmark = pytest.mark.django_db


def _all_rows():
    return {t: sorted(map(repr, world_snapshot._rows(t)[1])) for t in world_snapshot._tables()}


class _Undo(Exception):
    pass


def _in_savepoint(fn):
    """fn() inside a savepoint rolled back after it: each call starts from the same database."""
    out = []
    try:
        with transaction.atomic():
            out.append(fn())
            raise _Undo
    except _Undo:
        pass
    return out[0]


def test_the_copy_holds_the_rows_the_actions_wrote_and_builds_nothing(system):
    key = "test-world-copy"
    world_snapshot._snaps.pop(key, None)
    builds = []

    def build(system):
        builds.append(1)
        return build_world(system)

    first = _in_savepoint(lambda: world_snapshot.copied(key, build, system))  # a new shape: built
    built = _in_savepoint(lambda: (world_snapshot.copied(key, build, system), _all_rows()))
    assert len(builds) == 2
    copy = _in_savepoint(lambda: (world_snapshot.copied(key, build, system), _all_rows()))
    assert len(builds) == 2, "the third time is a copy"
    assert copy[1] == built[1]
    assert sum(len(rows) for rows in copy[1].values()) > 100
    assert copy[0].su.id == built[0].su.id and copy[0].su.name == first.su.name == "苏霞"
    assert copy[0].users.staff.username == "staff_a" and copy[0].su is not built[0].su


def test_a_patched_clock_builds_through_the_actions(system, monkeypatch):
    key = "test-world-clock"
    builds = []

    def build(system):
        builds.append(1)
        return build_world(system)

    for _ in range(3):
        _in_savepoint(lambda: world_snapshot.copied(key, build, system))
    assert len(builds) == 2  # the third was a copy
    monkeypatch.setattr(timezone, "now", lambda: timezone.datetime(2022, 4, 10, 23, tzinfo=timezone.UTC))
    w = _in_savepoint(lambda: (world_snapshot.copied(key, build, system)))
    assert len(builds) == 3
    assert w.su.name == "苏霞"


def test_a_test_that_changes_the_world(world):
    Resident.objects.filter(pk=world.su.pk).update(name="改过的名字")
    world.su.name = "改过的名字"
    Resident.objects.filter(pk=world.yu.pk).delete()


def test_the_next_test_gets_the_world_as_built(world):
    assert world.su.name == "苏霞"
    assert Resident.objects.get(pk=world.su.pk).name == "苏霞"
    assert world.hh101.residents.count() == 2
