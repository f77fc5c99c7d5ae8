"""The zones over a place from above (a read): a building inside its compound's 管控区 is in a
zone although no designation is on the building or under it. The zones page and the lifting
page of the building list such a zone — "随光明小区：管控区，自11月22日…第19号" — with its
lifting advice, as the map's table does ("over it holding households here",
`map_places.zone_places`), instead of "no zones in force" under "管控区 24 户"."""

from django.db.models import Count

from fangkong.core.tree import ancestor_ids
from fangkong.registry.models import Resident
from fangkong.registry.queries import counts as counting

from . import access, engine, lifting, queries
from .models import Designation, HouseholdZone


def held_above(node) -> list[Designation]:
    """The designations in force at a place above `node` that hold households under it now
    (each household's zone: `engine.best`), most severe first, each with `households` and
    `people` here (counted as the zones page counts them). A zone above that holds nobody
    here (a stricter one on the building holds them) is not listed. Two queries."""
    above = set(ancestor_ids(node)) - {node.pk}
    if not above:
        return []
    held = set(HouseholdZone.objects.filter(engine.under_q(node), until=None, designation__place_id__in=above)
               .values_list("designation_id", flat=True).distinct())
    if not held:
        return []
    counted = {r[0]: r[1:] for r in Resident.objects.filter(
        engine.under_q(node, "household__zones__"), counting(), household__zones__until=None,
        household__zones__designation_id__in=held)
        .values("household__zones__designation_id")
        .annotate(hh=Count("household_id", distinct=True), n=Count("id"))
        .values_list("household__zones__designation_id", "hh", "n")}
    rows = list(Designation.objects.filter(id__in=held, ends_at=None)
                .select_related("place", "zone_type", "notice").order_by("-zone_type__severity", "place__depth"))
    for d in rows:
        d.households, d.people = counted.get(d.id, (0, 0))
    return rows


def recommendations(scope, node) -> list:
    """The lifting advice of every zone in force at or under `node` (`queries.designations`),
    then of each zone over it from above holding its households (`held_above`, each with
    `above` True: "随光明小区"); each with `may_draft` (the user may draft its change) and
    `may_list` (the link to its round's people not tested) — the zones page, the lifting page
    and `GET /zones/lifting`."""
    own = list(queries.designations(scope, node)[:200])
    over = held_above(node)
    recs = lifting.recommendations(own + over)
    may = scope.allows(access.MANAGE, node)
    for r in recs:
        r.above = r.designation in over
        r.may_draft = scope.allows(access.MANAGE, r.designation) if r.above else may
        r.may_list = r.may_draft if r.above else True  # the compound's missing list: its managers'
    return recs
