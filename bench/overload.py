"""(h) overload: many clients searching at once, queued (as before) against shed (now).

Serves the project with granian (WSGI, 2 workers) on 127.0.0.1 and a free port, twice:

- `queued`: 4 blocking threads a worker and no admission limit — what the project did
  before core/shedding.py: every request waits in the server's queue, however long;
- `shed`: 16 blocking threads a worker and the settings' defaults (FANGKONG_MAX_ACTIVE,
  FANGKONG_MAX_WAITING, FANGKONG_ADMIT_WAIT): past capacity a request gets 503 with
  Retry-After at once.

Each time, CLIENTS threads (200; tiny 20) with one keep-alive connection each load
`/search/?q=…&place=<district>` (the live-search fragment over the largest subtree, as a
district commander) for the configured duration, with a 10 s client timeout as a phone's
browser would have. The per-user search limit is switched off (every client is the same
bench user). Figures: answered (200) p50 and p99, the p99 of every answer (503s
included), how many 503s and client timeouts, and how long after the load stops the server
answers a search again (it must recover by itself). The load generator shares the two
cores with the server and the database.
"""

import http.client
import time
from collections import Counter
from urllib.parse import quote

from django.urls import reverse

from .common import bench_user
from .harness import figure, manage
from .page import Server, free_port, load, server_command, session_cookie
from .search import sample_queries

TIMEOUT = 10.0
MODES = {
    # name: (granian blocking threads per worker, environment for the server)
    "queued": (4, {"FANGKONG_MAX_ACTIVE": "100000", "FANGKONG_MAX_WAITING": "100000"}),
    "shed": (16, {}),
}


def recovery(port, path, headers, limit=30.0) -> float:
    """Seconds until a search answers 200 again after the load stops."""
    t = time.perf_counter()
    while time.perf_counter() - t < limit:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            conn.request("GET", path, headers=headers)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return time.perf_counter() - t
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.05)
    return limit


def run(ctx):
    cfg, report, city = ctx.cfg, ctx.report, ctx.city
    clients = 20 if cfg.tiny else 200
    port = free_port()
    server = server_command(port)
    if server is None or server[0] != "granian":
        report.note("overload: skipped, granian is not installed (pip install -e '.[serve]')")
        return
    manage("collectstatic", interactive=False, verbosity=0)
    place = city.district
    user = bench_user(f"bench_command_{place.id}", "command", place)
    headers = {"Cookie": session_cookie(user), "Accept-Language": "zh-hans",
               "Connection": "keep-alive", "HX-Request": "true"}
    qs = [q for items in sample_queries(city.community, 40, seed=1).values() for q, _ in items]
    search = reverse("search")
    paths = [f"{search}?q={quote(q)}&place={place.id}" for q in qs]
    from fangkong.registry.models import Resident

    size = Resident.objects.filter(district_id=place.id).count()
    report.note(f"overload: {clients} clients × {cfg.duration:g} s × {cfg.repeat} repeats "
                f"searching {place.name} ({size:,} residents) as its commander, "
                f"{len(paths)} queries, {TIMEOUT:g} s client timeout; granian 2 workers")
    for mode, (threads, extra) in MODES.items():
        name, cmd = server_command(port)
        cmd[cmd.index("--blocking-threads") + 1] = str(threads)
        env = {**ctx.env, **extra, "FANGKONG_RATE_SEARCH": ""}
        with Server(name, cmd, port, env, cfg.workdir / f"server-overload-{mode}.log") as srv:
            srv.wait_ready(paths[0], headers)
            load(port, paths, headers, clients, min(2.0, cfg.duration / 2), TIMEOUT)  # warm up
            runs, recovered = [], []
            for _ in range(cfg.repeat):
                runs.append(load(port, paths, headers, clients, cfg.duration, TIMEOUT))
                recovered.append(recovery(port, paths[0], headers))
        statuses = sum((Counter(r["errors"]) for r in runs), Counter())
        statuses["HTTP 200"] = sum(r["ok"] for r in runs)
        note = (f"{threads} threads/worker; answers: "
                + ", ".join(f"{n:,} × {s}" for s, n in sorted(statuses.items())))
        report.add(figure(f"overload.{mode}.p99", [r["p99"] for r in runs], "ms", scale=1000,
                          note=note, extra={"statuses": dict(statuses)}))
        report.add(figure(f"overload.{mode}.p50", [r["p50"] for r in runs], "ms", scale=1000))
        report.add(figure(f"overload.{mode}.p99_all", [r["p99_all"] for r in runs], "ms",
                          scale=1000, note="every answer, 503s included"))
        report.add(figure(f"overload.{mode}.rps", [r["rps"] for r in runs], "req/s",
                          note="searches answered 200"))
        report.add(figure(f"overload.{mode}.shed", [r["errors"].get("HTTP 503", 0) for r in runs],
                          "503s"))
        report.add(figure(f"overload.{mode}.timeouts",
                          [r["errors"].get("TimeoutError", 0) for r in runs], "reqs",
                          note=f"client gave up after {TIMEOUT:g} s"))
        report.add(figure(f"overload.{mode}.recovery", recovered, "s", scale=1,
                          note="after the load stops, until a search answers 200"))
