"""CPU a station request, in-process (issue 15): a 500-event batch (POST …/sync) and single
scans (POST …/scan) through Django's test client (middleware, token, ninja, the action,
the database), on the screening benchmark's city.

    DATABASE_URL=postgres://…/fangkong_cpu .venv/bin/python bench/station_cpu.py \
        [--residents 20000] [--batches 6] [--scans 200] [--profile batch|scan]

Per batch and per scan: this process's CPU (time.process_time) and the PostgreSQL
backend's (its /proc/<pid>/schedstat, nanoseconds on the CPU), medians (scans: means); the
same two for a raw COPY of the batch's registrations, rolled back (the benchmark's
baseline); the statements counted once with CaptureQueriesContext, in a separate request
(the debug cursor costs CPU; COPYs are not counted). `--profile` prints cProfile's top
functions for one more run of that request. The city is built and cached by the
benchmark harness (bench/cache/pg-<dbname>); the data the runs add is removed after each,
and VACUUMed (outside the measured time).
"""

import argparse
import json
import os
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _backend_ns(pid) -> int:
    """Nanoseconds PostgreSQL backend `pid` has run on a CPU (same machine)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def _median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--residents", type=int, default=20_000)
    ap.add_argument("--batches", type=int, default=6)
    ap.add_argument("--scans", type=int, default=200)
    ap.add_argument("--profile", choices=["batch", "scan"])
    a = ap.parse_args(argv)
    sys.path.insert(0, ROOT)
    from bench.harness import Report, _create_pg_database, configure, ensure_data, parse

    os.environ.setdefault("BENCH_DATABASE_URL", os.environ.get("DATABASE_URL", ""))
    cfg = parse(["screening", "--residents", str(a.residents)])
    configure(cfg)
    if cfg.database_url.startswith("postgres"):
        _create_pg_database(cfg.database_url)
    import django

    django.setup()
    report = Report(cfg)
    ensure_data(cfg, report)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.common import Context
    from bench.screening import _cleanup, _free_people, _station_bodies, station_setup
    from fangkong.core.actor import Actor
    from fangkong.screening.actions import station

    ctx = Context(cfg=cfg, report=report, env={})
    rnd, user, raw = station_setup(ctx)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="127.0.0.1")
    pg = connection.vendor == "postgresql"

    def backend_pid():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()" if pg else "SELECT 0")
            return cur.fetchone()[0]

    def measure(fn):
        """(app CPU s, database CPU s) of fn()."""
        pid = backend_pid() if pg else None
        db0 = _backend_ns(pid) if pg else 0
        t0 = time.process_time()
        fn()
        app = time.process_time() - t0
        db = (_backend_ns(pid) - db0) / 1e9 if pg else 0.0
        return app, db

    # 454 people: 46 tubes opened + 454 scans = 500 events, as the station sends them
    people = _free_people(rnd, 454)
    sync_path = f"/api/v1/screening/rounds/{rnd.id}/sync"
    scan_path = f"/api/v1/screening/rounds/{rnd.id}/scan"

    def post(path, body, ok=(200,)):
        r = client.post(path, data=body, content_type="application/json")
        if r.status_code not in ok:
            raise RuntimeError(f"{path} answered {r.status_code}: {r.content[:300]!r}")
        return r

    def one_batch(tag):
        body = _station_bodies(people, f"C{tag}X{uuid.uuid4().hex[:4]}", 500)[0]
        assert len(json.loads(body)["events"]) == 500
        return lambda: post(sync_path, body)

    def clean():
        _cleanup(rnd, user)
        vacuum()

    def vacuum():
        """The runs register the same people again and again: clear the dead rows their
        clean-up leaves (outside the measured time), as autovacuum would between rounds."""
        if pg:
            with connection.cursor() as cur:
                cur.execute("VACUUM screening_sample, screening_tube, screening_roundcounter")

    def scans(tag, n):
        """(tube barcodes opened, bodies of n scans into them)."""
        ps = _free_people(rnd, n)
        codes = []
        for k in range(0, len(ps), 50):
            code = f"Q{tag}Y{uuid.uuid4().hex[:4]}{k // 50:03d}"
            station.open_tube(Actor.system(user), rnd, code, capacity=50)
            codes.append(code)
        return [json.dumps({"client_id": str(uuid.uuid4()), "barcode": codes[i // 50],
                            "person": "FK1:" + p[1]}) for i, p in enumerate(ps)]

    if pg:  # statistics as autovacuum keeps them (a freshly built city has none for some tables)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    out = {"database": connection.vendor, "residents": cfg.residents}
    # --- batches
    # warm-up: imports, caches, and the prepared statements' plans (PostgreSQL plans the
    # first five runs of a prepared statement for their values, then settles on a generic
    # plan: the app servers' steady state, which is what is measured)
    for k in range(6):
        one_batch(f"w{k}")()
        clean()
    app, db = [], []
    for rep in range(a.batches):
        fn = one_batch(rep)
        x, y = measure(fn)
        app.append(x)
        db.append(y)
        clean()
    # the raw COPY of the same registrations (bench/screening.py's baseline), rolled back;
    # only the COPY is measured (the rows are built before)
    from django.db import transaction

    from bench.screening import baseline_rows
    from fangkong.core import bulk
    from fangkong.screening.models import Sample

    copy_app, copy_db = [], []
    for _rep in range(a.batches):
        rows = baseline_rows(rnd, user, people)
        with transaction.atomic():
            x, y = measure(lambda rows=rows: bulk.insert(Sample, rows))
            transaction.set_rollback(True)
        copy_app.append(x)
        copy_db.append(y)
    fn = one_batch("q")
    with CaptureQueriesContext(connection) as q:
        fn()
    clean()
    out["batch"] = {"app_ms": round(_median(app) * 1000, 1), "db_ms": round(_median(db) * 1000, 1),
                    "app_ms_all": [round(v * 1000, 1) for v in app],
                    "db_ms_all": [round(v * 1000, 1) for v in db], "statements": len(q.captured_queries),
                    "raw_copy_app_ms": round(_median(copy_app) * 1000, 1),
                    "raw_copy_db_ms": round(_median(copy_db) * 1000, 1),
                    "sql": [s["sql"][:120] for s in q.captured_queries]}
    # --- single scans
    bodies = scans("w", 20)
    for b in bodies:
        post(scan_path, b)
    clean()
    bodies = scans("m", a.scans)
    apps, dbs = [], []
    for b in bodies:
        x, y = measure(lambda b=b: post(scan_path, b))
        apps.append(x)
        dbs.append(y)
    clean()
    bodies = scans("q", 3)
    with CaptureQueriesContext(connection) as q:
        post(scan_path, bodies[0])
    clean()
    out["scan"] = {"n": len(apps), "app_ms": round(sum(apps) / len(apps) * 1000, 3),
                   "db_ms": round(sum(dbs) / len(dbs) * 1000, 3),
                   "app_ms_median": round(_median(apps) * 1000, 3),
                   "statements": len(q.captured_queries),
                   "sql": [s["sql"][:120] for s in q.captured_queries]}
    if a.profile:
        import cProfile
        import pstats

        if a.profile == "batch":
            fn = one_batch("p")
        else:
            bodies = scans("p", 100)

            def fn():
                for b in bodies:
                    post(scan_path, b)
        prof = cProfile.Profile(time.process_time)
        prof.runcall(fn)
        clean()
        pstats.Stats(prof).sort_stats("tottime").print_stats(35)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(int(os.environ.get("PROFILE_LINES", "45")))
        pstats.Stats(prof).sort_stats("tottime").print_callers(12)
    out["loadavg"] = os.getloadavg()
    print(json.dumps(out, indent=1, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
