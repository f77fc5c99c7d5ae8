"""Starting an import (read, checked and planned: nothing written), confirming it (the
write) or discarding it: inline when the file is small, otherwise handed to the task
worker (`run_import_task` here, which runs `job.run_import`). Kept apart from `job` so that
the task and the job it runs do not import each other. The task's old dotted path,
`fangkong.registry.tasks.run_import_task` (stored with every task queued before it moved
here), still names this same task."""

import logging

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import get_language

from fangkong.accounts.roles import Perm
from fangkong.audit.actions import record
from fangkong.core.said import said

from ..access import require
from ..models import ImportJob, Place
from .job import create_job, fail, run_import
from .messages import DISCARDED, NOT_QUEUED, piece
from .rows import count_data_rows

log = logging.getLogger(__name__)


def start_import(actor, place: Place, filename: str, content: bytes) -> ImportJob:
    """Action: check the actor may import into the place and the file's size, store the job,
    then read, check and plan it (nothing written) in the request when it is small, or in
    the task worker when it is not. A clean file ends "checked", with its summary, waiting
    for `confirm_import`; a bad one "rejected"."""
    job = create_job(actor, place, filename, content)
    inline = settings.FANGKONG_IMPORT_INLINE_ROWS
    if count_data_rows(job.filename, content, inline) <= inline:
        return run_import(job.id, actor=actor)  # this instance: `file_problem` set if refused
    enqueue(job)
    job.refresh_from_db()
    return job


def confirm_import(actor, job: ImportJob, digest: str = "", *, here=False,
                   progress=None) -> ImportJob:
    """Action: write a checked import (the "确认导入" tap). Only a job still "checked" (and,
    given `digest`, whose summary is still the one the person saw) moves on, so a second
    tap or a retry writes nothing more. The file is planned again on the registry as it is
    now and written if the summary is the same; otherwise the job is "checked" again with
    the new summary, to be confirmed again (`job.asked_again` is True then). Small files
    are written in the request, big ones by the task worker; `here`: in this process
    whatever the size (the command line, the benchmark), with `progress` as `run_import`'s."""
    require(actor, Perm.IMPORT, job.place)
    user = actor.user if actor.user and actor.user.is_authenticated else None
    ours = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED)
    if digest:
        ours = ours.filter(summary__digest=digest)
    taken = ours.update(status=ImportJob.Status.CONFIRMED, confirmed_by=user,
                        confirmed_at=timezone.now(), task_id="", runner="", attempts=0)
    if not taken:
        job.refresh_from_db()
        job.asked_again = job.status == ImportJob.Status.CHECKED
        return job
    if here or job.total_rows <= settings.FANGKONG_IMPORT_INLINE_ROWS:
        job = run_import(job.id, actor=actor, progress=progress)
    else:
        enqueue(job)
        job.refresh_from_db()
    job.asked_again = job.status == ImportJob.Status.CHECKED
    return job


def discard_import(actor, job: ImportJob) -> ImportJob:
    """Action: drop a checked import ("放弃"): nothing is written, it cannot be confirmed
    any more, and the uploaded file (names, ID numbers, phones) is deleted in the same write;
    the job row stays, with its counts, for the record (audited: "registry.import.discard").
    A job no longer "checked" (already confirmed, written) is left as it is."""
    require(actor, Perm.IMPORT, job.place)
    message = said(DISCARDED)
    with transaction.atomic():
        taken = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
            status=ImportJob.Status.DISCARDED, finished_at=timezone.now(), message=message[:500],
            said=[piece(message)], content=b"")
        if taken:
            record(actor, "registry.import.discard", job.place,
                   {"job": job.id, "file": job.filename, "rows": job.total_rows})
    job.refresh_from_db()
    return job


def enqueue(job: ImportJob):
    """Hand the job to the task worker and remember the task (recovery checks it is still
    there). If the queue cannot be written, the job fails with a message at once."""
    try:
        result = run_import_task.enqueue(job.id, job.language or get_language())
    except Exception:
        log.exception("could not queue import %s", job.id)
        fail(job, said(NOT_QUEUED))
        return
    ImportJob.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id))


@task
def run_import_task(job_id: int, language: str | None = None) -> str:
    """Run a roster import too big for the request (in the task worker). Errors are written
    in `language` (the uploader's, at upload time). Returns the job's final status."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return str(run_import(job_id).status)
