"""Our task worker: django-tasks-db's, with a heartbeat and recovery of lost work.

`manage.py db_worker` (this app comes before django_tasks_db in INSTALLED_APPS, so its
command wins) runs `Worker`: before taking any task it writes its `WorkerBeat` row and
runs `recovery.recover()` (what a killed worker left RUNNING is retried or failed at
once when the dead worker was on this machine); a thread then renews the row every
FANGKONG_WORKER_BEAT_SECONDS and recovers every FANGKONG_RECOVER_SECONDS, also while
the main thread runs a long task. Its worker id is the process identity
(`processes.identity()`), so a task's `worker_ids` name the process that claimed it.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker as BaseWorker

from . import processes, recovery
from .models import WorkerBeat

log = logging.getLogger("fangkong.ops")


def register(runner: str):
    now = timezone.now()
    parsed = processes.parse(runner)
    WorkerBeat.objects.update_or_create(runner=runner, defaults={
        "host": processes.host(), "pid": parsed[1] if parsed else 0,
        "started_at": now, "beat_at": now})


def beat(runner: str):
    """Renew this worker's row (written again if recovery forgot it)."""
    if not WorkerBeat.objects.filter(runner=runner).update(beat_at=timezone.now()):
        register(runner)


def unregister(runner: str):
    WorkerBeat.objects.filter(runner=runner).delete()


class Heartbeat(threading.Thread):
    """Beats and recovers on its own database connection until stopped."""

    def __init__(self, runner: str):
        super().__init__(name="fangkong-heartbeat", daemon=True)
        self.runner = runner
        self.stopping = threading.Event()

    def run(self):
        every = settings.FANGKONG_WORKER_BEAT_SECONDS
        next_recovery = time.monotonic() + settings.FANGKONG_RECOVER_SECONDS
        try:
            while not self.stopping.wait(every):
                try:
                    beat(self.runner)
                    if time.monotonic() >= next_recovery:
                        next_recovery = time.monotonic() + settings.FANGKONG_RECOVER_SECONDS
                        recovery.recover()
                except DatabaseError:  # a locked SQLite file, a restarting server: next beat
                    log.warning("worker heartbeat: database not available", exc_info=True)
                    _reset_connection()
                except Exception:
                    log.exception("worker heartbeat failed")
                    _reset_connection()
        finally:
            connection.close()

    def stop(self):
        self.stopping.set()


def _reset_connection():
    try:
        if connection.in_atomic_block:
            transaction.set_rollback(True)
        connection.close()
    except DatabaseError:
        pass


class Worker(BaseWorker):
    def run(self) -> None:
        register(self.worker_id)
        try:
            recovery.recover()
        except DatabaseError:
            log.exception("recovery at start failed; the heartbeat will try again")
        heart = Heartbeat(self.worker_id)
        heart.start()
        try:
            super().run()
        finally:
            heart.stop()
            heart.join(timeout=5)
            try:
                unregister(self.worker_id)
            except DatabaseError:
                pass
