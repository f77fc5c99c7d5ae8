"""Writing many rows fast: COPY on PostgreSQL, executemany on SQLite, bulk_create elsewhere.

For loaders that build rows in memory (the demo generator, benchmarks). Rows are unsaved
model instances with every column already set (no save(), no signals, no defaults filled
in later). `allocate_ids` hands out primary keys in advance, so that rows which reference
each other (places → households → residents) can be built before any of them is written.
"""

import itertools
import queue
import threading
from contextlib import contextmanager

from django.db import connections, router

# Column types psycopg adapts as they are (anything else goes through get_db_prep_save).
_PLAIN = {
    "AutoField", "BigAutoField", "SmallAutoField", "BigIntegerField", "IntegerField",
    "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "PositiveBigIntegerField", "CharField", "TextField", "SlugField", "EmailField",
    "BooleanField", "DateField", "DateTimeField", "ForeignKey", "OneToOneField",
}
_PLAIN_PG = _PLAIN | {"UUIDField"}


def _connection(model):
    return connections[router.db_for_write(model)]


def prototype(model, **values):
    """A factory of unsaved instances that start as copies of one instance.

    Model.__init__ costs 100–200 µs a row on a slow machine; copying the attribute dict of
    a template costs about 2 µs. The copies are ordinary unsaved instances (as unpickling
    makes them): set attributes on them, then pass them to `insert`.
    """
    from django.db.models.base import ModelState

    template = model(**values).__dict__.copy()
    template.pop("_state", None)
    new = model.__new__

    def make():
        obj = new(model)
        obj.__dict__.update(template)
        obj._state = ModelState()
        return obj

    return make


def allocate_ids(model, n: int) -> list[int]:
    """Reserve `n` primary keys for rows of `model` that the caller inserts next.

    PostgreSQL: taken from the table's sequence (safe with concurrent writers). SQLite:
    above the current maximum, so the caller must insert them before anything else writes
    to the table (SQLite has one writer, and the caller holds it inside a transaction).
    """
    if n <= 0:
        return []
    conn = _connection(model)
    table = model._meta.db_table
    pk = model._meta.pk.column
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                        "FROM generate_series(1, %s)", [table, pk, n])
            return [row[0] for row in cur.fetchall()]
        qn = conn.ops.quote_name
        cur.execute(f"SELECT COALESCE(MAX({qn(pk)}), 0) FROM {qn(table)}")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
        top = cur.fetchone()[0]
        if conn.vendor == "sqlite":
            cur.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
            top = max(top, cur.fetchone()[0])
    return list(range(top + 1, top + 1 + n))


def _prepared_rows(conn, fields, objs):
    """Row value lists for `fields`, converted for the database where psycopg/sqlite3
    cannot take the Python value as it is (dates on SQLite, JSON…)."""
    if conn.vendor == "sqlite":  # sqlite3 takes str/int/float/None; dates need Django's adapters
        plain = [f.get_internal_type() in _PLAIN - {"DateField", "DateTimeField"} for f in fields]
    else:  # PostgreSQL (text COPY or psycopg's adapters): a UUID goes as it is, or as its text
        plain = [f.get_internal_type() in _PLAIN_PG for f in fields]
    attnames = [f.attname for f in fields]
    if all(plain):
        for o in objs:
            d = o.__dict__
            yield [d[a] for a in attnames]
        return
    # Prepared once per distinct value (rows share many dates and timestamps).
    memo = [None if p else {} for p in plain]
    todo = [(i, f, f.attname) for i, (f, p) in enumerate(zip(fields, plain, strict=True)) if not p]
    for o in objs:
        d = o.__dict__
        row = [d[a] for a in attnames]
        for i, f, a in todo:
            value = d[a]
            try:
                row[i] = memo[i][value]
            except KeyError:
                row[i] = memo[i][value] = f.get_db_prep_save(value, conn)
            except TypeError:  # unhashable
                row[i] = f.get_db_prep_save(value, conn)
        yield row


def _fields(model, objs):
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields
              if not (f.primary_key and getattr(objs[0], f.attname) is None)]
    if pk in fields and any(getattr(o, pk.attname) is None for o in objs):
        raise ValueError("insert(): either every row has a primary key or none has")
    return fields


def _copy(conn, raw, model, objs):
    """COPY the rows through `raw`, a psycopg connection (Django's, possibly from another
    thread: psycopg serialises its use with a lock)."""
    fields = _fields(model, objs)
    qn = conn.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    with raw.cursor() as cur, cur.copy(
            f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for row in _prepared_rows(conn, fields, objs):
            copy.write_row(row)


def insert(model, objs, *, batch_size=2000) -> int:
    """Insert unsaved instances as they are; returns the number of rows written.

    PostgreSQL: COPY. SQLite: executemany of one prepared INSERT. Other databases:
    bulk_create. Either every instance has a primary key or none has (then the database
    numbers them, and the instances are not told: use `allocate_ids` when you need them).
    """
    objs = list(objs)
    if not objs:
        return 0
    conn = _connection(model)
    if conn.vendor == "postgresql":
        conn.ensure_connection()
        _copy(conn, conn.connection, model, objs)
    elif conn.vendor == "sqlite":
        fields = _fields(model, objs)
        qn = conn.ops.quote_name
        sql = (f"INSERT INTO {qn(model._meta.db_table)} "
               f"({', '.join(qn(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))})")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
        rows = _prepared_rows(conn, fields, objs)
        with conn.cursor() as cur:
            while batch := list(itertools.islice(rows, batch_size)):
                cur.executemany(sql, batch)
    else:
        model.objects.bulk_create(objs, batch_size=batch_size)
    return len(objs)


def update(model, objs, fields, *, batch_size=5000) -> int:
    """Write `fields` of saved instances back, set-based; returns the number of rows sent.

    PostgreSQL: one UPDATE … FROM unnest(one array a column) a batch, each array cast to
    its column's type: a statement of a few parameters, whatever the number of rows (as a
    VALUES list, 2,000 rows × 4 columns cost ~40 ms to split into parameters and ~50 ms for
    PostgreSQL to parse and plan).
    SQLite: executemany of one prepared UPDATE (in-process). Other databases: bulk_update.
    No save(), no signals, no auto_now: the instances hold exactly what is written.
    """
    objs = list(objs)
    if not objs:
        return 0
    conn = _connection(model)
    meta = model._meta
    cols = [meta.pk] + [meta.get_field(f) for f in fields]
    qn = conn.ops.quote_name
    table = qn(meta.db_table)
    rows = _prepared_rows(conn, cols, objs)
    if conn.vendor == "postgresql":
        arrays = ", ".join(f"%s::{f.cast_db_type(conn)}[]" for f in cols)
        names = ", ".join(qn(f.column) for f in cols)
        sets = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in cols[1:])
        pk = qn(meta.pk.column)
        sql = (f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({names}) "  # identifiers and types from the models' metadata; every value is a bound parameter  # nosec B608
               f"WHERE t.{pk} = v.{pk}")
        with conn.cursor() as cur:
            while batch := list(itertools.islice(rows, batch_size)):
                cur.execute(sql, [list(column) for column in zip(*batch, strict=True)])
    elif conn.vendor == "sqlite":
        sql = (f"UPDATE {table} SET {', '.join(f'{qn(f.column)} = %s' for f in cols[1:])} "  # identifiers from the models' metadata; every value is a bound parameter  # nosec B608
               f"WHERE {qn(meta.pk.column)} = %s")
        with conn.cursor() as cur:
            while batch := list(itertools.islice(rows, batch_size)):
                cur.executemany(sql, [row[1:] + row[:1] for row in batch])
    else:
        model.objects.bulk_update(objs, fields, batch_size=batch_size)
    return len(objs)


def insert_ignore(model, objs, *, returning: str, order_by: str = "") -> set:
    """Insert unsaved instances, skipping any that would violate a unique constraint
    (INSERT … ON CONFLICT DO NOTHING); returns the values of column `returning` of the rows
    actually inserted. For idempotent writes keyed by a client-generated id.

    PostgreSQL: COPY into a temporary table (created once per session, emptied at commit),
    then one INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING, in `order_by` order (so that
    concurrent writers take unique-index locks in the same order). Must run inside a
    transaction. SQLite: one prepared INSERT … ON CONFLICT DO NOTHING per row (in-process,
    microseconds each), its rowcount telling whether it went in."""
    objs = list(objs)
    if not objs:
        return set()
    conn = _connection(model)
    fields = _fields(model, objs)
    qn = conn.ops.quote_name
    table = model._meta.db_table
    columns = ", ".join(qn(f.column) for f in fields)
    ret = model._meta.get_field(returning)
    if conn.vendor == "postgresql" and len(objs) <= 20:  # a few rows: one plain statement
        if order_by:
            key = model._meta.get_field(order_by).attname
            objs.sort(key=lambda o: getattr(o, key))
        rows = list(_prepared_rows(conn, fields, objs))
        one = f"({', '.join(['%s'] * len(fields))})"
        with conn.cursor() as cur:
            cur.execute(f"INSERT INTO {qn(table)} ({columns}) VALUES {', '.join([one] * len(rows))} "
                        f"ON CONFLICT DO NOTHING RETURNING {qn(ret.column)}",  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
                        [v for row in rows for v in row])
            return {r[0] for r in cur.fetchall()}
    if conn.vendor == "postgresql":
        if not conn.in_atomic_block:
            raise RuntimeError("insert_ignore() must run inside transaction.atomic()")
        temp = qn(f"_in_{table}")
        conn.ensure_connection()
        raw = conn.connection
        with raw.cursor() as cur:
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DELETE ROWS AS "
                        f"SELECT {columns} FROM {qn(table)} WITH NO DATA")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
            with cur.copy(f"COPY {temp} ({columns}) FROM STDIN") as copy:
                for row in _prepared_rows(conn, fields, objs):
                    copy.write_row(row)
            order = f" ORDER BY {qn(model._meta.get_field(order_by).column)}" if order_by else ""
            cur.execute(f"INSERT INTO {qn(table)} ({columns}) SELECT {columns} FROM {temp}{order} "
                        f"ON CONFLICT DO NOTHING RETURNING {qn(ret.column)}")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
            got = {r[0] for r in cur.fetchall()}
            cur.execute(f"DELETE FROM {temp}")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
        return got
    sql = (f"INSERT INTO {qn(table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
           f"ON CONFLICT DO NOTHING")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
    got = set()
    with conn.cursor() as cur:
        for obj, row in zip(objs, _prepared_rows(conn, fields, objs), strict=True):
            cur.execute(sql, row)
            if cur.rowcount == 1:
                got.add(getattr(obj, ret.attname))
    return got


class Loader:
    """Writes batches with `insert` in a background thread while the caller builds the next.

    On PostgreSQL the thread COPYs through the caller's own connection (so inside the
    caller's transaction; the server ingests while Python generates). Elsewhere it writes
    inline. Call `wait()` before reading back what was put, and leave the `with` block
    before the transaction ends. Memory stays bounded: `put` blocks while `depth` batches
    are waiting.
    """

    def __init__(self, using="default", depth=2):
        self.conn = connections[using]
        self.threaded = self.conn.vendor == "postgresql"
        self.queue = queue.Queue(maxsize=depth)
        self.error = None
        self.thread = None

    def __enter__(self):
        if self.threaded:
            self.conn.ensure_connection()
            self.raw = self.conn.connection
            self.thread = threading.Thread(target=self._work, name="bulk-loader", daemon=True)
            self.thread.start()
        return self

    def _work(self):
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    _copy(self.conn, self.raw, *item)
            except BaseException as e:  # handed to the caller's thread
                self.error = e
            finally:
                self.queue.task_done()

    def _raise(self):
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def put(self, model, objs):
        objs = list(objs)
        if not objs:
            return
        if not self.threaded:
            insert(model, objs)
            return
        self._raise()
        self.queue.put((model, objs))

    def wait(self):
        if self.threaded:
            self.queue.join()
            self._raise()

    def __exit__(self, exc_type, exc, tb):
        if self.thread is not None:
            if exc_type is not None:
                self.error = self.error or exc  # skip what is still queued
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        if exc_type is None:
            self._raise()
        return False


@contextmanager
def indexes_deferred(*models, using="default"):
    """For a big load on PostgreSQL: drop the tables' plain indexes (not the primary key,
    not unique ones — those behind unique constraints, and unique expression indexes such
    as the residents' Lower(token)) and build them again at the end, all inside the
    caller's transaction (so a failure restores them). One sorted build per index is much
    cheaper than keeping a dozen btrees in order row by row. Other databases: nothing.

    While it runs the tables are locked (DROP INDEX), which suits a loader, not a live site.
    """
    conn = connections[using]
    if conn.vendor != "postgresql":
        yield
        return
    if not conn.in_atomic_block:
        raise RuntimeError("indexes_deferred() must run inside transaction.atomic()")
    tables = [m._meta.db_table for m in models]
    with conn.cursor() as cur:
        cur.execute("""
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT i.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1""", [tables])
        saved = cur.fetchall()
        for name, _definition in saved:
            cur.execute(f"DROP INDEX {name}")
    yield
    conn.check_constraints()  # CREATE INDEX refuses while deferred FK checks are pending
    with conn.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in saved:
            cur.execute(definition)
