"""Key groups (registry `Resident.key_group`: medical staff, cold-chain workers…) are sampled
singly outside any zone too: the pooling rule of no zone for the key group, editable as
the others. (Inside a zone the rules of screening's 0002 apply: key groups 1.)"""

from django.db import migrations


def forwards(apps, schema_editor):
    Rule = apps.get_model("zones", "PoolingRule")
    Rule.objects.get_or_create(zone_type="", group="key", defaults={"pool_size": 1})


def backwards(apps, schema_editor):
    apps.get_model("zones", "PoolingRule").objects.filter(zone_type="", group="key").delete()


class Migration(migrations.Migration):
    dependencies = [("zones", "0003_rule_changes_from_a_stated_time"),
                    ("screening", "0002_pooling_defaults")]
    operations = [migrations.RunPython(forwards, backwards)]
