"""The operations page (/ops/, superusers only; anyone else gets "not found"): a verdict
first — everything is fine, or what is wrong, in words — then the last backup, the primary,
the replica and its lag, the background workers and their queue (due now, scheduled for
later, overdue, failed with a link to their list)."""

import datetime

from django.conf import settings
from django.db import connections
from django.db.models import Min, Q
from django.db.utils import DatabaseError
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core import replica
from fangkong.core.errors import NotFound
from fangkong.core.views import page

from . import backup as backups
from .models import WorkerBeat

FAILED_RECENTLY = datetime.timedelta(hours=24)


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


def _failed_list_url(task_id=None) -> str:
    """The admin's list of failed tasks (or one task's page); "" when the admin is off."""
    from django_tasks_db.models import DBTaskResult

    name = f"admin:{DBTaskResult._meta.app_label}_{DBTaskResult._meta.model_name}"
    try:
        if task_id is not None:
            return reverse(f"{name}_change", args=[task_id])
        return reverse(f"{name}_changelist") + "?status__exact=FAILED"
    except NoReverseMatch:
        return ""


def queue(now) -> dict:
    """The tasks: due now (and how long the oldest has waited), scheduled for later (and
    when the next runs), running, failed (ever and lately, the latest five)."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    tasks = DBTaskResult.objects
    no_time = get_date_max()
    ready = tasks.filter(status="READY")
    due = ready.filter(Q(run_after=no_time) | Q(run_after__lte=now))
    later = ready.filter(run_after__gt=now).exclude(run_after=no_time)
    oldest = None
    for row in due.order_by("enqueued_at").values("enqueued_at", "run_after")[:50]:
        waiting = row["enqueued_at"] if row["run_after"] == no_time else max(row["enqueued_at"], row["run_after"])
        oldest = waiting if oldest is None else min(oldest, waiting)
    failed = tasks.filter(status="FAILED")
    latest_failed = [{"name": t.task_path.rsplit(".", 1)[-1], "at": t.finished_at or t.enqueued_at,
                      "error": t.exception_class_path.rsplit(".", 1)[-1], "url": _failed_list_url(t.id)}
                     for t in failed.order_by("-finished_at", "-enqueued_at")[:5]]
    return {
        "due": due.count(), "waited": (now - oldest).total_seconds() if oldest else 0,
        "oldest": oldest, "later": later.count(),
        "next_at": later.aggregate(at=Min("run_after"))["at"],
        "running": tasks.filter(status="RUNNING").count(), "failed": failed.count(),
        "failed_recently": failed.filter(finished_at__gte=now - FAILED_RECENTLY).count(),
        "latest_failed": latest_failed, "failed_url": _failed_list_url(),
    }


def last_backup(now) -> dict | None:
    found = backups.latest()
    if found is None:
        return None
    age = now - found["at"]
    return {**found, "age": timesince(found["at"], now), "old": age > datetime.timedelta(
        hours=settings.FANGKONG_BACKUP_MAX_AGE_HOURS),
        "text": backups.describe(found["manifest"], found["size"]) if found["manifest"]
        else backups.megabytes(found["size"])}


def problems(*, backup, workers, tasks, rep) -> list[str]:
    """What is wrong, in words; none: everything is fine."""
    out = []
    if backup is None:
        out.append(_("There is no backup in %(folder)s: run manage.py backup (fangkong-backup.timer "
                     "does it every 6 hours).") % {"folder": settings.VAR_DIR / "backups"})
    elif backup["old"]:
        out.append(_("The last backup is %(age)s old (more than %(hours)d hours): check "
                     "fangkong-backup.timer.") % {"age": backup["age"],
                                                  "hours": settings.FANGKONG_BACKUP_MAX_AGE_HOURS})
    alive = [w for w in workers if not w["late"]]
    for w in workers:
        if w["late"]:
            out.append(_("The worker on %(host)s (pid %(pid)s) has not given a sign of life for "
                         "%(age)s seconds: presumed dead.") % {"host": w["host"], "pid": w["pid"],
                                                                 "age": int(w["beat_age"])})
    if tasks["due"] and not alive:
        out.append(ngettext("No background worker is running: %(n)d job is waiting.",
                            "No background worker is running: %(n)d jobs are waiting.",
                            tasks["due"]) % {"n": tasks["due"]})
    elif tasks["due"] and tasks["waited"] > settings.FANGKONG_TASK_OVERDUE_SECONDS:
        out.append(ngettext("%(n)d job is overdue: the oldest has waited %(minutes)d minutes.",
                            "%(n)d jobs are overdue: the oldest has waited %(minutes)d minutes.",
                            tasks["due"]) % {"n": tasks["due"], "minutes": tasks["waited"] // 60})
    if tasks["failed_recently"]:
        out.append(ngettext("%(n)d job failed in the last 24 hours.",
                            "%(n)d jobs failed in the last 24 hours.",
                            tasks["failed_recently"]) % {"n": tasks["failed_recently"]})
    if rep is not None and not rep.get("ok"):
        out.append(_("The replica is not in use: reads that could go there go to the primary."))
    return out


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
    rep = replica.replica_status(force=True)
    tasks = queue(now)
    backup = last_backup(now)
    return render(request, "ops/status.html", {
        "problems": problems(backup=backup, workers=workers, tasks=tasks, rep=rep),
        "backup": backup,
        "vendor": connections["default"].vendor,
        "replica": rep,
        "replication": _replication(),
        "workers": workers,
        "lease": settings.FANGKONG_WORKER_LEASE_SECONDS,
        "queue": tasks,
    })
