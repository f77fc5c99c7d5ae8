"""Reads that may be a little stale go to the replica — only where a read site says so.

With DATABASE_REPLICA_URL set (settings.py adds the `replica` alias and this router),
nothing moves by itself: every query still goes to the primary (`default`) unless it runs
inside `using_replica()`, which the few read sites that tolerate a few seconds of delay
apply explicitly (the live coverage partial, the coverage API, exports). Writes never go
to the replica (the router sends every write to `default`, and a replica refuses writes
anyway), and neither does anything inside a transaction on the primary (a read after the
request's own write would miss it).

Before a read is sent there, the replica's lag is checked (at most every
FANGKONG_REPLICA_CHECK_SECONDS per process): an unreachable replica, or one further behind
than FANGKONG_REPLICA_MAX_LAG seconds, sends the reads back to the primary until the next
check. `replica_status()` is what the ops page and /readyz show.

    from fangkong.core.replica import using_replica

    @using_replica            # a view (GET/HEAD only: a POST always reads the primary)
    def missing_export(request, pk): ...

    with using_replica():     # or a block
        figures = coverage(rnd, node)

    figures = on_replica(coverage, rnd, node)   # or a call that falls back (below)

A read on the replica can hang where the primary would answer at once: a query waiting
behind WAL replay (the standby replays an exclusive lock taken on the primary, e.g. by a
vacuum truncating a table) waits up to max_standby_streaming_delay. The replica's
connections therefore carry a statement timeout (FANGKONG_REPLICA_STATEMENT_TIMEOUT_MS,
settings.py), and the decorator and `on_replica()` catch a failed replica read, mark the
replica down until the next check and run the read again on the primary (GETs and these
calls only read, so running them twice is safe). A plain `with using_replica():` block
cannot be run again: the error reaches the caller.

Raw SQL in such a block must take its connection from `read_connection()`.
"""

import contextlib
import contextvars
import functools
import threading
import time

from django.conf import settings
from django.db import connections
from django.db.utils import DatabaseError

REPLICA = "replica"
_active = contextvars.ContextVar("fangkong_replica", default=False)
_used = contextvars.ContextVar("fangkong_replica_used", default=False)  # a read went there
_lock = threading.Lock()
_state = {"checked": 0.0, "ok": False, "lag": None, "error": ""}


def configured() -> bool:
    return REPLICA in settings.DATABASES


def _lag_seconds(alias: str) -> float:
    """Seconds the replica's last replayed transaction is behind now (0 when it has
    replayed everything it received: an idle primary writes nothing to replay)."""
    conn = connections[alias]
    with conn.cursor() as cur:
        cur.execute(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
            "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END, "
            "pg_is_in_recovery()")
        lag, in_recovery = cur.fetchone()
    if not in_recovery:
        raise DatabaseError("the replica is not in recovery (promoted, or the primary itself)")
    return float(lag or 0.0)


def _check(force=False) -> dict:
    now = time.monotonic()
    every = getattr(settings, "FANGKONG_REPLICA_CHECK_SECONDS", 5)
    with _lock:
        if not force and now - _state["checked"] < every:
            return dict(_state)
        _state["checked"] = now
    try:
        lag = _lag_seconds(REPLICA)
        ok = lag <= settings.FANGKONG_REPLICA_MAX_LAG
        error = "" if ok else f"lag {lag:.1f} s > {settings.FANGKONG_REPLICA_MAX_LAG} s"
    except Exception as e:  # noqa: BLE001 -- any failure means: read the primary
        connections[REPLICA].close()
        lag, ok, error = None, False, f"{type(e).__name__}: {e}"[:300]
    with _lock:
        _state.update(ok=ok, lag=lag, error=error)
        return dict(_state)


def replica_status(force=True) -> dict | None:
    """None without a replica; else {"ok", "lag" (seconds or None), "error"}."""
    if not configured():
        return None
    state = _check(force=force)
    return {"ok": state["ok"], "lag": state["lag"], "error": state["error"]}


def read_alias() -> str:
    """The database a stale-tolerant read should use right now."""
    if (_active.get() and configured() and not connections["default"].in_atomic_block
            and _check()["ok"]):
        _used.set(True)
        return REPLICA
    return "default"


def _mark_down(error: Exception) -> None:
    """A replica read failed: reads go to the primary until the next check."""
    with contextlib.suppress(Exception):  # closing a broken connection may fail too; it is dropped anyway
        connections[REPLICA].close()
    with _lock:
        _state.update(ok=False, checked=time.monotonic(),
                      error=f"read failed: {type(error).__name__}: {error}"[:300])


def on_replica(fn, *args, **kwargs):
    """fn(*args, **kwargs) with its reads on the replica (when healthy); when a read there
    fails (statement timeout, lost connection), once more on the primary. fn only reads."""
    active, used = _active.set(True), _used.set(False)
    try:
        return fn(*args, **kwargs)
    except DatabaseError as e:
        if not _used.get():
            raise  # not the replica's failure
        _mark_down(e)
    finally:
        _used.reset(used)
        _active.reset(active)
    return fn(*args, **kwargs)


def read_connection():
    return connections[read_alias()]


class _Using:
    def __enter__(self):
        self._token = _active.set(True)

    def __exit__(self, *exc):
        _active.reset(self._token)
        return False


def using_replica(view=None):
    """A context manager, or a decorator for a view (a view only on GET/HEAD)."""
    if view is None:
        return _Using()

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        return on_replica(view, request, *args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Reads inside `using_replica()` to the replica (when healthy); everything else,
    and every write and migration, to the primary."""

    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"
