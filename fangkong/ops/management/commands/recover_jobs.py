"""`manage.py recover_jobs`: one pass of recovery (what every worker runs at start and
every FANGKONG_RECOVER_SECONDS), for cron or by hand."""

from django.core.management.base import BaseCommand

from fangkong.ops.recovery import recover


class Command(BaseCommand):
    help = ("Retry or fail the tasks and jobs (imports, notification sending) whose worker "
            "or server process died, and queue the sender when messages are due.")

    def handle(self, *args, **options):
        counts = recover()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
