"""Background work of the registry (Django tasks; django_tasks_db in production).

The roster import's task lives beside the code that queues it
(`importer.queue.run_import_task`). Its old dotted path stays here: a task queued before
the move is stored with `fangkong.registry.tasks.run_import_task`, and the worker finds
the same task under that name.
"""

from .importer.queue import run_import_task

__all__ = ["run_import_task"]
