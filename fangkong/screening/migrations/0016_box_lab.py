"""The lab a box is sent to (`Box.lab`); a box already signed for at the lab by a lab account
is that account's."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def signed_labs(apps, schema_editor):
    Box = apps.get_model("screening", "Box")
    Handover = apps.get_model("screening", "Handover")
    Membership = apps.get_model("accounts", "Membership")
    labs = set(Membership.objects.filter(role="lab").values_list("user_id", flat=True))
    for box_id, user_id in Handover.objects.filter(stage="lab", box__lab=None).values_list("box_id", "recorded_by_id"):
        if user_id in labs:
            Box.objects.filter(pk=box_id).update(lab_id=user_id)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_user_one_time_password_at'),
        ('screening', '0015_home_visit_assignee'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='box',
            name='lab',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='lab'),
        ),
        migrations.RunPython(signed_labs, migrations.RunPython.noop),
    ]
