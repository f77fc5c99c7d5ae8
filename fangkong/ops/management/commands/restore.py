"""`manage.py restore FILE`: a backup into an empty database and media folder."""

from django.core.management.base import BaseCommand, CommandError

from fangkong.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = ("Restore a backup made by `manage.py backup` into an empty database (never over "
            "data), with the keys of the site that made it. Row counts are checked after.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--ignore-keys", action="store_true",
                            help="restore even though the keys differ (ID numbers unreadable)")

    def handle(self, *args, file, ignore_keys=False, **options):
        try:
            manifest = restore(file, ignore_keys=ignore_keys)
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"restored {len(manifest['tables'])} tables, "
                          f"{sum(manifest['tables'].values())} rows and "
                          f"{len(manifest['media'])} files from the backup of "
                          f"{manifest['created_at']} ({manifest['method']})")
