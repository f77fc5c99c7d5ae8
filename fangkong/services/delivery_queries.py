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


def problem_rows(scope, problems) -> list:
    """Each exception with what staff need to act on it (found on a phone: "未送达: 敲门无人
    应答，电话也没人接" said nothing of which door): `.address` (光明小区 3号楼 2单元 302),
    `.phones` (whom to call: `registry.queries.door_phones`, shown through the `phone` tag and
    audited by the page), `.run_id` (the run that carries or carried its door; None before
    the split) and `.opens_batch` (may the user open its batch: the link when there is no
    run). One query each for the addresses, the phones, the runs and the batches."""
    from fangkong.registry.queries import door_phones

    from .queries import door_labels

    problems = list(problems)
    homes = {p.household_id: p.household for p in problems}
    labels, phones = door_labels(homes.values()), door_phones(homes.values())
    batch_ids = {p.batch_id for p in problems}
    runs = {(b, h): r for b, h, r in Stop.objects.filter(run__batch_id__in=batch_ids, household_id__in=list(homes))
            .values_list("run__batch_id", "household_id", "run_id")}
    seen = set(Batch.objects.filter(access.batches_q(scope), id__in=batch_ids).values_list("id", flat=True))
    for p in problems:
        p.address, p.phones = labels.get(p.household_id, ""), phones.get(p.household_id, [])
        p.run_id = p.stop.run_id if p.stop_id else runs.get((p.batch_id, p.household_id))
        p.opens_batch = p.batch_id in seen
    return problems
