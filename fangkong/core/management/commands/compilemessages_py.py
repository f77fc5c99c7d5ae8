"""Compile the message catalogues without GNU gettext (a fresh machine may lack it).

Every `*.po` file in a language's LC_MESSAGES folder is merged into that folder's
django.mo, so each area of the code can keep its own catalogue file.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def merged_catalogue(folder: Path) -> polib.POFile:
    merged = polib.POFile()
    merged.metadata = {"Content-Type": "text/plain; charset=UTF-8",
                       "Plural-Forms": "nplurals=1; plural=0;"}
    seen: dict[tuple, str] = {}
    for po_path in sorted(folder.glob("*.po")):
        for entry in polib.pofile(str(po_path)):
            if entry.obsolete or "fuzzy" in entry.flags or not (entry.msgstr or entry.msgstr_plural):
                continue
            key = (entry.msgctxt, entry.msgid)
            if key in seen:
                if seen[key] != entry.msgstr:
                    raise CommandError(f"{po_path.name}: “{entry.msgid}” translated differently "
                                       f"in two catalogues")
                continue
            seen[key] = entry.msgstr
            merged.append(entry)
    return merged


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into django.mo (pure Python)."

    def handle(self, *args, **options):
        for base in settings.LOCALE_PATHS:
            for folder in sorted(Path(base).glob("*/LC_MESSAGES")):
                if not list(folder.glob("*.po")):
                    continue
                cat = merged_catalogue(folder)
                cat.save_as_mofile(str(folder / "django.mo"))
                if options["verbosity"] > 1:
                    self.stdout.write(f"{folder}: {len(cat)} messages")
