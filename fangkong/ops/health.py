"""Health and readiness for the load balancer (no login, no personal data, JSON).

- `/healthz` (liveness): the process answers. No database, no cache: a database outage
  must not make every app server look dead and get restarted.
- `/readyz` (readiness): this server can serve now — the primary answers, every migration
  this code knows is applied (an upgrade's new code waits for `migrate`), the shared cache
  answers. 503 otherwise, naming the failed check (details go to the log, not to the
  caller). The replica is reported but never makes a server unready: without it the
  stale-tolerant reads go to the primary (core/replica.py).
"""

import logging
import time
import uuid

from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from fangkong.core import replica

log = logging.getLogger("fangkong.ops")
_migrated = False  # once every migration is applied it stays so for this process's code


def _database() -> bool:
    with connections["default"].cursor() as cur:
        cur.execute("SELECT 1")
        return cur.fetchone()[0] == 1


def _migrations() -> bool:
    global _migrated
    if not _migrated:
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connections["default"])
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrated


def _cache() -> bool:
    key = f"fk-ready-{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return ok


CHECKS = (("database", _database), ("migrations", _migrations), ("cache", _cache))


def readiness() -> tuple[bool, dict]:
    checks = {}
    for name, check in CHECKS:
        t = time.perf_counter()
        try:
            ok = bool(check())
        except Exception:  # noqa: BLE001 -- any failure is "not ready"; logged
            log.exception("readiness check %s failed", name)
            ok = False
        checks[name] = {"ok": ok, "ms": round((time.perf_counter() - t) * 1000, 1)}
        if not ok and name == "database":
            checks["migrations"] = {"ok": False, "ms": 0.0}
            break
    ready = all(c["ok"] for c in checks.values()) and len(checks) == len(CHECKS)
    status = replica.replica_status(force=False)
    if status is not None:
        checks["replica"] = {"ok": status["ok"], "lag_seconds": status["lag"],
                             "required": False}
    return ready, checks


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD"])
def healthz(request):
    return JsonResponse({"status": "alive"})


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD"])
def readyz(request):
    ready, checks = readiness()
    return JsonResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                        status=200 if ready else 503)
