"""Lifting or stepping down a sealed area needs the approval of the level above (the street's
command): `ZoneType.lift_approval` (on for every sealed type of the shipped policies), the
draft's `awaiting` state and who submitted, approved or returned it; a lift shown to rest on
wrong facts by a case reported late (`Adjustment.lift_flaws`) and the escalation it makes
urgent (`Adjustment.urgent`)."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import deletion


def sealed_need_approval(apps, schema_editor):
    apps.get_model("zones", "ZoneType").objects.filter(kind="sealed").update(lift_approval=True)


def _user(name):
    return migrations.AddField(
        model_name="adjustment", name=name,
        field=models.ForeignKey(blank=True, null=True, on_delete=deletion.PROTECT, related_name="+",
                                to=settings.AUTH_USER_MODEL))


class Migration(migrations.Migration):

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("zones", "0009_gate_holds_and_collection_hours"),
    ]

    operations = [
        migrations.AddField(
            model_name="zonetype", name="lift_approval",
            field=models.BooleanField(default=False,
                                      verbose_name="lifting or stepping down needs the street's approval"),
        ),
        migrations.AlterField(
            model_name="adjustment", name="state",
            field=models.CharField(choices=[("draft", "Draft"), ("scheduled", "Scheduled"),
                                            ("published", "Published"), ("cancelled", "Cancelled"),
                                            ("awaiting", "Awaiting approval")],
                                   default="draft", max_length=10),
        ),
        _user("submitted_by"),
        migrations.AddField(model_name="adjustment", name="submitted_at",
                            field=models.DateTimeField(blank=True, null=True)),
        _user("approved_by"),
        migrations.AddField(model_name="adjustment", name="approved_at",
                            field=models.DateTimeField(blank=True, null=True)),
        _user("returned_by"),
        migrations.AddField(model_name="adjustment", name="returned_at",
                            field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="adjustment", name="return_reason",
                            field=models.CharField(blank=True, max_length=300)),
        migrations.AddField(model_name="adjustment", name="urgent", field=models.BooleanField(default=False)),
        migrations.AddField(model_name="adjustment", name="lift_flaws",
                            field=models.JSONField(blank=True, default=list)),
        migrations.RunPython(sealed_need_approval, migrations.RunPython.noop),
    ]
