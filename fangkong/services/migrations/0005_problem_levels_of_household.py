"""A problem line of a household was stored at the gate's levels (the batch's), so its
building's services page never counted it while the compound's and the community's did.
Every problem now carries its household's levels; this gives the existing ones theirs."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

LEVELS = ("district", "street", "community", "grid", "compound", "building", "unit")


def household_levels(apps, schema_editor):
    Problem = apps.get_model("services", "Problem")
    Household = apps.get_model("registry", "Household")
    of = Household.objects.filter(pk=OuterRef("household_id"))
    Problem.objects.update(**{f"{k}_id": Subquery(of.values(f"{k}_id")[:1]) for k in LEVELS})


class Migration(migrations.Migration):

    dependencies = [
        ("services", "0004_order_cancelled_at_why"),
        ("registry", "0001_initial"),
    ]

    operations = [migrations.RunPython(household_levels, migrations.RunPython.noop)]
