"""The roll at the cut-off (`models.CutoffRoll`): the figures counted from the registry as it
stands (`core.figures.Figure.roll`: residents, households, people and households in each
zone). The registry keeps no history of who lived where, so a report of a day whose cut-off
has passed cannot count them again: residents imported or moved the next day had changed
yesterday's report, its exports and the street's and district's sums of it. They are taken
once at the cut-off — by the scheduled job at each community's cut-off (`schedule.run`), or
by the report's submit if that comes first — and every later count of that day's report
(its page, the API, the exports, a late submit, a correction; hence the sums above it) takes
them from here. Only a correction made in the evening after the cut-off, while a read of the
roll still counts as the cut-off's (READ_GRACE), reads it again (`retake`: someone found
missing from the roll). Before the cut-off (today's draft) the roll is counted as it stands."""

import datetime

from django.utils import timezone

from fangkong.registry.figures import POPULATION_AT
from fangkong.registry.models import LEVEL_FIELDS, Kind

from .. import figures, queries
from ..models import CutoffRoll

CHUNK = 200

# The roll read within this time after the cut-off is the cut-off's: nobody registers people
# in the evening hours after it, and every on-time report is read then (it had said "not the
# cut-off's roll" on each one, so the note said nothing when it mattered: a read days later).
READ_GRACE = datetime.timedelta(hours=4)


def roll_read_late(at, now) -> bool:
    """Whether a roll read at `now` for a cut-off `at` is said not to be the cut-off's."""
    return now - at > READ_GRACE


def take(places, day: datetime.date, now=None, cutoff=None) -> int:
    """Store the roll of these communities at `day`'s cut-off (`cutoff`: the report's own;
    default the definition's), for each that has none yet: the first one taken stays, never
    replaced. Nothing before the cut-off. Counted CHUNK communities at a time (the
    providers' grouped queries, only the providers of roll figures). Returns how many were
    taken."""
    now = now or timezone.now()
    cutoff = cutoff or queries.definition(Kind.COMMUNITY).cutoff_on(day)
    if now < cutoff:
        return 0
    places = [p for p in places if p.kind == Kind.COMMUNITY]
    have = set(CutoffRoll.objects.filter(place__in=places, day=day).values_list("place_id", flat=True))
    todo = [p for p in places if p.id not in have]
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start:start + CHUNK]
        values = figures.roll(chunk, cutoff)
        CutoffRoll.objects.bulk_create(
            [CutoffRoll(place=c, day=day, cutoff_at=cutoff, taken_at=now, values=values.get(c.id, {}),
                        **{f: getattr(c, f) for f in LEVEL_FIELDS}) for c in chunk],
            ignore_conflicts=True)  # another taker meanwhile: theirs stays
    return len(todo)


def retake(place, day: datetime.date, cutoff, now=None) -> bool:
    """(a correction) The roll read again, replacing the stored one, while a read still counts
    as the cut-off's (within READ_GRACE: nobody registers people in the evening after it, but
    a community may find then that someone was missing from its roll — "漏报一人" — and
    correct its report with them). Later the stored roll stands: a correction the next day
    brings in nobody imported or moved since. Returns whether it was read again."""
    now = now or timezone.now()
    if now < cutoff or roll_read_late(cutoff, now) or place.kind != Kind.COMMUNITY:
        return False
    values = figures.roll([place], cutoff).get(place.id, {})
    CutoffRoll.objects.update_or_create(
        place=place, day=day, defaults={"cutoff_at": cutoff, "taken_at": now, "values": values,
                                        **{f: getattr(place, f) for f in LEVEL_FIELDS}})
    return True


def take_due(now=None) -> int:
    """(the scheduled job) Every community's roll of today once its cut-off has passed, and
    of yesterday if the worker was down at that cut-off (taken late: said so)."""
    from fangkong.registry.models import Place

    now = now or timezone.now()
    today = timezone.localdate(now)
    communities = list(Place.objects.filter(kind=Kind.COMMUNITY).order_by("id"))
    return sum(take(communities, d, now) for d in (today - datetime.timedelta(days=1), today))


def at_cutoff(place, day: datetime.date, cutoff, values: dict, now=None) -> dict:
    """A community's figures of `day` with the roll of its cut-off, in place: before the
    cut-off, as counted (the roll now: today's draft); after it, the stored roll
    (`CutoffRoll`), or — none taken yet — the roll as it stands now. A roll read long after the
    cut-off (taken late, or none) keeps that time (`POPULATION_AT`), said under the figures
    (`registry.figures.population_note`): never passed off as the cut-off's."""
    now = now or timezone.now()
    if now < cutoff or not values:
        return values
    taken = queries.cutoff_rolls([place.id], day).get(place.id)
    return with_roll(values, taken, cutoff, now)


def with_roll(values: dict, taken: CutoffRoll | None, cutoff, now) -> dict:
    read = now
    if taken is not None:
        values.update({k: v for k, v in taken.values.items() if k in figures.roll_keys()})
        figures.derive(values)
        read = taken.taken_at
    values.pop(POPULATION_AT, None)
    if roll_read_late(cutoff, read):
        values[POPULATION_AT] = [read.isoformat()]
    return values
