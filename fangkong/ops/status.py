"""The operations page (/ops/, superusers only; anyone else gets "not found"): the
primary, the replica and its lag, the background workers and their queue."""

from django.conf import settings
from django.db import connections
from django.db.utils import DatabaseError
from django.shortcuts import render
from django.utils import timezone

from fangkong.core import replica
from fangkong.core.errors import NotFound
from fangkong.core.views import page

from .models import WorkerBeat


def _replication() -> list[dict]:
    """The primary's view of its standbys (PostgreSQL only)."""
    conn = connections["default"]
    if conn.vendor != "postgresql":
        return []
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT application_name, client_addr::text, state, sync_state, "
                "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
                "EXTRACT(EPOCH FROM replay_lag) FROM pg_stat_replication ORDER BY 1")
            return [{"name": r[0], "address": r[1], "state": r[2], "sync": r[3],
                     "behind_bytes": r[4], "replay_lag": r[5]} for r in cur.fetchall()]
    except DatabaseError:  # not allowed to read it (a non-superuser role): show nothing
        return []


def _queue() -> dict:
    from django_tasks_db.models import DBTaskResult

    counts = {"ready": 0, "running": 0, "failed": 0}
    for status, key in (("READY", "ready"), ("RUNNING", "running"), ("FAILED", "failed")):
        counts[key] = DBTaskResult.objects.filter(status=status).count()
    return counts


@page
def ops_status(request):
    """What an operator checks first when something is slow or stuck."""
    if not (request.user.is_authenticated and request.user.is_superuser):
        raise NotFound()
    now = timezone.now()
    workers = [{"runner": w.runner, "host": w.host, "pid": w.pid, "started_at": w.started_at,
                "beat_age": round((now - w.beat_at).total_seconds(), 1),
                "late": (now - w.beat_at).total_seconds() > settings.FANGKONG_WORKER_LEASE_SECONDS}
               for w in WorkerBeat.objects.order_by("started_at")]
    return render(request, "ops/status.html", {
        "vendor": connections["default"].vendor,
        "replica": replica.replica_status(force=True),
        "replication": _replication(),
        "workers": workers,
        "lease": settings.FANGKONG_WORKER_LEASE_SECONDS,
        "queue": _queue(),
    })
