"""Backups: the whole database and the uploaded files in one archive, and back.

`manage.py backup [FILE]` writes a tar archive (mode 0600: it holds personal data):

    fangkong-backup/manifest.json     what, when, which database and migrations, rows per
                                      table, a fingerprint of the encryption keys
    fangkong-backup/database.pgdump   PostgreSQL, by pg_dump (custom format) when a pg_dump
                                      at least as new as the server is installed, or
    fangkong-backup/copy/<table>.bin  PostgreSQL without pg_dump: each table COPYed out
                                      (binary), in one snapshot
    fangkong-backup/database.sqlite3  SQLite, by SQLite's online backup API (consistent while
                                      the site runs)
    fangkong-backup/media/…           the uploaded files (cassette photos)

`manage.py restore FILE` loads it into an empty database (never over data) with the same
keys: ID numbers are stored encrypted and stay so — the archive holds the ciphertext, never
the keys (keep the secrets file or FANGKONG_FIELD_KEY / FANGKONG_HASH_KEY apart from the
backups), and a restore with other keys is refused, since nothing could be read. Every
table's row count is checked against the manifest afterwards.
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import subprocess  # nosec B404 -- runs only the PostgreSQL client tools (pg_dump, pg_restore) found by path, never a shell
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from fangkong.core.text import join_words

ROOT = "fangkong-backup"
FORMAT = 1

# How the database went into the archive, in words (the command's summary, /ops/).
METHODS = {
    "sqlite": gettext_lazy("the SQLite database, copied by SQLite's online backup"),
    "pg_dump": gettext_lazy("the PostgreSQL database, dumped by pg_dump"),
    "copy": gettext_lazy("the PostgreSQL database, copied table by table (COPY: pg_dump is "
                         "missing or older than the server)"),
}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


# --- what the database is -----------------------------------------------------------

def vendor() -> str:
    return connection.vendor


def tables() -> list[str]:
    with connection.cursor() as cur:
        return sorted(connection.introspection.table_names(cur))


def row_counts() -> dict[str, int]:
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        out = {}
        for t in tables():
            cur.execute(f"SELECT COUNT(*) FROM {qn(t)}")  # nosec B608 -- table names come from the database's own catalogue, quoted
            out[t] = cur.fetchone()[0]
        return out


def key_fingerprint() -> str:
    """Tells whether two installations share the keys, and nothing about them."""
    material = "\n".join([*settings.FANGKONG_FIELD_KEYS, settings.FANGKONG_HASH_KEY])
    return hashlib.sha256(b"fangkong-backup-keys\n" + material.encode()).hexdigest()[:16]


def applied_migrations() -> list[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{a}.{n}" for a, n in cur.fetchall()]


def _pg_env() -> dict:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _major(text: str) -> int:
    digits = "".join(c if c.isdigit() or c == "." else " " for c in text).split()
    return int(digits[0].split(".")[0]) if digits else 0


def pg_tool(name: str) -> str | None:
    """The path of pg_dump/pg_restore if it is installed and at least as new as the server."""
    path = shutil.which(name)
    if not path:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)  # nosec B603 -- a client tool found by path, fixed arguments
    except OSError:
        return None
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server = _major(cur.fetchone()[0])
    return path if _major(out.stdout) >= server else None


def contents(manifest: dict) -> str:
    """What an archive holds, each count with its noun: "62 database tables, 12,345 rows,
    1 uploaded file"."""
    tables = manifest.get("tables") or {}
    rows, files = sum(tables.values()), len(manifest.get("media") or [])

    def n(x):
        return number_format(x, force_grouping=True)

    return join_words([
        ngettext("%(n)s database table", "%(n)s database tables", len(tables)) % {"n": n(len(tables))},
        ngettext("%(n)s row", "%(n)s rows", rows) % {"n": n(rows)},
        ngettext("%(n)s uploaded file", "%(n)s uploaded files", files) % {"n": n(files)}])


def describe(manifest: dict, size: int | None = None) -> str:
    """An archive in words: "5.3 MB — 62 tables, 12,345 rows, 1 uploaded file; the SQLite
    database, copied by SQLite's online backup"."""
    method = str(METHODS.get(manifest.get("method"), manifest.get("method", "")))
    text = _("%(what)s; %(method)s") % {"what": contents(manifest), "method": method}
    if size is not None:
        text = _("%(size)s — %(rest)s") % {"size": megabytes(size), "rest": text}
    return text


def megabytes(size: int) -> str:
    return _("%(mb)s MB") % {"mb": f"{size / 1048576:.1f}"}


def latest(folder: Path | None = None) -> dict | None:
    """The newest archive `manage.py backup` wrote into the backups folder (var/backups, where
    fangkong-backup.timer writes): {"path", "at", "size", "manifest"}; the manifest's time,
    or the file's when it cannot be read. None when there is none."""
    folder = Path(folder or Path(settings.VAR_DIR) / "backups")
    if not folder.is_dir():
        return None
    archives = sorted(folder.glob("*.tar"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not archives:
        return None
    path = archives[0]
    stat = path.stat()
    manifest = {}
    try:
        with tarfile.open(path, "r:") as tar:
            first = tar.next()  # the manifest comes first: nothing else is read
            if first is not None and first.name == f"{ROOT}/manifest.json":
                manifest = json.loads(tar.extractfile(first).read())
    except (OSError, tarfile.TarError, ValueError):
        manifest = {}
    at = None
    if manifest.get("created_at"):
        try:
            at = datetime.datetime.fromisoformat(manifest["created_at"])
        except ValueError:
            at = None
    if at is None:
        at = datetime.datetime.fromtimestamp(stat.st_mtime, datetime.UTC)
    return {"path": str(path), "at": at, "size": stat.st_size, "manifest": manifest}


# --- backup ---------------------------------------------------------------------------

def backup(path: Path, *, method: str = "auto") -> dict:
    """Write the archive to `path`; returns its manifest. `method`: auto, pg_dump, copy
    (PostgreSQL) — SQLite always uses its backup API."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = vendor()
    if kind not in ("postgresql", "sqlite"):
        raise BackupError(_("Backups of a %(kind)s database are not supported.") % {"kind": kind})
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as tmp:
        tmp = Path(tmp)
        files: list[tuple[Path, str]] = []
        if kind == "sqlite":
            method = "sqlite"
            files.append((_sqlite_backup(tmp / "database.sqlite3"), "database.sqlite3"))
            counts = _counts_of_sqlite_file(tmp / "database.sqlite3")
        else:
            tool = pg_tool("pg_dump") if method in ("auto", "pg_dump") else None
            if method == "pg_dump" and tool is None:
                raise BackupError(_("pg_dump is not installed, or is older than the server: "
                                    "install the PostgreSQL client of the server's version, "
                                    "or use --method copy."))
            if tool:
                method = "pg_dump"
                counts = _pg_dump(tool, tmp / "database.pgdump")
                files.append((tmp / "database.pgdump", "database.pgdump"))
            else:
                method = "copy"
                counts, columns = _pg_copy_out(tmp / "copy")
                files += [(p, f"copy/{p.name}") for p in sorted((tmp / "copy").iterdir())]
        manifest = {
            "format": FORMAT, "created_at": timezone.now().isoformat(), "vendor": kind,
            "method": method, "migrations": applied_migrations(), "tables": counts,
            "keys": key_fingerprint(), "media": _media_files(),
        }
        if method == "copy":
            manifest["columns"] = columns
        partial = path.with_name(path.name + ".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(f"{ROOT}/manifest.json")
            info.size, info.mtime, info.mode = len(data), int(datetime.datetime.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            for src, name in files:
                tar.add(src, arcname=f"{ROOT}/{name}", recursive=False)
            media = Path(settings.MEDIA_ROOT)
            for rel in manifest["media"]:
                tar.add(media / rel, arcname=f"{ROOT}/media/{rel}", recursive=False)
        os.replace(partial, path)
    return manifest


def _sqlite_backup(dest: Path) -> Path:
    import sqlite3

    connection.ensure_connection()
    target = sqlite3.connect(dest)
    try:
        connection.connection.backup(target)  # a consistent copy, while the site runs
    finally:
        target.close()
    return dest


def _counts_of_sqlite_file(path: Path) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0]  # nosec B608 -- names from sqlite_master
                for n in names}
    finally:
        conn.close()


def _pg_dump(tool: str, dest: Path) -> dict[str, int]:
    # The counts come from the same snapshot pg_dump reads: an exported snapshot, held open
    # by this transaction while pg_dump runs.
    connection.ensure_connection()
    with connection.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            counts = row_counts()
            out = subprocess.run([tool, "--format=custom",  # nosec B603 -- pg_dump by path, arguments built here "--no-owner", "--no-privileges",
                                  f"--snapshot={snapshot}", f"--file={dest}"],
                                 env=_pg_env(), capture_output=True, text=True)
        finally:
            cur.execute("ROLLBACK")
    if out.returncode:
        raise BackupError(_("pg_dump failed: %(error)s") % {"error": out.stderr.strip()[-2000:]})
    return counts


def _pg_copy_out(folder: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    folder.mkdir()
    counts, columns = {}, {}
    connection.ensure_connection()
    with connection.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            for t in tables():
                cols = [c.name for c in connection.introspection.get_table_description(cur, t)]
                columns[t] = cols
                cur.execute(f'SELECT COUNT(*) FROM "{t}"')  # nosec B608 -- names from the catalogue
                counts[t] = cur.fetchone()[0]
                col_list = ", ".join(f'"{c}"' for c in cols)
                with open(folder / f"{t}.bin", "wb") as f, \
                        cur.cursor.copy(f'COPY "{t}" ({col_list}) TO STDOUT (FORMAT binary)') as cp:
                    for chunk in cp:
                        f.write(chunk)
        finally:
            cur.execute("ROLLBACK")
    return counts, columns


def _media_files() -> list[str]:
    media = Path(settings.MEDIA_ROOT)
    if not media.is_dir():
        return []
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


# --- restore ----------------------------------------------------------------------------

def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(f"{ROOT}/manifest.json")
    except KeyError:
        raise BackupError(_("This is not a Fangkong backup (it has no manifest.json).")) from None
    manifest = json.loads(tar.extractfile(member).read())
    if manifest.get("format") != FORMAT:
        raise BackupError(_("Backup format %(format)s is not known to this version.")
                          % {"format": manifest.get("format")})
    return manifest


def restore(path: Path, *, ignore_keys: bool = False) -> dict:
    """Load the archive into the configured (empty) database and media folder. Returns the
    manifest; raises BackupError with what to do when it cannot."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("%(path)s: no such file.") % {"path": path})
    with tarfile.open(path, "r:*") as tar:
        manifest = read_manifest(tar)
        if manifest["vendor"] != vendor():
            raise BackupError(_("This backup is of a %(backup)s database and the configured "
                                "database is %(here)s: restore it into %(backup)s "
                                "(DATABASE_URL).") % {"backup": manifest["vendor"],
                                                      "here": vendor()})
        if manifest["keys"] != key_fingerprint() and not ignore_keys:
            raise BackupError(_("This backup was made with other encryption keys: ID numbers "
                                "could not be read. Set FANGKONG_FIELD_KEY and "
                                "FANGKONG_HASH_KEY (or the secrets file) of the site that made "
                                "it, then restore again."))
        existing = tables()
        if existing:
            raise BackupError(_("The database is not empty (%(n)d tables): restore into a new, "
                                "empty database (e.g. createdb, or a new SQLite file) and "
                                "point DATABASE_URL at it.") % {"n": len(existing)})
        _check_media_free(manifest)
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=_scratch_dir()) as tmp:
            tmp = Path(tmp)
            names = [f"{ROOT}/{n}" for n in ("database.pgdump", "database.sqlite3")]
            members = [m for m in tar.getmembers()
                       if m.name in names or m.name.startswith(f"{ROOT}/copy/")]
            tar.extractall(tmp, members=members, filter="data")
            src = tmp / ROOT
            if manifest["method"] == "sqlite":
                _sqlite_restore(src / "database.sqlite3")
            elif manifest["method"] == "pg_dump":
                _pg_restore(src / "database.pgdump")
            else:
                _pg_copy_in(src / "copy", manifest)
        media = [m for m in tar.getmembers() if m.name.startswith(f"{ROOT}/media/") and m.isfile()]
        _restore_media(tar, media)
    got = row_counts()
    wrong = {t: (n, got.get(t)) for t, n in manifest["tables"].items() if got.get(t) != n}
    if wrong:
        raise BackupError(_("The rows after the restore differ from the backup: %(tables)s")
                          % {"tables": wrong})
    return manifest


def _scratch_dir():
    return str(settings.VAR_DIR) if Path(settings.VAR_DIR).is_dir() else None


def _check_media_free(manifest):
    media = Path(settings.MEDIA_ROOT)
    clash = [rel for rel in manifest["media"] if (media / rel).exists()]
    if clash:
        raise BackupError(_("%(n)d uploaded files already exist in %(folder)s (e.g. %(file)s): "
                            "restore into an empty media folder.")
                          % {"n": len(clash), "folder": media, "file": clash[0]})


def _restore_media(tar, members):
    media = Path(settings.MEDIA_ROOT)
    prefix = f"{ROOT}/media/"
    for m in members:
        rel = Path(m.name[len(prefix):])
        if rel.is_absolute() or ".." in rel.parts:
            raise BackupError(_("Unsafe file name in the backup: %(name)s") % {"name": m.name})
        dest = media / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tar.extractfile(m) as src, open(dest, "xb") as out:
            shutil.copyfileobj(src, out)


def _sqlite_restore(src: Path):
    import sqlite3

    connection.ensure_connection()
    source = sqlite3.connect(src)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()  # the next query opens the restored file with the usual pragmas


def _pg_restore(dump: Path):
    tool = pg_tool("pg_restore")
    if tool is None:
        raise BackupError(_("This backup needs pg_restore (the PostgreSQL client of the "
                            "server's version or newer): install it and restore again."))
    connection.close()
    out = subprocess.run([tool, "--no-owner", "--no-privileges", "--exit-on-error",  # nosec B603 -- pg_restore by path
                          "--single-transaction", f"--dbname={_pg_env()['PGDATABASE']}", str(dump)],
                         env=_pg_env(), capture_output=True, text=True)
    if out.returncode:
        raise BackupError(_("pg_restore failed: %(error)s") % {"error": out.stderr.strip()[-2000:]})


def _pg_copy_in(folder: Path, manifest: dict):
    """Without pg_restore: make the schema with the migrations the backup had applied, empty
    what the migrations wrote, and COPY every table back in one transaction (foreign keys
    are checked at commit: Django makes them deferrable)."""
    from django.core.management import call_command
    from django.db import transaction

    known = set(applied_migrations_on_disk())
    missing = [m for m in manifest["migrations"] if m not in known]
    if missing:
        raise BackupError(_("This backup was made by a newer version (migrations %(names)s): "
                            "install that version first.") % {"names": ", ".join(missing[:3])})
    call_command("migrate", verbosity=0, interactive=False)
    extra = sorted(set(applied_migrations()) - set(manifest["migrations"]))
    if extra:
        raise BackupError(_("This version has migrations the backup does not have "
                            "(%(names)s): restore with the version that made it, then "
                            "upgrade.") % {"names": ", ".join(extra[:3])})
    with transaction.atomic(), connection.cursor() as cur:
        names = ", ".join(f'"{t}"' for t in manifest["tables"])
        cur.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        for t, cols in manifest["columns"].items():
            have = [c.name for c in connection.introspection.get_table_description(cur, t)]
            if sorted(have) != sorted(cols):
                raise BackupError(_("Table %(table)s has other columns than in the backup.")
                                  % {"table": t})
            col_list = ", ".join(f'"{c}"' for c in cols)
            with open(folder / f"{t}.bin", "rb") as f, \
                    cur.cursor.copy(f'COPY "{t}" ({col_list}) FROM STDIN (FORMAT binary)') as cp:
                while chunk := f.read(1 << 20):
                    cp.write(chunk)
        _reset_sequences(cur)


def applied_migrations_on_disk() -> list[str]:
    from django.db.migrations.loader import MigrationLoader

    return [f"{a}.{n}" for a, n in MigrationLoader(None, ignore_no_migrations=True).disk_migrations]


def _reset_sequences(cur):
    from django.apps import apps
    from django.core.management.color import no_style

    models = []
    for m in apps.get_models(include_auto_created=True):
        models.append(m)
    for sql in connection.ops.sequence_reset_sql(no_style(), models):
        cur.execute(sql)
