"""Background sending of notifications (Django tasks; the db_worker in production)."""

from django.tasks import default_task_backend, task


@task
def send_due_task() -> dict:
    """Send everything due; if retries are waiting and the backend can defer, come back
    when the next one is due (`manage.py notify_send` does the same from cron)."""
    from .actions import next_due, send_due

    counts = send_due()
    when = next_due()
    if when is not None and default_task_backend.supports_defer:
        send_due_task.using(run_after=when).enqueue()
    return counts
