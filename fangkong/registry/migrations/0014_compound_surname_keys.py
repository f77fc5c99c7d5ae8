"""Compound surnames (欧阳娜娜, 司马光; `core.text.COMPOUND_SURNAMES`): the name search keys
of residents whose name starts with one are computed again — `pinyin_given` puts the given
name first after both characters ("nanaouyang", was "yangnanaou"), and the surnames read
otherwise than their characters (万俟 "moqi", 单于 "chanyu") get their reading in `pinyin`
and `initials`. Only those rows are read (a prefix match on the name) and written."""

from django.db import migrations
from django.db.models import Q


def refresh(apps, schema_editor):
    from fangkong.core.text import COMPOUND_SURNAMES, given_key, name_keys

    Resident = apps.get_model("registry", "Resident")
    match = Q()
    for surname in COMPOUND_SURNAMES:
        match |= Q(name__startswith=surname)
    rows = Resident.objects.using(schema_editor.connection.alias).filter(match)
    changed = []
    for r in rows.only("id", "name", "pinyin", "initials", "pinyin_given").iterator(chunk_size=2000):
        keys = (*name_keys(r.name), given_key(r.name))
        if keys != (r.pinyin, r.initials, r.pinyin_given):
            r.pinyin, r.initials, r.pinyin_given = keys
            changed.append(r)
    Resident.objects.using(schema_editor.connection.alias).bulk_update(
        changed, ["pinyin", "initials", "pinyin_given"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0013_resident_pinyin_given_index'),
    ]

    operations = [
        migrations.RunPython(refresh, migrations.RunPython.noop, elidable=True),
    ]
