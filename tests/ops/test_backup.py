"""A backup restores into an empty database with every table equal, row for row.

The source is the whole demo (registry, volunteers, rounds, audit trail, messages) plus an
import (binary file column) and a self-reported antigen result with its photo (a file on
disk). The restore runs as an administrator runs it — `manage.py restore` in a process of
its own against a new, empty database — and both databases are then read with the
database driver itself and compared table by table, row by row.
"""

import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from fangkong.core import pii
from fangkong.demo import driver as demo
from fangkong.ops.backup import key_fingerprint
from fangkong.registry.importer import confirm_import, start_import
from fangkong.registry.models import Kind, Place, Resident
from fangkong.screening.actions import antigen as antigen_actions
from tests.conftest import actor_for
from tests.fault.harness import drop_database as drop
from tests.registry.test_import import new_id, person, xlsx_bytes

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def recorded_migrations(db, settings):
    """The suite builds its database without migrations; a real site has its migrations
    recorded (the copy restore checks the backup's against the code's)."""
    from django.db.migrations.recorder import MigrationRecorder

    from fangkong.ops.backup import applied_migrations_on_disk

    settings.MIGRATION_MODULES = {}  # see the real migration files (pytest-django hides them)
    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    have = recorder.applied_migrations()
    for name in applied_migrations_on_disk():
        app, migration = name.split(".", 1)
        if (app, migration) not in have:
            recorder.record_applied(app, migration)


def fill():
    """The demo, an import and a cassette photo."""
    from fangkong.accounts.models import User
    from fangkong.screening.models import Round
    from tests.screening.photos import png

    demo.build(seed=1)
    staff = User.objects.get(username="staff_guangming")
    community = Place.objects.get(kind=Kind.COMMUNITY, name="光明社区")
    rows = [person(i, f"导入{i}", new_id(900 + i), f"{700 + i}", compound="导入小区") for i in range(5)]
    job = start_import(actor_for(staff), community, "roster.xlsx", xlsx_bytes(rows))
    confirm_import(actor_for(staff), job, job.summary["digest"])
    resident_user = User.objects.get(username="resident_demo")
    household = resident_user.memberships.get().household
    rnd = Round.objects.get(community_id=community.id, kind="antigen")
    who = household.residents.order_by("id").first()
    antigen_actions.record_result(actor_for(resident_user), rnd, who, "negative", photo=png())


def database_url(name_suffix: str, folder: Path) -> str:
    """A new, empty database (PostgreSQL: next to the test database; SQLite: a file)."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'restored.sqlite3'}"
    import psycopg

    name = f"{db['NAME']}{name_suffix}"
    base = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def manage(url: str, var: Path, *args, env=None):
    env = {**os.environ, "DATABASE_URL": url, "FANGKONG_VAR_DIR": str(var), **(env or {})}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def rows_of(url: str) -> dict[str, tuple[list, list]]:
    """Every table's (column names, rows), read with the driver itself (no Django
    conversions), columns in name order (a migrated schema may order them otherwise than
    the suite's), rows sorted."""
    def read(names, columns_of, query):
        out = {}
        for n in names:
            cols = sorted(columns_of(n))
            listed = ", ".join(f'"{c}"' for c in cols)
            out[n] = (cols, sorted(query(f'SELECT {listed} FROM "{n}"'), key=repr))
        return out

    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                                "AND name NOT LIKE 'sqlite_%'")]
            return read(names, lambda n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')],
                        lambda q: conn.execute(q).fetchall())
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return read(names, lambda n: [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = %s", [n])], lambda q: conn.execute(q).fetchall())


def source_url() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# PostgreSQL: pg_dump's archive, and the COPY archive made where pg_dump is missing.
METHODS = ["pg_dump", "copy"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else ["auto"]


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_with_every_table_equal(
        tmp_path, settings, recorded_migrations):
    fill()
    before = rows_of(source_url())
    assert len(before["registry_resident"][1]) > 4000 and before["registry_importjob"][1]
    assert len(before["django_migrations"][1]) > 10
    media = Path(settings.MEDIA_ROOT)
    photos = sorted(p.relative_to(media) for p in media.rglob("*") if p.is_file())
    assert photos
    for method in METHODS:
        archive = tmp_path / f"backup-{method}.tar"
        call_command("backup", str(archive), method=method)
        assert archive.stat().st_mode & 0o777 == 0o600  # personal data: the owner only
        target = database_url("_restored", tmp_path / method)
        var = tmp_path / method / "var"
        try:
            out = manage(target, var, "restore", str(archive))
            assert out.returncode == 0, out.stderr[-3000:]
            assert f"({method if method != 'auto' else 'sqlite'})" in out.stdout

            after = rows_of(target)
            assert sorted(after) == sorted(before)
            for table in before:
                assert after[table] == before[table], (method, table)

            # the photos came back, byte for byte
            assert all((var / "media" / p).read_bytes() == (media / p).read_bytes()
                       for p in photos)

            # ID numbers stayed encrypted: the same ciphertext, readable with the same keys
            r = Resident.objects.exclude(id_enc="").order_by("id").first()
            cols, rows = after["registry_resident"]
            restored = {row[cols.index("id")]: row for row in rows}
            assert restored[r.id][cols.index("id_enc")] == r.id_enc
            assert len(pii.decrypt(r.id_enc)) == 18

            # restoring again, over data, is refused and changes nothing
            again = manage(target, var, "restore", str(archive))
            assert again.returncode != 0 and "数据库不是空的" in again.stderr  # (Chinese: the default)
            assert rows_of(target)["registry_resident"] == after["registry_resident"]
        finally:
            drop(target)


@pytest.mark.django_db(transaction=True)
def test_an_sqlite_backup_holds_no_id_number_in_clear(tmp_path, world, recorded_migrations):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite archive is plain pages; PostgreSQL's is compressed")
    archive = tmp_path / "backup.tar"
    call_command("backup", str(archive))
    raw = archive.read_bytes()
    from tests.conftest import IDS

    assert IDS["su_xia"].encode() not in raw
    assert world.su.id_enc.encode() in raw  # the ciphertext is what is kept


@pytest.mark.django_db(transaction=True)
def test_a_restore_with_other_keys_is_refused(tmp_path, world, recorded_migrations):
    archive = tmp_path / "backup.tar"
    call_command("backup", str(archive))
    with tarfile.open(archive) as tar:
        import json

        manifest = json.loads(tar.extractfile("fangkong-backup/manifest.json").read())
    assert manifest["keys"] == key_fingerprint()
    assert manifest["tables"]["registry_resident"] == 5

    target = database_url("_otherkeys", tmp_path)
    try:
        other = {"FANGKONG_FIELD_KEY": "b" * 43 + "=", "FANGKONG_HASH_KEY": "another-hash-key-of-the-right-length"}
        out = manage(target, tmp_path / "var", "restore", str(archive), env=other)
        assert out.returncode != 0
        assert "另一套加密密钥" in out.stderr
    finally:
        drop(target)
