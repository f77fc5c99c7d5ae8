"""Recovery of work whose process died: every background job finishes, fails with a
reason, or is tried again.

django-tasks-db marks a task RUNNING when a worker claims it and nothing else: a worker
killed (SIGKILL, out of memory, the machine lost) leaves the task RUNNING for ever, and a
restarted worker never looks at it. `recover()` is run by our worker (`manage.py
db_worker`) when it starts and every FANGKONG_RECOVER_SECONDS after, and by `manage.py
recover_jobs` (cron, or by hand):

1. tasks: each RUNNING task whose worker is dead (ops.processes.alive: a pid gone on
   this machine, or no heartbeat within the lease on another) is put back to READY if
   its task was declared safe to run again (`retry_when_lost`, up to its attempts), or
   else marked FAILED with the reason (`WorkerLost`);
2. the apps' own job rows, by the functions named in settings.FANGKONG_RECOVERY, each
   `(liveness) -> {counter: n}`: the import job, run in a dead worker or in a web
   process that was killed, is queued again or fails with a message on its page; the
   notification sender is queued when deliveries are due and no sender is.

Each change is one conditional UPDATE (… WHERE status = 'RUNNING'), so any number of
workers may recover at once and each lost task is handled once.
"""

import datetime
import logging

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from . import processes
from .models import WorkerBeat

log = logging.getLogger("fangkong.ops")

_RETRY: dict[str, int] = {}  # task module path → attempts in all (claims)


class WorkerLost(Exception):
    """The process running a task stopped before the task finished."""


WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


def retry_when_lost(task, attempts: int = 5):
    """Declare that `task` may simply run again if its worker dies (it is idempotent):
    recovery puts it back in the queue, up to `attempts` claims in all. Returns the task."""
    _RETRY[task.module_path] = attempts
    return task


class Liveness:
    """The workers' heartbeats read once; `dead(runner, since)` for each piece of work."""

    def __init__(self, now=None):
        self.now = now or timezone.now()
        self.beats = dict(WorkerBeat.objects.values_list("runner", "beat_at"))

    def dead(self, runner: str, since, grace: datetime.timedelta | None = None) -> bool:
        """True when the process `runner` that took the work at `since` is gone. A runner
        that cannot be judged (another machine's web process, a foreign worker id) is
        given `grace` (default: the lease) from `since`."""
        state = processes.alive(runner, self.beats, self.now)
        if state is None:
            return since is None or since < self.now - (grace or processes.lease())
        return not state

    def pending_tasks(self, ids) -> set[str]:
        """Of these task ids, those still waiting or running (for the apps' recovery)."""
        return pending_tasks(ids)


def recover(now=None) -> dict:
    """One pass over all lost work; returns counters of what was done."""
    live = Liveness(now)
    counts = {"tasks_retried": 0, "tasks_failed": 0}
    for task_id, path, worker_ids, started_at in _running_tasks():
        runner = worker_ids[-1] if worker_ids else ""
        if not live.dead(runner, started_at):
            continue
        outcome = _lost_task(task_id, path, len(worker_ids), runner, live.now)
        if outcome:
            counts[outcome] += 1
    for path in settings.FANGKONG_RECOVERY:
        for key, n in import_string(path)(live).items():
            counts[key] = counts.get(key, 0) + n
    _forget_dead_workers(live)
    if any(counts.values()):
        log.warning("recovered lost work: %s", counts)
    return counts


def _running_tasks():
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.running()
                .values_list("id", "task_path", "worker_ids", "started_at"))


def _lost_task(task_id, path: str, claims: int, runner: str, now) -> str:
    """Put one lost task back in the queue or fail it; "" if another recovery was first."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    try:
        import_string(path)  # its module declares retry_when_lost
    except ImportError:
        pass
    limit = _RETRY.get(path, 0)
    rows = DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING)
    if claims < limit:
        done = rows.update(status=TaskResultStatus.READY)
        outcome = "tasks_retried"
    else:
        reason = (f"The worker {runner or '?'} stopped while running this task "
                  f"(attempt {claims}); found by recovery at {now.isoformat()}.")
        done = rows.update(status=TaskResultStatus.FAILED, finished_at=now, return_value=None,
                           exception_class_path=WORKER_LOST, traceback=reason)
        outcome = "tasks_failed"
    if not done:
        return ""
    log.warning("task %s (%s) lost with worker %s: %s", task_id, path, runner, outcome)
    return outcome


def _forget_dead_workers(live: Liveness):
    gone = [r for r in live.beats if processes.alive(r, live.beats, live.now) is False]
    if gone:
        WorkerBeat.objects.filter(runner__in=gone).delete()


def pending_tasks(ids) -> set[str]:
    """Of these task ids, those still waiting or running (for job rows that keep the id of
    the task that runs them)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    ids = [i for i in ids if i]
    if not ids:
        return set()
    return {str(i) for i in DBTaskResult.objects.filter(
        pk__in=ids, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
        .values_list("pk", flat=True)}
