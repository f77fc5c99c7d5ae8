"""Reads about the doors of deliveries (never writes): which batches serve the households
under a place and their runs there (`deliveries`: a building's page, whose gate is
elsewhere)."""

from django.db.models import Count, Q

from fangkong.core.tree import under

from . import access
from .models import Batch, Line, Run, Stop


def deliveries(scope, place, *, limit=10) -> list[Batch]:
    """The batches that serve households under `place` or came through a gate under it,
    latest first. A batch's rows hang at its gate (a compound's), so a building's page found
    none by the batch's own levels while its run was being carried; the households' manifest
    lines say which batches serve it. Each batch with `here` (households under the place in
    it), `runs_here` (its runs to buildings under the place, with `stops_n` and `pending_n`)
    and `opens` (may the user open the batch's page). Who may see the place sees these: what
    came to its doors (supplier, gate, time, state), no one's data."""
    access.require(scope, access.VIEW, place)
    served = Line.objects.filter(under(place, "household__")).values("batch_id")
    found = list(Batch.objects.filter(under(place) | Q(id__in=served)).select_related("supplier", "checkpoint")
                 .order_by("-due_at", "id")[:limit])
    ids = [b.id for b in found]
    here = dict(Line.objects.filter(under(place, "household__"), batch_id__in=ids).values("batch_id")
                .annotate(n=Count("household_id", distinct=True)).order_by().values_list("batch_id", "n"))
    runs = {}
    for r in Run.objects.filter(under(place), batch_id__in=ids).select_related("place", "team").annotate(
            stops_n=Count("stops"), pending_n=Count("stops", filter=Q(stops__state=Stop.State.PENDING))) \
            .order_by("place__sort_key", "id"):
        runs.setdefault(r.batch_id, []).append(r)
    seen = set(Batch.objects.filter(access.batches_q(scope), id__in=ids).values_list("id", flat=True))
    for b in found:
        b.here, b.runs_here, b.opens = here.get(b.id, 0), runs.get(b.id, []), b.id in seen
    return found
