"""The zoned places of a map, as the table printed under it (the notice's attachment): a
map label can be hidden by its neighbours or lost in a dark colour, a table row cannot."""

from django.db.models import Count, Q
from django.utils import timezone

from fangkong.registry.models import Resident, natural_key
from fangkong.registry.queries import counts as counting
from fangkong.registry.queries import place_labels

from . import engine
from .models import Designation, HouseholdZone


def zone_places(node) -> list[dict]:
    """[{zone_type, kind, place, label, households, people}] for each designation in force
    at or under `node` (an empty building too), or over it holding households under `node`
    (then its place with the households under `node` only), most severe first, then by
    place. Households and people are counted as the legend (`queries.figures`) counts them —
    a household with someone who counts, its people who count —, so each kind's rows add
    up to the legend.
    Four queries."""
    held = set(HouseholdZone.objects.filter(engine.under_q(node), until=None)
               .values_list("designation_id", flat=True).distinct())
    held |= set(Designation.objects.filter(engine.under_q(node) | Q(place=node), ends_at=None,
                                           starts_at__lte=timezone.now()).values_list("id", flat=True))
    if not held:
        return []
    counted = {r[0]: r[1:] for r in Resident.objects.filter(
        engine.under_q(node, "household__zones__"), counting(), household__zones__until=None)
        .values("household__zones__designation_id")
        .annotate(hh=Count("household_id", distinct=True), n=Count("id"))
        .values_list("household__zones__designation_id", "hh", "n")}
    found = list(Designation.objects.filter(id__in=held).select_related("place", "zone_type"))
    labels = place_labels(d.place for d in found)
    rows = [{"zone_type": d.zone_type, "kind": d.zone_type.kind, "place": d.place,
             "label": labels.get(d.place_id) or d.place.name,
             "households": counted.get(d.id, (0, 0))[0], "people": counted.get(d.id, (0, 0))[1]}
            for d in found]
    return sorted(rows, key=lambda r: (-r["zone_type"].severity, natural_key(r["label"])))
