"""The demo's registry part: the district, its streets, communities, grids, compounds,
buildings, units, households and residents (and generated city-scale communities for
benchmarks), plus `flush` (empty everything hanging on the place tree) and `digest`
(what determinism promises, summarised).

Administrative places (district, street, community, grid) are made through the actions,
one by one and audited; the physical layout (compounds, buildings, units), households and
residents are written in bulk, with every derived field set exactly as
`actions.apply_resident_fields` sets it (it is called on each unsaved resident).
"""

import base64
import datetime
import hashlib
import random
from array import array
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from fangkong.core import bulk
from fangkong.core.actor import Actor
from fangkong.core.pii import make_id_number
from fangkong.core.tree import level_field
from fangkong.registry import actions
from fangkong.registry.models import (
    LEVEL_FIELDS,
    Household,
    Kind,
    Place,
    Presence,
    Relation,
    Resident,
    Tag,
    natural_key,
)

from .context import Demo, Summary
from .layout import (
    CITY_DISTRICTS,
    DISTRICT,
    DISTRICT_EXTRAS,
    STANDARD,
    STREET_NAMES,
    CommunitySpec,
    Compound,
    city_community_spec,
    city_names,
)
from .people import (
    EPOCH,
    MOBILE_PREFIXES,
    PHONE_A,
    REGION_INDEX,
    REGIONS,
    TAIYUAN,
    family,
    given_name,
    household_sizes,
    pick_region,
)

CHUNK = 5000  # residents written per batch
BIG_LOAD = 100_000  # generated residents from which PostgreSQL indexes are built at the end


def _token(rng) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).rstrip(b"=").decode()


def _levels_of(place) -> tuple:
    return tuple(getattr(place, f) for f in LEVEL_FIELDS)


@dataclass
class _Flat:
    holder_id: int
    levels: tuple
    door: str


@dataclass
class Builder:
    seed: int
    as_of: datetime.date
    progress: object
    loader: bulk.Loader = None
    id_offset: int = 0  # first sequence number of ID numbers per region, day and sex
    now: datetime.datetime = field(default_factory=timezone.now)
    phone_no: int = 0
    summary: Summary = None

    def __post_init__(self):
        self.actor = Actor.system(via="cli")
        if self.summary is None:
            self.summary = Summary(self.seed, self.as_of)
        self.n_days = self.as_of.toordinal() - EPOCH + 1
        # Per (region, birth day, sex): how many ID numbers are taken (keeps them unique).
        self.id_counts = array("H", bytes(2 * len(REGIONS) * self.n_days * 2))
        self.phone_c = random.Random(f"fangkong-demo:{self.seed}:phones").randrange(10**8) | 1  # demo data, not a secret  # nosec B311
        self.new_place = bulk.prototype(Place, created_at=self.now)
        self.new_household = bulk.prototype(Household, place_id=0, created_at=self.now,
                                            updated_at=self.now)
        self.new_resident = bulk.prototype(Resident, household_id=0, token="",
                                           created_at=self.now, updated_at=self.now)  # an empty token on a row prototype, replaced before saving  # nosec B106
        self.households: list[Household] = []
        self.residents: list[Resident] = []

    # --- identifiers ----------------------------------------------------------
    def id_number(self, region: str, birth: datetime.date, male: bool) -> tuple[str, datetime.date]:
        r = REGION_INDEX[region]
        while True:
            day = birth.toordinal() - EPOCH
            slot = (r * self.n_days + day) * 2 + male
            k = self.id_counts[slot] + self.id_offset
            if k < 500:
                self.id_counts[slot] += 1
                seq = ((day * 131 + r * 17 + k) % 500) * 2 + male
                return make_id_number(region, birth, seq), birth
            birth -= datetime.timedelta(days=1)  # 500 people of one sex born that day here

    def mobile(self) -> str:
        i = self.phone_no
        self.phone_no += 1
        body = (PHONE_A * i + self.phone_c) % 10**8
        return f"{MOBILE_PREFIXES[(i * 7 + body) % len(MOBILE_PREFIXES)]}{body:08d}"

    # --- places -----------------------------------------------------------------
    def place(self, parent, kind, name, **kw):
        p = actions.create_place(self.actor, parent, kind, name, **kw)
        self.summary.places += 1
        return p

    def layout(self, community, grids: list[tuple[Place, list[Compound]]]) -> list[_Flat]:
        """Write compounds, buildings and units in bulk; return every flat in order."""
        count = 0
        for _grid, compounds in grids:
            for c in compounds:
                count += 1
                for b in c.buildings:
                    count += 1 + b.units
        ids = iter(bulk.allocate_ids(Place, count))
        rows, flats = [], []

        def add(parent_levels, parent_id, depth, kind, name):
            p = self.new_place()
            p.id = next(ids)
            p.kind, p.name, p.depth, p.sort_key = kind, name, depth, natural_key(name)
            levels = list(parent_levels)
            levels[LEVEL_FIELDS.index(level_field(kind))] = p.id
            # Foreign keys straight into __dict__ (the FK descriptors cost ~10 µs a set here).
            p.__dict__["parent_id"] = parent_id
            p.__dict__.update(zip(LEVEL_FIELDS, levels, strict=True))
            rows.append(p)
            return p, tuple(levels)

        extras = []
        for grid, compounds in grids:
            for c in compounds:
                comp, comp_lv = add(_levels_of(grid), grid.id, grid.depth + 1, Kind.COMPOUND, c.name)
                extras += [(comp, kind, name) for kind, name in c.extras]
                for b in c.buildings:
                    bld, bld_lv = add(comp_lv, comp.id, comp.depth + 1, Kind.BUILDING, b.name)
                    holders = [(bld.id, bld_lv)]
                    if b.units:
                        holders = []
                        for u in range(1, b.units + 1):
                            unit, unit_lv = add(bld_lv, bld.id, bld.depth + 1, Kind.UNIT, f"{u}单元")
                            holders.append((unit.id, unit_lv))
                    for holder_id, lv in holders:
                        for floor in range(1, b.floors + 1):
                            for d in range(1, b.doors + 1):
                                flats.append(_Flat(holder_id, lv, f"{floor}{d:02d}"))
        self.loader.put(Place, rows)
        self.summary.places += len(rows)
        for parent, kind, name in extras:
            self.place(parent, kind, name)
        return flats

    # --- people -------------------------------------------------------------------
    def community(self, spec: CommunitySpec, street: Place, rng=None):
        rng = rng or random.Random(f"fangkong-demo:{self.seed}:{spec.key}:{spec.name}")  # demo data, not a secret  # nosec B311
        community = self.place(street, Kind.COMMUNITY, spec.name)
        self.summary.communities += 1
        for kind, name in spec.extras:
            self.place(community, kind, name)
        grids = []
        for grid_name, compounds in spec.grids:
            grid = self.place(community, Kind.GRID, grid_name) if grid_name else community
            self.summary.grids += bool(grid_name)
            grids.append((grid, compounds))
        flats = self.layout(community, grids)
        occupied = sorted(rng.sample(range(len(flats)), spec.households))
        sizes = spec.sizes or household_sizes(rng, spec.households, spec.residents, spec.profile)
        hh_ids = bulk.allocate_ids(Household, len(occupied))
        for flat_no, size, hh_id in zip(occupied, sizes, hh_ids, strict=True):
            self.household(rng, flats[flat_no], hh_id, size, spec)
        self.flush_rows()
        return community

    def household(self, rng, flat: _Flat, hh_id: int, size: int, spec: CommunitySpec):
        hh = self.new_household()
        hh.id, hh.door, hh.sort_key = hh_id, flat.door, natural_key(flat.door)
        levels = dict(zip(LEVEL_FIELDS, flat.levels, strict=True))
        hh.__dict__["place_id"] = flat.holder_id
        hh.__dict__.update(levels)  # = copy_levels(place)
        members = family(rng, size, spec.profile)
        oldest = max(m[2] for m in members)
        if oldest >= 60 and rng.random() < 0.35:
            hh.phone = f"0351{rng.randint(2, 8)}{rng.randrange(10**6):06d}"
        self.households.append(hh)
        for relation, sex, age, surname in members:
            self.residents.append(self.person(rng, hh, levels, relation, sex, age, surname, size,
                                              spec.region))
        if len(self.residents) >= CHUNK:
            self.flush_rows()

    def person(self, rng, hh, levels, relation, sex, age, surname, hh_size, region) -> Resident:
        facts = self.facts(rng, relation, sex, age, surname, hh_size, region)
        res = self.new_resident()
        res.token = _token(rng)
        res.__dict__["household_id"] = hh.id
        res.__dict__.update(levels)  # = copy_levels(hh)
        actions.apply_resident_fields(res, facts)
        return res

    def facts(self, rng, relation, sex, age, surname, hh_size, region) -> dict:
        """One person's registry fields, cleaned (as checks.check_resident returns them)."""
        birth = datetime.date.fromordinal(
            max(EPOCH, self.as_of.toordinal() - int((age + rng.random()) * 365.2425)))
        idn, birth = self.id_number(pick_region(rng, region, birth.year), birth, sex == "M")
        name = surname + given_name(rng, birth.year, sex)
        tags = []
        if age >= 60 and hh_size == 1:
            tags.append(Tag.ELDERLY_ALONE)
        if age < 3:
            tags.append(Tag.INFANT)
        roll = rng.random
        band = 0 if age >= 80 else 1 if age >= 70 else 2 if age >= 60 else 3
        if roll() < (0.25, 0.09, 0.03, 0.004)[band]:
            tags.append(Tag.LIMITED_MOBILITY)
        bedridden = roll() < (0.06, 0.02, 0.006, 0.0005)[band]
        if bedridden:
            tags.append(Tag.BEDRIDDEN)
        dialysis = roll() < (0.005 if age >= 60 else 0.0006 if age >= 30 else 0)
        if dialysis:
            tags.append(Tag.DIALYSIS)
        if roll() < (0.32 if age >= 60 else 0.10 if age >= 40 else 0.01):
            tags.append(Tag.CHRONIC)
        if sex == "F" and 20 <= age <= 42 and relation != Relation.CHILD and roll() < 0.04:
            tags.append(Tag.PREGNANT)
        if roll() < (0.08 if age >= 60 else 0.025):
            tags.append(Tag.DISABILITY)

        if age >= 16:
            has_phone = roll() < (0.75 if age >= 80 else 0.9 if age >= 70 else 0.97)
        else:
            has_phone = age >= 10 and roll() < 0.4
        phone = self.mobile() if has_phone else ""
        smart = has_phone and roll() < (0.98 if age < 55 else 0.88 if age < 65 else
                                        0.65 if age < 75 else 0.40 if age < 85 else 0.20)
        r = roll()
        p_away = 0.07 if 18 <= age <= 45 else 0.01 if age >= 80 else 0.03
        p_hosp = 0.004 + (0.04 if bedridden or dialysis else 0) + (0.01 if age >= 80 else 0)
        if r < 0.01:
            presence = Presence.MOVED_OUT
        elif r < 0.022:
            presence = Presence.QUARANTINE
        elif r < 0.022 + p_hosp:
            presence = Presence.HOSPITAL
        elif r < 0.022 + p_hosp + p_away:
            presence = Presence.AWAY
        else:
            presence = Presence.HOME
        notes = ""
        if bedridden:
            notes = "需上门采样"
        elif dialysis:
            notes = rng.choice(("每周一、三、五血透", "每周二、四、六血透"))
        elif Tag.ELDERLY_ALONE in tags and not phone:
            notes = "无手机，联系子女"

        return {"name": name, "id_number": idn, "sex": sex, "birth_date": birth, "phone": phone,
                "relation": relation, "presence": presence, "has_smartphone": smart,
                "tags": [str(t) for t in tags], "notes": notes}

    def flush_rows(self):
        if self.households:
            self.loader.put(Household, self.households)
            self.summary.households += len(self.households)
        if self.residents:
            self.loader.put(Resident, self.residents)
            self.summary.residents += len(self.residents)
            if self.progress is not None:
                self.progress.update(len(self.residents))
        self.households, self.residents = [], []



def build(demo: Demo):
    """The standard district (and, with `demo.residents`, generated communities up to that
    many residents); sets `demo.district`."""
    b = Builder(demo.seed, demo.as_of, demo.bar, summary=demo.summary)
    s = demo.summary
    with bulk.Loader() as b.loader:
        district = b.place(None, Kind.DISTRICT, DISTRICT[0], code=DISTRICT[1])
        s.districts += 1
        for kind, name in DISTRICT_EXTRAS:
            b.place(district, kind, name)
        n = 0
        for street_name, specs in STANDARD.items():
            street = b.place(district, Kind.STREET, street_name)
            s.streets += 1
            for spec in specs:
                community = b.community(spec, street)
                n += 1  # each community's duty phone (值班电话), a Taiyuan landline
                actions.set_duty_phone(b.actor, community, f"035141201{n:02d}")
        residents = demo.residents
        if residents and residents > s.residents:
            demo.bar.total = residents
            big = residents - s.residents >= BIG_LOAD
            with bulk.indexes_deferred(Household, Resident) if big else nullcontext():
                _build_city(b, district, residents - s.residents)
                b.loader.wait()
        b.loader.wait()
    demo.district = district


def _build_city(b: Builder, home_district: Place, residents: int, per_community=2000):
    """Generated communities of ~per_community residents, ~17 to a street, ~6 streets to a
    district (迎泽区 first, then Taiyuan's other districts and counties)."""
    rng = random.Random(f"fangkong-demo:{b.seed}:city")  # demo data, not a secret  # nosec B311
    n = max(1, round(residents / per_community))
    sizes = [residents // n + (1 if i < residents % n else 0) for i in range(n)]
    names = city_names(rng, n)
    district, district_code = home_district, DISTRICT[1]
    district_no = -1
    street_pool = STREET_NAMES[DISTRICT[0]].split()
    streets_left = len(street_pool)
    street, left_in_street = None, 0
    for i, size in enumerate(sizes):
        if left_in_street == 0:
            if streets_left == 0:
                district_no += 1
                if district_no < len(CITY_DISTRICTS):
                    dname, district_code = CITY_DISTRICTS[district_no]
                else:
                    dname = f"新区{district_no - len(CITY_DISTRICTS) + 1}"
                    district_code = TAIYUAN[district_no % len(TAIYUAN)]
                district = b.place(None, Kind.DISTRICT, dname, code=district_code)
                b.summary.districts += 1
                street_pool = STREET_NAMES.get(dname, "").split() or [
                    f"第{k}" for k in range(1, 7)]
                streets_left = min(len(street_pool), rng.randint(4, 8))
                rng.shuffle(street_pool)
            street = b.place(district, Kind.STREET, street_pool.pop() + "街道")
            b.summary.streets += 1
            streets_left -= 1
            left_in_street = rng.randint(12, 22)
        left_in_street -= 1
        crng = random.Random(f"fangkong-demo:{b.seed}:city:{i}")  # demo data, not a secret  # nosec B311
        spec = city_community_spec(crng, i, names[i], size, district_code)
        b.community(spec, street, crng)


def analyze():
    """Refresh the planner's statistics after a bulk load (PostgreSQL and SQLite)."""
    tables = [m._meta.db_table for m in (Place, Household, Resident)]
    with connection.cursor() as cur:
        for t in tables:
            cur.execute(f"ANALYZE {connection.ops.quote_name(t)}")


def _registry_models():
    """Place and every model that references it (or them), with or without a database
    constraint (registrations have none, for speed) and with or without a reverse name:
    what a demo reset empties. The audit trail stays."""
    seen, todo = [], [Place]
    while todo:
        model = todo.pop()
        if model in seen or model._meta.label in _KEPT_ON_RESET:
            continue
        seen.append(model)
        for rel in model._meta.get_fields(include_hidden=True):  # related_name="+" too
            if rel.auto_created and not rel.concrete and not rel.many_to_many:
                todo.append(rel.related_model)
    return seen


_KEPT_ON_RESET = {"audit.AuditEvent"}


def flush():
    """Delete every place, household and resident, and what hangs on them (every app's
    rows that reference the tree). Audit events stay."""
    models = _registry_models()
    tables = [m._meta.db_table for m in models]
    qn = connection.ops.quote_name
    with transaction.atomic():
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                # TRUNCATE refuses while deferred FK checks of this transaction are pending.
                connection.check_constraints()
                cur.execute(f"TRUNCATE {', '.join(qn(t) for t in tables)} RESTART IDENTITY CASCADE")
            else:
                for t in tables:
                    cur.execute(f"DELETE FROM {qn(t)}")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
                if connection.vendor == "sqlite":
                    marks = ", ".join(["%s"] * len(tables))
                    cur.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({marks})", tables)  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608


def digest() -> str:
    """SHA-256 over the registry's content, ids replaced by their rank (see the module
    docstring for what determinism leaves out)."""
    h = hashlib.sha256()
    place_rank = {pk: i for i, pk in enumerate(Place.objects.order_by("id").values_list("id", flat=True))}
    hh_rank = {pk: i for i, pk in enumerate(Household.objects.order_by("id").values_list("id", flat=True))}

    def rank(v, table):
        return None if v is None else table.get(v, -1)

    def feed(row):
        h.update(repr(row).encode())

    for row in Place.objects.order_by("id").values_list("kind", "name", "parent_id", "depth",
                                                         "sort_key", "code", "address",
                                                         *LEVEL_FIELDS):
        feed(row[:2] + (rank(row[2], place_rank),) + row[3:7]
             + tuple(rank(v, place_rank) for v in row[7:]))
    for row in Household.objects.order_by("id").values_list("place_id", "door", "sort_key",
                                                             "phone", "notes", *LEVEL_FIELDS):
        feed((rank(row[0], place_rank),) + row[1:5] + tuple(rank(v, place_rank) for v in row[5:]))
    cols = ["household_id", "name", "pinyin", "initials", "sex", "birth_date", "phone",
            "phone_tail", "id_hash", "id_head", "id_tail", "relation", "presence",
            "has_smartphone", "tags", "notes", "unverified", "token"]
    for row in Resident.objects.order_by("id").values_list(*cols, *LEVEL_FIELDS).iterator(
            chunk_size=10000):
        feed((rank(row[0], hh_rank),) + row[1:len(cols)]
             + tuple(rank(v, place_rank) for v in row[len(cols):]))
    return h.hexdigest()
