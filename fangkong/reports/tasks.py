"""The nightly reports' scheduled job (Django tasks, the database worker): prepares the
figures before each level's cut-off and sends the reminders, then queues itself for the
next moment of the day (`actions.schedule`). `manage.py reports_tick` does the same from
cron; `recover_tick` (ops.recovery) queues it when none is waiting."""

from django.tasks import default_task_backend, task
from django.utils import timezone

from fangkong.ops.recovery import retry_when_lost


@task
def reports_tick_task() -> dict:
    from .actions import schedule, snapshots

    counts = schedule.run()
    counts["snapshots"] = snapshots.refresh_stale()
    when = min(counts.pop("next"), timezone.now() + snapshots.max_age())
    if default_task_backend.supports_defer and not _tick_waiting():
        reports_tick_task.using(run_after=max(when, timezone.now())).enqueue()
    counts["next"] = when.isoformat()
    return counts


# Running it again is harmless (drafts are refreshed, reminders carry keys).
retry_when_lost(reports_tick_task, attempts=5)


def _tick_waiting() -> bool:
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(task_path=reports_tick_task.module_path,
                                       status=TaskResultStatus.READY).exists()


def recover_tick(live) -> dict:
    """(ops.recovery) No tick queued or running: queue one (the job keeps itself going
    after that)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if _tick_waiting() or DBTaskResult.objects.filter(
            task_path=reports_tick_task.module_path, status=TaskResultStatus.RUNNING).exists():
        return {"reports_tick_queued": 0}
    reports_tick_task.enqueue()
    return {"reports_tick_queued": 1}
