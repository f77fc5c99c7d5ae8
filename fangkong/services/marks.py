"""What a request's or a door's row says of its household, read when the row is read (never a
copy taken when the request was raised): how much its vulnerable people weigh in the request
queue, and whether whoever goes to its door hands over without contact. Reads only.

Weight (after urgency in the queue): each vulnerability tag of each of its people by its
weight (`TAG_WEIGHT`), added up, from the registry's tags now (found on the registry walk: a
resident tagged 独居老人 after her request was raised stayed at the bottom of the queue; the
registry never imports services). `queries.request_queue` orders by it (`household_weight`),
`queries.with_doors` says it (`of_households`)."""

from django.db.models import Case, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from fangkong.registry.models import Resident, Tag

# How much a tag weighs in the queue: found on the lab walk, an elderly woman living alone
# (1 tag) ranked with a household of two chronic patients. Someone who cannot fetch or
# open the door for themselves weighs most; a tag not named here weighs 1.
TAG_WEIGHT = {"elderly_alone": 5, "bedridden": 5, "dialysis": 4, "limited_mobility": 3, "pregnant": 3,
              "infant": 3, "disability": 2, "chronic": 1}


def _person():
    """One resident's weight: the weights of the tags packed in `Resident.tags` (",a,b,")."""
    return sum((Case(When(tags__contains=f",{t},", then=Value(TAG_WEIGHT.get(t, 1))), default=Value(0),
                     output_field=IntegerField()) for t in Tag.values), Value(0))


def household_weight(field="household_id"):
    """The weight of the household `field` names, as an expression for an annotation (0 for
    a household with nobody tagged): one subquery over its residents, by their household."""
    people = (Resident.objects.filter(household_id=OuterRef(field)).exclude(tags="").order_by()
              .values("household_id").annotate(w=Sum(_person())).values("w")[:1])
    return Coalesce(Subquery(people, output_field=IntegerField()), Value(0))


def of_households(household_ids) -> dict[int, int]:
    """{household id: its weight now} for those with someone tagged. One query."""
    ids = [h for h in household_ids if h]
    if not ids:
        return {}
    return dict(Resident.objects.filter(household_id__in=ids).exclude(tags="").order_by()
                .values("household_id").annotate(w=Sum(_person())).values_list("household_id", "w"))


def with_no_contact(rows, key="household_id"):
    """Each row (a request, a run's door: `delivery_queries.checklist`) with `.no_contact`
    (a dict row: `["no_contact"]`): the words telling whoever goes to the door that someone
    there is a case or held by a positive test (`screening.status.positive_households`, one
    read for all), "" for the others; and `.no_contact_code` ("case", "antigen", "held" or
    ""). The one reading for the request page, the queue, the run page and the API's
    `no_contact`. Two queries."""
    from fangkong.screening.status import no_contact_text, positive_households

    rows = list(rows)
    get = (lambda x: x[key]) if rows and isinstance(rows[0], dict) else (lambda x: getattr(x, key))
    held = positive_households([get(x) for x in rows])
    for x in rows:
        code = held.get(get(x)) or ""
        if isinstance(x, dict):
            x["no_contact"], x["no_contact_code"] = no_contact_text(code), code
        else:
            x.no_contact, x.no_contact_code = no_contact_text(code), code
    return rows
