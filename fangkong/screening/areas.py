"""A round's area: the places it covers (`RoundArea`), and who and what is inside it.

`area_keys(rnd)` is read once per round object (the station's round query fills it in
one go on PostgreSQL, `queries._round_for_station`); `area_q(rnd, prefix)` filters any
row carrying level columns; `in_round(rnd, obj)` tests one row.
"""

import datetime

from django.db.models import Q
from django.utils import timezone

from fangkong.core.tree import ancestor_ids, level_field, under_any

from .models import Round, RoundArea, RoundKind, RoundStatus


def area_keys(rnd: Round) -> list[tuple[str, int]]:
    """[(kind, place id)] of the round's areas."""
    cached = getattr(rnd, "_area_keys", None)
    if cached is None:
        cached = [(k, pid) for pid, k in RoundArea.objects.filter(round=rnd)
                  .values_list("place_id", "place__kind")]
        rnd._area_keys = cached
    return cached


def area_q(rnd: Round, prefix="") -> Q:
    return under_any(area_keys(rnd), prefix)


def in_round(rnd: Round, obj) -> bool:
    """Is this row (resident, household, place: anything with level columns) in the
    round's area?"""
    return any(getattr(obj, level_field(kind)) == pid for kind, pid in area_keys(rnd))


def overlapping(kind, starts_at, ends_at, areas, *, client_id=None, same_day=False) -> list[Round]:
    """Rounds of the same `kind` not ended (planned or running) over any of `areas` (a
    node covered by both: one of its areas at, above or under one of `areas`) on any of the
    same days (local dates from `starts_at` to `ends_at`): planning one more would ask a
    family twice the same day and split the figures (`planning.plan_round` asks first).
    PCR rounds: the same kind over the same area whose windows overlap (residents queued
    twice, the coverage split between two rounds); a later window the same day is not one.
    `same_day`: a PCR round asked like an antigen one, by the day — a plan from the zones'
    cadence (the day's testing the zones call for: a round already over the area that day,
    even at another hour or running past its end, is that day's test; `planned_on`).
    `client_id`: the plan's own (a retry racing its first send is not an overlap of itself).
    Each with `.area_names` (its areas, by name). Oldest first; two queries."""
    if kind == RoundKind.ANTIGEN or same_day:
        first = timezone.localtime(starts_at).replace(hour=0, minute=0, second=0, microsecond=0)
        after = timezone.localtime(ends_at).replace(hour=0, minute=0, second=0, microsecond=0) \
            + datetime.timedelta(days=1)
        met = Q(starts_at__lt=after, ends_at__gte=first)
    else:  # a PCR round: its window (a re-test round the same afternoon is not asked)
        met = Q(starts_at__lt=ends_at, ends_at__gt=starts_at)
    above = {pid for a in areas for pid in ancestor_ids(a)} | {a.id for a in areas}
    qs = Round.objects.filter(met, kind=kind, erased_at=None)
    if not same_day:  # by the day, a round already ended is still that day's test
        qs = qs.exclude(status=RoundStatus.CLOSED)
    qs = (qs
          .filter(Q(areas__place_id__in=above) | under_any(areas, "areas__place__")))
    if client_id is not None:
        qs = qs.exclude(client_id=client_id)
    found = list(Round.objects.filter(pk__in=qs.values("pk")).select_related("place")
                 .order_by("starts_at", "id")[:5])
    names = {}
    for rid, name in (RoundArea.objects.filter(round__in=found).order_by("place__depth", "place__sort_key",
                                                                        "place_id")
                      .values_list("round_id", "place__name")):
        names.setdefault(rid, []).append(name)
    for r in found:
        r.area_names = names.get(r.id, [])
    return found


def planned_on(kind, day, areas) -> list[Round]:
    """settings.FANGKONG_ROUNDS_ON_DAY: the rounds of `kind` over any of `areas` on the local
    `day`, ended ones too (not erased) — the zones' cadence marks the day planned with them,
    by the rule its "Plan this round" asks with (`overlapping(same_day=True)`). Two queries."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return overlapping(kind, start, start, areas, same_day=True)
