"""The request category 物资问题 (a problem with goods delivered or on their way: short,
damaged, wrong, not received — raised by "这单有问题" on the family's order,
`actions.order_problem.report`) on installations made before it was a default
(`actions.requests.DEFAULT_CATEGORIES`; a new installation has it from 0002). Placed where the
defaults put it (after 上门采样), the categories after it moved down one; an installation that
has it already is left as it is. Its values are written here, as they were on the day."""

from django.db import migrations
from django.db.models import F

CODE, NAME, PRIORITY, MINUTES = "goods", "Problem with goods", 2, 240
AFTER = "home_sampling"  # it comes after this default category


def install(apps, schema_editor):
    Category = apps.get_model("services", "Category")
    if Category.objects.filter(code=CODE).exists():
        return
    after = Category.objects.filter(code=AFTER).first()
    if after is None:
        position = max(Category.objects.values_list("position", flat=True), default=-1) + 1
    else:
        position = after.position + 1
        Category.objects.filter(position__gte=position).exclude(pk=after.pk).update(
            position=F("position") + 1)
    Category.objects.create(code=CODE, name=NAME, priority=PRIORITY, response_minutes=MINUTES,
                            position=position)


def remove(apps, schema_editor):
    Category = apps.get_model("services", "Category")
    Request = apps.get_model("services", "Request")
    c = Category.objects.filter(code=CODE).first()
    if c is not None and not Request.objects.filter(category=c).exists():
        c.delete()


class Migration(migrations.Migration):
    dependencies = [("services", "0018_order_reports_and_arrival")]
    operations = [migrations.RunPython(install, remove)]
