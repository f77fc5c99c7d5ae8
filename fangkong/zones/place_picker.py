"""The places an adjustment may zone, for its place picker: in the tree's order (a building
after its compound, a unit after its building, 10号楼 after 2号楼), grouped by compound
(`<optgroup>`; a community's own group holds it, its grids and what lies in no compound).
A district's list had been one flat `<select>` ordered by depth, "惠泽苑小区 1号楼, 康乐苑 1号楼,
金兴小区 1号楼 …", silently cut at 2,000 (walked 2026-12-07).

Past `LIMIT` places the list holds whole levels, the larger places first (communities, grids,
compounds, buildings, other places, units) as many as fit, and says so; `within` (a
community, grid, compound or building under the adjustment's place) lists that one's places in
full. A few queries, none per place."""

from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext as _

from fangkong.core.errors import NotFound
from fangkong.core.tree import under
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import LEVEL_FIELDS, LEVELS, Kind, Place

LIMIT = 2000
# the order in which levels are kept when the list is too long (larger places first)
RANKS = [[Kind.COMMUNITY], [Kind.GRID], [Kind.COMPOUND], [Kind.BUILDING],
         [Kind.SHOP, Kind.HOTEL, Kind.OTHER, Kind.QUARANTINE_SITE], [Kind.UNIT]]
AREA_KINDS = [k for rank in RANKS for k in rank]
# what a place list may be narrowed to
WITHIN_KINDS = (Kind.COMMUNITY, Kind.GRID, Kind.COMPOUND, Kind.BUILDING)


@dataclass
class Picker:
    groups: list = field(default_factory=list)  # [(label, [Place with .label])]
    total: int = 0  # places under the root (or `within`)
    shown: int = 0
    within: Place | None = None
    narrow: list = field(default_factory=list)  # communities and compounds, for "list only"

    @property
    def cut(self) -> bool:
        return self.shown < self.total


def _area(root: Place):
    qs = Place.objects.filter(kind__in=AREA_KINDS)
    return qs.filter(under(root)) if root.kind in LEVELS else qs


def get_within(root: Place, pk) -> Place | None:
    """The place a list is narrowed to (`?within=`): one of `WITHIN_KINDS` under the root, else
    not found; none asked: None."""
    if pk in (None, ""):
        return None
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    place = _area(root).filter(pk=pk, kind__in=WITHIN_KINDS).first()
    if place is None:
        raise NotFound()
    return place


def picker(root: Place, within: Place | None = None) -> Picker:
    qs = _area(within or root)
    counts = dict(qs.values_list("kind").annotate(n=Count("id")).order_by())
    total = sum(counts.values())
    kinds, room = [], LIMIT
    for rank in RANKS:  # whole levels while they fit; the first that does not is cut at the limit
        n = sum(counts.get(k, 0) for k in rank)
        if not n:
            continue
        if n > room and kinds:
            break
        kinds += rank
        room -= n
    places = list(qs.filter(kind__in=kinds).order_by("depth", "sort_key", "id")[:LIMIT])
    out = Picker(total=total, shown=len(places), within=within)
    out.groups = _grouped(reg_queries.labelled(places))
    if out.cut or within is not None or counts.get(Kind.COMMUNITY, 0) > 1:
        out.narrow = _in_tree_order(reg_queries.labelled(
            _area(root).filter(kind__in=(Kind.COMMUNITY, Kind.COMPOUND))[:LIMIT]))
    return out


def _chain(p: Place) -> list[int]:
    ids = [getattr(p, f) for f in LEVEL_FIELDS if getattr(p, f)]
    return ids if p.kind in LEVELS else [*ids, p.id]


def _in_tree_order(places: list[Place]) -> list[Place]:
    """Depth first, each level by its natural name order (`sort_key`): one query for the
    names of the ancestors not among them (the streets above a district's communities)."""
    known = {p.id: p.sort_key for p in places}
    missing = {i for p in places for i in _chain(p) if i not in known}
    if missing:
        known |= dict(Place.objects.filter(id__in=missing).values_list("id", "sort_key"))
    return sorted(places, key=lambda p: [(known.get(i, ""), i) for i in _chain(p)])


def _grouped(places: list[Place]) -> list[tuple[str, list[Place]]]:
    """[(label, places)] in the tree's order: a compound's group ("光明社区 · 光明小区"), a
    building in no compound its own, the rest of a community in the community's group."""
    ordered = _in_tree_order(places)
    anchors = {p.compound_id or p.building_id or p.community_id for p in ordered} - {None}
    names = {p.id: p.name for p in ordered if p.id in anchors}
    community_of = {}
    for p in ordered:
        community_of.setdefault(p.compound_id or p.building_id or p.community_id, p.community_id)
    anchors |= set(community_of.values()) - {None}
    missing = anchors - set(names)
    if missing:
        names |= dict(Place.objects.filter(id__in=missing).values_list("id", "name"))
    groups: dict = {}
    for p in ordered:
        key = p.compound_id or p.building_id or p.community_id
        if key not in groups:
            community = community_of.get(key)
            if key is None:  # right under a street or a district
                label = _("Other places")
            elif key == community or community is None:
                label = names.get(key, "")
            else:
                label = f"{names.get(community, '')} · {names.get(key, '')}"
            groups[key] = (label, [])
        groups[key][1].append(p)
    return list(groups.values())
