"""Print new keys for a production installation (works before any key is set)."""

import base64
import secrets

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Print a new SECRET_KEY, FANGKONG_FIELD_KEY and FANGKONG_HASH_KEY as environment "
            "lines. Store them in your secret store once; every server and worker uses the same.")
    requires_system_checks = []  # it is what fixes the failing key check

    def handle(self, *args, **options):
        self.stdout.write(f"SECRET_KEY={secrets.token_urlsafe(50)}")
        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        self.stdout.write(f"FANGKONG_FIELD_KEY={key}")
        self.stdout.write(f"FANGKONG_HASH_KEY={secrets.token_urlsafe(32)}")
