"""Prepared statements on PostgreSQL, for the few hot fixed queries.

Django's psycopg cursors bind parameters on the client side, so PostgreSQL plans every
statement every time it runs. For the hot paths (a bearer token's authentication, a scan,
a volunteer's answer, a station's batch) planning costs as much as running or more: 0.78 ms
of planning for the scan's read, which runs in 0.1 ms. `prepared_cursor()` gives a cursor
that binds on the server and prepares each statement on the connection at its first run;
PostgreSQL then keeps the plan for the connection's life (persistent connections:
CONN_MAX_AGE). The connection's `prepare_threshold` is out of reach (settings), so only
these cursors prepare; the statements must be fixed texts (parameters as %s), never text
built per request, or the connection's cache fills with one-off plans.

With DATABASE_POOL_MODE=transaction (pgbouncer in transaction mode) nothing is prepared.
On SQLite (and anything else) it is an ordinary cursor. Either way Django's wrapper stays
around it: query logging, execute wrappers, errors translated.
"""

from django.db import connections

_PREPARED = None


def _prepared_class():
    global _PREPARED
    if _PREPARED is None:
        import psycopg
        from django.conf import settings

        # Behind pgbouncer in transaction mode the next transaction may land on another
        # server connection, which never saw the statement: bind on the server, unprepared.
        default = getattr(settings, "DATABASE_POOL_MODE", "session") != "transaction"

        class Prepared(psycopg.Cursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=default if prepare is None else prepare,
                                       binary=binary)

        _PREPARED = Prepared
    return _PREPARED


def prepared_cursor(using: str = "default"):
    """A cursor (use it as a context manager) whose statements PostgreSQL prepares."""
    conn = connections[using]
    if conn.vendor != "postgresql":
        return conn.cursor()
    conn.ensure_connection()
    raw = conn.connection
    if raw.prepare_threshold is None:  # Django's default: psycopg would prepare nothing
        raw.prepare_threshold = 1 << 30  # only `prepare=True` prepares
    return conn._prepare_cursor(_prepared_class()(raw))


def row_converters(conn, fields) -> list:
    """[(index, column, functions)]: what the ORM would apply to each column of a row read
    by hand (SQLite datetimes come back naive, booleans as integers…), for `convert_rows`.
    `fields`: the model fields of the row's columns, in order."""
    out = []
    for i, f in enumerate(fields):
        col = f.get_col(f.model._meta.db_table)
        fns = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
        if fns:
            out.append((i, col, fns))
    return out


def convert_rows(rows, converters, conn) -> list:
    """`rows` (tuples from a cursor) with `row_converters`' functions applied."""
    if not converters:
        return rows
    rows = [list(r) for r in rows]
    for r in rows:
        for i, col, fns in converters:
            if r[i] is not None:
                for fn in fns:
                    r[i] = fn(r[i], col, conn)
    return rows
