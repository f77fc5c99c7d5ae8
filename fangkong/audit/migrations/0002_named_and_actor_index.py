"""The audit log's filters: `Named` (every person a list of many names: the filter by
resident reads it, not the JSON), the account's index (actor, at). Existing events are
read once: their lists of people go into `Named`, and an account's creation, recorded
without a place, gets the place of the account's first role (so the command over it sees
it, as it sees the role given)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


LEVELS = ("district_id", "street_id", "community_id", "grid_id", "compound_id", "building_id",
          "unit_id")


def backfill(apps, schema_editor):
    from django.db.models import Q

    AuditEvent = apps.get_model("audit", "AuditEvent")  # noqa: N806
    Named = apps.get_model("audit", "Named")  # noqa: N806
    Membership = apps.get_model("accounts", "Membership")  # noqa: N806
    Place = apps.get_model("registry", "Place")  # noqa: N806
    rows = []
    listed = (Q(changes__has_key="residents") | Q(changes__has_key="households")
              | Q(changes__has_key="resident"))
    for pk, changes in AuditEvent.objects.filter(listed).values_list("id", "changes").iterator(2000):
        for key, kind in (("residents", "resident"), ("households", "household"),
                          ("resident", "resident")):
            value = (changes or {}).get(key)
            values = value if isinstance(value, list) else [value] if key == "resident" else []
            for i in dict.fromkeys(v for v in values if isinstance(v, int) and not isinstance(v, bool)):
                rows.append(Named(event_id=pk, kind=kind, object_id=i))
        if len(rows) >= 5000:
            Named.objects.bulk_create(rows)
            rows = []
    Named.objects.bulk_create(rows)
    for event in AuditEvent.objects.filter(action="user.create", target_type="user",
                                           district_id=None, street_id=None,
                                           community_id=None).iterator(2000):
        m = Membership.objects.filter(user_id=event.target_id).order_by("id").first()
        place = Place.objects.filter(pk=m.place_id).first() if m else None
        if place is not None:
            AuditEvent.objects.filter(pk=event.pk).update(**{f: getattr(place, f) for f in LEVELS})


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_initial'),
        ('accounts', '0004_user_language'),
        ('registry', '0005_import_job_said'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Named',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=10)),
                ('object_id', models.BigIntegerField()),
            ],
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='actor',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['actor', 'at'], name='audit_actor_at_idx'),
        ),
        migrations.AddField(
            model_name='named',
            name='event',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='named', to='audit.auditevent'),
        ),
        migrations.AddIndex(
            model_name='named',
            index=models.Index(fields=['kind', 'object_id', 'event'], name='audit_named_idx'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
