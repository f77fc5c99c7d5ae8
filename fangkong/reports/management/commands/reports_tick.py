from django.core.management.base import BaseCommand

from fangkong.reports.actions import schedule


class Command(BaseCommand):
    help = "Prepare the nightly reports' figures and send the reminders that are due (cron)."

    def handle(self, *args, **options):
        counts = schedule.run()
        self.stdout.write(f"prepared {counts['prepared']} reminded {counts['reminded']} "
                          f"next {counts['next'].isoformat()}")
