"""Usernames are not personal data: accounts named after a phone (`v<phone>` for
volunteers, the phone itself for household logins) get a random username, display names
that are a phone are cleared, and the audit events that named them show the new username
and masked phones. People still log in with their phone (the backend finds it on the
account). See fangkong/accounts/usernames.py."""

from django.db import migrations


def forwards(apps, schema_editor):
    from fangkong.accounts.usernames import scrub

    scrub(apps.get_model("accounts", "User"), apps.get_model("accounts", "Membership"),
          apps.get_model("audit", "AuditEvent"))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
