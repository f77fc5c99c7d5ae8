"""Background sending of notifications (Django tasks; the db_worker in production).
Actions queue the sender through `send_after_commit`; the sender is `sending.send_due`."""

import logging

from django.db import connections, router, transaction
from django.tasks import default_task_backend, task
from django.utils import timezone

from fangkong.ops.recovery import retry_when_lost


@task
def send_due_task() -> dict:
    """Send everything due; if messages are still waiting (a retry's back-off, or rows a
    dead sender had claimed) and the backend can defer, come back when the next one is due,
    unless a sender is already queued by then (`manage.py notify_send` does the same from
    cron)."""
    from .sending import next_due, send_due

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

    from .models import Delivery, Status

    due = Delivery.objects.filter(status__in=[Status.QUEUED, Status.RETRYING],
                                  next_attempt_at__lte=live.now).exists()
    if not due or _sender_waiting(live.now) or DBTaskResult.objects.filter(
            task_path=send_due_task.module_path, status=TaskResultStatus.RUNNING).exists():
        return {"sender_queued": 0}
    enqueue_sender()
    return {"sender_queued": 1}


def enqueue_sender():
    try:
        send_due_task.enqueue()
    except Exception:  # the deliveries are stored; `manage.py notify_send` sends them
        logging.getLogger("fangkong.notify").exception("could not queue the notification sender")


def send_after_commit():
    """Queue the sender once the transaction commits; once per transaction is enough (it
    sends everything that is due)."""
    from .models import Delivery

    conn = connections[router.db_for_write(Delivery)]
    if any(func is enqueue_sender for _sids, func, _robust in conn.run_on_commit):
        return
    transaction.on_commit(enqueue_sender, robust=True)
