"""`manage.py restore FILE`: a backup into an empty database and media folder."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fangkong.ops.backup import BackupError, contents, restore


class Command(BaseCommand):
    help = _("Restore a backup made by `manage.py backup` into an empty database (never over "
             "data), with the keys of the site that made it. Row counts are checked after.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--ignore-keys", action="store_true", help=_(
            "restore even though the keys differ (ID numbers cannot be read)"))

    def handle(self, *args, file, ignore_keys=False, **options):
        try:
            manifest = restore(file, ignore_keys=ignore_keys)
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(_("Restored %(what)s from the backup of %(at)s (%(method)s).") % {
            "what": contents(manifest), "at": manifest["created_at"], "method": manifest["method"]})
