"""Fixtures built once a process through actions, then copied in for each test.

`build_world` makes the two communities and their users through actions (about 290
queries, 60–120 ms) and some 2,800 of the suite's tests ask for it; the services' supplier,
gate and team (`svc`) and the screening's running round (`rnd`) sit on top of it for a few
hundred more. The first test in a process to ask for one builds it as before and notes
every row the build wrote, table by table (the rows present after it minus those present
before). Each later test gets those same rows written back, one statement a table, inside
its own transaction, and a fresh copy of the Python objects (unpickled): a test that
changes an object or a row changes only its own copy.

The rows are the ones the actions wrote, primary keys included, so the objects match the
rows; a part on top of the world (`base`) is copied only onto a copied world (the same
keys). Where a copy cannot be used, the part is built through the actions as before:
- the clock is patched (`timezone.now` is not Django's): the actions would stamp another time;
- the build changed rows that were there before it (a copy cannot replay an update);
- (not a fallback, a new snapshot) the database is not as it was when a snapshot was made
  (`_shape`: rows and highest key of every table): another fixture wrote first, or a flush
  renumbered what the rows point to. Snapshots are kept by shape, so the build and the copy
  always start from the same database;
- writing the rows back fails (a module's own scene, or a fixture that ran first, already
  holds the same keys or names): the attempt is rolled back to a savepoint first.
"""

import datetime
import json
import pickle

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

_REAL_NOW = timezone.now
# key → {shape: (pickled result, [(table, columns, rows)], serial tables), or None: never copy}
_snaps = {}
_seen = set()  # (key, shape) built once, not yet snapshot
SHAPES = 8  # shapes kept a key: each flush of a transactional test makes a new one
MARK = "_copied_keys"  # on a copied (or first-built) world: its rows are the snapshot's


def _tables():
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return sorted(n for n in names if not n.startswith("sqlite_"))


def _rows(table):
    q = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One JSON text a row: exact for every column type, and written back as it was
            # read with json_populate_recordset.
            cursor.execute(f"SELECT row_to_json(t)::text FROM {q} t")  # nosec B608 - a table name from introspection, quoted
            return None, [r[0] for r in cursor.fetchall()]
        cursor.execute(f"SELECT * FROM {q}")  # nosec B608 - a table name from introspection, quoted
        cols = [c[0] for c in cursor.description]
        return cols, [tuple(_stored(v) for v in r) for r in cursor.fetchall()]


def _stored(value):
    """A value as SQLite holds it (Django's converters made dates and times of it), in the
    text Django writes (`str` of a naive datetime, date or time)."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return str(value)
    return value


def _shape():
    """What is in the database, table by table: how many rows and the highest key. A part is
    copied only into the shape it was built in (the same world, nothing else written first),
    so that what its build read is what the copy assumes."""
    tables = _tables()
    with connection.cursor() as cursor:
        keyed = set()
        for t in tables:
            if t not in _KEYED:
                desc = connection.introspection.get_table_description(cursor, t)
                _KEYED[t] = any(c.name == "id" for c in desc)
            if _KEYED[t]:
                keyed.add(t)
        top = {True: "max(CAST(id AS TEXT))", False: "CAST(NULL AS TEXT)"}
        parts = [
            f"SELECT %s, count(*), {top[t in keyed]} FROM {connection.ops.quote_name(t)}"  # nosec B608 - quoted table names from introspection
            for t in tables]
        cursor.execute(" UNION ALL ".join(parts), tables)
        return tuple(sorted(tuple(r) for r in cursor.fetchall()))


_KEYED = {}  # table → has an "id" column


def _ids(cols, rows):
    if cols is None:
        return {json.loads(r).get("id") for r in rows}
    if "id" not in cols:
        return set()
    at = cols.index("id")
    return {r[at] for r in rows}


def _capture(build, args):
    """Build, and the rows it wrote; None for the rows where a copy could not replay it."""
    tables = _tables()
    before = {t: _rows(t) for t in tables}
    result = build(*args)
    written, updated = [], False
    for t in tables:
        cols, rows = _rows(t)
        old = set(before[t][1])
        new = [r for r in rows if r not in old]
        if new:
            written.append((t, cols, new))
            updated = updated or bool(_ids(cols, new) - {None} & _ids(*before[t]))
    return result, (None if updated else written)


def _serial(tables):
    """The copied tables whose key comes from a sequence (PostgreSQL)."""
    if connection.vendor != "postgresql" or not tables:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t FROM unnest(%s::text[]) t WHERE EXISTS (SELECT 1 FROM "
            "information_schema.columns c WHERE c.table_name = t AND c.column_name = 'id' "
            "AND c.data_type IN ('integer', 'bigint')) AND pg_get_serial_sequence(t, 'id') IS NOT NULL",
            [list(tables)])
        return [r[0] for r in cursor.fetchall()]


def _write(written, serial):
    with connection.cursor() as cursor:
        for table, cols, rows in written:
            q = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"INSERT INTO {q} SELECT * FROM json_populate_recordset(NULL::{q}, %s::json)",  # nosec B608 - quoted table name from introspection
                    ["[" + ",".join(rows) + "]"])
            else:
                names = ", ".join(connection.ops.quote_name(c) for c in cols)
                marks = ", ".join(["%s"] * len(cols))
                cursor.executemany(f"INSERT INTO {q} ({names}) VALUES ({marks})", rows)  # nosec B608 - quoted names from introspection
        if serial:
            # A flush (a transactional test, a module's scene) may have restarted the
            # sequences below the copied keys: move each past them so that the test's own
            # rows never take a key the copy holds. (Sequences are not rolled back.)
            cursor.execute(
                "SELECT setval(s.seq, v.top) FROM (SELECT tbl, max(id) AS top FROM ("
                + " UNION ALL ".join(
                    f"SELECT %s::text AS tbl, id FROM {connection.ops.quote_name(t)}"  # nosec B608 - quoted table names from introspection
                    for t in serial)
                + ") a GROUP BY tbl) v CROSS JOIN LATERAL "
                "(SELECT pg_get_serial_sequence(v.tbl, 'id')::regclass AS seq) s "
                "WHERE s.seq IS NOT NULL AND COALESCE(pg_sequence_last_value(s.seq), 0) < v.top",
                serial)


def copied(key, build, *args, base=None):
    """`build(*args)` for one test: its rows copied in where they can be, built where not.
    `base` is the copied world the build stands on (None for the world itself)."""
    return _copied(key, build, args, base)[0]


def _copied(key, build, args, base):
    """(result, whether its rows are a snapshot's: copied, or just captured)."""
    if timezone.now is not _REAL_NOW or (base is not None and not getattr(base, MARK, False)):
        return build(*args), False
    shape = _shape()
    snaps = _snaps.setdefault(key, {})
    if shape not in snaps and (key, hash(shape)) not in _seen:
        # The first time in this shape: built as it is. A shape seen once may never come
        # back (on PostgreSQL a fixture that writes first takes new keys every test), and a
        # snapshot costs two reads of every table; the second time it is made.
        _seen.add((key, hash(shape)))
        return build(*args), False
    if shape not in snaps:
        if len(snaps) >= SHAPES:  # the oldest shape goes (a flush rarely comes back to it)
            snaps.pop(next(iter(snaps)))
        result, written = _capture(build, args)
        snaps[shape] = None if written is None else (
            pickle.dumps(result), written, _serial([t for t, _, _ in written]))
        return result, written is not None
    snap = snaps[shape]
    if snap is None:
        return build(*args), False
    blob, written, serial = snap
    try:
        with transaction.atomic():
            _write(written, serial)
    except DatabaseError:
        return build(*args), False
    return pickle.loads(blob), True  # nosec B301 - our own objects, pickled in this process


def world(build, system):
    """The world, marked when its rows are a snapshot's (so parts on top may be copied)."""
    w, snapshot = _copied("world", build, (system,), None)
    if snapshot:
        setattr(w, MARK, True)
    return w
