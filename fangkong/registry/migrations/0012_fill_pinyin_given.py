"""Fill Resident.pinyin_given outside one transaction: each batch of 5000 is one UPDATE
committed alone (`registry.pinyin_fill`), so no lock is held over the table between
batches, and a stopped run continues where it left off."""

from django.db import migrations


def fill(apps, schema_editor):
    from fangkong.registry.pinyin_fill import fill as fill_rows

    fill_rows(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('registry', '0011_resident_pinyin_given'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
