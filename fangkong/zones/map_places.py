"""The zoned places of a map, as the table printed under it (the notice's attachment): a
map label can be hidden by its neighbours or lost in a dark colour, a table row cannot."""

from django.db.models import Count, Q
from django.utils import timezone

from fangkong.core.tree import ancestor_ids
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
    up to the legend. A designation holding no household is left out when a stricter one is
    in force above its place (a building's 管控区 under its compound's later 封控区: its
    households are the compound's now; a family would read the milder zone).
    Four queries, five when a designation holds no household."""
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
    found = _not_overruled(list(Designation.objects.filter(id__in=held).select_related("place", "zone_type")),
                           counted)
    labels = place_labels(d.place for d in found)
    rows = [{"zone_type": d.zone_type, "kind": d.zone_type.kind, "place": d.place,
             "label": labels.get(d.place_id) or d.place.name,
             "households": counted.get(d.id, (0, 0))[0], "people": counted.get(d.id, (0, 0))[1]}
            for d in found]
    return sorted(rows, key=lambda r: (-r["zone_type"].severity, natural_key(r["label"])))


def _not_overruled(found: list[Designation], counted: dict) -> list[Designation]:
    """`found` without the designations that hold no household while a stricter designation
    is in force at a place above theirs. One query (none when every one holds households)."""
    empty = [d for d in found if not counted.get(d.id, (0, 0))[0]]
    if not empty:
        return found
    above = {d.id: set(ancestor_ids(d.place)) - {d.place_id} for d in empty}
    over = list(Designation.objects.filter(place_id__in=set().union(*above.values()), ends_at=None,
                                           starts_at__lte=timezone.now())
                .values_list("place_id", "zone_type__severity"))
    gone = {d.id for d in empty
            if any(pid in above[d.id] and sev > d.zone_type.severity for pid, sev in over)}
    return [d for d in found if d.id not in gone]
