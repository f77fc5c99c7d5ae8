"""(c) import: a roster of N rows (100,000 by default) through fangkong.registry.importer,
against writing the same rows raw (COPY on PostgreSQL, executemany on SQLite).

The roster is a realistic .xlsx in the template's shape (title row, Chinese header, one
row per person; made by demo.roster.roster and cached). Each repeat imports it into a
fresh community of the benchmark city with `importer.create_job` + `importer.run_import`
(what the background task runs: read, check, plan; nothing written) + the timed
`importer.confirm_import` (the "确认导入" tap, run here: read, check and plan again, then
write — the check and the write, as timed before the import asked for a confirmation),
then removes what it wrote. The raw figure writes the
same places, households and residents, prepared beforehand with every derived field set
(apply_resident_fields), with core.bulk.insert in one transaction: the floor a loader of
this schema can reach on this database. Ratio: how many times longer the importer takes.
"""

import time

from django.db import connection, transaction
from django.utils import timezone

from fangkong.core import bulk
from fangkong.core.actor import Actor
from fangkong.demo import roster as demo
from fangkong.registry import actions, checks
from fangkong.registry.models import (
    LEVEL_FIELDS,
    Household,
    ImportJob,
    Kind,
    Place,
    Resident,
    natural_key,
    new_token,
)

from .common import bench_user
from .harness import code_fingerprint, figure

COLUMNS = {h: i for i, h in enumerate(demo.ROSTER_HEADER)}


def roster_file(cfg) -> tuple[bytes, list[list]]:
    """The roster as .xlsx bytes (cached under bench/cache) and its rows."""
    from openpyxl import Workbook

    path = cfg.cache / f"roster-{cfg.import_rows}-s{cfg.seed}-{code_fingerprint(cfg.seed)[:8]}.xlsx"
    if not path.exists():
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("花名册")
        ws.append(["导入测试社区居民花名册"])
        ws.append(demo.ROSTER_HEADER)
        for row in demo.roster(cfg.import_rows, seed=cfg.seed):
            ws.append(row)
        tmp = path.with_suffix(".tmp")
        wb.save(tmp)
        tmp.rename(path)
    rows = list(demo.roster(cfg.import_rows, seed=cfg.seed))  # deterministic: the file's rows
    return path.read_bytes(), rows


def new_community(street, n) -> Place:
    return actions.create_place(Actor.system(via="cli"), street, Kind.COMMUNITY,
                                f"导入测试社区{n}", audit=False)


def remove(community_id: int):
    """Delete everything under a benchmark community (raw deletes, one transaction)."""
    from fangkong.audit.models import AuditEvent

    qn = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cur:
        for model in (Resident, Household):
            cur.execute(f"DELETE FROM {qn(model._meta.db_table)} WHERE community_id = %s",
                        [community_id])
        cur.execute(f"DELETE FROM {qn(ImportJob._meta.db_table)} WHERE place_id IN "
                    f"(SELECT id FROM {qn(Place._meta.db_table)} WHERE community_id = %s)",
                    [community_id])
        cur.execute(f"DELETE FROM {qn(AuditEvent._meta.db_table)} WHERE community_id = %s",
                    [community_id])
        # Memberships and the like hang on places with foreign keys: leaves first.
        for kind in ("unit", "building", "compound", "grid", "community"):
            cur.execute(f"DELETE FROM {qn(Place._meta.db_table)} "
                        f"WHERE community_id = %s AND kind = %s", [community_id, kind])


def prepare_raw(community: Place, rows: list[list]):
    """Places, households and residents for `rows`, every column set, nothing written."""
    c = COLUMNS
    now = timezone.now()
    new_place = bulk.prototype(Place, created_at=now)
    new_hh = bulk.prototype(Household, place_id=0, created_at=now, updated_at=now)
    new_res = bulk.prototype(Resident, household_id=0, token="", created_at=now, updated_at=now)
    keys_place, keys_hh = {}, {}
    for row in rows:
        keys_place.setdefault((row[c["小区"]],), None)
        keys_place.setdefault((row[c["小区"]], row[c["楼栋"]]), None)
        if row[c["单元"]]:
            keys_place.setdefault((row[c["小区"]], row[c["楼栋"]], row[c["单元"]]), None)
        holder = (row[c["小区"]], row[c["楼栋"]]) + ((row[c["单元"]],) if row[c["单元"]] else ())
        keys_hh.setdefault((holder, str(row[c["门牌号"]])), None)
    place_ids = iter(bulk.allocate_ids(Place, len(keys_place)))
    places = {}
    for key in keys_place:
        parent = places[key[:-1]] if len(key) > 1 else community
        kind = (Kind.COMPOUND, Kind.BUILDING, Kind.UNIT)[len(key) - 1]
        p = new_place()
        p.id, p.kind, p.name, p.depth = next(place_ids), kind, key[-1], parent.depth + 1
        p.sort_key = natural_key(p.name)
        p.__dict__["parent_id"] = parent.id
        p.__dict__.update(parent.levels())
        p.__dict__[f"{kind}_id"] = p.id
        places[key] = p
    hh_ids = iter(bulk.allocate_ids(Household, len(keys_hh)))
    households = {}
    for holder, door in keys_hh:
        h = new_hh()
        h.id, h.door, h.sort_key = next(hh_ids), door, natural_key(door)
        h.__dict__["place_id"] = places[holder].id
        h.__dict__.update(places[holder].levels())
        households[(holder, door)] = h
    residents = []
    for row in rows:
        holder = (row[c["小区"]], row[c["楼栋"]]) + ((row[c["单元"]],) if row[c["单元"]] else ())
        h = households[(holder, str(row[c["门牌号"]]))]
        clean = checks.check_resident({
            "name": row[c["姓名"]], "id_number": row[c["身份证号"]], "sex": row[c["性别"]],
            "phone": row[c["联系电话"]], "relation": row[c["与户主关系"]],
            "presence": row[c["人员状态"]], "tags": row[c["重点人群"]], "notes": row[c["备注"]],
            "has_smartphone": row[c["智能手机"]]})
        r = new_res()
        r.token = new_token()
        r.__dict__["household_id"] = h.id
        r.__dict__.update({f: h.__dict__[f] for f in LEVEL_FIELDS})
        actions.apply_resident_fields(r, clean)
        residents.append(r)
    return list(places.values()), list(households.values()), residents


def write_raw(places, households, residents):
    with transaction.atomic():
        bulk.insert(Place, places)
        bulk.insert(Household, households)
        bulk.insert(Resident, residents)


def run(ctx):
    cfg, report, city = ctx.cfg, ctx.report, ctx.city
    try:
        from fangkong.registry import importer
    except ImportError as e:
        report.note(f"import: skipped, fangkong.registry.importer is missing ({e})")
        return
    content, rows = roster_file(cfg)
    n = len(rows)
    street = city.street
    user = bench_user("bench_importer", "staff", street)
    actor = Actor.system(user, via="import")
    report.note(f"import: {n:,}-row roster (.xlsx, {len(content) / 1e6:.1f} MB) into a new "
                f"community of {street.name}; {cfg.repeat} repeats")
    importer_s, raw_s = [], []
    for rep in range(cfg.repeat):
        community = new_community(street, rep + 1)
        try:
            job = importer.create_job(actor, community, "roster.xlsx", content)
            job = importer.run_import(job.id, actor=actor)  # checked, waiting for confirmation
            if job.status != ImportJob.Status.CHECKED:
                raise AssertionError(f"import check ended {job.status}: {job.message} "
                                     f"{(job.errors or [])[:3]}")
            t = time.perf_counter()
            job = importer.confirm_import(actor, job, job.summary["digest"], here=True)
            importer_s.append(time.perf_counter() - t)
            if job.status != ImportJob.Status.DONE or job.created_count != n:
                raise AssertionError(f"import ended {job.status}: {job.message} "
                                     f"{(job.errors or [])[:3]}")
        finally:
            remove(community.id)
        community = new_community(street, rep + 1)
        try:
            prepared = prepare_raw(community, rows)
            t = time.perf_counter()
            write_raw(*prepared)
            raw_s.append(time.perf_counter() - t)
            if Resident.objects.filter(community_id=community.id).count() != n:
                raise AssertionError("raw write lost rows")
            del prepared
        finally:
            remove(community.id)
    how = "COPY" if connection.vendor == "postgresql" else "executemany"
    report.add(figure("import.importer", [n / s for s in importer_s], "rows/s",
                      compare=[n / s for s in raw_s], compare_name=f"raw {how}",
                      ratio_label=f"raw {how} ÷ importer",
                      note=f"{n:,} rows: importer {sorted(importer_s)[len(importer_s) // 2]:.1f} s"))
    report.add(figure("import.importer.seconds", importer_s, "s",
                      compare=raw_s, compare_name=f"raw {how}", invert=True,
                      ratio_label=f"importer ÷ raw {how}"))
