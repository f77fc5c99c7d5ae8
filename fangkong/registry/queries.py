"""Every read of the registry, scoped to the user's place in the tree.

Nothing here returns a row the scope does not allow; `get_*` raise NotFound for both
missing and forbidden objects.
"""

import re
from collections import defaultdict

from django.db.models import Count, F, Q

from fangkong.accounts.roles import Perm
from fangkong.core import pii
from fangkong.core.errors import NotFound
from fangkong.core.text import search_keys
from fangkong.core.tree import ancestor_ids, level_field, under

from .access import can_see_import
from .codes import parse_code, residents_by_token
from .models import (
    LEVELS,
    Household,
    ImportJob,
    Kind,
    Place,
    Presence,
    Relation,
    Resident,
    natural_key,
)

V = Perm.VIEW_REGISTRY


# --- who counts --------------------------------------------------------------
# The one definition of who counts as a resident, for every figure that counts people (a
# place's totals, the resident list, testing rounds, calls): everyone on the roll except
# those who moved out (their row stays for the record and can be listed on its own). A
# household counts when at least one person who counts lives in it.

def counts(prefix: str = "") -> Q:
    """Filter for residents who count (`prefix`: the path to the resident, e.g. "residents__")."""
    return ~Q(**{f"{prefix}presence": Presence.MOVED_OUT})


def counted_residents():
    return Resident.objects.filter(counts())


def _totals(qs, group=None):
    """People and households who count, and vulnerable people, in one aggregate over residents."""
    aggs = {"residents": Count("id"), "households": Count("household_id", distinct=True),
            "vulnerable": Count("id", filter=~Q(tags=""))}
    qs = qs.filter(counts()).order_by()
    return qs.values(group).annotate(**aggs) if group else qs.aggregate(**aggs)


def totals_by(where: dict, col: str):
    """`_totals` (residents and households who count, vulnerable people) of the residents
    matching `where`, grouped by the level column `col`: one query (the figures' providers)."""
    return _totals(Resident.objects.filter(**where), col)


def places(scope, perm=V):
    return Place.objects.filter(scope.place_q(perm))


def households(scope, perm=V):
    return Household.objects.filter(scope.q(perm, household_field="id"))


def residents(scope, perm=V):
    return Resident.objects.filter(scope.q(perm))


def get_place(scope, pk, perm=V) -> Place:
    try:
        return places(scope, perm).get(pk=int(pk))
    except (Place.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_household(scope, pk, perm=V) -> Household:
    try:
        return households(scope, perm).select_related("place").get(pk=int(pk))
    except (Household.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_resident(scope, pk, perm=V) -> Resident:
    try:
        return residents(scope, perm).select_related("household__place").get(pk=int(pk))
    except (Resident.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def ancestors(place: Place) -> list[Place]:
    """The chain from the root down to the place's parent, in one query."""
    ids = [pk for pk in ancestor_ids(place) if pk != place.id]
    if place.parent_id and place.parent_id not in ids:
        ids.append(place.parent_id)
    chain = {p.id: p for p in Place.objects.filter(id__in=ids)}
    return sorted(chain.values(), key=lambda p: p.depth)


def duty_phone_for(obj) -> Place | None:
    """Whom to call for a place or a household: the nearest place up the tree (the place
    itself, its unit, building, … community, street, district) with a duty phone, or None.
    One query. The returned place has `name`, `kind` and `duty_phone`. Not personal data: a
    duty line is for anyone there to call."""
    if obj is None:
        return None
    if isinstance(obj, Place):
        ids = {*ancestor_ids(obj), obj.id, obj.parent_id}
    else:  # a household (or anything with a place and level columns)
        ids = {*ancestor_ids(obj), obj.place_id}
    ids.discard(None)
    if not ids:
        return None
    return (Place.objects.filter(id__in=ids).exclude(duty_phone="")
            .only("id", "name", "kind", "depth", "duty_phone").order_by("-depth").first())


def nearest_duty_phone(chain) -> Place | None:
    """`duty_phone_for` over places already loaded (a page's crumbs and its place: no
    query): the deepest of them with a duty phone, or None."""
    return max((p for p in chain if p.duty_phone), key=lambda p: p.depth, default=None)


def crumbs(scope, place: Place, *, with_self=False, above=None) -> list[Place]:
    """The places above `place` (and the place itself `with_self`), root first, each with
    `.open`: may the user open its page (a link), or only read its name (plain text: a
    street's name above a community's staff is no secret, its page is not theirs).
    `above`: `ancestors(place)` when the caller has it already."""
    chain = (ancestors(place) if above is None else list(above)) + ([place] if with_self else [])
    for p in chain:
        p.open = scope.allows(Perm.VIEW_REGISTRY, p)
    if not any(p.open for p in chain):  # a family's login: none to open, the address alone
        chain = [p for p in chain if p.kind in (Kind.COMPOUND, Kind.BUILDING, Kind.UNIT)]
    return chain


def children_with_counts(scope, place: Place) -> list[Place]:
    """Visible children of a place, each with `.n_households` and `.n_residents` (who
    counts, `counts`).

    Two queries whatever the number of children: children, then people and households
    grouped by each child level.
    """
    kids = list(places(scope).filter(parent=place).order_by("kind", "sort_key", "id"))
    hh_counts, res_counts = defaultdict(int), defaultdict(int)
    kinds = {k.kind for k in kids if k.kind in LEVELS}
    if kinds:
        sel = under(place)
        for kind in kinds:
            field = level_field(kind)
            for row in _totals(Resident.objects.filter(sel), field):
                hh_counts[row[field]] += row["households"]
                res_counts[row[field]] += row["residents"]
    for k in kids:
        k.n_households = hh_counts.get(k.id, 0)
        k.n_residents = res_counts.get(k.id, 0)
    return kids


def place_counts(place: Place) -> dict:
    """Households, residents and vulnerable residents under a place who count (`counts`):
    one query."""
    return _totals(Resident.objects.filter(under(place)))


def board(scope, place: Place):
    """Who lives where in a building or unit: [(unit, [household with .people])].

    Three queries: units, households, residents.
    """
    if place.kind == Kind.BUILDING:
        units = list(places(scope).filter(parent=place, kind=Kind.UNIT).order_by("sort_key"))
        holders = [place] + units
    elif place.kind == Kind.UNIT:
        holders = [place]
    else:
        return []
    hhs = list(households(scope).filter(place__in=holders).order_by("sort_key", "id"))
    people = defaultdict(list)
    for r in residents(scope).filter(household__in=hhs).order_by("household_id", "relation", "id"):
        people[r.household_id].append(r)
    by_holder = defaultdict(list)
    for h in hhs:
        h.people = people.get(h.id, [])
        h.lived_in = any(r.presence != Presence.MOVED_OUT for r in h.people)  # counts (`counts`)
        by_holder[h.place_id].append(h)
    for p in holders:  # households as counted everywhere (someone who counts), and empty doors
        mine = by_holder.get(p.id, [])
        p.n_households = sum(h.lived_in for h in mine)
        p.n_empty = len(mine) - p.n_households
    return [(p, by_holder.get(p.id, [])) for p in holders if by_holder.get(p.id) or p.kind == Kind.UNIT]


# --- search ------------------------------------------------------------------

ADDRESS = re.compile(
    r"^(?P<compound>\D*?)\s*(?P<building>\d+)\s*(?:号楼|号|栋|幢|#|-|楼)\s*"
    r"(?:(?P<unit>\d+)\s*(?:单元|-))?\s*(?P<door>\d+)?\s*(?:室|号)?$"
)


def parse_address(query: str):
    """The parts of an address as people type it — "8号楼 3单元 302", "8-3-302",
    "3号楼2单元501", "光明小区8号楼" (spaces and full-width digits allowed) — as a match
    with groups compound, building, unit, door; None when it is not an address."""
    compact = re.sub(r"\s+", "", pii.to_halfwidth(query or ""))
    m = ADDRESS.match(compact)
    if m and (m.group("door") or m.group("unit") or "号楼" in compact):
        return m
    return None


def households_at(qs, query: str):
    """Households of `qs` at the address typed in `query`, or None when it is not one
    (the volunteer registration's picker uses it on a community's households)."""
    m = parse_address(query)
    return None if m is None else _address_filter(qs, m, hh="")


def search(scope, query: str, *, within: Place | None = None, limit=50):
    """Residents matching a name, pinyin, initials, phone (or its tail), ID (or its tail)
    or an address like "3号楼2单元501" / "3-2-501". Returns (kind_of_match, residents)."""
    kind, qs = search_queryset(scope, query, within=within)
    if qs is None:
        return "", []
    rows = list(qs.order_by("household__sort_key", "household_id", "id")[:limit])
    return kind, rows


def search_queryset(scope, query: str, *, within: Place | None = None, perm=V):
    """The rule behind `search`, unsliced and unordered: (kind_of_match, queryset), or
    ("", None) for an empty query. The API filters and paginates it further; `perm`: among
    the people the user holds it over (the zones' case page: those they manage)."""
    q = pii.to_halfwidth(query or "").strip()
    if not q:
        return "", None
    base = residents(scope, perm).select_related("household__place")
    if within is not None:
        base = base.filter(under(within))
    compact = re.sub(r"\s+", "", q)
    if (token := parse_code(query)) is not None:  # a personal code scanned into the box
        kind, qs = "code", residents_by_token(base, [token])
    elif re.fullmatch(r"\d{17}[\dXx]", compact):
        kind, qs = "id", base.filter(id_hash=pii.lookup_hash(compact.upper()))
    elif re.fullmatch(r"1[3-9]\d{9}", compact):
        kind, qs = "phone", base.filter(phone=compact)
    elif re.fullmatch(r"\d{3}[\dXx]", compact):
        t = compact.upper()
        # The door as a subquery, not a join inside the OR: the OR across a join made
        # PostgreSQL scan every household (85 ms at 1 M residents).
        doors = Household.objects.filter(door=t)
        if within is not None:
            doors = doors.filter(under(within))
        kind, qs = "tail", base.filter(Q(phone_tail=t) | Q(id_tail=t)
                                       | Q(household_id__in=doors.values("id")))
    elif m := parse_address(compact):
        kind, qs = "address", _address_filter(base, m)
    elif re.fullmatch(r"\d+", compact):
        kind, qs = "door", base.filter(household__door=compact)
    elif keys := search_keys(q):
        # Prefixes of indexed keys only (an OR of index ranges): initials, full pinyin in
        # family-given order, and in given-family order (the given name alone too).
        match = Q(initials__startswith=keys[0])
        for k in keys:
            match |= Q(pinyin__startswith=k) | Q(pinyin_given__startswith=k)
        kind, qs = "pinyin", base.filter(match)
    else:
        kind, qs = "name", base.filter(Q(name__contains=compact))
    return kind, qs


def _address_filter(base, m, hh="household__"):
    """Filter residents (hh="household__") or households (hh="") by a parsed address."""
    qs = base
    building_key = natural_key(m.group("building"))
    qs = qs.filter(**{f"{hh}place__kind__in": [Kind.UNIT, Kind.BUILDING]})
    buildings = Place.objects.filter(kind=Kind.BUILDING, sort_key__startswith=building_key)
    if m.group("compound"):
        buildings = buildings.filter(parent__name__contains=m.group("compound"))
    qs = qs.filter(building_id__in=buildings.values("id"))
    if m.group("unit"):
        units = Place.objects.filter(kind=Kind.UNIT, sort_key__startswith=natural_key(m.group("unit")),
                                     parent__in=buildings)
        qs = qs.filter(unit_id__in=units.values("id"))
    if m.group("door"):
        qs = qs.filter(**{f"{hh}door": m.group("door")})
    return qs


def household_search(scope, query: str, *, within: Place | None = None, perm=V, limit=30):
    """Households for an address ("1-1-102", "1号楼1单元102"), a door number, or anything
    the resident search understands (a member's name, phone…). Address order."""
    q = pii.to_halfwidth(query or "").strip()
    compact = re.sub(r"\s+", "", q)
    if not compact:
        return []
    base = households(scope, perm).select_related("place")
    if within is not None:
        base = base.filter(under(within))
    if m := parse_address(compact):
        qs = _address_filter(base, m, hh="")
    elif re.fullmatch(r"\d+", compact) and len(compact) <= 5:
        qs = base.filter(door=compact)
    else:
        _kind, people = search_queryset(scope, q, within=within)
        qs = base.filter(id__in=people.values("household_id"))
    return list(qs.order_by("building_id", "unit_id", "sort_key", "id")[:limit])


def vulnerable(scope, place: Place, tags=(), include_away=False, zone=None):
    qs = residents(scope).filter(under(place)).exclude(tags="").select_related("household__place")
    for t in tags:
        qs = qs.filter(tags__contains=f",{t},")
    if zone:
        qs = qs.filter(zone_q(zone))
    if not include_away:
        qs = qs.filter(counts())
    return qs.order_by("building_id", "unit_id", "household__sort_key", "id")


def resident_list(scope, place: Place, *, tag=None, presence=None, q=None, zone=None):
    """The residents under `place` who count (`counts`), or those of one `presence` (moved
    out included when asked for); `zone`: only those whose household is now in that kind of
    zone (`zone_q`)."""
    qs = residents(scope).filter(under(place)).select_related("household__place")
    if tag:
        qs = qs.filter(tags__contains=f",{tag},")
    if zone:
        qs = qs.filter(zone_q(zone))
    qs = qs.filter(presence=presence) if presence else qs.filter(counts())
    return qs.order_by("building_id", "unit_id", "household__sort_key", "household_id", "id")


# --- zones, read without importing them ------------------------------------------
# The zones app says which households are in which kind of zone now through
# settings.FANGKONG_HOUSEHOLD_ZONES (a module: `choices()`, `q(kind, household_field)`,
# `names(household_ids)`): the lists' zone filter and the export's 区域 column.

def _zones():
    import importlib

    from django.conf import settings

    path = getattr(settings, "FANGKONG_HOUSEHOLD_ZONES", "")
    return importlib.import_module(path) if path else None


def zone_choices() -> list[tuple[str, str]]:
    """[(value, words)] of the zone filter (封控区, 管控区, 防范区, none); [] without zones."""
    z = _zones()
    return list(z.choices()) if z else []


def zone_value(value) -> str | None:
    """The filter's value if it is one of `zone_choices`, else None (an unknown one is no filter)."""
    return value if value and value in {v for v, _w in zone_choices()} else None


def zone_q(kind: str, household_field: str = "household_id") -> Q:
    """Rows whose household is now in a zone of `kind` ("none": in none); an unknown kind
    matches nothing."""
    z = _zones()
    found = z.q(kind, household_field) if z else None
    return found if found is not None else Q(pk__in=[])


def zone_names(household_ids) -> dict[int, str]:
    """{household id: its zone's name now} in one query (none outside any zone)."""
    z = _zones()
    return z.names(household_ids) if z else {}


def address_labels(rows) -> dict[int, str]:
    """{place_id: "光明小区 3号楼 2单元"} for the households' places, in one query."""
    ids = set()
    for r in rows:
        hh = r.household if isinstance(r, Resident) else r
        ids.update(x for x in (hh.compound_id, hh.building_id, hh.unit_id) if x)
    names = dict(Place.objects.filter(id__in=ids).values_list("id", "name"))
    out = {}
    for r in rows:
        hh = r.household if isinstance(r, Resident) else r
        out[hh.place_id] = " ".join(names[x] for x in (hh.compound_id, hh.building_id, hh.unit_id)
                                    if x and x in names)
    return out


def place_labels(places) -> dict[int, str]:
    """{place id: its name with the parents that tell it apart}, in one query: a unit or
    building with its compound and building ("光明小区 3号楼 2单元"), a grid or compound with
    its community ("光明社区 第一网格"), any other place (a gate, a sampling point, a shop)
    with its parent unless its own name already starts with it ("光明小区东门卡口", not
    "光明小区 光明小区东门卡口"). A district, street or community is its own name."""
    places = list(places)

    def above(p):
        if p.kind in (Kind.UNIT, Kind.BUILDING):
            return [p.compound_id, p.building_id if p.kind == Kind.UNIT else None]
        if p.kind in (Kind.GRID, Kind.COMPOUND):
            return [p.community_id]
        if p.kind in LEVELS:
            return []
        return [p.parent_id]

    names = dict(Place.objects.filter(id__in={x for p in places for x in above(p) if x})
                 .values_list("id", "name"))
    out = {}
    for p in places:
        parts = [names.get(x, "") for x in above(p) if x and x != p.id] + [p.name]
        parts = [x for i, x in enumerate(parts) if x and not (i + 1 < len(parts) and parts[i + 1].startswith(x))]
        out[p.id] = " ".join(parts)
    return out


def labelled(places) -> list[Place]:
    """Places for a picker, each with `label`: its kind and its path (`place_labels`:
    "单元 · 光明小区 3号楼 1单元", "网格 · 光明社区 第一网格"; a list of "单元 · 1单元" ten
    times, or "网格 · 第一网格" twice, could not be told apart), in one query."""
    places = list(places)
    paths = place_labels(places)
    for p in places:
        p.label = f"{p.get_kind_display()} · {paths.get(p.id) or p.name}"
    return places


# --- for the JSON API (lists that page, roots, import jobs) --------------------

ADDRESS_ORDER = ("building_id", "unit_id", "household__sort_key", "household_id", "id")

# The levels a list is ordered by, by address (`place_order`).
ORDER_LEVELS = (Kind.COMMUNITY, Kind.COMPOUND, Kind.BUILDING, Kind.UNIT)


def place_order(prefix="", within: Place | None = None) -> list:
    """Order terms for rows with level columns (`prefix`: "" on the row, "resident__" on a
    row's resident) by address in natural order: community, compound, building, unit, each
    by its place's `sort_key` (`natural_key`: 2号楼 before 10号楼, whatever order they were
    added in), then its id (two places of one name stay apart); a row without the level
    first, on SQLite and PostgreSQL alike. Levels at or above `within` (the node the rows
    are under) are the same for every row and left out. Each level is one join of the place
    by its primary key. The caller adds the door (`household__sort_key`) and the row."""
    depth = LEVELS.index(within.kind) if within is not None and within.kind in LEVELS else -1
    out = []
    for kind in ORDER_LEVELS:
        if LEVELS.index(kind) > depth:
            out += [F(f"{prefix}{kind}__sort_key").asc(nulls_first=True),
                    F(f"{prefix}{kind}_id").asc(nulls_first=True)]
    return out


def resident_query(scope, place: Place | None = None, *, tags=(), presence=None, q=None, zone=None):
    """Residents for a paged list: under `place` (or everything the scope sees), having all
    `tags`, by presence (without one: those who count, `counts`), matching `q` with the
    same rules as `search`, and `zone`: only those whose household is now in that kind of
    zone (`zone_q`, as the resident list page's). Ordered by address."""
    qs = None
    if q and q.strip():
        _kind, qs = search_queryset(scope, q, within=place)
    if qs is None:
        qs = residents(scope).select_related("household__place")
        if place is not None:
            qs = qs.filter(under(place))
    for t in tags:
        qs = qs.filter(tags__contains=f",{t},")
    if zone:
        qs = qs.filter(zone_q(zone))
    qs = qs.filter(presence=presence) if presence else qs.filter(counts())
    return qs.order_by(*ADDRESS_ORDER)


def household_list(scope, place: Place | None = None, *, q=None, counted: bool | None = None, zone=None):
    """Households under `place` (or all the scope sees), each with `.n_residents` (moved-out
    people not counted). `q` matches the start of the door number or the end of the
    household phone. `counted`: only the households someone counts in (`counts`: those a
    place's household figure counts), or only the others. `zone`: only those now in that
    kind of zone (`zone_q`). One query, whatever the number of rows."""
    qs = households(scope).select_related("place")
    if place is not None:
        qs = qs.filter(under(place))
    if zone:
        qs = qs.filter(zone_q(zone, "id"))
    q = re.sub(r"\s+", "", pii.to_halfwidth(q or ""))
    if q:
        match = Q(door__startswith=q)
        if q.isdigit() and len(q) >= 4:
            match |= Q(phone__endswith=q)
        qs = qs.filter(match)
    qs = qs.annotate(n_residents=Count("residents", filter=counts("residents__")))
    if counted is not None:
        qs = qs.filter(n_residents__gt=0) if counted else qs.filter(n_residents=0)
    return qs.order_by("building_id", "unit_id", "sort_key", "id")


def with_counts(nodes: list[Place]) -> list[Place]:
    """Set `.n_households` and `.n_residents` (who counts, `counts`) on level places (e.g.
    a user's roots): one grouped query per kind of node, whatever the number of nodes."""
    by_kind = defaultdict(list)
    for p in nodes:
        p.n_households = p.n_residents = 0
        if p.kind in LEVELS:
            by_kind[p.kind].append(p.id)
    hh_counts, res_counts = {}, {}
    for kind, ids in by_kind.items():
        f = level_field(kind)
        for row in _totals(Resident.objects.filter(**{f"{f}__in": ids}), f):
            hh_counts[row[f]] = row["households"]
            res_counts[row[f]] = row["residents"]
    for p in nodes:
        p.n_households = hh_counts.get(p.id, 0)
        p.n_residents = res_counts.get(p.id, 0)
    return nodes


def get_import_job(scope, pk) -> ImportJob:
    """An import job, for the user who started it or someone with IMPORT on its place;
    NotFound for everyone else, exactly as for a missing job."""
    try:
        job = ImportJob.objects.defer("content").select_related("place").get(pk=int(pk))
    except (ImportJob.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if not can_see_import(scope, job):
        raise NotFound()
    return job


def contact_phones(residents) -> dict[int, dict]:
    """Whom to call for people without a phone of their own (a child, an old person without
    a mobile): the household's phone, else a housemate's (someone who counts, the head
    first). {resident id: {"of": the household or the housemate (whose phone rule applies:
    `audit.disclosure`), "phone", "name": the housemate's, or "" for the household's}}.
    The residents come with their household; one query for the housemates."""
    out, ask = {}, {}
    for r in residents:
        if r.phone:
            continue
        if r.household.phone:
            out[r.id] = {"of": r.household, "phone": r.household.phone, "name": ""}
        else:
            ask[r.id] = r.household_id
    if ask:
        mates = defaultdict(list)
        for m in Resident.objects.filter(counts(), household_id__in=set(ask.values())).exclude(phone=""):
            mates[m.household_id].append(m)
        for rid, hid in ask.items():
            them = sorted((m for m in mates[hid] if m.id != rid),
                          key=lambda m: (m.relation != Relation.HEAD, m.id))
            if them:
                out[rid] = {"of": them[0], "phone": them[0].phone, "name": them[0].name}
    return out


def door_phones(households) -> dict[int, list[dict]]:
    """Whom to call about a door (a delivery not answered, an exception to settle): the
    household's phone, then a resident's mobile (someone who counts, the head first) — so a
    household without a landline still has a number. {household id: [{"of": the household or
    the resident (whose phone rule applies: `audit.disclosure`), "phone", "name": the
    resident's, or "" for the household's}]}, at most one of each. One query."""
    households = list(households)
    out = {h.id: ([{"of": h, "phone": h.phone, "name": ""}] if h.phone else []) for h in households}
    first = {}
    for r in Resident.objects.filter(counts(), household_id__in=list(out)).exclude(phone="") \
            .order_by("household_id", "id"):
        best = first.get(r.household_id)
        if best is None or (r.relation == Relation.HEAD and best.relation != Relation.HEAD):
            first[r.household_id] = r
    for hid, r in first.items():
        out[hid].append({"of": r, "phone": r.phone, "name": r.name})
    return out
