"""Import a roster file from the command line, with a progress bar.

    manage.py import_roster FILE --place ID [--user USERNAME] [--check]

Runs in this process whatever the size of the file (this is the worker): checks the file,
prints what the import will do (the summary the page shows before “确认导入”), then
confirms it itself, as the page's confirmation does: without --check it writes, no one is
asked. With --check it stops there, nothing written (the job waits for a confirmation on
its page, and is discarded with its file after FANGKONG_IMPORT_UNCONFIRMED_HOURS). Exits with status 1 and prints
every row error when the file is rejected.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fangkong.accounts.models import User
from fangkong.core.actor import Actor
from fangkong.core.errors import FangkongError
from fangkong.registry.importer import confirm_import, create_job, run_import
from fangkong.registry.models import ImportJob, Place


class Command(BaseCommand):
    help = ("Import a roster (.xlsx or .csv) into a place: all rows or nothing. By default it "
            "WRITES at once: it checks the file, prints the summary and confirms it itself, "
            "with no one asked (no 确认导入 step). Use --check to stop after the check. The "
            "stored file is deleted once written; a --check job not confirmed within "
            "FANGKONG_IMPORT_UNCONFIRMED_HOURS is discarded and its file deleted.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the roster, .xlsx or .csv")
        parser.add_argument("--place", type=int, required=True,
                            help="id of the community, grid, compound, building or unit")
        parser.add_argument("--user", help="import as this user (their permissions apply); "
                                           "default: the first active superuser, without "
                                           "permission checks")
        parser.add_argument("--check", action="store_true",
                            help="check only and print what the import would do; write nothing "
                                 "(confirm or discard it on the job's page)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as e:
            raise CommandError(f"cannot read {path}: {e.strerror}") from None
        try:
            place = Place.objects.get(pk=options["place"])
        except Place.DoesNotExist:
            raise CommandError(f"no place with id {options['place']}") from None
        if options["user"]:
            try:
                user = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist:
                raise CommandError(f"no active user called {options['user']}") from None
            actor = Actor.system(user, via="cli")
        else:
            user = User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
            if user is None:
                raise CommandError("no active superuser to record the import under: "
                                   "pass --user USERNAME")
            actor = Actor.system(None, via="cli")
            actor.user = user  # recorded as the job's and the audit trail's user
        try:
            job = create_job(actor, place, path.name, content)
        except FangkongError as e:
            details = "; ".join(m for ms in e.fields.values() for m in ms)
            raise CommandError(f"{e.message} {details}".strip()) from None

        bar = tqdm(total=0, unit="rows", desc="checking", disable=options["verbosity"] == 0,
                   file=self.stderr._out)

        def progress(done, total):
            if total != bar.total:
                bar.total = total
            bar.update(done - bar.n)

        job = run_import(job.id, actor=actor, progress=progress)
        if job.status == ImportJob.Status.CHECKED:
            c = job.summary["counts"]
            self.stdout.write(f"{job.message} new {c['created']}, updated {c['updated']}, "
                              f"unchanged {c['unchanged']}, joining {c['joined']}, households "
                              f"{c['households_created']}, places {c['places_created']}, rows "
                              f"to check {job.summary['warnings']}")
            if options["check"]:
                bar.close()
                self.stdout.write(f"checked, nothing written: confirm it at /imports/{job.id}/")
                return
            bar.reset()
            job = confirm_import(actor, job, job.summary["digest"], here=True, progress=progress)
        bar.close()
        if job.status == ImportJob.Status.DONE:
            self.stdout.write(self.style.SUCCESS(job.message))
            return
        self.stderr.write(job.message)
        for e in job.errors:
            where = f"row {e['row']}" if e["row"] else "file"
            column = f" [{e['column']}]" if e["column"] else ""
            value = f" “{e['value']}”" if e["value"] else ""
            self.stderr.write(f"{where}{column}{value}: {e['message']}")
        if job.error_count > len(job.errors):
            self.stderr.write(f"… and {job.error_count - len(job.errors)} more")
        raise CommandError(f"import {job.status}: nothing was imported", returncode=1)
