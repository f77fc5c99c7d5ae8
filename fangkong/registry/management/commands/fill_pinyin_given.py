"""`manage.py fill_pinyin_given`: bring Resident.pinyin_given up to date after an upgrade
(rows the old app servers added or renamed between `migrate` and their restart), in
batches each committed alone (`registry.pinyin_fill`)."""

from django.core.management.base import BaseCommand
from django.db import connection

from fangkong.registry.pinyin_fill import fill


class Command(BaseCommand):
    help = "Refresh Resident.pinyin_given for every resident, in committed batches."

    def handle(self, *args, **options):
        n = fill(connection, only_blank=False)
        self.stdout.write(f"{n} residents updated")
