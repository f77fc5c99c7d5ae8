"""The import job: create, run, reject or finish (starting one, inline or queued: `queue`)."""

import hashlib
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm
from fangkong.core.errors import Invalid
from fangkong.core.said import said

from ..access import require
from ..models import (
    ImportJob,
    Kind,
    Place,
)
from .columns import (
    FILE_ROW,
    IMPORT_KINDS,
    MAX_STORED_ERRORS,
    file_error,
    missing_columns_error,
    sorted_errors,
)
from .messages import (
    CHECKED,
    COLUMNS_IGNORED,
    IMPORTED,
    INTERNAL,
    JOINED,
    KEPT,
    NOT_ALLOWED,
    PROBLEMS,
    REGISTRY_CHANGED,
    SUMMARY_CHANGED,
    WARNED,
    WORKER_STOPPED,
    error_piece,
    piece,
)
from .rows import parse
from .writer import Plan

log = logging.getLogger(__name__)




def _set_progress(job_id):
    def progress(done, total):
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)
    return progress


def run_import(job_id: int, *, actor=None, progress=None) -> ImportJob:
    """Run one import job as far as it may go without a person.

    A queued job is read, checked and planned: "checked" (waiting for a confirmation, with
    its `summary`), or rejected (with errors), or failed; nothing is written. A confirmed
    job (`queue.confirm_import`) is planned again and written ("done") if the plan's summary
    is the one confirmed, or goes back to "checked" with the new summary otherwise.

    `actor` defaults to the job's user (or who confirmed it); `progress(done, total)` is
    called as rows are checked, after the job row itself is updated. Runs only a job that
    is still queued or confirmed, so a task delivered twice (or a second tap on confirm)
    does the work once.
    """
    from fangkong.core.actor import Actor

    # Taken by this process (its identity: if it dies, ops.recovery sees it and queues the
    # job again or fails it, with a message on its page).
    runner = import_string(settings.FANGKONG_RUNNER_IDENTITY)()
    taken = False
    for waiting, running in ((ImportJob.Status.QUEUED, ImportJob.Status.READING),
                             (ImportJob.Status.CONFIRMED, ImportJob.Status.WRITING)):
        taken = ImportJob.objects.filter(pk=job_id, status=waiting).update(
            status=running, runner=runner, started_at=timezone.now(), attempts=F("attempts") + 1)
        if taken:
            break
    job = ImportJob.objects.select_related("place", "user", "confirmed_by").get(pk=job_id)
    if not taken:
        return job
    writing = job.status == ImportJob.Status.WRITING
    if actor is None:
        actor = Actor.system((job.confirmed_by if writing else None) or job.user, via="import")
    try:
        if writing:
            _confirmed(job, actor, progress)
        else:
            _check(job, actor, progress)
    except BaseException as e:
        if not isinstance(e, Exception):  # the worker told to stop at once (SystemExit…)
            fail(job, said(WORKER_STOPPED))
            raise
        log.exception("import %s failed", job.id)
        fail(job, said(REGISTRY_CHANGED if isinstance(e, IntegrityError) else INTERNAL))
    return job


def fail(job: ImportJob, message: str):
    """Failed, nothing written; `message` (a said one: `importer.messages`) says why."""
    job.status = ImportJob.Status.FAILED
    job.message = message[:500]
    job.said = [piece(message)]
    job.finished_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status=job.status, message=job.message,
                                               said=job.said, finished_at=job.finished_at)


def _plan(job: ImportJob, actor, progress):
    """Read, check and plan the job's file (nothing written): (parsed, plan), or None when
    the job was rejected."""
    place = job.place
    if not actor.scope.allows(Perm.IMPORT, place):
        return _reject(job, [file_error(said(NOT_ALLOWED, place=place.name))], 0)
    save_progress = _set_progress(job.id)

    def on_progress(done, total):
        save_progress(done, total)
        if progress:
            progress(done, total)

    parsed = parse(job.filename, bytes(job.content), progress=on_progress)
    # Columns the import place makes necessary, said with the file's own missing ones: every
    # missing column in one message, whichever it is (a sheet was read: it has a header row)
    kind = Kind(place.kind)
    need = []
    if parsed.header_row and kind in (Kind.COMMUNITY, Kind.GRID) and "compound" not in parsed.columns:
        need.append("compound")
    if parsed.header_row and kind in (Kind.COMMUNITY, Kind.GRID, Kind.COMPOUND) \
            and "building" not in parsed.columns:
        need.append("building")
    if parsed.structural:
        errors = parsed.errors
        if need:
            told = missing_columns_error(parsed.missing, parsed.header_row) if parsed.missing else None
            errors = [missing_columns_error(parsed.missing + need, parsed.header_row),
                      *(e for e in errors if e != told)]
        return _reject(job, errors, parsed.total, file_problem=True)
    if need:  # the file cannot be used here, as a column the file itself lacks
        return _reject(job, [missing_columns_error(need, parsed.header_row)], parsed.total, file_problem=True)
    plan = Plan(actor, place, parsed)
    plan.load()
    plan.plan()
    errors = parsed.errors + plan.errors
    if errors:
        return _reject(job, errors, parsed.total)
    return parsed, plan


def _check(job: ImportJob, actor, progress):
    """Checked: the summary of what the write will do, kept on the job; nothing written."""
    planned = _plan(job, actor, progress)
    if planned is not None:
        parsed, plan = planned
        _checked(job, parsed.total, plan.summary(), said(CHECKED, rows=parsed.total))


def _checked(job: ImportJob, total: int, summary: dict, message: str):
    job.status = ImportJob.Status.CHECKED
    job.total_rows = job.processed_rows = total
    job.summary = summary
    job.message, job.said = message[:500], [piece(message)]
    job.save(update_fields=["status", "total_rows", "processed_rows", "summary", "message",
                            "said"])


def _confirmed(job: ImportJob, actor, progress):
    """Confirmed: planned again on the registry as it is now; written if the summary is the
    one confirmed, otherwise back to "checked" with the new one (asked again)."""
    planned = _plan(job, actor, progress)
    if planned is None:  # the registry changed so that the file does not fit any more
        return
    parsed, plan = planned
    summary = plan.summary()
    if summary["digest"] != (job.summary or {}).get("digest"):
        return _checked(job, parsed.total, summary, said(SUMMARY_CHANGED, place=job.place.name))
    job.total_rows = job.processed_rows = parsed.total
    with transaction.atomic():
        counts = plan.write(job)
        job.status = ImportJob.Status.DONE
        job.created_count = counts["created"]
        job.updated_count = counts["updated"]
        job.unchanged_count = counts["unchanged"]
        job.households_created = counts["households_created"]
        job.places_created = counts["places_created"]
        job.error_count, job.errors = 0, []
        said_now = [said(IMPORTED, rows=parsed.total, **{k: counts[k] for k in
                                                          ("created", "updated", "unchanged")})]
        job.joined_count = counts["joined"]
        job.warnings = plan.stored_warnings[:MAX_STORED_ERRORS]
        if counts["joined"]:
            said_now.append(said(JOINED, n=counts["joined"], addresses=plan.joined_addresses))
        if counts["kept"]:
            said_now.append(said(KEPT, n=counts["kept"]))
        if plan.stored_warnings:
            said_now.append(said(WARNED, n=len(plan.stored_warnings)))
        if parsed.ignored:
            said_now.append(said(COLUMNS_IGNORED, columns=list(parsed.ignored)))
        job.message = " ".join(said_now)[:500]
        job.said = [piece(m) for m in said_now]
        job.finished_at = timezone.now()
        job.content = b""  # written: the file (names, ID numbers, phones) is not kept
        job.save(update_fields=[*RESULT_FIELDS, "content"])


RESULT_FIELDS = ["status", "total_rows", "processed_rows", "created_count", "updated_count",
                 "unchanged_count", "households_created", "places_created", "error_count",
                 "errors", "joined_count", "warnings", "message", "said", "finished_at"]


def _reject(job: ImportJob, errors: list[dict], total: int, *, file_problem=False):
    """Rejected: nothing written. `file_problem`: the file itself could not be used (read
    past a limit, no header, columns missing), as against rows with errors; kept on the
    instance only (`job.file_problem`), for the page that started it to answer 422."""
    errors = sorted_errors(errors)
    job.file_problem = file_problem
    job.status = ImportJob.Status.REJECTED
    job.error_count = len(errors)
    job.errors = errors[:MAX_STORED_ERRORS]
    job.total_rows = total
    job.processed_rows = total
    if (len(errors) == 1 and errors[0]["row"] == FILE_ROW) or file_problem:
        job.message = " ".join(e["message"] for e in errors[:3])[:500]
        job.said = [error_piece(e) for e in errors[:3]]
    else:
        message = said(PROBLEMS, n=len(errors))
        job.message, job.said = message, [piece(message)]
    job.finished_at = timezone.now()
    job.save(update_fields=RESULT_FIELDS)


# --- the entry point ---------------------------------------------------------

def create_job(actor, place: Place, filename: str, content: bytes) -> ImportJob:
    """Check the actor may import here and the file's size; store the file as a queued job."""
    require(actor, Perm.IMPORT, place)
    if place.kind not in IMPORT_KINDS:
        raise Invalid(fields={"place": [_(
            "A roster can be imported into a community, grid, compound, building or unit.")]})
    check_file(filename, content)
    user = actor.user if actor.user and actor.user.is_authenticated else None
    if user is None:
        raise Invalid(fields={"user": [_("An import must be made by a user.")]})
    name = (filename or "roster").replace("\\", "/").rsplit("/", 1)[-1][:200]
    return ImportJob.objects.create(user=user, place=place, filename=name, content=content,
                                    sha256=hashlib.sha256(content).hexdigest(),
                                    language=(get_language() or "")[:10])


def check_file(filename: str, content: bytes):
    """What can be told of a roster file at once, before it is stored: its size, its kind
    (an .xls, a workbook with macros…) and, for a workbook, its zip directory (a “zip
    bomb”). The rows are read later, by the same functions, within the same limits."""
    from fangkong.core.uploads import check_size, spreadsheet_kind
    from fangkong.core.xlsx import open_xlsx

    check_size(content, settings.FANGKONG_IMPORT_MAX_BYTES)
    if spreadsheet_kind(filename, content) == "xlsx":
        open_xlsx(content).close()
