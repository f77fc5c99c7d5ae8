"""The one rule for a household's zone, used by the diff (before publishing) and by
publishing (which writes `HouseholdZone`): the most severe designation in force over any of
the household's levels (its unit, building, compound, grid, community, street, district)
wins; between equally severe ones the most specific place, then the latest start.

`plan(items, at)` works out the designations in force after an adjustment's items and the
households whose zone changes, without writing anything. `last_change(places)` is the
latest minute already written in the history those places' publication would touch: an
adjustment may be published as from an earlier minute only at or after it."""

from dataclasses import dataclass, field

from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest

from fangkong.core.tree import ancestor_ids
from fangkong.core.tree import under as under_q  # noqa: F401 - the one subtree filter, used here and by the app
from fangkong.registry.models import LEVEL_FIELDS, LEVELS, Household, Place

from .models import AdjustmentItem, Designation, HouseholdZone, ZoneType

DEPTH = {k.value: i for i, k in enumerate(LEVELS)}


@dataclass
class Planned:
    """A designation as it will stand: an existing row, or one the adjustment creates."""

    place: Place
    zone_type: ZoneType
    row: Designation | None = None  # None: created by the adjustment
    item: AdjustmentItem | None = None

    @property
    def key(self):
        return ("d", self.row.id) if self.row is not None else ("i", self.item.id)

    def rank(self):
        starts = self.row.starts_at.timestamp() if self.row is not None else float("inf")
        return (self.zone_type.severity, DEPTH.get(self.place.kind, len(LEVELS)), starts)


@dataclass
class Plan:
    at: object
    households: list = field(default_factory=list)  # (id, levels tuple)
    before: dict = field(default_factory=dict)  # household id → HouseholdZone or None
    after: dict = field(default_factory=dict)  # household id → Planned or None

    def changed(self) -> list[int]:
        out = []
        for hid, _levels in self.households:
            old, new = self.before.get(hid), self.after.get(hid)
            if not _same(old, new):
                out.append(hid)
        return out


def _same(old: HouseholdZone | None, new: Planned | None) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return new.row is not None and old.designation_id == new.row.id


def households_under(places) -> list[tuple[int, tuple]]:
    q = Q(pk__in=[])
    for p in places:
        q |= under_q(p)
    return [(row[0], row[1:]) for row in
            Household.objects.filter(q).values_list("id", *LEVEL_FIELDS).order_by("id")]


def in_force(level_ids, at=None) -> list[Designation]:
    qs = Designation.objects.filter(ends_at=None, place_id__in=level_ids).select_related(
        "place", "zone_type")
    if at is not None:
        qs = qs.filter(starts_at__lte=at)
    return list(qs)


def best(levels: tuple, by_place: dict) -> Planned | None:
    found = None
    for pid in levels:
        for d in by_place.get(pid, ()):
            if found is None or d.rank() > found.rank():
                found = d
    return found


def plan(items: list[AdjustmentItem], at) -> Plan:
    """The households the items touch, their zone now and after the items take effect."""
    out = Plan(at=at)
    places = {it.place_id: it.place for it in items}
    out.households = households_under(places.values())
    level_ids = {pid for _hid, levels in out.households for pid in levels if pid}
    level_ids |= set(places)
    ending = {it.designation_id for it in items if it.op in (AdjustmentItem.Op.LIFT,
                                                             AdjustmentItem.Op.CHANGE)}
    by_place: dict[int, list[Planned]] = {}
    for d in in_force(level_ids):
        if d.id not in ending:
            by_place.setdefault(d.place_id, []).append(Planned(d.place, d.zone_type, row=d))
    for it in items:
        if it.op in (AdjustmentItem.Op.CREATE, AdjustmentItem.Op.CHANGE):
            by_place.setdefault(it.place_id, []).append(Planned(it.place, it.zone_type, item=it))
    ids = [hid for hid, _l in out.households]
    out.before = {z.household_id: z for z in HouseholdZone.objects.filter(
        household_id__in=ids, until=None).select_related("zone_type")} if ids else {}
    for hid, levels in out.households:
        out.after[hid] = best(levels, by_place)
    return out


def place_after(items: list[AdjustmentItem], published_at=None) -> dict[int, Planned | None]:
    """The zone each item's place itself is under once the items take effect (the same rule
    as a household's, over the place and the places above it): a building lifted while its
    compound stays controlled is under the compound's 管控区, not "no zone". Published (at
    `published_at`, its effective minute): as it stood from that minute."""
    levels = {it.place_id: {it.place_id, *ancestor_ids(it.place)} for it in items}
    ids = {pid for pids in levels.values() for pid in pids}
    by_place: dict[int, list[Planned]] = {}
    if published_at is not None:
        rows = Designation.objects.filter(Q(ends_at=None) | Q(ends_at__gt=published_at), place_id__in=ids,
                                          starts_at__lte=published_at).select_related("place", "zone_type")
    else:
        ending = {it.designation_id for it in items if it.op in (AdjustmentItem.Op.LIFT,
                                                                 AdjustmentItem.Op.CHANGE)}
        rows = [d for d in in_force(ids) if d.id not in ending]
    for d in rows:
        by_place.setdefault(d.place_id, []).append(Planned(d.place, d.zone_type, row=d))
    if published_at is None:
        for it in items:
            if it.op in (AdjustmentItem.Op.CREATE, AdjustmentItem.Op.CHANGE):
                by_place.setdefault(it.place_id, []).append(Planned(it.place, it.zone_type, item=it))
    return {pid: best(tuple(pids), by_place) for pid, pids in levels.items()}


@dataclass
class Change:
    """A household whose zone a publication changed: the zone row it had (closed at the
    minute; None: no zone) and the designation it is under from then (None: no zone)."""

    household_id: int
    old: HouseholdZone | None
    new: Designation | None


def recompute_under(places, at) -> list[Change]:
    """After designations changed (published): write the new zone of every household under
    `places` whose zone changed. Returns those households (every door, empty ones too: the
    map's colour follows them; the figures count them with `queries.changed_counted`). New
    rows go in through `core.bulk` (COPY on PostgreSQL): sealing 50 buildings writes
    thousands of them."""
    from fangkong.core import bulk

    from .models import HouseholdZone as HZ

    households = households_under(places)
    if not households:
        return []
    level_ids = {pid for _hid, levels in households for pid in levels if pid}
    by_place: dict[int, list[Planned]] = {}
    for d in in_force(level_ids, at):
        by_place.setdefault(d.place_id, []).append(Planned(d.place, d.zone_type, row=d))
    ids = [hid for hid, _l in households]
    before = {z.household_id: z for z in HZ.objects.filter(household_id__in=ids, until=None)
              .select_related("zone_type", "designation__place")}
    close, create, changed = [], [], []
    make = bulk.prototype(HZ, since=at, until=None)
    for hid, levels in households:
        new = best(levels, by_place)
        old = before.get(hid)
        if _same(old, new):
            continue
        changed.append(Change(hid, old, new.row if new is not None else None))
        if old is not None:
            close.append(old.id)
        if new is not None:
            d = new.row
            row = make()
            row.household_id, row.zone_type_id, row.designation_id = hid, d.zone_type_id, d.id
            row.kind, row.severity = d.zone_type.kind, d.zone_type.severity
            for f, v in zip(LEVEL_FIELDS, levels, strict=True):
                setattr(row, f, v)
            create.append(row)
    for i in range(0, len(close), 500):
        HZ.objects.filter(id__in=close[i:i + 500]).update(until=at)
    bulk.insert(HZ, create)
    return changed


def last_change(places) -> tuple[object, Designation | None]:
    """The latest start or end already written for what publishing over `places` touches,
    and the designation it belongs to: (None, None) when nothing is written yet.

    Publishing at a minute T ends the items' designations at T, creates theirs from T, reads
    the designations in force at T over the households (`recompute_under`) and closes the
    households' current zone rows at T, opening new ones from T. So T must not be before
    - any start or end of a designation on the places, under them or on their ancestors
      (else one would end before it began, or a later one be left out at T), and
    - any `since` or `until` of the zone rows of the households under them (else a row
      would end before it began, or two periods overlap)."""
    below = Q(pk__in=[])
    own = set()
    for p in places:
        below |= under_q(p)
        own |= {p.id, *ancestor_ids(p)}
    latest = Greatest("starts_at", Coalesce("ends_at", "starts_at"))
    d = (Designation.objects.filter(below | Q(place_id__in=own)).annotate(t=latest)
         .order_by(F("t").desc(), "-id").select_related("place", "zone_type").first())
    z = (HouseholdZone.objects.filter(below).annotate(t=Greatest("since", Coalesce("until", "since")))
         .order_by(F("t").desc(), "-id").select_related("designation__place", "designation__zone_type")
         .first())
    found = [(x.t, x.designation if isinstance(x, HouseholdZone) else x) for x in (d, z) if x is not None]
    return max(found, key=lambda f: f[0]) if found else (None, None)
