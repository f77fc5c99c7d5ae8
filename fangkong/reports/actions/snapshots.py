"""Snapshots of communities' live figures (models.FigureSnapshot), kept fresh by the
scheduled job and, for a few stale ones, by the dashboard that reads them: a street's or a
district's dashboard is one read of its communities' snapshots, never a recount of the
district in the request."""

import datetime

from django.conf import settings
from django.utils import timezone

from fangkong.registry.models import LEVEL_FIELDS, Kind, Place

from .. import figures
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
