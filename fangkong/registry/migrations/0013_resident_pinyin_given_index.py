"""The index on Resident.pinyin_given (`db_index=True`), built without blocking the table:
CREATE INDEX CONCURRENTLY on PostgreSQL (with the `_like` index prefix look-ups use), so
the migration is non-atomic; a plain CREATE INDEX on SQLite. The model state is the same
as an AlterField to db_index=True."""

from django.db import migrations, models


def create(apps, schema_editor):
    from fangkong.registry.pinyin_fill import index_sql

    for sql in index_sql(schema_editor, apps.get_model("registry", "Resident")):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    from fangkong.registry.pinyin_fill import index_sql

    for sql in index_sql(schema_editor, apps.get_model("registry", "Resident"), drop=True):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('registry', '0012_fill_pinyin_given'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='resident',
                    name='pinyin_given',
                    field=models.CharField(db_default='', db_index=True, default='', max_length=200),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
