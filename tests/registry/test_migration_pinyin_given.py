"""Review (finding 1): migration 0011 added `pinyin_given` NOT NULL without a database
default and filled every resident inside the same transaction that holds the table's
ACCESS EXCLUSIVE lock — the site stopped while it ran, and the old app servers still
running during an upgrade (docs/deployment.md, "Upgrades with migrations", step 3) failed
every resident INSERT. Now: 0011 adds the column with a database default and no index,
0012 fills it in committed batches, 0013 builds the index (CONCURRENTLY on PostgreSQL).
Forward and backward, on SQLite and PostgreSQL."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from fangkong.core.text import given_key
from fangkong.registry import pinyin_fill

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE, ADDED, FILLED = "0010_place_duty_phone", "0011_resident_pinyin_given", "0012_fill_pinyin_given"


@pytest.fixture
def migrations(settings):
    """The real migrations (the suite builds its database without them, `--no-migrations`):
    the test database's schema is the models', so every migration is recorded as applied
    first, and the records are taken away again after. Other apps' migrations that come
    after registry's `BEFORE` are recorded unapplied meanwhile, never run (`_migrate`)."""
    settings.MIGRATION_MODULES = {}
    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    had = recorder.applied_migrations()
    added = [k for k in MigrationLoader(connection).graph.nodes if k not in had]
    for app, name in added:
        recorder.record_applied(app, name)
    plan = MigrationExecutor(connection).migration_plan([("registry", BEFORE)])
    faked = [(m.app_label, m.name) for m, _backwards in plan if m.app_label != "registry"]
    for app, name in faked:
        recorder.record_unapplied(app, name)
    yield
    for app, name in faked:
        recorder.record_applied(app, name)
    for app, name in added:
        recorder.record_unapplied(app, name)


def _migrate(target):
    """Registry's own migrations run to `target` (None: its latest), really, either way. The
    other apps' later migrations are out of the plan (recorded unapplied by `migrations`,
    their tables left standing, as during a real upgrade; nothing of theirs touches the
    column these steps change): unapplying and applying all of them again made this the
    suite's longest test (160 s on a busy machine)."""
    ex = MigrationExecutor(connection)
    ex.migrate([("registry", target)] if target else ex.loader.graph.leaf_nodes("registry"))
    ex.loader.build_graph()
    return ex.loader.project_state(("registry", target)).apps if target else None


def _columns():
    with connection.cursor() as cur:
        return {c.name for c in connection.introspection.get_table_description(cur, "registry_resident")}


def _indexes():
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, "registry_resident")
    return {name for name, c in found.items() if c["columns"] == ["pinyin_given"] and c["index"]}


def _keys():
    with connection.cursor() as cur:
        cur.execute("SELECT name, pinyin_given FROM registry_resident ORDER BY id")
        return dict(cur.fetchall())


def test_the_upgrade_keeps_old_code_working_and_goes_both_ways(migrations, world):
    try:
        old = _migrate(BEFORE).get_model("registry", "Resident")  # the old code's model: no such field
        assert "pinyin_given" not in _columns()  # backward through 0013, 0012 and 0011
        _migrate(ADDED)
        # an old app server still running adds a person (its INSERT leaves the column out)
        row = old.objects.filter(pk=world.su.pk).values().get()
        row = {**{k: v for k, v in row.items() if k != "id"},
               "name": "吕保国", "id_hash": None, "id_tail": "", "token": "oldservertoken0001"}
        old.objects.create(**row)
        assert "pinyin_given" not in row
        assert _keys()["吕保国"] == "" and _keys()["苏霞"] == "" and not _indexes()
        _migrate(FILLED)
        keys = _keys()
        assert keys["吕保国"] == "baoguolv" and keys["苏霞"] == given_key("苏霞"), keys
        assert not _indexes()
        _migrate(None)  # the index, last
        names = _indexes()
        assert names and (len(names) == 2) == (connection.vendor == "postgresql"), names
        if connection.vendor == "postgresql":
            assert any(n.endswith("_like") for n in names)
            with connection.cursor() as cur:
                cur.execute("SELECT bool_and(indisvalid) FROM pg_index i JOIN pg_class c ON c.oid = "
                            "i.indexrelid WHERE c.relname = ANY(%s)", [list(names)])
                assert cur.fetchone()[0] is True
    finally:
        _migrate(None)
    assert "pinyin_given" in _columns()


def test_no_step_holds_the_table_and_the_state_matches_the_model(migrations):
    graph = MigrationLoader(connection).graph
    # the fill and the index run outside one transaction (each batch is committed alone)
    assert graph.nodes[("registry", FILLED)].atomic is False
    assert graph.nodes[("registry", "0013_resident_pinyin_given_index")].atomic is False
    out = io.StringIO()
    call_command("sqlmigrate", "registry", ADDED, stdout=out)
    sql = out.getvalue()
    assert "DEFAULT ''" in sql and "DROP DEFAULT" not in sql, sql
    assert not [line for line in sql.splitlines() if "INDEX" in line and "pinyin_given" in line], sql
    if connection.vendor == "postgresql":
        out = io.StringIO()
        call_command("sqlmigrate", "registry", "0013_resident_pinyin_given_index", stdout=out)
        assert out.getvalue().count("CREATE INDEX CONCURRENTLY") == 2, out.getvalue()
    call_command("makemigrations", "registry", "--check", "--dry-run", stdout=io.StringIO())


def test_a_refill_writes_only_rows_that_differ(world):
    with connection.cursor() as cur:
        cur.execute("UPDATE registry_resident SET pinyin_given = 'stale' WHERE id = %s", [world.su.pk])
        cur.execute("UPDATE registry_resident SET pinyin_given = '' WHERE id = %s", [world.yu.pk])
    assert pinyin_fill.fill(connection) == 1  # the blank one
    assert pinyin_fill.fill(connection, only_blank=False, batch=2) == 1  # the stale one
    with connection.cursor() as cur:  # renamed by an old server during the upgrade
        cur.execute("UPDATE registry_resident SET pinyin_given = 'stale' WHERE id = %s", [world.su.pk])
    out = io.StringIO()
    call_command("fill_pinyin_given", stdout=out)
    assert out.getvalue().startswith("1 ")
    keys = _keys()
    assert keys["苏霞"] == given_key("苏霞") and keys["于海涛"] == given_key("于海涛")
