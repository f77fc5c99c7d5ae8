"""The log's filters read indexes, on SQLite and PostgreSQL (there with sequential scans
off: the plan must have an index to take, whatever the statistics of a small table say)."""

import pytest
from django.db import connection

from fangkong.audit import disclosure, filters, queries
from fangkong.audit.models import Named
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def scope(world):
    disclosure.record_phones(actor_for(world.users.staff), [world.xia, world.su], "list:1")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
    return actor_for(world.users.district).scope


def test_the_log_by_resident_reads_the_named_index_and_the_target_index(world, scope):
    flt = filters.read(scope, {"resident": str(world.xia.id)})
    named = (Named.objects.filter(kind="resident", object_id=world.xia.id).order_by("-event_id")
             .values_list("event_id", flat=True)[:queries.MAX_NAMED])
    assert "audit_named_idx" in named.explain()
    plan = queries.events(scope, flt)[:50].explain()
    assert "audit_target_idx" in plan, plan
    assert len(queries.events(scope, flt)) == 2  # the list, and her being added


def test_the_log_by_account_reads_the_account_index(world, scope):
    flt = filters.read(scope, {"actor": str(world.users.staff.id)})
    plan = queries.events(scope, flt)[:50].explain()
    assert "audit_actor_at_idx" in plan, plan
