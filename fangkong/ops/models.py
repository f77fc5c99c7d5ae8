"""Operations: the heartbeat of each background worker process.

A worker (`manage.py db_worker`, ours: fangkong/ops/management/commands/db_worker.py)
writes its row when it starts, renews `beat_at` every few seconds from a thread of its
own, and deletes the row when it stops cleanly. `ops.recovery` reads these rows to tell a
dead worker from a busy one.
"""

from django.db import models
from django.utils import timezone


class WorkerBeat(models.Model):
    # The process identity "host|pid|start" (ops.processes.identity()); also the worker id
    # django-tasks-db writes into each task it claims (DBTaskResult.worker_ids).
    runner = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=64)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    beat_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["started_at"]

    def __str__(self):
        return self.runner
