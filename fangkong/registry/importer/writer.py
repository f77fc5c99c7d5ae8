"""Planning and writing an import: places, households, residents in one transaction."""

import hashlib
import json
import logging
from collections import defaultdict

from django.db import connections, router
from django.utils import timezone

from fangkong.accounts.roles import Perm
from fangkong.audit.actions import record, record_many
from fangkong.audit.models import AuditEvent
from fangkong.core import pii
from fangkong.core.bulk import allocate_ids, prototype
from fangkong.core.bulk import insert as bulk_insert
from fangkong.core.errors import Invalid
from fangkong.core.said import said
from fangkong.core.tree import level_field, under

from ..actions import apply_resident_fields, presence_allowed, sealed_since
from ..checks import is_head, second_head_message
from ..models import (
    LEVEL_FIELDS,
    LEVELS,
    Household,
    ImportJob,
    Kind,
    Place,
    Presence,
    Resident,
    natural_key,
    new_token,
)
from ..queries import ancestors
from ..signals import placed
from . import joining, newer
from .columns import (
    BATCH,
    MAX_STORED_ERRORS,
    PLACE_KEYS,
    PLACE_KIND,
    new_place_name,
    place_key,
    row_error,
)
from .messages import (
    AWAY_WHILE_SEALED,
    BUILDING_REQUIRED,
    COMPOUND_NOT_IN_GRID,
    COMPOUND_REQUIRED_COMMUNITY,
    COMPOUND_REQUIRED_GRID,
    COMPOUNDS_AMBIGUOUS,
    HEAD_ON_ROW,
    ID_HIDDEN_NOT_HERE,
    NAMES_AMBIGUOUS,
    PHONE_HIDDEN,
    PLACE_MISMATCH,
    PLACES_AMBIGUOUS,
    REGISTERED_ELSEWHERE,
    SAME_PERSON,
)
from .rows import Parsed, RosterRow

log = logging.getLogger(__name__)


# --- places ------------------------------------------------------------------







class _Node:
    """A place in the tree below the import place: existing, or to be created."""

    __slots__ = ("place", "parent", "kind", "name", "token")

    def __init__(self, kind, name, place=None, parent=None):
        self.kind, self.name, self.place, self.parent = kind, name, place, parent
        self.token = ("p", place.id) if place is not None else ("n", id(self))


class _NewHousehold:
    """A household to be created; `row` becomes its column values once it has an id."""

    __slots__ = ("node", "door", "row")

    def __init__(self, node, door):
        self.node, self.door, self.row = node, door, None


EXAMPLES = 5  # the examples of each kind in a summary
JOINED_SHOWN = 5  # the addresses said of the households people joined (the first few)
HOUSEHOLD_COLUMNS = ["id", "place_id", "door", *LEVEL_FIELDS]


# --- the import --------------------------------------------------------------

class Plan:
    """Everything the import will write, worked out before writing anything."""

    def __init__(self, actor, place: Place, parsed: Parsed):
        self.actor, self.place, self.parsed = actor, place, parsed
        self.errors: list[dict] = []
        self.new_nodes: list[_Node] = []
        self.new_households: dict[tuple, _NewHousehold] = {}
        self.creates: list[tuple[Resident, object]] = []  # (resident, household or _NewHousehold)
        self.updates: list[tuple[Resident, dict]] = []  # (resident, changes)
        # rows of people whose record is newer than the file: not imported (`newer.keeps`)
        self.kept_newer: list[tuple] = []
        self.moves: dict[int, object] = {}  # resident id → household or _NewHousehold
        # (row, resident, household, whether the row makes them head there): for `_one_head`
        self.placed: list[tuple[RosterRow, Resident, object, bool]] = []
        self.unchanged = 0
        self.joins: list = []  # (row, resident, household): people joining occupied households
        self.warnings: list = []  # (row, column key, value, message, household): `joining`

    def err(self, row: RosterRow, key, value, message):
        row_error(self.errors, row.row, self.parsed.columns, key, value, message)

    # loading
    def load(self):
        place = self.place
        kind = Kind(place.kind)
        self.kind = kind
        self.above = {p.kind: p for p in ancestors(place)}
        self.above[kind] = place
        nodes: dict[int, _Node] = {}
        self.children: dict[tuple, dict[str, list[_Node]]] = defaultdict(dict)
        self.compounds_in_community: dict[str, list[_Node]] = defaultdict(list)
        self.place_names: dict[int, str] = {p.id: p.name for p in self.above.values()}
        for p in Place.objects.filter(under(place), kind__in=LEVELS).order_by("depth", "id"):
            nodes[p.id] = node = _Node(p.kind, p.name, place=p)
            self.place_names[p.id] = p.name
            if p.id == place.id:
                continue
            parent = nodes.get(p.parent_id)
            if parent is None:
                continue
            node.parent = parent
            self.children[(parent.token, p.kind)].setdefault(place_key(p.kind, p.name), []).append(node)
            if p.kind == Kind.COMPOUND:
                self.compounds_in_community[place_key(p.kind, p.name)].append(node)
        self.root = nodes[place.id]
        # Households as plain dicts of their columns: one query, no model per row.
        self.households = {(("p", h["place_id"]), h["door"]): h for h in
                           Household.objects.filter(under(place)).values(*HOUSEHOLD_COLUMNS)}
        self.by_hash: dict[str, Resident] = {}
        self.by_household_name: dict[tuple, list[Resident]] = defaultdict(list)
        for r in _residents(Resident.objects.filter(under(place))):
            if r.id_hash:
                self.by_hash[r.id_hash] = r
            self.by_household_name[(r.household_id, r.name)].append(r)
        # ID numbers registered outside the import place: movable if the actor may import
        # there too, otherwise an error.
        self.elsewhere: set[str] = set()
        wanted = [r.id_hash for r in self.parsed.rows if r.id_hash and r.id_hash not in self.by_hash]
        for i in range(0, len(wanted), BATCH):
            for r in _residents(Resident.objects.filter(id_hash__in=wanted[i:i + BATCH])):
                if self.actor.scope.allows(Perm.IMPORT, r):
                    self.by_hash[r.id_hash] = r
                else:
                    self.elsewhere.add(r.id_hash)

    # places
    def _child(self, parent: _Node, kind, name, row, column, create=True) -> _Node | None:
        """The child place called `name` (or "3" for "3号楼"), created in the plan if missing.

        None when it is missing and create is False, or when several places match (an
        error is recorded then)."""
        key = place_key(kind, name)
        bucket = self.children[(parent.token, kind)]
        found = bucket.get(key)
        if found:
            exact = [n for n in found if n.name == name]
            if len(found) == 1 or len(exact) == 1:
                return exact[0] if exact else found[0]
            self.err(row, column, name, said(PLACES_AMBIGUOUS, parent=parent.name, name=name,
                                             names=[n.name for n in found]))
            return None
        if not create:
            return None
        node = _Node(kind, new_place_name(kind, name), parent=parent)
        bucket[key] = [node]
        self.new_nodes.append(node)
        if kind == Kind.COMPOUND:
            self.compounds_in_community[key].append(node)
        return node

    def holder(self, row: RosterRow) -> _Node | None:
        """The unit or building the row's household hangs under (None: errors recorded)."""
        kind, ok = self.kind, True
        depth = LEVELS.index(kind)
        # Levels at or above the import place: the cell must be empty or name that place.
        for key in PLACE_KEYS:
            level = PLACE_KIND[key]
            value = getattr(row, key)
            if LEVELS.index(level) > depth or not value:
                continue
            anc = self.above.get(level)
            if anc is not None and place_key(level, value) != place_key(level, anc.name):
                self.err(row, key, value, said(PLACE_MISMATCH, value=value, place=self.place.name,
                                               name=anc.name))
                ok = False
        if not ok:
            return None
        node = self.root
        if kind == Kind.COMMUNITY:
            grid = None
            if row.grid:
                grid = self._child(node, Kind.GRID, row.grid, row, "grid")
                if grid is None:
                    return None
            if not row.compound:
                self.err(row, "compound", "", said(COMPOUND_REQUIRED_COMMUNITY))
                return None
            key = place_key(Kind.COMPOUND, row.compound)
            if grid is not None:
                node = self._child(grid, Kind.COMPOUND, row.compound, row, "compound", create=False)
                if node is None:
                    if self.compounds_in_community.get(key):
                        self.err(row, "grid", row.grid, said(
                            COMPOUND_NOT_IN_GRID, compound=row.compound, grid=row.grid))
                        return None
                    node = self._child(grid, Kind.COMPOUND, row.compound, row, "compound")
            else:
                found = self.compounds_in_community.get(key, [])
                if len(found) > 1:
                    self.err(row, "compound", row.compound,
                             said(COMPOUNDS_AMBIGUOUS, compound=row.compound))
                    return None
                node = found[0] if found else self._child(node, Kind.COMPOUND, row.compound,
                                                          row, "compound")
        elif kind == Kind.GRID:
            if not row.compound:
                self.err(row, "compound", "", said(COMPOUND_REQUIRED_GRID))
                return None
            node = self._child(node, Kind.COMPOUND, row.compound, row, "compound")
        if node is None:
            return None
        if kind in (Kind.COMMUNITY, Kind.GRID, Kind.COMPOUND):
            if not row.building:
                self.err(row, "building", "", said(BUILDING_REQUIRED))
                return None
            node = self._child(node, Kind.BUILDING, row.building, row, "building")
        if node is not None and kind != Kind.UNIT and row.unit:
            node = self._child(node, Kind.UNIT, row.unit, row, "unit")
        return node

    def household(self, holder: _Node, door: str):
        hh = self.households.get((holder.token, door))
        if hh is None:
            hh = self.new_households.get((holder.token, door))
            if hh is None:
                hh = self.new_households[(holder.token, door)] = _NewHousehold(holder, door)
        return hh

    # matching
    def plan(self):
        matched: dict[int, int] = {}  # resident id → row
        # a roster without the 智能手机 column (or with the cell empty) does not say: unknown,
        # never "has one" (the cards for people without a smartphone include the unknown)
        new_resident = prototype(Resident, has_smartphone=None)
        for row in self.parsed.rows:
            holder = self.holder(row)
            if holder is None:
                continue
            hh = self.household(holder, row.door)
            existing_hh = None if isinstance(hh, _NewHousehold) else hh
            same_name = (self.by_household_name.get((existing_hh["id"], row.name), [])
                         if existing_hh else [])
            r = None
            if row.id_hash:
                if row.id_hash in self.elsewhere:
                    self.err(row, "id_number", row.clean["id_number"], said(REGISTERED_ELSEWHERE))
                    continue
                r = self.by_hash.get(row.id_hash)
                if r is None:
                    # Someone registered without an ID number gets it now.
                    without = [x for x in same_name if not x.id_hash]
                    r = without[0] if len(without) == 1 else None
            else:
                candidates = same_name
                if row.masked_id:
                    candidates = [x for x in same_name if x.id_masked == row.masked_id]
                    if not candidates:
                        self.err(row, "id_number", row.masked_id, said(ID_HIDDEN_NOT_HERE))
                        continue
                if len(candidates) > 1:
                    self.err(row, "name", row.name, said(NAMES_AMBIGUOUS, name=row.name))
                    continue
                r = candidates[0] if candidates else None
            if row.masked_phone and (r is None or pii.mask_phone(r.phone) != row.masked_phone):
                self.err(row, "phone", row.masked_phone, said(PHONE_HIDDEN))
                continue
            if r is None:
                new = new_resident()
                new.token = new_token()
                apply_resident_fields(new, row.clean)
                self.creates.append((new, hh))
                self.placed.append((row, new, hh, True))
                continue
            if r.id in matched:
                self.err(row, "name", row.name, said(SAME_PERSON, row=matched[r.id]))
                continue
            matched[r.id] = row.row
            if newer.keeps(self, row, r, existing_hh, hh):
                continue  # the record is newer than the file: kept as it is
            if (row.clean.get("presence") == Presence.AWAY and r.presence != Presence.AWAY
                    and (since := sealed_since(r)) is not None):
                self.err(row, "presence", row.clean["presence"], said(
                    AWAY_WHILE_SEALED, name=r.name, at=timezone.localtime(since).strftime("%Y-%m-%d %H:%M")))
                continue
            try:  # the edit page's and the API's rule (someone held, a case: never away)
                presence_allowed(r, row.clean)
            except Invalid as e:
                self.err(row, "presence", row.clean["presence"], e.message)
                continue
            changes = apply_resident_fields(r, row.clean)
            if existing_hh is None or r.household_id != existing_hh["id"]:
                changes["household"] = [r.household_id, ""]  # labels filled in when written
                self.moves[r.id] = hh
            self.placed.append((row, r, hh, bool({"relation", "presence", "household"} & changes.keys())))
            if changes:
                self.updates.append((r, changes))
            else:
                self.unchanged += 1
        self._one_head()
        joining.look(self)
        newer.look(self)

    def _one_head(self):
        """A household has one head, as on the household page (`actions._one_head`): a row
        that makes someone head of a household that has (or, by an earlier row, gets) another
        head who has not moved out is an error on that row. Heads the file leaves as they
        were are not its doing: an import that changes nothing of them is not refused."""
        def key(hh):
            return ("new", id(hh)) if isinstance(hh, _NewHousehold) else hh["id"]

        in_file = {r.pk for _row, r, _hh, _made in self.placed if r.pk}
        # household → [(row or None, resident, whether the file makes them head)]
        heads: dict[object, list] = defaultdict(list)
        for (household_id, _name), people in self.by_household_name.items():
            heads[household_id] += [(None, r, False) for r in people
                                    if r.pk not in in_file and is_head(r)]
        for row, r, hh, made in self.placed:
            if is_head(r):
                heads[key(hh)].append((row, r, made))
        for row, r, hh, made in self.placed:
            if not made or not is_head(r):
                continue
            # heads the file keeps as they were come first, then those of earlier rows
            before = [(x, o) for x, o, m in heads[key(hh)]
                      if o is not r and (not m or x.row < row.row)]
            if not before:
                continue
            other_row, other = before[0]
            if other_row is None:
                message = second_head_message(other.name)
            else:
                message = said(HEAD_ON_ROW, name=other.name, row=other_row.row)
            self.err(row, "relation", row.relation, message)

    def address(self, hh: dict) -> str:
        """"1号楼1单元401": the household's building, unit and door."""
        names = self.place_names
        return "".join(names.get(hh[f], "") for f in ("building_id", "unit_id") if hh.get(f)) + hh["door"]

    def where(self, hh) -> str:
        """`address` of any household of the plan: existing, or to be created (before it is
        written, from the names of its building and unit in the plan)."""
        if isinstance(hh, dict):
            return self.address(hh)
        if hh.row is not None:
            return self.address(hh.row)
        parts, node = [], hh.node
        while node is not None and node.kind in (Kind.BUILDING, Kind.UNIT):
            parts.append(node.name)
            node = node.parent
        return "".join(reversed(parts)) + hh.door

    # what it will do
    def counts(self) -> dict:
        """What the write does, counted from the plan: the summary shown before confirming
        and the job's counts once written are this one count."""
        return {"created": len(self.creates), "updated": len(self.updates),
                "unchanged": self.unchanged, "kept": len(self.kept_newer),
                "households_created": len(self.new_households),
                "places_created": len(self.new_nodes), "joined": len(self.joins)}

    def summary(self) -> dict:
        """What the write will do, for the person who confirms it (`ImportJob.summary`): the
        counts, a few examples of each, the rows to check, and a `digest` of all that but
        the words (a confirmation in another language compares equal)."""
        target = {id(r): hh for _row, r, hh, _made in self.placed}
        rows = {id(r): row.row for row, r, _hh, _made in self.placed}
        changes = [{"row": rows.get(id(r)), "name": r.name, "address": self.where(target[id(r)]),
                    "fields": sorted(c), "diff": newer.diff(c)}
                   for r, c in self.updates[:EXAMPLES]]
        joins = [{"row": row.row, "name": r.name, "address": self.where(hh)}
                 for row, r, hh in self.joins[:EXAMPLES]]
        nodes = sorted(self.new_nodes, key=lambda n: LEVELS.index(n.kind))
        places = [f"{n.parent.name} {n.name}".strip() for n in nodes[:EXAMPLES]]
        warnings = joining.stored_warnings(self, self.parsed.columns, self.where)
        out = {"counts": self.counts(), "rows": self.parsed.total, "changes": changes,
               "kept": newer.kept_rows(self),
               "joins": joins, "places": places, "warnings": len(warnings),
               "ignored": list(self.parsed.ignored)}
        same = {**out, "warnings": [(w["row"], w.get("code"), w.get("params"), w["address"])
                                    for w in warnings]}
        out["digest"] = hashlib.sha256(json.dumps(same, sort_keys=True, default=str)
                                       .encode()).hexdigest()
        out["rows_to_check"] = warnings[:MAX_STORED_ERRORS]
        return out

    # writing
    @staticmethod
    def _household_labels(ids) -> dict[int, str]:
        """{household id: "1单元 101"} in one query (for the audit trail of moves)."""
        if not ids:
            return {}
        return {h.id: f"{h.place.name} {h.door}"
                for h in Household.objects.filter(id__in=ids).select_related("place")}

    def write(self, job: ImportJob):
        now = timezone.now()
        user = self.actor.user if self.actor.user and self.actor.user.is_authenticated else None
        new_event = prototype(AuditEvent, actor=user, via=self.actor.via, ip=self.actor.ip,
                              at=now)
        events = []

        def event(action, target, changes):
            ev = new_event()
            ev.action, ev.target_type, ev.target_id = action, type(target).__name__.lower(), target.pk
            ev.target_label, ev.changes = str(target)[:200], changes
            for f in LEVEL_FIELDS:
                setattr(ev, f, getattr(target, f))
            events.append(ev)

        # Places, parents first. Ids are reserved in advance so that each place carries its
        # own id in its level column from the start (no second UPDATE).
        nodes = sorted(self.new_nodes, key=lambda n: LEVELS.index(n.kind))
        objs = []
        for n, pk in zip(nodes, allocate_ids(Place, len(nodes)), strict=True):
            parent = n.parent.place
            p = Place(id=pk, kind=n.kind, name=n.name, parent=parent, depth=parent.depth + 1,
                      sort_key=natural_key(n.name), created_at=now)
            p.copy_levels(parent)
            setattr(p, level_field(n.kind), pk)
            n.place = p
            self.place_names[pk] = p.name
            objs.append(p)
        _insert(Place, objs)

        # Households: ids reserved first, so that residents can point at them.
        new_hh = list(self.new_households.values())
        make_hh = prototype(Household, created_at=now, updated_at=now)
        objs = []
        for h, pk in zip(new_hh, allocate_ids(Household, len(new_hh)), strict=True):
            obj = make_hh()
            obj.id, obj.place_id, obj.door, obj.sort_key = pk, h.node.place.id, h.door, natural_key(h.door)
            obj.copy_levels(h.node.place)
            h.row = {c: getattr(obj, c) for c in HOUSEHOLD_COLUMNS}
            objs.append(obj)
        _insert(Household, objs)

        def columns(hh) -> dict:
            return hh.row if isinstance(hh, _NewHousehold) else hh

        def place_hh(r, hh):
            # Plain attribute writes: these are fresh or freshly loaded instances with no
            # related objects cached, so the FK descriptors have nothing to invalidate.
            r.__dict__.update({"household_id": hh["id"], **{f: hh[f] for f in LEVEL_FIELDS}})

        # New residents.
        new_people = []
        for r, hh in self.creates:
            place_hh(r, columns(hh))
            r.created_at = r.updated_at = now
            new_people.append(r)
        _insert(Resident, new_people)

        # Updated residents (some moved to another household).
        fields = {"updated_at"}
        field_map = {"name": ["name", "pinyin", "initials", "pinyin_given"],
                     "id_number": ["id_hash", "id_enc", "id_head", "id_tail"],
                     "phone": ["phone", "phone_tail"],
                     "household": ["household", *[f.removesuffix("_id") for f in LEVEL_FIELDS]]}
        old_labels = self._household_labels(
            {c["household"][0] for _r, c in self.updates if "household" in c})
        changed = []
        for r, changes in self.updates:
            if r.id in self.moves:
                hh = columns(self.moves[r.id])
                place_hh(r, hh)
                changes["household"] = [old_labels.get(changes["household"][0], ""),
                                        f"{self.place_names.get(hh['place_id'], '')} {hh['door']}"]
            r.updated_at = now
            for key in changes:
                fields.update(field_map.get(key, [key]))
            changed.append(r)
            event("resident.update", r, changes)
        if changed:
            Resident.objects.bulk_update(changed, sorted(fields), batch_size=500)
        record_many(events)
        if new_hh:  # once per import: the new households get the zone over their place
            placed([self.place], at=now)
        joined = [columns(hh) for _row, _r, hh in self.joins]
        counts = self.counts()  # the summary's count (`creates`, `updates`… written above)
        # the addresses of the first few households joined, and the rows to check
        seen = list(dict.fromkeys(h["id"] for h in joined))
        by_id = {h["id"]: h for h in joined}
        self.joined_addresses = [self.address(by_id[i]) for i in seen[:JOINED_SHOWN]]
        if len(seen) > JOINED_SHOWN:
            self.joined_addresses.append("…")
        self.stored_warnings = joining.stored_warnings(self, self.parsed.columns, self.where)
        new_places = [f"{self.place_names.get(n.parent.place.id, '')} {n.name}".strip()
                      for n in nodes]
        record(self.actor, "registry.import", self.place,
               {"job": job.id, "file": job.filename, "rows": self.parsed.total, **counts,
                "new_places": new_places[:200], "warnings": len(self.stored_warnings)})
        return counts


def _residents(qs):
    """Residents of a queryset as model instances, without Model.__init__ per row (which
    costs more than the query for 100,000 rows)."""
    make = prototype(Resident)
    names = [f.attname for f in Resident._meta.concrete_fields]
    for values in qs.values_list(*names):
        r = make()
        r.__dict__.update(zip(names, values, strict=True))
        r._state.adding, r._state.db = False, qs.db
        yield r


def _insert(model, objs):
    """Insert unsaved instances, fast: COPY on PostgreSQL (core.bulk), one executemany
    per batch elsewhere (bulk_create compiles SQL per value and is several times slower).
    Instances without a primary key get one from the database."""
    if not objs:
        return
    conn = connections[router.db_for_write(model)]
    if conn.vendor == "postgresql":
        bulk_insert(model, objs, batch_size=BATCH)
        return
    with_pk = getattr(objs[0], model._meta.pk.attname) is not None
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    names = [f.attname for f in fields]
    # Text, numbers, booleans and ids go to the driver as they are; the others (dates,
    # times, JSON) through the field, once per distinct value.
    prepped = [(i, f) for i, f in enumerate(fields)
               if f.get_internal_type() not in _PLAIN_FIELDS]
    memo: dict = {}
    qn = conn.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
    with conn.cursor() as cur:
        for start in range(0, len(objs), 5 * BATCH):
            rows = []
            for o in objs[start:start + 5 * BATCH]:
                d = o.__dict__
                row = [d[a] for a in names]
                for i, f in prepped:
                    v = row[i]
                    if v is not None:
                        key = (i, v)
                        if key not in memo:
                            memo[key] = f.get_db_prep_save(v, conn)
                        row[i] = memo[key]
                rows.append(row)
            cur.executemany(sql, rows)


_PLAIN_FIELDS = {"AutoField", "BigAutoField", "SmallAutoField", "BigIntegerField", "IntegerField",
                 "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
                 "PositiveBigIntegerField", "CharField", "TextField", "BooleanField",
                 "ForeignKey"}
