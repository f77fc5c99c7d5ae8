"""A home visit's door outcome without a swab (no answer, refused, not at this address): when,
by whom, a note, how many, and the last one's client id (`actions.door.record_door`)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0016_box_lab'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='homevisit',
            name='door',
            field=models.CharField(blank=True, choices=[('no_answer', 'No answer at the door'), ('refused', 'Refused the swab'), ('not_here', 'Not at this address')], max_length=10),
        ),
        migrations.AddField(
            model_name='homevisit',
            name='door_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='homevisit',
            name='door_attempts',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='homevisit',
            name='door_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='homevisit',
            name='door_client_id',
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='homevisit',
            name='door_note',
            field=models.CharField(blank=True, max_length=200),
        ),
    ]
