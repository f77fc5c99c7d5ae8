"""(topology) the production topology under load, through nginx (deploy/local-topology).

Everything goes through nginx (127.0.0.1:BENCH_TOPOLOGY_PORT) to the two granian app
servers (1 worker × 16 blocking threads each), PostgreSQL primary (+ streaming replica,
+ Redis): the deployment a district would run, on this one shared two-core machine.

- topology.batch: station batches (500 events a request, 4 stations at once) over HTTP
  through nginx, against a raw COPY of the same rows in the same run; ratio = API ÷ COPY.
  CPU per request of the app servers and of the topology's PostgreSQL.
- topology.scan.*: single scans paced (open loop) at rising rates; p99 at 500 req/s and
  the highest rate whose p99 stays under 50 ms; CPU per scan, server and database.
- topology.pgbouncer.*: the same scan load at one rate with the app servers connected
  directly (persistent connections, prepared statements) and through pgbouncer in
  transaction mode (nothing prepared): does the pooler pay on one box?
"""

import http.client
import json
import os
import threading
import time
import uuid

from fangkong.core.actor import Actor
from fangkong.screening.actions import station
from fangkong.screening.models import Sample

from .common import bench_user
from .harness import figure
from .page import proc_cpu
from .screening import (
    _cleanup,
    _copy_baseline,
    _free_people,
    _median,
    _station_bodies,
    paced,
    station_setup,
)


def app_cpu(topo) -> float:
    groups = {str(p) for p in (topo.pid("app1"), topo.pid("app2")) if p}
    return proc_cpu(lambda f: f[4] in groups)


def db_cpu(topo, which="primary") -> float:
    """CPU seconds of the primary's (or replica's) processes, those that ended included (a
    backend's CPU is added to the postmaster's children time when it exits)."""
    pm = topo.pid(which)
    if pm is None:
        return 0.0
    live = proc_cpu(lambda f: f[0] == str(pm) or f[3] == str(pm))
    try:
        raw = open(f"/proc/{pm}/stat").read()
        fields = raw[raw.rindex(")") + 2:].split()  # fields[0] = state; cutime, cstime = [13], [14]
        return live + (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return live


def pooler_cpu() -> float:
    return proc_cpu(lambda f: f[1] == "pgbouncer")


def run(ctx):
    topo = ctx.cfg.topology
    rnd, user, raw = station_setup(ctx)
    ctx.report.note(f"topology: nginx :{topo.ports['nginx']} → granian ×2 (1 worker × 16 threads) "
                    f"→ PostgreSQL :{topo.ports['primary']} (+ replica :{topo.ports['replica']}), "
                    f"Redis; round {rnd.name} on {rnd.place.name}")
    batch_figures(ctx, topo, rnd, user, raw)
    scan_figures(ctx, topo, rnd, user, raw)
    pgbouncer_figures(ctx, topo, rnd, user, raw)
    read_figures(ctx, topo, rnd)


def _headers(raw):
    return {"Authorization": f"Bearer {raw}", "Content-Type": "application/json",
            "Connection": "keep-alive"}


def batch_figures(ctx, topo, rnd, user, raw):
    cfg, report = ctx.cfg, ctx.report
    port = topo.ports["nginx"]
    stations = 4
    path = f"/api/v1/screening/rounds/{rnd.id}/sync"
    rates, copy_rates, cpu, failures = [], [], [], 0
    n = 0
    for rep in range(cfg.repeat + 1):  # the first warms the app servers up
        people = _free_people(rnd, cfg.scaled(20_000, 1_000))
        n = len(people)
        copy_s = _copy_baseline(rnd, user, people)
        share = (n + stations - 1) // stations
        queues = [_station_bodies(people[k * share:(k + 1) * share], f"N{rep}T{k}X{uuid.uuid4().hex[:4]}")
                  for k in range(stations)]
        failed = [0] * stations

        def send(k, queues=queues, failed=failed):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for body in queues[k]:
                conn.request("POST", path, body=body, headers=_headers(raw))
                resp = conn.getresponse()
                resp.read()
                failed[k] += resp.status != 200
            conn.close()

        threads = [threading.Thread(target=send, args=(k,), daemon=True) for k in range(stations)]
        c0 = (app_cpu(topo), db_cpu(topo))
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
        took = time.perf_counter() - t
        c1 = (app_cpu(topo), db_cpu(topo))
        got = Sample.objects.filter(round=rnd, resident_id__in=[p[0] for p in people]).count()
        _cleanup(rnd, user)
        if sum(failed) or got != n:
            failures += 1
            report.note(f"topology.batch repeat {rep}: {sum(failed)} requests failed, {got:,} of {n:,} registered")
        if rep:
            requests = sum(len(q) for q in queues)
            rates.append(n / took)
            copy_rates.append(n / copy_s)
            cpu.append(((c1[0] - c0[0]) / requests * 1000, (c1[1] - c0[1]) / requests * 1000))
    report.add(figure("topology.batch.http", rates, "rows/s", compare=copy_rates, compare_name="raw COPY",
                      ratio_label="COPY ÷ API: API is this many times slower (target ≤ 2)",
                      extra={"failed_repeats": failures},
                      note=f"{n:,} people + {n // 10:,} tubes from {stations} stations through nginx, "
                           f"500 events a request; CPU a request: app servers "
                           f"{_median([c[0] for c in cpu]):.0f} ms, PostgreSQL {_median([c[1] for c in cpu]):.0f} ms"))


def _scan_load(ctx, topo, rnd, user, raw, rate, duration, tag):
    people = _free_people(rnd, int(rate * duration * 1.2) + 50)
    tubes = []
    for k in range(0, len(people), 50):
        code = f"{tag}Y{k // 50:06d}"
        station.open_tube(Actor.system(user), rnd, code, capacity=50)
        tubes.append(code)
    reqs = [json.dumps({"client_id": str(uuid.uuid4()), "barcode": tubes[i // 50], "person": "FK1:" + p[1]})
            for i, p in enumerate(people)]
    c0 = (app_cpu(topo), db_cpu(topo), pooler_cpu())
    res = paced(topo.ports["nginx"], f"/api/v1/screening/rounds/{rnd.id}/scan", reqs, _headers(raw),
                rate, duration, threads=ctx.cfg.threads * 2)
    done = max(1, res["ok"])  # per scan registered (the 503s cost a little, counted in)
    res["cpu_ms"] = ((app_cpu(topo) - c0[0]) / done * 1000, (db_cpu(topo) - c0[1]) / done * 1000,
                     (pooler_cpu() - c0[2]) / done * 1000)
    _cleanup(rnd, user)
    return res


def scan_figures(ctx, topo, rnd, user, raw):
    cfg, report = ctx.cfg, ctx.report
    rates = [20, 40] if cfg.tiny else [100, 200, 300, 500, 700]
    duration = cfg.duration if cfg.tiny else 5.0
    _scan_load(ctx, topo, rnd, user, raw, rates[0], min(2.0, duration), "W")  # warm-up
    steps = []
    for i, rate in enumerate(rates):
        res = _scan_load(ctx, topo, rnd, user, raw, rate, duration, f"R{i}{uuid.uuid4().hex[:4]}")
        steps.append((rate, res))
        report.add(figure(f"topology.scan.p99_at_{rate}", [res["p99"]], "ms", scale=1000,
                          note=f"{res['rps']:.0f} req/s answered, p50 {res['p50'] * 1000:.1f} ms; CPU a scan: "
                               f"app {res['cpu_ms'][0]:.2f} ms, PostgreSQL {res['cpu_ms'][1]:.2f} ms"
                               + (f"; failed: {res['errors']}" if res["errors"] else "")
                               + ("; target < 20 ms" if rate == 500 else "")))
    good = [rate for rate, res in steps if res["p99"] < 0.050 and not res["errors"]
            and res["rps"] >= 0.9 * rate]
    report.add(figure("topology.scan.max_rate_p99_under_50ms", [max(good) if good else 0], "req/s",
                      note=f"highest of the rates tried ({', '.join(map(str, rates))}) answered in full "
                           f"with p99 < 50 ms, {duration:g} s each"))
    report.add(figure("topology.scan.cpu_app", [_median([r["cpu_ms"][0] for _, r in steps])], "ms",
                      note="CPU a registered scan in the two app servers (median over the rates)"))
    report.add(figure("topology.scan.cpu_db", [_median([r["cpu_ms"][1] for _, r in steps])], "ms",
                      note="CPU a scan in the topology's PostgreSQL (backends of the primary)"))


def pgbouncer_figures(ctx, topo, rnd, user, raw):
    cfg, report = ctx.cfg, ctx.report
    rate = 20 if cfg.tiny else 150  # a rate this shared machine sustains: latency, not queueing
    duration = cfg.duration if cfg.tiny else 6.0
    out = {}
    for mode in ("direct", "pgbouncer", "direct-again"):
        want = mode == "pgbouncer"
        if topo.pgbouncer != want:
            topo.pgbouncer = want
            topo.save()
            for app in ("app1", "app2"):
                topo.stop_one(app)
                topo.start_app(app)
        _scan_load(ctx, topo, rnd, user, raw, rate, min(2.0, duration), f"PW{uuid.uuid4().hex[:4]}")
        out[mode] = _scan_load(ctx, topo, rnd, user, raw, rate, duration, f"P{uuid.uuid4().hex[:4]}")
    direct = [out["direct"], out["direct-again"]]
    pooled = out["pgbouncer"]
    report.add(figure("topology.pgbouncer.p99", [pooled["p99"]], "ms", scale=1000,
                      compare=[r["p99"] for r in direct], compare_name="direct",
                      ratio_label="direct ÷ pgbouncer (below 1: the pooler is slower)",
                      note=f"scans paced at {rate} req/s for {duration:g} s; p50 pgbouncer "
                           f"{pooled['p50'] * 1000:.1f} ms vs direct {_median([r['p50'] for r in direct]) * 1000:.1f} ms; "
                           f"CPU a scan through pgbouncer: app {pooled['cpu_ms'][0]:.2f} ms, PostgreSQL "
                           f"{pooled['cpu_ms'][1]:.2f} ms, pgbouncer {pooled['cpu_ms'][2]:.2f} ms; direct: app "
                           f"{_median([r['cpu_ms'][0] for r in direct]):.2f} ms, PostgreSQL "
                           f"{_median([r['cpu_ms'][1] for r in direct]):.2f} ms"
                           + (f"; failed: {pooled['errors']}" if pooled["errors"] else "")))


def read_figures(ctx, topo, rnd):
    """What the reads cost that dominate a round (docs/scaling.md): the live part of the
    round page that every watching phone polls (htmx, one community of the city: its
    figures come from the replica) and a household's results page, as a community staff
    member, closed loop from 4 clients through nginx. CPU a request: app servers, primary,
    replica."""
    from fangkong.registry.models import Household

    from .page import load, session_cookie

    cfg, report = ctx.cfg, ctx.report
    community = ctx.city.community
    user = bench_user(f"bench_staff_{community.id}", "staff", community)
    headers = {"Cookie": session_cookie(user), "Accept-Language": "zh-hans", "Connection": "keep-alive"}
    households = list(Household.objects.filter(community_id=community.id).order_by("id")
                      .values_list("id", flat=True)[:200])
    targets = [("live", [f"/screening/rounds/{rnd.id}/?place={community.id}"], {**headers, "HX-Request": "true"}),
               ("household", [f"/screening/households/{h}/" for h in households], headers)]
    duration = cfg.duration if cfg.tiny else 5.0
    for label, paths, hdrs in targets:
        load(topo.ports["nginx"], paths, hdrs, 4, min(1.0, duration))  # warm-up
        c0 = (app_cpu(topo), db_cpu(topo), db_cpu(topo, "replica"))
        res = load(topo.ports["nginx"], paths, hdrs, 4, duration)
        n = max(1, res["ok"])
        cpu = [(app_cpu(topo) - c0[0]) / n * 1000, (db_cpu(topo) - c0[1]) / n * 1000,
               (db_cpu(topo, "replica") - c0[2]) / n * 1000]
        report.add(figure(f"topology.read.{label}.cpu", [cpu[0] + cpu[1] + cpu[2]], "ms",
                          extra={"errors": res["errors"]},
                          note=f"CPU a request: app {cpu[0]:.1f} ms, primary {cpu[1]:.1f} ms, replica "
                               f"{cpu[2]:.1f} ms; {res['rps']:.0f} req/s from 4 clients, p50 "
                               f"{res['p50'] * 1000:.0f} ms, p99 {res['p99'] * 1000:.0f} ms; "
                               f"{community.name} ({community.id})"
                               + (f"; failed: {res['errors']}" if res["errors"] else "")))
