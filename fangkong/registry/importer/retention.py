"""How long an uploaded roster is kept (named in settings.FANGKONG_RECOVERY, run by the
worker's pass, ops.recovery, every FANGKONG_RECOVER_SECONDS; also `manage.py recover_jobs`).

A roster holds names, ID numbers and phones of a whole community, and once its job is over
the file is no use: the residents it wrote are in the registry, and the job row keeps its
counts, errors and summary for the record. So the stored file (`ImportJob.content`) goes:

- when the job is written ("done", `job._confirmed`) or discarded (放弃, `queue.discard_import`),
  in the same write;
- here, a job checked and never confirmed FANGKONG_IMPORT_UNCONFIRMED_HOURS after its check:
  discarded (it cannot be confirmed any more; its page says why) and its file deleted;
- here, any other finished job (rejected, failed, or kept from before this rule) still
  holding its file that long after it finished.

A job waiting for the worker (queued, confirmed) or being read or written keeps its file.
Each job is one conditional UPDATE (a confirmation at the same moment wins or loses whole)
and one audit event naming the job and its file, at the import place.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from fangkong.audit.actions import record
from fangkong.core.actor import Actor
from fangkong.core.said import said

from ..models import ImportJob
from .messages import EXPIRED, piece

BATCH = 200  # jobs a pass handles of each kind; the next pass takes the rest

FINISHED = [ImportJob.Status.DONE, ImportJob.Status.REJECTED, ImportJob.Status.FAILED,
            ImportJob.Status.DISCARDED]


def kept_for() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.FANGKONG_IMPORT_UNCONFIRMED_HOURS)


def drop_roster_files(live=None) -> dict:
    """(ops.recovery) One pass: unconfirmed jobs past their time discarded, finished jobs'
    files deleted. Returns {counter: n}."""
    now = getattr(live, "now", None) or timezone.now()
    cutoff = now - kept_for()
    actor = Actor.system(via="task")
    counts = {"imports_unconfirmed_discarded": 0, "imports_files_deleted": 0}
    stale = (ImportJob.objects.filter(status=ImportJob.Status.CHECKED)
             .filter(Q(started_at__lt=cutoff) | Q(started_at__isnull=True, created_at__lt=cutoff))
             .select_related("place").defer("content").order_by("id")[:BATCH])
    hours = settings.FANGKONG_IMPORT_UNCONFIRMED_HOURS
    for job in stale:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            message = said(EXPIRED, hours=hours)  # its text in the uploader's language
        with transaction.atomic():
            taken = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
                status=ImportJob.Status.DISCARDED, content=b"", finished_at=now,
                message=message[:500], said=[piece(message)])
            if taken:
                record(actor, "registry.import.expire", job.place,
                       {"job": job.id, "file": job.filename, "rows": job.total_rows,
                        "hours": hours})
                counts["imports_unconfirmed_discarded"] += 1
    old = (ImportJob.objects.filter(status__in=FINISHED).exclude(content=b"")
           .filter(Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff))
           .select_related("place").defer("content").order_by("id")[:BATCH])
    for job in old:
        with transaction.atomic():
            taken = ImportJob.objects.filter(pk=job.pk, status=job.status).exclude(
                content=b"").update(content=b"")
            if taken:
                record(actor, "registry.import.file_deleted", job.place,
                       {"job": job.id, "file": job.filename, "status": job.status})
                counts["imports_files_deleted"] += 1
    return counts
