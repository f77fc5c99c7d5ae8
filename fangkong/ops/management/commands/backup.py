"""`manage.py backup [FILE]`: the database and the uploaded files in one archive
(fangkong/ops/backup.py). Safe while the site runs: one consistent snapshot."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.ops.backup import BackupError, backup, describe


class Command(BaseCommand):
    help = _("Back up the database (pg_dump, or COPY without it; SQLite's online backup) and "
             "the uploaded files into one archive. The encryption keys are not in it: keep "
             "them apart.")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help=_(
            "the archive to write (default: var/backups/fangkong-YYYYMMDD-HHMMSS.tar)"))
        parser.add_argument("--method", choices=["auto", "pg_dump", "copy"], default="auto",
                            help=_("PostgreSQL: pg_dump when installed (auto), or COPY of each "
                                   "table"))

    def handle(self, *args, file=None, method="auto", **options):
        path = Path(file) if file else (Path(settings.VAR_DIR) / "backups" /
                                        f"fangkong-{timezone.localtime():%Y%m%d-%H%M%S}.tar")
        try:
            manifest = backup(path, method=method)
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(_("%(path)s: %(what)s") % {
            "path": path, "what": describe(manifest, path.stat().st_size)})
        self.stdout.write(_("It holds personal data: store it encrypted and access-controlled. "
                            "Restoring needs the same keys (the secrets file, or "
                            "FANGKONG_FIELD_KEY and FANGKONG_HASH_KEY), which are not in it."))
