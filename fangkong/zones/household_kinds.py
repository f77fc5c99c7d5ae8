"""Households by the kind of zone they are in now, for the registry's lists and exports
(`settings.FANGKONG_HOUSEHOLD_ZONES`: the registry imports no zones). A zone is "in force
now" as the zones' figures count it (`zones.figures.compute` at this moment: begun, not
ended), so a list filtered to the sealed area has as many people and households as the
dashboard's 封控区 figures."""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import HouseholdZone, ZoneKind

NONE = "none"  # outside every zone


def choices() -> list[tuple[str, str]]:
    """The filter's values and their words: each kind of zone, then "no zone"."""
    return [(ZoneKind.SEALED.value, ZoneKind.SEALED.label), (ZoneKind.CONTROLLED.value, ZoneKind.CONTROLLED.label),
            (ZoneKind.PRECAUTION.value, ZoneKind.PRECAUTION.label), (NONE, _("Outside any zone"))]


def _in_force(at):
    return Q(since__lte=at) & (Q(until=None) | Q(until__gt=at))


def q(kind: str, household_field: str = "household_id") -> Q | None:
    """A filter for rows whose household (`household_field`: its id, "id" for households) is
    now in a zone of `kind` (`NONE`: in none); None for a value that is no kind."""
    if kind not in {v for v, _label in choices()}:
        return None
    rows = HouseholdZone.objects.filter(_in_force(timezone.now()), household_id=OuterRef(household_field))
    if kind == NONE:
        return ~Q(Exists(rows))
    return Q(Exists(rows.filter(kind=kind)))


def names(household_ids) -> dict[int, str]:
    """{household id: the name of its zone now, in the reader's language ("封控区")} in one
    query; none outside any zone."""
    ids = list({h for h in household_ids if h})
    if not ids:
        return {}
    return {z.household_id: z.zone_type.name for z in HouseholdZone.objects.filter(
        _in_force(timezone.now()), household_id__in=ids).select_related("zone_type").order_by("since")}
