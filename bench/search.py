"""(b) search: queries.search within one community's scope, by kind of query.

Queries are taken from real residents of the community (their initials, full pinyin, the
given name's pinyin alone, phone tail, ID tail, address…), so every query has at least one
hit. Each repeat runs every query once;
p50 and p99 are over the queries of one repeat, then median [min–max] over repeats.
"""

import random
import re
import time

from fangkong.core import pii
from fangkong.core.text import name_keys
from fangkong.registry import queries
from fangkong.registry.models import Resident

from .harness import figure, percentile


def sample_queries(community, n: int, seed: int = 0) -> dict[str, list[tuple[str, int]]]:
    """{kind: [(query, resident id expected among the hits)]} from `n` residents."""
    people = list(Resident.objects.filter(community_id=community.id)
                  .select_related("household__place__parent").order_by("id"))
    rng = random.Random(seed)
    chosen = rng.sample(people, min(n, len(people)))
    ids = {r.id for r in chosen}
    out = {k: [] for k in ("pinyin", "pinyin_full", "given", "name", "phone_tail", "phone",
                           "id_tail", "id", "address", "address_full")}
    for r in chosen:
        out["pinyin"].append((r.initials, r.id))
        out["pinyin_full"].append((r.pinyin, r.id))
        if len(r.name) > 1:  # the given name alone ("baoguo"), found by `pinyin_given`
            out["given"].append((name_keys(r.name[1:])[0], r.id))
        out["name"].append((r.name, r.id))
        out["id_tail"].append((r.id_tail, r.id))
        out["id"].append((pii.decrypt(r.id_enc), r.id))
        if r.phone:
            out["phone_tail"].append((r.phone_tail, r.id))
            out["phone"].append((r.phone, r.id))
        holder = r.household.place
        if holder.kind == "unit":
            building, unit = holder.parent, holder
            b, u = re.sub(r"\D", "", building.name), re.sub(r"\D", "", unit.name)
            out["address"].append((f"{b}-{u}-{r.household.door}", r.id))
            compound = building.parent
            if not re.search(r"\d", compound.name):
                out["address_full"].append(
                    (f"{compound.name}{building.name}{unit.name}{r.household.door}", r.id))
    assert ids
    return {k: v for k, v in out.items() if v}


def run(ctx):
    cfg, report, city = ctx.cfg, ctx.report, ctx.city
    scope = ctx.staff_scope(city.community)
    sets = sample_queries(city.community, cfg.queries)
    report.note(f"search: {cfg.queries} residents of {city.community.name} "
                f"(queries.search within the community, staff scope); "
                f"{cfg.repeat} repeats of every query")
    for kind, items in sets.items():
        for q, _rid in items[:2]:  # warm up
            queries.search(scope, q, within=city.community)
        p50s, p99s, found = [], [], 0
        for rep in range(cfg.repeat):
            lat = []
            for q, rid in items:
                t = time.perf_counter()
                matched, rows = queries.search(scope, q, within=city.community)
                lat.append(time.perf_counter() - t)
                if rep == 0:
                    found += any(r.id == rid for r in rows)
            p50s.append(percentile(lat, 50))
            p99s.append(percentile(lat, 99))
        note = f"{len(items)} queries, e.g. “{items[0][0]}”; person found in {found}/{len(items)}"
        report.add(figure(f"search.{kind}.p50", p50s, "ms", scale=1000, note=note))
        report.add(figure(f"search.{kind}.p99", p99s, "ms", scale=1000))
