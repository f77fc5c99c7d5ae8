"""Starting an import: inline when the file is small, otherwise handed to the task
worker (`run_import_task` here, which runs `job.run_import`). Kept apart from `job` so that
the task and the job it runs do not import each other. The task's old dotted path,
`fangkong.registry.tasks.run_import_task` (stored with every task queued before it moved
here), still names this same task."""

import logging

from django.conf import settings
from django.tasks import task
from django.utils import translation
from django.utils.translation import get_language

from fangkong.core.said import said

from ..models import ImportJob, Place
from .job import create_job, fail, run_import
from .messages import NOT_QUEUED
from .rows import count_data_rows

log = logging.getLogger(__name__)


def start_import(actor, place: Place, filename: str, content: bytes) -> ImportJob:
    """Action: check the actor may import into the place and the file's size, store the job,
    then run it in the request when it is small, or in the task worker when it is not."""
    job = create_job(actor, place, filename, content)
    inline = settings.FANGKONG_IMPORT_INLINE_ROWS
    if count_data_rows(job.filename, content, inline) <= inline:
        return run_import(job.id, actor=actor)  # this instance: `file_problem` set if refused
    enqueue(job)
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
