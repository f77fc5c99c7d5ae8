"""The default pooling policy (NHC / Shanghai 2022 presets); editable without code."""

from django.db import migrations

DEFAULTS = [
    ("sealed", "general", 1),
    ("controlled", "general", 10),
    ("precaution", "general", 20),
    ("sealed", "key", 1), ("controlled", "key", 1), ("precaution", "key", 1),
    ("sealed", "red_yellow", 1), ("controlled", "red_yellow", 1), ("precaution", "red_yellow", 1),
]


def forwards(apps, schema_editor):
    Rule = apps.get_model("screening", "PoolingRule")
    for zone, group, size in DEFAULTS:
        Rule.objects.get_or_create(zone_type=zone, group=group, defaults={"pool_size": size})


def backwards(apps, schema_editor):
    apps.get_model("screening", "PoolingRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
