"""`manage.py erase_personal_data --community ID | --round ID [--commit]`: the end of the
emergency (fangkong/ops/erasure.py). A dry run unless --commit."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fangkong.core.errors import Invalid
from fangkong.ops.erasure import LABELS, erase
from fangkong.registry.models import Kind, Place
from fangkong.screening.models import Round


class Command(BaseCommand):
    help = _("Erase a community's or a finished round's personal data, keeping the figures. "
             "Shows what would change unless --commit is given.")

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--community", help=_("the community's id or exact name"))
        which.add_argument("--round", type=int, help=_("the round's id (finished rounds only)"))
        parser.add_argument("--commit", action="store_true",
                            help=_("really erase (irreversible); without it nothing changes"))
        parser.add_argument("--delete-backups", action="store_true",
                            help=_("also delete the backups in var/backups made before now"))

    def handle(self, *args, community=None, round=None, commit=False, delete_backups=False,
               **options):
        target = {}
        if community is not None:
            qs = Place.objects.filter(kind=Kind.COMMUNITY)
            found = list(qs.filter(pk=int(community)) if community.isdigit()
                         else qs.filter(name=community))
            if len(found) != 1:
                raise CommandError(_("No single community %(c)s.") % {"c": community})
            target["community"] = found[0]
        else:
            rnd = Round.objects.select_related("place").filter(pk=round).first()
            if rnd is None:
                raise CommandError(_("No round %(id)s.") % {"id": round})
            target["rnd"] = rnd
        try:
            e = erase(**target, dry_run=not commit, delete_backups=delete_backups)
        except Invalid as err:
            raise CommandError(err.message) from err
        name = str(e.target)
        if e.dry_run:
            self.stdout.write(_("DRY RUN for %(what)s: nothing was changed. This is what "
                                "--commit would do:") % {"what": name})
        else:
            self.stdout.write(_("Erased the personal data of %(what)s:") % {"what": name})
        for key, n in sorted(e.counts.items()):
            self.stdout.write(f"  {LABELS.get(key, key)}: {n}")
        if e.files:
            self.stdout.write("  " + _("uploaded photos deleted from disk: %(n)d") % {"n": len(e.files)})
        if e.backups:
            self.stdout.write(_("Backups made before now still hold this data:") if not (
                delete_backups and commit) else _("Backups made before now, deleted:"))
            for b in e.backups:
                self.stdout.write(f"  {b}")
