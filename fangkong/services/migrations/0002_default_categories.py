from django.db import migrations


def install(apps, schema_editor):
    from fangkong.services.actions.requests import DEFAULT_CATEGORIES

    Category = apps.get_model("services", "Category")
    for pos, (code, name, priority, minutes) in enumerate(DEFAULT_CATEGORIES):
        Category.objects.get_or_create(code=code, defaults={
            "name": name, "priority": priority, "response_minutes": minutes, "position": pos})


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
