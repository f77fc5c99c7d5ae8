"""Snapshots of communities' live figures (models.FigureSnapshot), kept fresh by the
scheduled job and, for a few stale ones, by the dashboard that reads them: a street's or a
district's dashboard is one read of its communities' snapshots, never a recount of the
district in the request."""

import datetime

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from fangkong.core.tree import under
from fangkong.ops.recovery import retry_when_lost
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
    access.require_view(actor.scope, place)
    if place.kind not in (Kind.STREET, Kind.DISTRICT):
        from fangkong.core.errors import NotFound

        raise NotFound()
    if snapshots_waiting(place.id):
        return {"queued": False}
    reports_snapshots_task.enqueue(place.id)
    return {"queued": True}


# The dashboard's refresh: defined here, beside what it runs, so that actions never import
# tasks (tasks.py runs the scheduled job, which imports actions).
@task
def reports_snapshots_task(place_id: int | None = None) -> dict:
    """Count the stale communities' snapshots (a dashboard found too many to count itself),
    or, with `place_id` (the dashboard's refresh), every community of that node."""
    if place_id is None:
        return {"snapshots": refresh_stale()}
    place = Place.objects.filter(pk=place_id).first()
    return {"snapshots": refresh_under(place) if place else 0}


retry_when_lost(reports_snapshots_task, attempts=3)


def snapshots_waiting(place_id: int | None = None) -> bool:
    """Is a refresh of this node's snapshots (None: of the stale ones) already queued, not
    yet started?"""
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return False
    waiting = DBTaskResult.objects.filter(task_path=reports_snapshots_task.module_path,
                                          status=TaskResultStatus.READY).values_list("args_kwargs", flat=True)
    args = [] if place_id is None else [place_id]
    return any((a or {}).get("args") == args for a in waiting[:100])
