"""The demo's driver: builds the parts in order, in one transaction, and resets them (see
the package's docstring for what the demo holds)."""


import datetime
import hashlib
import random
import sys
import time

from django.db import transaction

from fangkong.audit.actions import record
from fangkong.registry import actions as registry_actions

from . import accounts, registry, reports, screening, services, volunteers, zones
from .context import Demo, Summary
from .layout import CITY_DISTRICTS, DISTRICT, STANDARD, STREET_NAMES, city_community_spec
from .people import default_as_of, family
from .roster import roster

# The parts in the order they are built (each may use what the ones before it made).
PARTS = [registry, accounts, volunteers, zones, screening, reports, services]


def build(*, seed: int = 1, residents: int | None = None, as_of: datetime.date | None = None,
          progress: bool = False, out=None) -> Summary:
    """Build the demo (in one transaction). `residents`: fill up to that many with
    generated communities of ~2,000 (city scale)."""
    from tqdm import tqdm

    started = time.perf_counter()
    as_of = as_of or default_as_of()
    estimate = max(residents or 0, 4600)
    tqdm.monitor_interval = 0  # no monitor thread
    bar = tqdm(total=estimate, unit=" residents", unit_scale=True, disable=not progress,
               file=out or sys.stderr, mininterval=0.5, smoothing=0.1)
    demo = Demo(seed, as_of, residents=residents, bar=bar)
    s = demo.summary
    with bar, transaction.atomic():
        for part in PARTS:
            part.build(demo)
        record(demo.actor, "demo.build", None, {"seed": seed, "as_of": as_of.isoformat(),
                                                "residents": s.residents,
                                                "households": s.households},
               label="demo")
        bar.total = s.residents
        bar.refresh()
    registry.analyze()
    s.seconds = time.perf_counter() - started
    return s


def flush():
    """Delete what the demo made (and every place, household and resident with it), part by
    part in build order. Audit events stay."""
    with transaction.atomic():
        for part in PARTS:
            if hasattr(part, "flush"):
                part.flush()


def data_version(seed: int = 1, as_of: datetime.date | None = None) -> str:
    """A short hash of what the generator makes for this seed: the standard layout and
    accounts, a sample community's layout, a sample of people with their derived fields.
    Caches of generated data (bench/) compare it to know when to rebuild."""
    h = hashlib.sha256()
    h.update(repr((DISTRICT, STANDARD, accounts.DEMO_USERS, CITY_DISTRICTS, STREET_NAMES)).encode())
    rng = random.Random(f"fangkong-demo:{seed}:version")  # demo data, not a secret  # nosec B311
    h.update(repr(city_community_spec(rng, 0, "样本", 2000, DISTRICT[1])).encode())
    b = registry.Builder(seed, as_of or default_as_of(), None)
    for size in [1, 2, 3, 4, 5, 6] * 20:
        for relation, sex, age, name in family(rng, size, "general"):
            r = b.new_resident()
            registry_actions.apply_resident_fields(r, b.facts(rng, relation, sex, age, name, size, "140106"))
            h.update(repr([getattr(r, f) for f in (
                "name", "pinyin", "initials", "sex", "birth_date", "phone", "phone_tail",
                "id_head", "id_tail", "relation", "presence", "has_smartphone", "tags",
                "notes")]).encode())
    for row in roster(200, seed=seed, as_of=as_of):
        h.update(repr(row).encode())
    return h.hexdigest()[:16]
