"""The dashboard's figures of a node now. A community (or anything below) is counted live
(`queries.dashboard`); a street or a district sums its communities' snapshots
(`actions.snapshots`): one read, however many residents. Nothing is counted (or stored) in
the request: stale or missing snapshots are left to the background task (queued once while
none waits), and the page says as of when its figures are and how many communities are not
counted yet."""

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
    comms = set(Place.objects.filter(under(place), kind=Kind.COMMUNITY).values_list("id", flat=True))
    fresh = set(FigureSnapshot.objects.filter(under(place), computed_at__gte=now - snapshots.max_age())
                .values_list("place_id", flat=True))
    if comms - fresh:  # stale or missing: the worker counts them (queued once)
        from .actions.snapshots import reports_snapshots_task, snapshots_waiting

        if not snapshots_waiting():
            reports_snapshots_task.enqueue()
    snaps = {s.place_id: s for s in FigureSnapshot.objects.filter(under(place))}
    waiting = len(comms - set(snaps))
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
