"""Work whose process died is retried or failed with a reason, never left running.

These tests play the dead process with a runner name whose pid no longer runs (a child
that has exited) or, for another machine, a heartbeat older than the lease. The real
thing — SIGKILL of a worker and of the server under load — is tests/fault/.
"""

import datetime
import subprocess
import sys

import pytest
from django.utils import timezone, translation
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from fangkong.notify import sending as notify_sending
from fangkong.notify.models import Delivery, Status
from fangkong.notify.tasks import send_due_task
from fangkong.ops import processes
from fangkong.ops.models import WorkerBeat
from fangkong.ops.recovery import WORKER_LOST, recover
from fangkong.registry.importer import create_job, run_import
from fangkong.registry.models import ImportJob, Resident
from fangkong.registry.tasks import run_import_task
from tests.conftest import actor_for
from tests.registry.test_import import new_id, person, xlsx_bytes

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(scope="module")
def dead_runner():
    """The runner name of a process of this machine that has exited."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return f"{processes.host()}|{int(child.stdout)}|1.deadbeef"


def claimed(task, runner, *args):
    """A task as django-tasks-db leaves it once a worker has claimed it."""
    row = DBTaskResult.objects.get(pk=task.enqueue(*args).id)
    row.claim(runner)
    return row


def test_this_process_is_alive_and_an_exited_one_is_dead(dead_runner):
    assert processes.alive(processes.identity()) is True
    assert processes.alive(dead_runner) is False


def test_a_reused_pid_does_not_make_a_dead_runner_alive():
    host, pid, start = processes.parse(processes.identity())
    assert processes.alive(f"{host}|{pid}|{start}0") is False


def test_another_machine_is_judged_by_its_heartbeat(db):
    now = timezone.now()
    lease = processes.lease()
    runner = "far-away|4242|7.abcdef12"
    assert processes.alive(runner, {runner: now - lease / 2}, now) is True
    assert processes.alive(runner, {runner: now - lease * 2}, now) is False
    assert processes.alive(runner, {}, now) is None  # no heartbeat: not a worker


@pytest.mark.django_db
def test_a_task_of_a_dead_worker_fails_with_the_reason(settings, dead_runner, world):
    settings.TASKS = DB_TASKS
    job = create_job(actor_for(world.users.staff), world.community, "r.csv", b"x")
    row = claimed(run_import_task, dead_runner, job.id, "zh-hans")

    counts = recover()

    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == WORKER_LOST
    assert dead_runner in row.traceback
    assert counts["tasks_failed"] == 1
    assert recover()["tasks_failed"] == 0  # handled once


@pytest.mark.django_db
def test_a_task_of_a_live_worker_is_left_alone(settings, db):
    settings.TASKS = DB_TASKS
    row = claimed(send_due_task, processes.identity())
    recover()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING


@pytest.mark.django_db
def test_the_sender_of_a_dead_worker_runs_again(settings, dead_runner, db):
    settings.TASKS = DB_TASKS
    row = claimed(send_due_task, dead_runner)
    assert recover()["tasks_retried"] == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY
    assert DBTaskResult.objects.ready().filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_a_sender_that_keeps_dying_is_given_up_after_five_claims(settings, dead_runner, db):
    settings.TASKS = DB_TASKS
    row = claimed(send_due_task, dead_runner)
    for _ in range(4):
        recover()
        row.refresh_from_db()
        row.claim(dead_runner)
    recover()
    row.refresh_from_db()
    assert len(row.worker_ids) == 5
    assert row.status == TaskResultStatus.FAILED


@pytest.mark.django_db
def test_a_worker_on_another_machine_that_stopped_beating_is_dead(settings, db):
    settings.TASKS = DB_TASKS
    runner = "far-away|4242|7.abcdef12"
    now = timezone.now()
    WorkerBeat.objects.create(runner=runner, host="far-away", pid=4242,
                              beat_at=now - datetime.timedelta(seconds=30))
    row = claimed(send_due_task, runner)
    recover()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING  # beat 30 s ago: within the 60 s lease

    WorkerBeat.objects.filter(runner=runner).update(beat_at=now - datetime.timedelta(minutes=5))
    recover()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY
    assert not WorkerBeat.objects.filter(runner=runner).exists()  # forgotten


# --- the import job ---------------------------------------------------------------------

def roster(n=30):
    return xlsx_bytes([person(i, f"居民{i}", new_id(500 + i), f"{100 + i}") for i in range(1, n + 1)])


def lost_import(world, runner, *, attempts=1, status=ImportJob.Status.WRITING, language="zh-hans"):
    """An import job whose process died while it was `status` (writing: once checked and
    confirmed, as every write is)."""
    confirmed = {}
    with translation.override(language):
        job = create_job(actor_for(world.users.staff), world.community, "roster.xlsx", roster())
        if status == ImportJob.Status.WRITING:
            job = run_import(job.id, actor=actor_for(world.users.staff))
            assert job.status == ImportJob.Status.CHECKED
            confirmed = {"confirmed_by": world.users.staff, "confirmed_at": timezone.now()}
    ImportJob.objects.filter(pk=job.pk).update(status=status, runner=runner, attempts=attempts,
                                               started_at=timezone.now(), **confirmed)
    return job


@pytest.mark.django_db
def test_an_import_whose_worker_died_is_imported_again(world, dead_runner,
                                                       django_capture_on_commit_callbacks):
    job = lost_import(world, dead_runner)
    before = Resident.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        counts = recover()  # the test suite's task backend runs the new task at once

    job.refresh_from_db()
    assert counts["imports_retried"] == 1
    assert job.status == ImportJob.Status.DONE
    assert job.attempts == 2
    assert Resident.objects.count() == before + 30


@pytest.mark.django_db
def test_the_page_says_the_import_is_being_tried_again(settings, world, dead_runner, client,
                                                       django_capture_on_commit_callbacks):
    settings.TASKS = DB_TASKS  # queued for a worker: the job waits, and says why
    job = lost_import(world, dead_runner, status=ImportJob.Status.READING)
    with django_capture_on_commit_callbacks(execute=True):
        recover()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    assert DBTaskResult.objects.filter(pk=job.task_id, status=TaskResultStatus.READY).exists()

    # written in the uploader's language (Chinese here), shown while the job waits
    assert job.message == ("执行导入的服务器在完成前停止了，没有保存任何数据。"
                           "系统正在重新导入（第 2 次，共 3 次）。")
    client.force_login(world.users.staff)
    page = client.get(f"/imports/{job.id}/").content.decode()
    assert job.message in page
    assert 'hx-trigger="every 1s"' in page  # and the page keeps watching


@pytest.mark.django_db
def test_an_import_that_keeps_dying_fails_with_the_reason(world, dead_runner, client):
    job = lost_import(world, dead_runner, attempts=3, language="en")
    before = Resident.objects.count()

    assert recover()["imports_failed"] == 1

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.finished_at is not None
    assert Resident.objects.count() == before
    client.force_login(world.users.staff)
    body = client.get(f"/api/v1/imports/{job.id}").json()
    assert body["status"] == "failed" and body["finished"] is True
    assert "stopped 3 times before it finished; nothing was imported" in body["message"]


@pytest.mark.django_db
def test_an_import_run_by_a_live_process_is_left_alone(world):
    job = lost_import(world, processes.identity())
    recover()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.WRITING


@pytest.mark.django_db
def test_an_import_of_another_machines_web_process_gets_a_grace_period(
        world, django_capture_on_commit_callbacks):
    job = lost_import(world, "far-away|99|5.abcdef12")
    recover()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.WRITING
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        recover()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE


@pytest.mark.django_db
def test_a_queued_import_whose_task_was_lost_is_queued_again(settings, world):
    settings.TASKS = DB_TASKS
    job = create_job(actor_for(world.users.staff), world.community, "roster.xlsx", roster())
    from fangkong.registry.importer.queue import enqueue

    enqueue(job)
    job.refresh_from_db()
    DBTaskResult.objects.filter(pk=job.task_id).update(status=TaskResultStatus.FAILED)
    task_id = job.task_id
    recover()
    job.refresh_from_db()
    assert job.task_id == task_id  # too young: its new task may still be being written
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))

    assert recover()["imports_requeued"] == 1
    job.refresh_from_db()
    assert DBTaskResult.objects.filter(pk=job.task_id, status=TaskResultStatus.READY).exists()


@pytest.mark.django_db
def test_an_import_whose_task_cannot_be_queued_fails_at_once(settings, world, monkeypatch):
    from types import SimpleNamespace

    from fangkong.registry.importer import queue

    def broken(*a, **k):
        raise RuntimeError("queue down")

    monkeypatch.setattr(queue, "run_import_task", SimpleNamespace(enqueue=broken))
    settings.FANGKONG_IMPORT_INLINE_ROWS = 5
    from fangkong.registry.importer import start_import

    with translation.override("en"):
        job = start_import(actor_for(world.users.staff), world.community, "roster.xlsx", roster())
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("The import could not be started")


# --- notifications ------------------------------------------------------------------------

@pytest.fixture
def grid_worker(world):
    """A user with a phone: notifying them queues one delivery."""
    u = world.users.grid
    u.phone = "13900000001"
    u.save(update_fields=["phone"])
    return u


@pytest.mark.django_db
def test_messages_claimed_by_a_dead_sender_are_sent_when_its_lease_ends(settings, world,
                                                                       grid_worker):
    settings.TASKS = DB_TASKS
    from fangkong.notify.actions import notify

    notify(actor_for(world.users.staff), [world.users.grid], kind="t", title="hello")
    d = Delivery.objects.get()
    start = timezone.now()
    assert [x.pk for x in notify_sending._claim(start, 10)] == [d.pk]  # then the sender died
    DBTaskResult.objects.all().delete()

    assert recover()["sender_queued"] == 0  # leased: not due yet
    later = start + notify_sending.LEASE + datetime.timedelta(seconds=1)
    assert notify_sending.send_due(now=later)["sent"] == 1
    d.refresh_from_db()
    assert d.status == Status.SENT and d.attempts == 1


@pytest.mark.django_db
def test_the_sender_is_queued_when_messages_are_due_and_none_is(settings, world, grid_worker):
    settings.TASKS = DB_TASKS
    from fangkong.notify.actions import notify

    notify(actor_for(world.users.staff), [world.users.grid], kind="t", title="hello")
    DBTaskResult.objects.all().delete()  # its enqueue was lost
    assert recover()["sender_queued"] == 1
    assert recover()["sender_queued"] == 0  # one is waiting now
    assert DBTaskResult.objects.filter(task_path=send_due_task.module_path).count() == 1


@pytest.mark.django_db
def test_a_waiting_sender_comes_back_when_a_dead_senders_lease_ends(settings, world,
                                                                     grid_worker):
    settings.TASKS = DB_TASKS
    from fangkong.notify.actions import notify
    from fangkong.notify.sending import next_due

    notify(actor_for(world.users.staff), [world.users.grid], kind="t", title="hello")
    start = timezone.now()
    notify_sending._claim(start, 10)
    assert next_due() == start + notify_sending.LEASE


@pytest.mark.django_db
def test_a_slow_batch_keeps_its_lease_and_records_what_it_sent(settings, world, monkeypatch):
    """A batch that outlasts a third of the lease marks what it sent and renews the rest;
    a row another sender took over meanwhile is left to it."""
    from fangkong.notify import channels
    from fangkong.notify.actions import notify

    users = [world.users.grid, world.users.leader, world.users.volunteer]
    for u in users:
        u.phone = f"1390000{u.pk:04d}"
        u.save()
    notify(actor_for(world.users.staff), users, kind="t", title="hello")
    ids = list(Delivery.objects.order_by("id").values_list("pk", flat=True))
    assert len(ids) == 3
    clock = [0.0]
    monkeypatch.setattr(notify_sending.time, "monotonic", lambda: clock[0])
    sent_ids = []

    class Slow(channels.Console):
        def send(self, d):
            sent_ids.append(d.pk)
            if d.pk == ids[0]:
                clock[0] += notify_sending.LEASE.total_seconds()  # a very slow gateway
                # meanwhile another sender took over the last row (its lease ran out)
                Delivery.objects.filter(pk=ids[2]).update(
                    next_attempt_at=timezone.now() + notify_sending.LEASE)

    monkeypatch.setattr(channels, "get", lambda name: Slow(name, {}))
    counts = notify_sending.send_due()
    assert sent_ids == ids[:2]
    assert counts["sent"] == 2
    assert set(Delivery.objects.filter(status=Status.SENT).values_list("pk", flat=True)) == set(ids[:2])
    assert Delivery.objects.get(pk=ids[2]).status == Status.QUEUED  # the other sender's


@pytest.mark.django_db
def test_an_import_queued_under_the_tasks_old_path_is_still_run(settings, world):
    """The import's task moved to `registry.importer.queue`; a task queued before, stored
    as `fangkong.registry.tasks.run_import_task`, is run by the worker all the same."""
    from django_tasks_db.management.commands.db_worker import Worker

    from fangkong.registry.importer import queue

    settings.TASKS = DB_TASKS
    with translation.override("zh-hans"):
        job = create_job(actor_for(world.users.staff), world.community, "roster.xlsx", roster())
    row = DBTaskResult.objects.get(pk=queue.run_import_task.enqueue(job.id, "zh-hans").id)
    assert row.task_path == "fangkong.registry.importer.queue.run_import_task"
    DBTaskResult.objects.filter(pk=row.pk).update(task_path="fangkong.registry.tasks.run_import_task")
    row.refresh_from_db()
    before = Resident.objects.count()

    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default",
           startup_delay=False, max_tasks=1, worker_id="test", excluded_queue_names=[]).run_task(row)

    row.refresh_from_db()
    job.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL, row.traceback
    assert job.status == ImportJob.Status.CHECKED  # run: checked, waiting for a confirmation
    assert job.summary["counts"]["created"] == 30 and Resident.objects.count() == before
