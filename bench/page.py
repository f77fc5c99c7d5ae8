"""(d) page: HTTP requests per second and latency of two pages of one community.

Serves the project with granian (WSGI, 2 workers × 4 blocking threads; gunicorn with 2
sync workers if granian is missing) on 127.0.0.1 and a random free port, logs a staff
member of the community in (a session made directly in the database), and loads
`/places/<community>/` and `/search/?q=…&place=<community>` (the live-search fragment,
as htmx asks for it) from a Python load generator: a fixed number of threads, each with
one keep-alive connection, for a fixed time (≤ 15 s). The load generator shares the
machine's cores with the server: figures are a floor, comparable run to run.
"""

import http.client
import importlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from importlib import util
from urllib.parse import quote

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .common import bench_user
from .harness import PYTHON, ROOT, figure, manage, percentile
from .search import sample_queries


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(port: int) -> tuple[str, list[str]] | None:
    bindir = os.path.dirname(PYTHON)
    if util.find_spec("granian"):
        exe = os.path.join(bindir, "granian")
        return "granian", [exe if os.path.exists(exe) else shutil.which("granian") or exe,
                           "--interface", "wsgi", "--blocking-threads", "4", "--workers", "2",
                           "--host", "127.0.0.1", "--port", str(port), "--no-ws",
                           "--log-level", "warning", "fangkong.wsgi:application"]
    if util.find_spec("gunicorn"):
        return "gunicorn", [PYTHON, "-m", "gunicorn", "--workers", "2", "--bind",
                            f"127.0.0.1:{port}", "--log-level", "warning",
                            "fangkong.wsgi:application"]
    return None


class Server:
    def __init__(self, name, cmd, port, env, log_path):
        self.name, self.cmd, self.port, self.env = name, cmd, port, env
        self.log_path = log_path
        self.proc = None

    def __enter__(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env={**os.environ, **self.env},
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def wait_ready(self, path, headers, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self._log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", path, headers=headers)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
                raise RuntimeError(f"{path} answered {status}: {self._log_tail()}")
            except (ConnectionError, OSError):
                time.sleep(0.25)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server's processes (its process
        group: granian's main process and its workers). Linux /proc only; 0 elsewhere."""
        return proc_cpu(lambda stat: stat[4] == str(self.proc.pid))

    def _log_tail(self):
        self.log.flush()
        try:
            return open(self.log_path, "rb").read()[-800:].decode(errors="replace")
        except OSError:
            return ""

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the server and its workers only
                self.proc.wait(timeout=15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self.log.close()
        return False


def proc_cpu(select) -> float:
    """CPU seconds (user + system) of the running processes whose /proc/<pid>/stat fields
    (after the command name) `select` accepts; 0 where /proc is missing."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        pids = [d for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = [pid, name, *raw[raw.rindex(")") + 2:].split()]  # fields[2] = state, [4] = pgrp
        if select(fields):
            total += int(fields[13]) + int(fields[14])
    return total / tick


def postgres_cpu() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (backends included)."""
    return proc_cpu(lambda stat: stat[1] == "postgres" or stat[1].startswith("postgres:"))


def load(port: int, paths: list[str], headers: dict, threads: int, duration: float,
         timeout: float = 10.0) -> dict:
    """Requests from `threads` keep-alive connections for `duration` seconds. Latencies of
    the 200s (p50, p99) and of every answer (p99_all); other answers and failures counted
    by kind in `errors` ("HTTP 503", "TimeoutError"…). A 503 makes that client wait a
    little (a quarter of its Retry-After, at most 0.5 s) before asking again, as the
    station does."""
    stop_at = time.monotonic() + duration
    results = [None] * threads

    def worker(k):
        lat, every, errors, i = [], [], Counter(), k
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        while time.monotonic() < stop_at:
            path = paths[i % len(paths)]
            i += threads
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                every.append(time.perf_counter() - t)
                if resp.status == 200:
                    lat.append(every[-1])
                else:
                    errors[f"HTTP {resp.status}"] += 1
                    if resp.status == 503:
                        time.sleep(min(0.5, float(resp.getheader("Retry-After") or 1) / 4))
            except (OSError, http.client.HTTPException) as e:
                errors[type(e).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.close()
        results[k] = (lat, every, errors)

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=duration + timeout + 5)
    elapsed = time.monotonic() - started
    lat = [x for r in results if r for x in r[0]]
    every = [x for r in results if r for x in r[1]]
    errors = sum((r[2] for r in results if r), Counter())
    return {"rps": len(lat) / elapsed, "p50": percentile(lat, 50), "p99": percentile(lat, 99),
            "p99_all": percentile(every, 99), "ok": len(lat), "errors": dict(errors),
            "elapsed": elapsed}


def session_cookie(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def run(ctx):
    cfg, report, city = ctx.cfg, ctx.report, ctx.city
    try:
        place_path = reverse("place", args=[city.community.id])
        search_path = reverse("search")
    except NoReverseMatch:
        report.note("page: skipped, the pages /places/<id>/ and /search/ do not exist yet")
        return
    port = free_port()
    server = server_command(port)
    if server is None:
        report.note("page: skipped, neither granian nor gunicorn is installed "
                    "(pip install -e '.[serve]')")
        return
    name, cmd = server
    manage("collectstatic", interactive=False, verbosity=0)  # the manifest the pages' {% static %} need
    user = bench_user(f"bench_staff_{city.community.id}", "staff", city.community)
    headers = {"Cookie": session_cookie(user), "Accept-Language": "zh-hans",
               "Connection": "keep-alive"}
    qs = [q for items in sample_queries(city.community, 40, seed=1).values() for q, _ in items]
    search_paths = [f"{search_path}?q={quote(q)}&place={city.community.id}" for q in qs]
    targets = [("place", [place_path], headers),
               ("search", search_paths, {**headers, "HX-Request": "true"})]
    report.note(f"page: {name} on 127.0.0.1:{port}, {cfg.threads} client threads × "
                f"{cfg.duration:g} s × {cfg.repeat} repeats; {place_path} and "
                f"{search_path}?q=…&place={city.community.id} ({len(search_paths)} queries)")
    log_path = cfg.workdir / "server.log"
    with Server(name, cmd, port, ctx.env, log_path) as srv:
        srv.wait_ready(place_path, headers)
        for label, paths, hdrs in targets:
            load(port, paths, hdrs, cfg.threads, min(2.0, cfg.duration / 2))  # warm up
            runs = [load(port, paths, hdrs, cfg.threads, cfg.duration) for _ in range(cfg.repeat)]
            errors = sum((Counter(r["errors"]) for r in runs), Counter())
            note = f"{sum(r['ok'] for r in runs):,} requests answered 200" + (
                ", failed: " + ", ".join(f"{n} {e}" for e, n in errors.items()) if errors else "")
            report.add(figure(f"page.{label}.rps", [r["rps"] for r in runs], "req/s", note=note,
                              extra={"errors": dict(errors)}))
            report.add(figure(f"page.{label}.p50", [r["p50"] for r in runs], "ms", scale=1000))
            report.add(figure(f"page.{label}.p99", [r["p99"] for r in runs], "ms", scale=1000))
