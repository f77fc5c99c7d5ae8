"""Resident.pinyin_given: the pinyin in given-family order ("baoguolv"), so that the given
name alone and "Baoguo Wang" are prefix look-ups on an index (`core.text.given_key`).

Three steps, so the site stays up during `migrate` (docs/deployment.md, "Upgrades with
migrations"): this one only adds the column with a database default '' and no index (on
PostgreSQL ≥ 11 a change of the catalogue only; the old code's INSERTs, which leave the
column out, still work); 0012 fills it in committed batches; 0013 builds the index
(CONCURRENTLY on PostgreSQL)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0010_place_duty_phone'),
    ]

    operations = [
        migrations.AddField(
            model_name='resident',
            name='pinyin_given',
            field=models.CharField(db_default='', default='', max_length=200),
        ),
    ]
