"""When the office set a one-time password (it expires after
FANGKONG_ONE_TIME_PASSWORD_HOURS). The ones given before this was kept are counted from
now: they work for that long after the upgrade, then the person asks for a new one."""

from django.db import migrations, models
from django.utils import timezone


def count_from_now(apps, schema_editor):
    User = apps.get_model("accounts", "User")  # noqa: N806 (a model)
    User.objects.filter(must_change_password=True, one_time_password_at__isnull=True).update(
        one_time_password_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_user_must_change_password'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='one_time_password_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='one-time password set at'),
        ),
        migrations.RunPython(count_from_now, migrations.RunPython.noop),
    ]
