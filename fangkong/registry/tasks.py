"""Background work of the registry (Django tasks; django_tasks_db in production)."""

from django.conf import settings
from django.tasks import task
from django.utils import translation


@task
def run_import_task(job_id: int, language: str | None = None) -> str:
    """Run a roster import too big for the request. Errors are written in `language`
    (the uploader's, at upload time). Returns the job's final status."""
    from .importer.job import run_import  # not the package: importer.queue imports us

    with translation.override(language or settings.LANGUAGE_CODE):
        return str(run_import(job_id).status)
