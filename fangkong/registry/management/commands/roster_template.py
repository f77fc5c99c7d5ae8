"""Regenerate the shipped roster template (registry/files/roster-template.xlsx)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from fangkong.registry.templates_xlsx import TEMPLATE_PATH, write_template


class Command(BaseCommand):
    help = "Write the roster import template (.xlsx) from the importer's column list."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(TEMPLATE_PATH),
                            help=f"where to write it (default: {TEMPLATE_PATH})")

    def handle(self, *args, **options):
        path = write_template(Path(options["output"]))
        self.stdout.write(f"wrote {path}")
