"""The scheduled job as the worker runs it: the tick does the day's due work, counts the
snapshots and queues itself for its next moment; recovery queues one when none waits."""

import datetime

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fangkong.reports.models import FigureSnapshot
from fangkong.reports.tasks import recover_tick, reports_tick_task

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_tick_runs_and_queues_its_next_time(world, settings):
    settings.TASKS = DB_TASKS
    out = reports_tick_task.call()
    assert out["snapshots"] == 2 and FigureSnapshot.objects.count() == 2
    nxt = datetime.datetime.fromisoformat(out["next"])
    assert timezone.now() < nxt <= timezone.now() + datetime.timedelta(minutes=6)
    waiting = DBTaskResult.objects.filter(task_path=reports_tick_task.module_path, status="READY")
    assert waiting.count() == 1
    reports_tick_task.call()  # again: still one waiting
    assert waiting.count() == 1


def test_recovery_queues_a_tick_when_none_waits(world, settings):
    settings.TASKS = DB_TASKS
    live = type("Live", (), {"now": timezone.now()})()
    assert recover_tick(live) == {"reports_tick_queued": 1}
    assert recover_tick(live) == {"reports_tick_queued": 0}
