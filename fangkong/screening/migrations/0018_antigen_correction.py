"""Antigen rounds: a positive corrected by the staff (when, by whom, why, and the positive's
cassette photo kept with it: `actions.antigen_correct`); the antigen result's words ("invalid,
test again with a new kit", not PCR's "re-sample"); and an antigen round's people per tube,
which does not apply to it, stored as 1 (rounds planned before kept the form's 10)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import fangkong.screening.models


def antigen_pool_one(apps, schema_editor):
    apps.get_model("screening", "Round").objects.filter(kind="antigen").exclude(pool_size=1).update(pool_size=1)


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0017_home_visit_door'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='antigenresult',
            name='corrected_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='antigenresult',
            name='corrected_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='antigenresult',
            name='correction_reason',
            field=models.CharField(blank=True, max_length=200, verbose_name='reason for the correction'),
        ),
        migrations.AddField(
            model_name='antigenresult',
            name='positive_photo',
            field=models.FileField(blank=True, upload_to=fangkong.screening.models.antigen_photo_path),
        ),
        migrations.AlterField(
            model_name='antigenresult',
            name='result',
            field=models.CharField(choices=[('negative', 'Negative'), ('positive', 'Positive'), ('invalid', 'Invalid, test again')], max_length=10, verbose_name='result'),
        ),
        migrations.RunPython(antigen_pool_one, migrations.RunPython.noop),
    ]
