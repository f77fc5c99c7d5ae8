"""`manage.py db_worker`: django-tasks-db's worker with a heartbeat and recovery of the
work of dead workers (fangkong/ops/worker.py). Same options as django-tasks-db's."""

from django_tasks_db.management.commands import db_worker as base

from fangkong.ops import processes
from fangkong.ops.worker import Worker


class Command(base.Command):
    help = ("Run a background worker: tasks from the database, a heartbeat, and recovery "
            "of tasks and jobs left by workers that died.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # The process identity, so that a task's worker id says which process claimed it.
        parser.set_defaults(worker_id=processes.identity())

    def handle(self, *args, **options):
        # django-tasks-db's handle() builds its module's `Worker`: build ours instead.
        original, base.Worker = base.Worker, Worker
        try:
            return super().handle(*args, **options)
        finally:
            base.Worker = original
