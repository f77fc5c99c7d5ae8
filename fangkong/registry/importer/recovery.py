"""Imports whose process died (named in settings.FANGKONG_RECOVERY, run by ops.recovery).

An import writes everything in one transaction, so a worker or web process killed while
it reads or writes leaves nothing half-written, but its job row would stay "reading" or
"writing" for ever. Here such a job is queued again for the task worker (its message says
the server stopped and which attempt this is) or, after FANGKONG_JOB_MAX_ATTEMPTS starts,
fails with a message saying why; a queued job whose task was lost is queued again. A
confirmed job lost while written goes back to "confirmed" (its write is planned again and
compared with the summary confirmed, `job._confirmed`), never to an unasked write.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import ImportJob

# A job run in a web process of another machine cannot be checked by its pid: it is
# counted lost this long after it started (an inline import has at most
# FANGKONG_IMPORT_INLINE_ROWS rows and takes seconds).
INLINE_GRACE = datetime.timedelta(minutes=15)
# A queued job gets this long to have its task written before it counts as lost.
QUEUE_GRACE = datetime.timedelta(minutes=2)

RUNNING = [ImportJob.Status.READING, ImportJob.Status.WRITING]
WAITING = [ImportJob.Status.QUEUED, ImportJob.Status.CONFIRMED]  # for the task worker


def recover_imports(live) -> dict:
    """Import jobs whose runner is gone, or queued jobs whose task went missing: run again,
    failed, or queued again. `live`: the worker's liveness (ops.recovery.Liveness, passed
    through settings.FANGKONG_RECOVERY, so the registry imports nothing of ops)."""
    counts = {"imports_retried": 0, "imports_failed": 0, "imports_requeued": 0}
    for job in ImportJob.objects.filter(status__in=RUNNING).only(
            "id", "runner", "started_at", "attempts", "language", "confirmed_at"):
        if live.dead(job.runner, job.started_at, INLINE_GRACE):
            outcome = _lost(job)
            if outcome:
                counts[outcome] += 1
    queued = list(ImportJob.objects.filter(status__in=WAITING,
                                           created_at__lt=live.now - QUEUE_GRACE)
                  .only("id", "task_id", "language"))
    if queued and _uses_task_queue():
        waiting = live.pending_tasks([j.task_id for j in queued])
        for job in queued:
            if job.task_id not in waiting:
                _requeue(job)
                counts["imports_requeued"] += 1
    return counts


def _uses_task_queue() -> bool:
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def _lost(job: ImportJob) -> str:
    """Queue the job again, or fail it after its last attempt; "" if it moved meanwhile."""
    limit = settings.FANGKONG_JOB_MAX_ATTEMPTS
    with translation.override(job.language or settings.LANGUAGE_CODE):
        if job.attempts >= limit:
            status, outcome = ImportJob.Status.FAILED, "imports_failed"
            message = ngettext(
                "The server running this import stopped before it finished; nothing was "
                "imported. Please import the file again, or tell your administrator if this "
                "happens again.",
                "The server running this import stopped %(n)d times before it finished; "
                "nothing was imported. Please import the file again, or tell your "
                "administrator if this happens again.", job.attempts) % {"n": job.attempts}
        else:
            status, outcome = ImportJob.Status.QUEUED, "imports_retried"
            if job.confirmed_at is not None:  # confirmed: its write is run again
                status = ImportJob.Status.CONFIRMED
            message = _("The server running this import stopped before it finished; nothing "
                        "was saved. It is being imported again (attempt %(next)d of %(max)d).") % {
                "next": job.attempts + 1, "max": limit}
    now = timezone.now()
    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, status__in=RUNNING, runner=job.runner).update(
            status=status, message=message[:500], said=[], runner="", processed_rows=0, task_id="",
            finished_at=now if status == ImportJob.Status.FAILED else None)
        if moved and status in WAITING:
            transaction.on_commit(lambda: _enqueue(job.pk))
    return outcome if moved else ""


def _requeue(job: ImportJob):
    ImportJob.objects.filter(pk=job.pk, status__in=WAITING, task_id=job.task_id) \
        .update(task_id="")
    _enqueue(job.pk)


def _enqueue(job_id: int):
    from .queue import enqueue

    job = ImportJob.objects.filter(pk=job_id).only("id", "language", "task_id").first()
    if job is not None and not job.task_id:
        enqueue(job)
