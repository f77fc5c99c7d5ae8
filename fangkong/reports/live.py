"""The dashboard's figures of a node now. A community (or anything below) is counted live
(`queries.dashboard`); a street or a district sums its communities' snapshots
(`actions.snapshots`): one read, however many residents. Up to
FANGKONG_REPORT_SNAPSHOT_INLINE stale or missing snapshots are counted again in the request
(bounded queries); more than that are left to the background task, and the page says as of
when its figures are."""

from django.conf import settings
from django.utils import timezone

from fangkong.accounts.roles import Perm
from fangkong.core.tree import level_field, under
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import Kind, Place

from . import figures, queries
from .actions import snapshots
from .models import FigureSnapshot

ROLLED = (Kind.STREET, Kind.DISTRICT)


def board(scope, place: Place, at=None) -> dict:
    """{values, children: [(node, values)] worst first, as_of, waiting}; `at` (a past time)
    is always counted live."""
    now = timezone.now()
    if at is not None or place.kind not in ROLLED:
        out = queries.dashboard(scope, place, at or now)
        return out | {"as_of": at or now, "waiting": 0}
    comms = list(Place.objects.filter(under(place), kind=Kind.COMMUNITY).order_by("id"))
    snaps = {s.place_id: s for s in FigureSnapshot.objects.filter(under(place))}
    old = now - snapshots.max_age()
    stale = [c for c in comms if c.id not in snaps or snaps[c.id].computed_at < old]
    waiting = 0
    if stale and len(stale) <= getattr(settings, "FANGKONG_REPORT_SNAPSHOT_INLINE", 25):
        snapshots.refresh(stale, now)
        snaps.update({s.place_id: s for s in FigureSnapshot.objects.filter(place__in=stale)})
    elif stale:
        from .tasks import reports_snapshots_task

        reports_snapshots_task.enqueue()
        waiting = sum(1 for c in stale if c.id not in snaps)
    values = figures.total([s.values for s in snaps.values()])
    kind = queries.KID_KIND[place.kind]
    kids = list(reg_queries.places(scope, Perm.REPORTS_VIEW).filter(parent=place, kind=kind)
                .order_by("sort_key", "id"))
    field = level_field(kind)
    by_kid = {k.id: [] for k in kids}
    for s in snaps.values():
        if getattr(s, field) in by_kid:
            by_kid[getattr(s, field)].append(s.values)
    children = [(k, figures.total(by_kid[k.id])) for k in kids]
    first = next((s.values.get("_round") for s in snaps.values() if s.values.get("_round")), None)
    if first:
        values["_round"] = first
    as_of = min((s.computed_at for s in snaps.values()), default=now)
    return {"values": values, "children": figures.worst_first(children), "as_of": as_of,
            "waiting": waiting}
