import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import npgettext

from fangkong.core.text import join_words
from fangkong.demo import driver as demo
from fangkong.registry.models import Place


class Command(BaseCommand):
    help = ("Build the demo district (迎泽区: four communities, one account per role), or "
            "city-scale data with --residents N.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1,
                            help="same seed, same data (default 1)")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing if any place exists (the start command uses this)")
        parser.add_argument("--residents", type=int, default=None, metavar="N",
                            help="fill up to N residents with generated communities of ~2,000 "
                                 "(1,000,000 → about 500 communities)")
        parser.add_argument("--flush", action="store_true",
                            help="delete all places, households, residents and the demo "
                                 "accounts first")
        parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None,
                            metavar="YYYY-MM-DD",
                            help="reference date for ages (default: 1 January this year)")

    def handle(self, *args, **opts):
        if opts["if_empty"] and Place.objects.exists():
            if opts["verbosity"] > 1:
                self.stdout.write(_("There are places already: the demo was not loaded."))
            return
        if opts["residents"] is not None and opts["residents"] < 1:
            raise CommandError(_("--residents must be a positive number."))
        if opts["flush"]:
            demo.flush()
        elif Place.objects.exists():
            raise CommandError(_("The database has places already. Use --flush to replace "
                                 "everything with the demo, or --if-empty to skip."))
        s = demo.build(seed=opts["seed"], residents=opts["residents"], as_of=opts["as_of"],
                       progress=opts["verbosity"] > 0)
        if opts["verbosity"] > 0:
            what = [npgettext("demo", "%(n)s district", "%(n)s districts", s.districts),
                    npgettext("demo", "%(n)s street", "%(n)s streets", s.streets),
                    npgettext("demo", "%(n)s community", "%(n)s communities", s.communities),
                    npgettext("demo", "%(n)s household", "%(n)s households", s.households),
                    npgettext("demo", "%(n)s resident", "%(n)s residents", s.residents),
                    npgettext("demo", "%(n)s demo account", "%(n)s demo accounts", s.users)]
            counts = [s.districts, s.streets, s.communities, s.households, s.residents, s.users]
            self.stdout.write(_("Demo loaded in %(seconds).1f s: %(what)s (seed %(seed)d).") % {
                "seconds": s.seconds, "seed": s.seed,
                "what": join_words(w % {"n": n} for w, n in zip(what, counts, strict=True))})
