"""(screening) testing rounds at city scale.

Data: one PCR round per district of the city (pools of 10) with ~90 % of the residents
registered (loaded once with COPY and cached; the other 10 % are the people the
benchmarks register). Figures:

- screening.batch: a station batch upload through the API (POST …/sync, 500 events a
  request, token auth, set-based validation, INSERT … ON CONFLICT DO NOTHING), against a
  raw COPY of the same rows into the same table in the same run; ratio = API ÷ COPY.
- screening.scan: single-scan API under a paced load (400 req/s on the full run, open
  loop: latency counted from each request's scheduled time), p50/p99, served by granian.
- screening.coverage.*: coverage of one community and of a street (exact, from the
  copied level columns), and the per-community roll-up of the whole city (1 M residents,
  ~500 communities) from the running counters, against the naive join over the
  registrations and the GROUP BY on the copied community_id.
- screening.lab.results: the lab's results for 5,000 tubes of the round (tiny: 300) through
  `lab.record_results` in files of 2,000 rows (as bench/replay.py posts them), one pool in
  1,000 positive; and the same files sent again (nothing new: `unchanged`).
- screening.door_sheet: the door-to-door page holding the biggest unit of the 10k
  community in an antigen round, as a volunteer loads it before going into the stairwell.
"""

import http.client
import json
import os
import threading
import time
import uuid

from django.db import connection, transaction
from django.test import Client

from fangkong.core import bulk
from fangkong.core.actor import Actor
from fangkong.registry.models import LEVEL_FIELDS, Kind, Place, Resident
from fangkong.screening import counters as round_counters
from fangkong.screening import figures
from fangkong.screening.actions import planning, station
from fangkong.screening.models import Round, RoundCounter, Sample, Sampler, Tube

from .common import bench_user
from .harness import figure, percentile, timed

NAME = "bench-city"


def _rounds():
    return list(Round.objects.filter(name=NAME).select_related("place").order_by("id"))


def ensure_rounds(ctx) -> list[Round]:
    """The city's rounds with ~90 % registered (built once, kept in the cached database)."""
    total = Resident.objects.count()
    rounds = _rounds()
    if rounds and Sample.objects.filter(round__in=rounds).count() >= 0.85 * total:
        return rounds
    system = Actor.system(via="cli")
    t = time.perf_counter()
    with transaction.atomic():
        for r in rounds:
            Sample.objects.filter(round_id=r.id).delete()
            r.delete()
        import datetime

        from django.utils import timezone

        now = timezone.now()
        rounds = [planning.plan_round(system, d, {"name": NAME, "starts_at": now - datetime.timedelta(hours=3),
                                                 "ends_at": now + datetime.timedelta(hours=20),
                                                 "pool_size": 10})
                  for d in Place.objects.filter(kind=Kind.DISTRICT).order_by("id")]
        by_district = {r.place_id: r for r in rounds}
        new_tube = bulk.prototype(Tube, round_id=0, barcode="", capacity=10, count=10, state="sealed",
                                  opened_at=now, sealed_at=now)
        new_sample = bulk.prototype(Sample, round_id=0, tube_id=0, resident_id=0, household_id=0,
                                    sampled_at=now, recorded_at=now)
        cols = ["id", "household_id", *LEVEL_FIELDS]
        with bulk.indexes_deferred(Sample, Tube), bulk.Loader() as loader:
            chunk = []
            qs = Resident.objects.exclude(presence="moved_out").order_by("district_id", "id").values_list(*cols)
            for row in qs.iterator(chunk_size=20_000):
                if row[0] % 10 == 0:  # one in ten left for the benchmarks to register
                    continue
                chunk.append(row)
                if len(chunk) >= 20_000:
                    _load(loader, chunk, by_district, new_tube, new_sample)
                    chunk = []
            _load(loader, chunk, by_district, new_tube, new_sample)
            loader.wait()
        for r in rounds:
            planning.recount(r)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE screening_sample; ANALYZE screening_tube; ANALYZE screening_roundcounter")
    ctx.report.add(figure("screening.data.build", [time.perf_counter() - t], "s",
                          note=f"{Sample.objects.filter(round__in=rounds).count():,} registrations "
                               f"in {len(rounds)} rounds"))
    return rounds


def _load(loader, rows, by_district, new_tube, new_sample):
    groups = {}
    for row in rows:
        groups.setdefault(row[2], []).append(row)  # district_id
    tubes, samples = [], []
    for district_id, people in groups.items():
        rnd = by_district.get(district_id)
        if rnd is None:
            continue
        n_tubes = (len(people) + 9) // 10
        ids = bulk.allocate_ids(Tube, n_tubes)
        for k, tid in enumerate(ids):
            t = new_tube()
            t.id, t.round_id, t.barcode = tid, rnd.id, f"B{tid:09d}"
            members = people[k * 10:(k + 1) * 10]
            t.count = len(members)
            for f, v in zip(LEVEL_FIELDS, (rnd.district_id, None, None, None, None, None, None), strict=True):
                setattr(t, f, v)
            tubes.append(t)
            for row in members:
                s = new_sample()
                s.round_id, s.tube_id, s.resident_id, s.household_id = rnd.id, tid, row[0], row[1]
                s.client_id = uuid.uuid4()
                for f, v in zip(LEVEL_FIELDS, row[2:], strict=True):
                    setattr(s, f, v)
                samples.append(s)
    loader.put(Tube, tubes)
    loader.put(Sample, samples)


def _free_people(rnd, n, offset=0) -> list:
    """Residents of the round not registered yet (the one in ten left out)."""
    from django.db.models import F
    from django.db.models.functions import Mod

    from fangkong.zones.models import HouseholdZone

    # people in a sealed or controlled zone are refused a pooled tube: not these batches'
    zoned = HouseholdZone.objects.filter(until=None).values("household_id")
    return list(Resident.objects.filter(district_id=rnd.place_id).exclude(presence="moved_out")
                .exclude(household_id__in=zoned)
                .annotate(m=Mod(F("id"), 10)).filter(m=0).order_by("id")
                .values_list("id", "token", "household_id", *LEVEL_FIELDS)[offset:offset + n])


def _cleanup(rnd, user):
    with transaction.atomic():
        Sample.objects.filter(round=rnd, sampler=user).delete()
        Sample.objects.filter(round=rnd, sampler=None, tube__opened_by=user).delete()
        Tube.objects.filter(round=rnd, opened_by=user).delete()
        from fangkong.screening.models import Conflict

        Conflict.objects.filter(round=rnd).delete()
        planning.recount(rnd)


def station_setup(ctx):
    """The round with the most communities, its sampler with a token (the station benchmarks here and through the topology)."""
    rounds = ensure_rounds(ctx)
    rnd = max(rounds, key=lambda r: RoundCounter.objects.filter(round=r).count())
    user = bench_user("bench_sampler", "volunteer", rnd.place)
    point = Place.objects.filter(kind=Kind.SAMPLING_POINT).first()
    if point is not None and point.district_id == rnd.place_id:
        planning.add_point(Actor.system(), rnd, point, 10)
    Sampler.objects.get_or_create(round=rnd, user=user, defaults={
        "point": rnd.points.first() or _point(rnd), "table": 1})
    from fangkong.accounts import actions as account_actions

    _tok, raw = account_actions.create_token(Actor.system(user), f"bench-{uuid.uuid4().hex[:6]}")
    _cleanup(rnd, user)
    return rnd, user, raw


def run(ctx):
    report = ctx.report
    rnd, user, raw = station_setup(ctx)
    rounds = _rounds()  # ensured by station_setup
    lab_figures(ctx, rnd)
    if os.environ.get("BENCH_SCREENING_ONLY") == "lab":  # the lab figure alone
        return
    batch_figures(ctx, rnd, user, raw)
    batch_http_figures(ctx, rnd, user, raw)
    scan_figures(ctx, rnd, user, raw)
    coverage_figures(ctx, rounds)
    report.note(f"screening: {len(rounds)} rounds, "
                f"{Sample.objects.filter(round__in=rounds).count():,} registrations")


def _point(rnd):
    place = Place.objects.filter(kind=Kind.SAMPLING_POINT, district_id=rnd.place_id).first()
    if place is None:
        place = Place.objects.create(kind=Kind.SAMPLING_POINT, name="bench-point", parent=rnd.place,
                                     depth=rnd.place.depth + 1, **{f: getattr(rnd.place, f) for f in LEVEL_FIELDS})
    return planning.add_point(Actor.system(), rnd, place, 10, audit=False)


# --- the lab's results --------------------------------------------------------------

def lab_figures(ctx, rnd):
    """Seconds to record the results of N sealed tubes (made for the figure, removed after)
    through the action the lab's API and upload call, 2,000 rows a call."""
    from fangkong.accounts.roles import ROLE_PERMS, Role
    from fangkong.accounts.scope import Grant, Scope
    from fangkong.screening.actions import lab
    from fangkong.screening.models import Box, LabResult

    cfg, report = ctx.cfg, ctx.report
    n = int(os.environ.get("BENCH_LAB_TUBES") or cfg.scaled(5_000, 300))
    user = bench_user("bench_lab", "lab", rnd.place)
    actor = Actor(user=user, scope=Scope(user=user, grants=[Grant(Role.LAB, rnd.place, None,
                                                                    ROLE_PERMS[Role.LAB])]), via="api")
    took, again = [], []
    for rep in range(cfg.repeat):
        from django.utils import timezone

        now = timezone.now()
        # in a box sent to this lab (a lab writes only tubes sent to it)
        box = Box.objects.create(round=rnd, code=f"LABBENCH{rep}", lab=user, state=Box.State.AT_LAB)
        make = bulk.prototype(Tube, round_id=rnd.id, barcode="", capacity=10, count=10, state="sealed",
                              opened_at=now, sealed_at=now, box_id=box.id, at_lab_at=now)
        ids = bulk.allocate_ids(Tube, n)
        tubes = []
        for tid in ids:
            t = make()
            t.id, t.barcode, t.district_id = tid, f"L{rep}X{tid:09d}", rnd.district_id
            tubes.append(t)
        bulk.insert(Tube, tubes)
        files = [[{"barcode": t.barcode, "result": "positive" if k % 1000 == 999 else "negative",
                   "ct_orf": "31.5" if k % 1000 == 999 else None, "_row": k % 2000 + 1}
                  for k, t in enumerate(tubes[i:i + 2000], start=i)] for i in range(0, n, 2000)]
        t0 = time.perf_counter()
        saved = sum(lab.record_results(actor, rows, source="api")["saved"] for rows in files)
        took.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        same = sum(lab.record_results(actor, rows, source="api")["unchanged"] for rows in files)
        again.append(time.perf_counter() - t0)
        with transaction.atomic():
            LabResult.objects.filter(tube_id__in=ids).delete()
            Tube.objects.filter(id__in=ids).delete()
            box.delete()
        if saved != n or same != n:
            raise RuntimeError(f"lab results: {saved} saved, {same} unchanged of {n}")
    report.add(figure("screening.lab.results", [n / s for s in took], "tubes/s",
                      note=f"{n:,} tube results in files of 2,000 (one pool in 1,000 positive): "
                           f"{_median(took):.2f} s; the same files again (all unchanged) "
                           f"{_median(again):.2f} s"))


# --- batch upload ---------------------------------------------------------------------

def batch_figures(ctx, rnd, user, raw):
    cfg, report = ctx.cfg, ctx.report
    n = cfg.scaled(20_000, 1_000)
    per_request = 500  # as the station sends (SYNC_BATCH in static/fangkong/screening.js)
    api_s, copy_s = [], []
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="127.0.0.1")
    path = f"/api/v1/screening/rounds/{rnd.id}/sync"
    for rep in range(cfg.repeat):
        people = _free_people(rnd, n)
        copy_s.append(_copy_baseline(rnd, user, people))
        # the same people through the API: tubes of 10, 500 events a request
        bodies = _station_bodies(people, f"R{rep}X", per_request)
        t = time.perf_counter()
        for body in bodies:
            r = client.post(path, data=body, content_type="application/json")
            if r.status_code != 200:
                raise RuntimeError(f"sync answered {r.status_code}: {r.content[:300]!r}")
        api_s.append(time.perf_counter() - t)
        got = Sample.objects.filter(round=rnd, resident_id__in=[p[0] for p in people]).count()
        if got != len(people):
            raise RuntimeError(f"sync registered {got} of {len(people)}")
        # a replay of the whole upload registers nothing more (and is timed for the record)
        if rep == 0:
            t = time.perf_counter()
            for body in bodies:
                client.post(path, data=body, content_type="application/json")
            replay = time.perf_counter() - t
        _cleanup(rnd, user)
    rate = [n / s for s in api_s]
    report.add(figure("screening.batch.api", rate, "rows/s", compare=[n / s for s in copy_s],
                      compare_name="raw COPY", ratio_label="COPY ÷ API: API is this many times slower",
                      invert=False,
                      note=f"{n:,} people + {n // 10:,} tubes, {per_request} events a request; "
                           f"replay of the same upload {n / replay:,.0f} events/s, nothing added"))


def baseline_rows(rnd, user, people) -> list:
    """These people's registrations as Sample rows for a raw COPY (the baseline the API's
    batch is compared with)."""
    rows = []
    for p in people:
        s = Sample(round_id=rnd.id, tube_id=0, resident_id=p[0], household_id=p[2],
                   client_id=uuid.uuid4(), sampled_at=rnd.starts_at, sampler_id=user.id)
        for f, v in zip(LEVEL_FIELDS, p[3:], strict=True):
            setattr(s, f, v)
        rows.append(s)
    return rows


def _copy_baseline(rnd, user, people) -> float:
    """Seconds for a raw COPY of these people's registrations (same table, same indexes),
    rolled back."""
    rows = baseline_rows(rnd, user, people)
    with transaction.atomic():
        t = time.perf_counter()
        bulk.insert(Sample, rows)
        took = time.perf_counter() - t
        transaction.set_rollback(True)
    return took


def _station_bodies(people, prefix, per_request=500) -> list[str]:
    """One station's queue for these people (tubes of 10), as the request bodies it sends."""
    events = []
    for k in range(0, len(people), 10):
        code = f"{prefix}{k // 10:07d}"
        events.append({"client_id": str(uuid.uuid4()), "type": "open", "barcode": code})
        events += [{"client_id": str(uuid.uuid4()), "type": "scan", "barcode": code,
                    "person": "FK1:" + p[1]} for p in people[k:k + 10]]  # as printed
    return [json.dumps({"events": events[i:i + per_request]})
            for i in range(0, len(events), per_request)]


def _server(ctx, figure_name):
    """(port, server name, command) for a server on a free port, or None (noted) when neither
    granian nor gunicorn is installed."""
    from .page import free_port, server_command

    port = free_port()
    server = server_command(port)
    if server is None:
        ctx.report.note(f"{figure_name}: skipped, neither granian nor gunicorn is installed")
        return None
    return (port, *server)


def batch_http_figures(ctx, rnd, user, raw):
    """The upload as it happens when the network comes back at a sampling point: several
    stations (tables) send their queues at once, over HTTP, to the server the scan figures
    use (granian 2 workers × 4 threads), each station one keep-alive connection posting its
    500-event requests one after the other. Against a raw COPY of the same rows in the same
    run (one connection, as the COPY figure above)."""
    from .page import Server, postgres_cpu

    cfg, report = ctx.cfg, ctx.report
    server = _server(ctx, "screening.batch.http")
    if server is None:
        return
    port, name, cmd = server
    n = cfg.scaled(20_000, 1_000)
    stations = int(os.environ.get("BENCH_STATIONS", 4))
    per_request = int(os.environ.get("BENCH_SYNC_BATCH", 500))  # as the station sends (SYNC_BATCH)
    path = f"/api/v1/screening/rounds/{rnd.id}/sync"
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json",
               "Connection": "keep-alive"}
    rates, copy_rates, errors, cpu_ms = [], [], {}, []
    with Server(name, cmd, port, ctx.env, cfg.workdir / "server-batch.log") as srv:
        srv.wait_ready(f"/api/v1/screening/rounds/{rnd.id}", headers)
        for rep in range(cfg.repeat + 1):  # the first is a warm-up (each worker's first requests)
            people = _free_people(rnd, n)
            copy_s = _copy_baseline(rnd, user, people)
            share = (len(people) + stations - 1) // stations
            queues = [_station_bodies(people[k * share:(k + 1) * share], f"H{rep}T{k}X", per_request)
                      for k in range(stations)]
            failed = [0] * stations

            def station(k, queues=queues, failed=failed):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                for body in queues[k]:
                    conn.request("POST", path, body=body, headers=headers)
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status != 200:
                        failed[k] += 1
                conn.close()

            threads = [threading.Thread(target=station, args=(k,), daemon=True) for k in range(stations)]
            cpu0 = (srv.cpu_seconds(), postgres_cpu())
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join(timeout=120)
            took = time.perf_counter() - t
            cpu = (srv.cpu_seconds() - cpu0[0], postgres_cpu() - cpu0[1])
            got = Sample.objects.filter(round=rnd, resident_id__in=[p[0] for p in people]).count()
            _cleanup(rnd, user)
            if sum(failed) or got != len(people) or any(th.is_alive() for th in threads):
                errors[f"repeat {rep}"] = f"{sum(failed)} requests failed, {got:,} of {len(people):,} registered"
            if rep:
                rates.append(len(people) / took)
                copy_rates.append(len(people) / copy_s)
                requests = sum(len(q) for q in queues)
                cpu_ms.append((cpu[0] / requests * 1000, cpu[1] / requests * 1000, (cpu[0] + cpu[1]) / took))
    report.add(figure("screening.batch.http", rates, "rows/s", compare=copy_rates,
                      compare_name="raw COPY", ratio_label="COPY ÷ API: API is this many times slower",
                      invert=False, extra={"errors": errors},
                      note=f"{n:,} people + {n // 10:,} tubes from {stations} stations at once over HTTP "
                           f"({granian_note(name)}), {per_request} events a request; CPU a request: "
                           f"server {_median([c[0] for c in cpu_ms]):.0f} ms, PostgreSQL "
                           f"{_median([c[1] for c in cpu_ms]):.0f} ms ({_median([c[2] for c in cpu_ms]):.2f} "
                           f"cores busy)"
                           + (f"; FAILED: {errors}" if errors else "")))


# --- single scans under load ----------------------------------------------------------------

def scan_figures(ctx, rnd, user, raw):
    from .page import Server, postgres_cpu

    cfg, report = ctx.cfg, ctx.report
    server = _server(ctx, "screening.scan")
    if server is None:
        return
    port, name, cmd = server
    rate = 400 if not cfg.tiny else 40
    low_rate = 150 if not cfg.tiny else 20
    duration = cfg.duration
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json",
               "Connection": "keep-alive"}
    with Server(name, cmd, port, ctx.env, cfg.workdir / "server-screening.log") as srv:
        srv.wait_ready(f"/api/v1/screening/rounds/{rnd.id}", headers)
        def load(rep, at_rate):
            people = _free_people(rnd, int(at_rate * duration * 1.3) + 100)
            tubes = []
            for k in range(0, len(people), 50):
                code = f"S{rep}Y{k // 50:06d}"
                station.open_tube(Actor.system(user), rnd, code, capacity=50)
                tubes.append(code)
            reqs = [json.dumps({"client_id": str(uuid.uuid4()), "barcode": tubes[i // 50],
                                "person": "FK1:" + p[1]}) for i, p in enumerate(people)]
            cpu0 = (srv.cpu_seconds(), postgres_cpu())
            res = paced(port, f"/api/v1/screening/rounds/{rnd.id}/scan", reqs, headers, at_rate,
                        duration, threads=cfg.threads * 2)
            answered = max(1, res["ok"] + sum(res["errors"].values()))
            res["cpu_ms"] = ((srv.cpu_seconds() - cpu0[0]) / answered * 1000,
                             (postgres_cpu() - cpu0[1]) / answered * 1000)
            _cleanup(rnd, user)
            return res

        runs = []
        for rep in range(cfg.repeat + 1):  # the first is a warm-up
            res = load(rep, rate)
            if rep:
                runs.append(res)
        # and once at a rate this machine sustains, for the latency when not saturated
        low = load(cfg.repeat + 1, low_rate)
    errors = {}
    for r in runs:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    note = (f"paced at {rate} req/s for {duration:g} s, {granian_note(name)}; "
            f"{sum(r['ok'] for r in runs):,} scans registered; CPU a scan: server "
            f"{_median([r['cpu_ms'][0] for r in runs]):.1f} ms, PostgreSQL "
            f"{_median([r['cpu_ms'][1] for r in runs]):.1f} ms; load generator "
            f"{max(r['client_cpu'] for r in runs):.2f} core at most"
            + (f", failed: {errors}" if errors else ""))
    report.add(figure("screening.scan.rps", [r["rps"] for r in runs], "req/s", note=note,
                      extra={"errors": errors}))
    report.add(figure("screening.scan.p50", [r["p50"] for r in runs], "ms", scale=1000))
    report.add(figure("screening.scan.p99", [r["p99"] for r in runs], "ms", scale=1000,
                      note="target < 50 ms at 400 req/s"))
    report.add(figure(f"screening.scan.p99_at_{low_rate}", [low["p99"]], "ms", scale=1000,
                      note=f"one run paced at {low_rate} req/s: {low['rps']:.0f} req/s answered, "
                           f"p50 {low['p50'] * 1000:.1f} ms"
                           + (f", failed: {low['errors']}" if low["errors"] else "")))


def _median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else 0.0


def granian_note(name):
    return "granian WSGI 2×4" if name == "granian" else name


def paced(port, path, bodies, headers, rate, duration, threads):
    """Open-loop load: request i is due at start + i/rate; latency is counted from when it
    was due (so a slow server is not hidden by a client that waits for it)."""
    total = min(len(bodies), int(rate * duration))
    cpu = time.process_time()  # this process is the load generator (its main thread waits)
    start = time.perf_counter() + 0.2
    results = [None] * threads

    def worker(k):
        lat, errors = [], {}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for i in range(k, total, threads):
            due = start + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                conn.request("POST", path, body=bodies[i], headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status == 200:
                    lat.append(time.perf_counter() - due)
                else:
                    errors[f"HTTP {resp.status}"] = errors.get(f"HTTP {resp.status}", 0) + 1
            except (OSError, http.client.HTTPException) as e:
                errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.close()
        results[k] = (lat, errors)

    pool = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=duration + 60)
    elapsed = time.perf_counter() - start
    client_cpu = (time.process_time() - cpu) / max(elapsed, 1e-9)
    lat = [x for r in results if r for x in r[0]]
    errors = {}
    for r in results:
        if r:
            for e, c in r[1].items():
                errors[e] = errors.get(e, 0) + c
    return {"rps": len(lat) / elapsed, "p50": percentile(lat, 50), "p99": percentile(lat, 99),
            "ok": len(lat), "errors": errors, "client_cpu": client_cpu}


# --- coverage ---------------------------------------------------------------------------------

NAIVE_ROLLUP = """
SELECT r.community_id, COUNT(*) FROM screening_sample s
JOIN registry_resident r ON r.id = s.resident_id
WHERE s.round_id = ANY(%s) AND NOT s.retest GROUP BY r.community_id
"""
COPIED_ROLLUP = """
SELECT community_id, COUNT(*) FROM screening_sample
WHERE round_id = ANY(%s) AND NOT retest GROUP BY community_id
"""


def ensure_big_community(ctx, rounds) -> Place:
    """One community of 10,000 residents (tiny: 500) in the sample community's street,
    written by the demo generator (`fangkong.demo`, the city's own layout rules) with ~90 %
    of it registered in the district's round like the rest of the city. Built once and kept
    in the cached database; the harness does not count it as the city's residents."""
    import random

    from fangkong.demo.layout import city_community_spec
    from fangkong.demo.people import default_as_of
    from fangkong.demo.registry import Builder

    from .common import BIG_COMMUNITY

    size = ctx.cfg.scaled(10_000, 500)
    street = ctx.city.street
    rnd = next(r for r in rounds if r.place_id == street.district_id)
    big = Place.objects.filter(kind=Kind.COMMUNITY, name=BIG_COMMUNITY).first()
    if big is not None and Resident.objects.filter(community_id=big.id).count() == size \
            and Sample.objects.filter(round=rnd, community_id=big.id).exists():
        return big
    t = time.perf_counter()
    with transaction.atomic():
        if big is not None:  # a different size or half built: start again
            from fangkong.registry.models import Household

            Sample.objects.filter(community_id=big.id).delete()
            Resident.objects.filter(community_id=big.id).delete()
            Household.objects.filter(community_id=big.id).delete()
            Place.objects.filter(community_id=big.id).exclude(pk=big.pk).delete()
            big.delete()
        # ID numbers from sequence 400 on per region, day and sex: no clash with the city's
        b = Builder(ctx.cfg.seed, default_as_of(), None, id_offset=400)
        rng = random.Random(f"fangkong-bench:{BIG_COMMUNITY}")
        district = Place.objects.get(pk=street.district_id)
        spec = city_community_spec(rng, 99_999, BIG_COMMUNITY, size, district.code or "140106")
        with bulk.Loader() as b.loader:
            big = b.community(spec, street, rng)
            b.loader.wait()
        now = rnd.starts_at
        new_tube = bulk.prototype(Tube, round_id=0, barcode="", capacity=10, count=10, state="sealed",
                                  opened_at=now, sealed_at=now)
        new_sample = bulk.prototype(Sample, round_id=0, tube_id=0, resident_id=0, household_id=0,
                                    sampled_at=now, recorded_at=now)
        rows = list(Resident.objects.filter(community_id=big.id).exclude(presence="moved_out")
                    .order_by("id").values_list("id", "household_id", *LEVEL_FIELDS))
        with bulk.Loader() as loader:
            _load(loader, [r for r in rows if r[0] % 10], {rnd.place_id: rnd}, new_tube, new_sample)
            loader.wait()
        planning.recount(rnd)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:  # as autovacuum would have by now (index-only scans)
            cur.execute("VACUUM ANALYZE registry_resident")
            cur.execute("VACUUM ANALYZE screening_sample")
    ctx.report.add(figure("screening.data.big_community", [time.perf_counter() - t], "s",
                          note=f"{size:,} residents written by fangkong.demo, ~90 % registered"))
    return big


def coverage_figures(ctx, rounds):
    cfg, report = ctx.cfg, ctx.report
    community = ctx.city.community
    rnd = next(r for r in rounds if r.place_id == community.district_id)
    big = ensure_big_community(ctx, rounds)
    n_comm = Resident.objects.filter(community_id=community.id).count()
    n_big = Resident.objects.filter(community_id=big.id).count()
    street = Place.objects.get(pk=community.street_id)
    n_street = Resident.objects.filter(street_id=street.id).count()
    rep = max(cfg.repeat, 5)
    report.add(figure("screening.coverage.community", timed(lambda: figures.coverage(rnd, community), rep),
                      "ms", scale=1000, note=f"{n_comm:,} residents: people and households, exact"))
    report.add(figure("screening.coverage.community_10k", timed(lambda: figures.coverage(rnd, big), rep),
                      "ms", scale=1000, note=f"{n_big:,} residents, one community: target < 50 ms"))
    report.add(figure("screening.coverage.street", timed(lambda: figures.coverage(rnd, street), rep),
                      "ms", scale=1000, note=f"{n_street:,} residents"))
    live_page_figures(ctx, rnd, big)
    door_sheet_figures(ctx, big)
    ids = [r.id for r in rounds]

    def counters():
        return list(RoundCounter.objects.filter(round_id__in=ids).values_list(
            "community_id", "expected", "exempt", "sampled"))

    def sql(q):
        def f():
            with connection.cursor() as cur:
                if connection.vendor == "sqlite":
                    cur.execute(q.replace("= ANY(%s)", f"IN ({','.join(map(str, ids))})"), [])
                else:
                    cur.execute(q, [ids])
                return cur.fetchall()
        return f

    n = len(counters())
    total = Resident.objects.count()
    naive = timed(sql(NAIVE_ROLLUP), rep)
    copied = timed(sql(COPIED_ROLLUP), rep)
    report.add(figure("screening.coverage.city.counters", timed(counters, rep), "ms", scale=1000,
                      compare=naive, compare_name="naive join", ratio_label="join ÷ counters",
                      note=f"{n} communities, {total:,} residents"))
    report.add(figure("screening.coverage.city.copied", copied, "ms", scale=1000, compare=naive,
                      compare_name="naive join", ratio_label="join ÷ GROUP BY copied community_id"))
    district = Place.objects.get(pk=rnd.place_id)
    report.add(figure("screening.coverage.district.rollup",
                      timed(lambda: round_counters.rollup(rnd, district), rep), "ms", scale=1000,
                      note="the live page's per-community list (counters, refreshed for registry "
                           "changes since the last count, + names)"))
    rollup_after_change(ctx, rnd, big, district, rep)


def live_page_figures(ctx, rnd, big):
    """The live round page's partial (htmx, every 15 s) for the 10,000-resident community,
    through Django's test client as a community staff member: time and queries."""
    from django.test.utils import CaptureQueriesContext

    from fangkong.accounts.models import User

    from .common import bench_user

    user = bench_user("bench_cov_staff", "staff", big)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=user.pk))
    url = f"/screening/rounds/{rnd.id}/?place={big.id}"

    def get():
        r = client.get(url, HTTP_HX_REQUEST="true")
        if r.status_code != 200:
            raise RuntimeError(f"live page answered {r.status_code} {r.get('Location', '')}")

    times = timed(get, max(ctx.cfg.repeat, 5))
    with CaptureQueriesContext(connection) as q:
        get()
    ctx.report.add(figure("screening.coverage.live_page", times, "ms", scale=1000,
                          note=f"htmx partial of the live round page, community of 10k: "
                               f"{len(q)} queries, {sum(float(x['time']) for x in q.captured_queries) * 1000:.0f} ms in them"))
    client.get(f"/api/v1/screening/rounds/{rnd.id}/coverage?place={big.id}")
    ctx.report.add(figure("screening.coverage.api", timed(
        lambda: client.get(f"/api/v1/screening/rounds/{rnd.id}/coverage?place={big.id}"),
        max(ctx.cfg.repeat, 5)), "ms", scale=1000, note="GET …/coverage?place=<10k community>"))


def door_sheet_figures(ctx, big):
    """The door-to-door page holding a whole unit (every household, its members, results
    and kits), as the volunteer at the door loads it before going into the stairwell: an
    antigen round over the 10k community (made here and rolled back), its biggest unit."""
    import datetime

    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Household

    from .harness import manage

    manage("collectstatic", interactive=False, verbosity=0)  # the manifest the page's {% static %} needs
    with transaction.atomic():
        system = Actor.system()
        depot = reg.create_place(system, big, Kind.SAMPLING_POINT, "bench-depot")
        now = timezone.now()
        rnd = planning.plan_round(system, big, {
            "name": "bench antigen", "kind": "antigen", "starts_at": now - datetime.timedelta(hours=1),
            "ends_at": now + datetime.timedelta(hours=10), "pool_size": 1}, points=[(depot, 1)])
        planning.set_status(system, rnd, "running")
        user = bench_user("bench_door", "volunteer", big)
        planning.assign_sampler(system, rnd, rnd.points.get(), user)
        top = (Household.objects.filter(community_id=big.id, unit_id__isnull=False).values("unit_id")
               .annotate(n=Count("id")).order_by("-n", "unit_id").first())
        people = Resident.objects.filter(unit_id=top["unit_id"]).count()
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(pk=user.pk))
        url = f"/screening/rounds/{rnd.id}/antigen/door/?unit={top['unit_id']}"

        def get():
            r = client.get(url)
            if r.status_code != 200 or b'id="sheet"' not in r.content:
                raise RuntimeError(f"door sheet answered {r.status_code}")
            return r

        times = timed(get, max(ctx.cfg.repeat, 5))
        with CaptureQueriesContext(connection) as q:
            size = len(get().content)
        ctx.report.add(figure("screening.door_sheet", times, "ms", scale=1000,
                              note=f"{top['n']} households, {people} people on one page "
                                   f"({size / 1024:.0f} KB of HTML), {len(q)} queries"))
        transaction.set_rollback(True)


def rollup_after_change(ctx, rnd, big, district, rep):
    """The roll-up right after a registry change: one resident of the big community moves
    out and back (through the registry's action), the next roll-up recounts that community."""
    from fangkong.registry import actions as reg_actions

    system = Actor.system(via="cli")
    person = Resident.objects.filter(community_id=big.id, presence="home").order_by("id").first()
    before = {r["community_id"]: r["expected"] for r in round_counters.rollup(rnd, district)}
    samples = []
    for state in ("moved_out", "home") * rep:
        reg_actions.update_resident(system, person, {"presence": state})
        t = time.perf_counter()
        rows = round_counters.rollup(rnd, district)
        samples.append(time.perf_counter() - t)
        got = next(r["expected"] for r in rows if r["community_id"] == big.id)
        want = before[big.id] - (state == "moved_out")
        if got != want:
            raise RuntimeError(f"roll-up after a change: expected {want}, counted {got}")
    ctx.report.add(figure("screening.coverage.district.rollup_after_change", samples, "ms", scale=1000,
                          note=f"after a resident of the 10k community moved out / back: "
                               f"{len(rows)} communities, that community recounted, figures checked"))
