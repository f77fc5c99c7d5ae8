"""Resident.pinyin_given: the pinyin in given-family order ("baoguolv"), so that the given
name alone and "Baoguo Wang" are prefix look-ups on an index (`core.text.given_key`)."""

from django.db import migrations, models


def fill(apps, schema_editor):
    from fangkong.core.text import given_key

    Resident = apps.get_model("registry", "Resident")
    batch = []
    for r in Resident.objects.exclude(name="").only("id", "name").iterator(chunk_size=5000):
        r.pinyin_given = given_key(r.name)
        batch.append(r)
        if len(batch) >= 5000:
            Resident.objects.bulk_update(batch, ["pinyin_given"])
            batch = []
    if batch:
        Resident.objects.bulk_update(batch, ["pinyin_given"])


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0010_place_duty_phone'),
    ]

    operations = [
        migrations.AddField(
            model_name='resident',
            name='pinyin_given',
            field=models.CharField(db_index=True, default='', max_length=200),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
