"""A household follows the zone of its place: one created under a designated place (a page,
the API, an import, a station's walk-in) or moved under another (a building hung under
another compound) gets the zone in force over it from that minute, the same rule as
publishing (`engine.recompute_under`). Connected to `registry.signals.households_placed` in
zones.apps; runs inside the registry's transaction, so a household never exists without
the zone over it."""

from fangkong.core.tree import ancestor_ids

from .. import engine
from ..models import Designation, HouseholdZone


def households_placed(sender, places, at, **kwargs):
    """Write the zone of the households under `places` whose zone changed (none when no
    designation is in force over or under them and none of them has a zone row)."""
    places = list({p.id: p for p in places}.values())
    over = set()
    for p in places:
        over |= {p.id, *ancestor_ids(p)}
    under = engine.under_q
    below = None
    for p in places:
        below = under(p) if below is None else below | under(p)
    if not (Designation.objects.filter(ends_at=None, place_id__in=over).exists()
            or Designation.objects.filter(below, ends_at=None).exists()
            or HouseholdZone.objects.filter(below, until=None).exists()):
        return []
    return engine.recompute_under(places, at)
