"""Background sending of notifications (Django tasks; the db_worker in production)."""

from django.tasks import default_task_backend, task
from django.utils import timezone

from fangkong.ops.recovery import retry_when_lost


@task
def send_due_task() -> dict:
    """Send everything due; if messages are still waiting (a retry's back-off, or rows a
    dead sender had claimed) and the backend can defer, come back when the next one is due,
    unless a sender is already queued by then (`manage.py notify_send` does the same from
    cron)."""
    from .actions import next_due, send_due

    counts = send_due()
    when = next_due()
    if when is not None and default_task_backend.supports_defer and not _sender_waiting(when):
        send_due_task.using(run_after=max(when, timezone.now())).enqueue()
    return counts


# Sending is idempotent (a delivery is leased to one sender and marked sent once): a sender
# whose worker died simply runs again.
retry_when_lost(send_due_task, attempts=5)


def _sender_waiting(by) -> bool:
    """Is a sender queued to start at or before `by` (database backend only)?"""
    from django.db.models import Q
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=by),
        task_path=send_due_task.module_path, status=TaskResultStatus.READY).exists()


def recover_sender(live) -> dict:
    """(ops.recovery) Deliveries are due but no sender is queued or running — its enqueue
    failed, or the sender died and was not retried: queue one."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from .actions import _enqueue_sender
    from .models import Delivery, Status

    due = Delivery.objects.filter(status__in=[Status.QUEUED, Status.RETRYING],
                                  next_attempt_at__lte=live.now).exists()
    if not due or _sender_waiting(live.now) or DBTaskResult.objects.filter(
            task_path=send_due_task.module_path, status=TaskResultStatus.RUNNING).exists():
        return {"sender_queued": 0}
    _enqueue_sender()
    return {"sender_queued": 1}
