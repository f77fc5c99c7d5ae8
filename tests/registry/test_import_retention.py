"""An uploaded roster (names, ID numbers, phones) is not kept once its import is over: deleted
when the job is written or discarded (放弃, page and API alike), and by the worker's pass
(ops.recovery → `registry.importer.retention`) when it was checked and never confirmed within
FANGKONG_IMPORT_UNCONFIRMED_HOURS, or finished and still holding its file that long. The job
row stays with its counts and errors; each deletion is audited at the import place. A fresh
checked job, and one waiting for the worker, keep their file."""

import datetime

import pytest
from django.utils import timezone, translation

from fangkong.audit.models import AuditEvent
from fangkong.ops.recovery import recover
from fangkong.registry import importer
from fangkong.registry.importer.messages import job_message
from fangkong.registry.models import ImportJob, Resident
from tests.conftest import actor_for
from tests.registry.test_import import csv_bytes, new_id, person

S = ImportJob.Status


def _upload(world, name, n, door, rows=None):
    rows = rows or [person(1, name, new_id(n), door)]
    job = importer.start_import(actor_for(world.users.staff), world.community, "roster.csv",
                                csv_bytes(rows))
    assert job.status in (S.CHECKED, S.REJECTED), job.errors[:3]
    return job


def _file(job) -> bytes:
    return bytes(ImportJob.objects.get(pk=job.pk).content)


def _age(job, hours):
    """The job as if checked (and finished) `hours` ago."""
    then = timezone.now() - datetime.timedelta(hours=hours)
    ImportJob.objects.filter(pk=job.pk).update(created_at=then, started_at=then,
                                               finished_at=then if job.is_finished else None)


def test_a_written_import_keeps_its_counts_not_its_file(world):
    job = _upload(world, "写入者", 201, "901")
    assert _file(job)  # held while it waits for 确认导入
    job = importer.confirm_import(actor_for(world.users.staff), job, job.summary["digest"])
    assert job.status == S.DONE and job.created_count == 1
    assert _file(job) == b""
    kept = ImportJob.objects.get(pk=job.pk)
    assert (kept.status, kept.created_count, kept.total_rows, kept.filename) == \
        (S.DONE, 1, 1, "roster.csv")
    assert Resident.objects.filter(name="写入者").exists()


@pytest.mark.parametrize("way", ["page", "api"])
def test_a_discarded_import_keeps_no_file_and_is_audited(world, login, way):
    job = _upload(world, "放弃者", 202, "902")
    assert _file(job)
    c = login(world.users.staff)
    if way == "page":
        r = c.post(f"/imports/{job.id}/discard/")
        assert r.status_code == 302
    else:
        r = c.post(f"/api/v1/imports/{job.id}/discard")
        assert r.status_code == 200 and r.json()["status"] == "discarded"
    job.refresh_from_db()
    assert job.status == S.DISCARDED and job.total_rows == 1 and _file(job) == b""
    event = AuditEvent.objects.get(action="registry.import.discard")
    assert event.actor == world.users.staff and event.community_id == world.community.id
    assert event.changes == {"job": job.id, "file": "roster.csv", "rows": 1}
    # discarding again records nothing more
    importer.discard_import(actor_for(world.users.staff), job)
    assert AuditEvent.objects.filter(action="registry.import.discard").count() == 1


def test_the_worker_discards_a_job_never_confirmed_and_leaves_fresh_ones(world, settings, login):
    settings.FANGKONG_IMPORT_UNCONFIRMED_HOURS = 24
    stale = _upload(world, "久置", 203, "903")
    fresh = _upload(world, "刚传", 204, "904")
    _age(stale, 25)
    _age(fresh, 23)
    counts = recover()  # the worker's pass (settings.FANGKONG_RECOVERY)
    assert counts["imports_unconfirmed_discarded"] == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == S.DISCARDED and _file(stale) == b"" and stale.total_rows == 1
    assert stale.summary["counts"]["created"] == 1  # the record of what it would have done
    with translation.override("en"):
        assert job_message(stale).startswith("Not confirmed within 24 hours: discarded")
    with translation.override("zh-hans"):
        assert job_message(stale).startswith("24 小时内未确认：已放弃")
    assert fresh.status == S.CHECKED and _file(fresh)
    page = login(world.users.staff).get(f"/imports/{stale.id}/", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Not confirmed within 24 hours" in page.content.decode()
    event = AuditEvent.objects.get(action="registry.import.expire")
    assert event.actor is None and event.via == "task" and event.community_id == world.community.id
    assert event.changes == {"job": stale.id, "file": "roster.csv", "rows": 1, "hours": 24}
    # too late to confirm it; a second pass does nothing more
    job = importer.confirm_import(actor_for(world.users.staff), stale, stale.summary["digest"])
    assert job.status == S.DISCARDED and not Resident.objects.filter(name="久置").exists()
    assert recover()["imports_unconfirmed_discarded"] == 0
    # the fresh one is still confirmed as usual
    job = importer.confirm_import(actor_for(world.users.staff), fresh, fresh.summary["digest"])
    assert job.status == S.DONE and Resident.objects.filter(name="刚传").exists()


def test_the_time_is_a_setting(world, settings):
    settings.FANGKONG_IMPORT_UNCONFIRMED_HOURS = 1
    job = _upload(world, "一小时", 205, "905")
    _age(job, 2)
    recover()
    job.refresh_from_db()
    assert job.status == S.DISCARDED and _file(job) == b""


def test_finished_jobs_lose_their_file_in_time_and_waiting_ones_keep_it(world):
    rejected = _upload(world, "", 206, "906", rows=[person(1, "坏行", "123", "906")])
    assert rejected.status == S.REJECTED and rejected.error_count
    recent_rejected = _upload(world, "", 207, "907", rows=[person(1, "坏行二", "456", "907")])
    waiting = _upload(world, "待写", 208, "908")
    # kept from before this rule: a written job still holding its file
    old_done = _upload(world, "旧写入", 209, "909")
    importer.confirm_import(actor_for(world.users.staff), old_done, old_done.summary["digest"])
    content = csv_bytes([person(1, "旧写入", new_id(209), "909")])
    ImportJob.objects.filter(pk=old_done.pk).update(content=content)
    for job in (rejected, old_done):
        job.refresh_from_db()
        _age(job, 48)
    # confirmed, waiting for the worker, long ago: its file is what the worker will write
    ImportJob.objects.filter(pk=waiting.pk).update(status=S.CONFIRMED)
    waiting.refresh_from_db()
    _age(waiting, 48)

    counts = recover()
    assert counts["imports_files_deleted"] == 2
    for job in (rejected, old_done):
        job.refresh_from_db()
        assert _file(job) == b""
    assert rejected.status == S.REJECTED and rejected.error_count and rejected.errors
    assert old_done.status == S.DONE and old_done.created_count == 1
    assert _file(recent_rejected) and _file(waiting)
    assert sorted(AuditEvent.objects.filter(action="registry.import.file_deleted")
                  .values_list("changes__status", flat=True)) == ["done", "rejected"]
