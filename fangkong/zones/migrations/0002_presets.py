"""The three shipped policies (presets.py), Shanghai April 2022 active."""

from django.db import migrations


def install(apps, schema_editor):
    from fangkong.zones.presets import install as install_presets

    install_presets(apps.get_model("zones", "Policy"), apps.get_model("zones", "ZoneType"),
                    apps.get_model("zones", "LiftRule"))


class Migration(migrations.Migration):
    dependencies = [("zones", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
