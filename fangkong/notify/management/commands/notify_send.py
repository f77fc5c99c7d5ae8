"""Send the notifications that are due (for cron, or when no task worker runs)."""

from django.core.management.base import BaseCommand

from fangkong.notify.sending import send_due


class Command(BaseCommand):
    help = "Send every queued or retrying outbound notification that is due now."

    def handle(self, *args, **options):
        counts = send_due()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
