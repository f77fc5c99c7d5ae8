"""Snapshots of communities' live figures (models.FigureSnapshot), kept fresh by the
scheduled job and, for a few stale ones, by the dashboard that reads them: a street's or a
district's dashboard is one read of its communities' snapshots, never a recount of the
district in the request."""

import datetime

from django.conf import settings
from django.utils import timezone

from fangkong.core.tree import under
from fangkong.registry.models import LEVEL_FIELDS, Kind, Place

from .. import access, figures
from ..models import FigureSnapshot

CHUNK = 200


def max_age() -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, "FANGKONG_REPORT_SNAPSHOT_SECONDS", 300))


def refresh(communities: list[Place], now=None) -> int:
    """Count these communities' figures now (CHUNK at a time, the providers' bounded
    queries) and store them."""
    now = now or timezone.now()
    n = 0
    for start in range(0, len(communities), CHUNK):
        chunk = communities[start:start + CHUNK]
        values = figures.compute(chunk, now)
        existing = {s.place_id: s for s in FigureSnapshot.objects.filter(place__in=chunk)}
        new, changed = [], []
        for c in chunk:
            s = existing.get(c.id) or FigureSnapshot(place=c, **{f: getattr(c, f) for f in LEVEL_FIELDS})
            s.computed_at, s.values = now, values.get(c.id, {})
            (changed if s.pk else new).append(s)
        FigureSnapshot.objects.bulk_create(new, ignore_conflicts=True)
        FigureSnapshot.objects.bulk_update(changed, ["computed_at", "values"])
        n += len(chunk)
    return n


def refresh_stale(now=None, limit=None) -> int:
    """The scheduled job: every community whose snapshot is older than max_age()."""
    now = now or timezone.now()
    fresh = FigureSnapshot.objects.filter(computed_at__gte=now - max_age()).values("place_id")
    stale = list(Place.objects.filter(kind=Kind.COMMUNITY).exclude(id__in=fresh).order_by("id")[:limit])
    return refresh(stale, now)


def refresh_under(place: Place, now=None) -> int:
    """(the task a refresh asks for) Every community of the node counted now, whatever the
    age of its snapshot."""
    return refresh(list(Place.objects.filter(under(place), kind=Kind.COMMUNITY).order_by("id")), now)


def request_refresh(actor, place: Place) -> dict:
    """A street's or district's dashboard asks for fresh snapshots: the background task is
    queued for the node (never counted in the request); asked again while one waits for
    the same node, nothing more is queued. {"queued": bool}."""
    from ..tasks import reports_snapshots_task, snapshots_waiting

    access.require_view(actor.scope, place)
    if place.kind not in (Kind.STREET, Kind.DISTRICT):
        from fangkong.core.errors import NotFound

        raise NotFound()
    if snapshots_waiting(place.id):
        return {"queued": False}
    reports_snapshots_task.enqueue(place.id)
    return {"queued": True}
