"""The fault run: the real server and worker under load, SIGKILLed at random moments.

A database of its own (PostgreSQL: `<name>_fault` next to DATABASE_URL's; SQLite: a
file), migrated and filled by tests/fault/world.py. Then granian (WSGI, as bench/ serves)
and `manage.py db_worker` start, and clients work as the real ones do: stations send
their queued scans in batches (retrying the same batch, same client ids, until answered),
volunteers answer calls (retrying until answered), staff import rosters (a small one
inline, a big one in the worker) and publish calls (notifications to send). Meanwhile a
killer SIGKILLs the server's process group or the worker — some kills aimed at the
moment a big import is reading or writing — and restarts it. Then the clients finish,
the harness waits for the background work to settle, and world.py checks that every
acknowledged record exists exactly once, counters agree with rows, and nothing is left
running.
"""

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.page import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable
WORLD = Path(__file__).resolve().parent / "world.py"


@dataclass
class Plan:
    chaos_seconds: float  # how long the killer works
    stations: int  # station clients (samplers)
    people: int  # people each station registers (tubes of 10)
    batch: int  # events a request
    calls: int  # calls the volunteers answer
    slots: int
    small_rows: int  # an inline import (in the request)
    big_rows: int  # an import run by the worker
    kills: list[str]  # "server", "worker", "worker@reading", "worker@writing", in order
    gap: tuple[float, float] = (2.0, 5.0)  # seconds between kills
    server_workers: int = 2
    settle_seconds: float = 90.0
    seed: int = 1
    log: list = field(default_factory=list)


def fault_database(url: str, workdir: Path) -> str:
    """A fresh database for the run: `<name>_fault` on the same PostgreSQL, or a file."""
    if not url.startswith("postgres"):
        return f"sqlite:///{workdir / 'fault.sqlite3'}"
    import psycopg

    base, _, name = url.rpartition("/")
    name = name.split("?")[0] + "_fault"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


class Proc:
    """A server or worker that can be SIGKILLed (its whole process group) and restarted."""

    def __init__(self, name, cmd, env, log_path):
        self.name, self.cmd, self.env, self.log_path = name, cmd, env, log_path
        self.proc = None
        self.starts = 0

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                self.kill()
                return
        if self.proc:
            self.log.close()

    def tail(self, n=3000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""


class Api:
    """A client connection that retries like the station does: the same request again
    until the server answers (connection refused or reset while it is down)."""

    def __init__(self, port, token, stop_retrying: threading.Event):
        self.port, self.token, self.stop = port, token, stop_retrying
        self.conn = None
        self.retries = 0

    def call(self, method, path, body=None, content_type="application/json", retry=True,
             deadline=180.0, retry_500=True):
        headers = {"Authorization": f"Bearer {self.token}", "Accept-Language": "en"}
        if body is not None:
            headers["Content-Type"] = content_type
        give_up = time.monotonic() + deadline
        while True:
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.status >= 500 and (retry_500 or resp.status != 500):
                    raise ConnectionError(f"HTTP {resp.status}")  # as the station: again
                return resp.status, (json.loads(data) if data else None)
            except (OSError, http.client.HTTPException, ConnectionError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if not retry or time.monotonic() > give_up:
                    raise
                self.retries += 1
                time.sleep(0.2 + random.random() * 0.3)


def multipart(fields: dict, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                     .encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                 + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def roster_bytes(rows: int, first: int | None = None) -> bytes:
    """An .xlsx roster of `rows` generated people (the first `first` of them, if given)."""
    import io

    import openpyxl

    from fangkong.demo import roster as demo

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(demo.ROSTER_HEADER)
    for n, row in enumerate(demo.roster(rows, seed=7)):
        if first is not None and n >= first:
            break
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def world(env, what, arg=None) -> dict:
    out = subprocess.run([PYTHON, str(WORLD), what], cwd=ROOT, env=env, capture_output=True,
                         text=True, input=json.dumps(arg or {}), timeout=600)
    if out.returncode:
        raise RuntimeError(f"world.py {what} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(plan: Plan, database_url: str, workdir: Path) -> dict:
    random.seed(plan.seed)
    workdir.mkdir(parents=True, exist_ok=True)
    url = fault_database(database_url, workdir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({
        "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "fangkong.settings",
        "FANGKONG_VAR_DIR": str(workdir / "var"),
        "FANGKONG_SECRETS_FILE": str(workdir / "secrets.json"),
        "DEBUG": "0", "LOG_LEVEL": "WARNING", "NOTIFY_LOG_LEVEL": "WARNING", "CONN_MAX_AGE": "60",
        "FANGKONG_WORKER_BEAT_SECONDS": "1", "FANGKONG_RECOVER_SECONDS": "1",
        "FANGKONG_WORKER_LEASE_SECONDS": "10", "FANGKONG_NOTIFY_LEASE_SECONDS": "5",
        "FANGKONG_IMPORT_INLINE_ROWS": str(plan.small_rows),
        "FANGKONG_JOB_MAX_ATTEMPTS": str(len(plan.kills) + 2),
    })
    t0 = time.monotonic()
    migrate(url, env)
    built = world(env, "build", {"stations": plan.stations, "people": plan.people,
                                 "calls": plan.calls,
                                 "slots": plan.slots})
    setup_s = time.monotonic() - t0
    port = free_port()
    granian = shutil.which("granian", path=os.path.dirname(PYTHON)) or shutil.which("granian")
    server = Proc("server", [granian, "--interface", "wsgi", "--blocking-threads", "4",
                             "--workers", str(plan.server_workers), "--host", "127.0.0.1",
                             "--port", str(port), "--no-ws", "--log-level", "warning",
                             "fangkong.wsgi:application"], env, workdir / "server.log")
    worker = Proc("worker", [PYTHON, "manage.py", "db_worker", "--interval", "0.2",
                             "--no-startup-delay", "--no-reload", "-v", "0"],
                  env, workdir / "worker.log")
    report = {"setup_seconds": round(setup_s, 1), "kills": [], "database": url.split(":")[0]}
    seen = {"round": built["round"], "registered": [], "conflicts": [], "people": [],
            "calls": built["calls"], "answers": [], "imports": [], "import_place": built["import_place"],
            "roster_sizes": [plan.small_rows, plan.big_rows]}
    lock = threading.Lock()
    chaos_over = threading.Event()
    errors = []
    big_job = {"id": None}
    server.start()
    worker.start()
    try:
        _wait_ready(port, built, server)
        threads = _clients(plan, port, built, seen, lock, chaos_over, errors, big_job)
        t1 = time.monotonic()
        for th in threads:
            th.start()
        _killer(plan, url, server, worker, big_job, report)
        chaos_over.set()
        for th in threads:
            th.join(timeout=240)
        report["clients_seconds"] = round(time.monotonic() - t1, 1)
        if any(th.is_alive() for th in threads):
            errors.append("a client did not finish")
        settled = _settle(env, plan.settle_seconds)
        report["settle_seconds"] = settled
    finally:
        server.stop()
        worker.stop()
    result = world(env, "check", seen)
    report.update(result["figures"])
    report["problems"] = errors + result["problems"]
    report["starts"] = {"server": server.starts, "worker": worker.starts}
    report["total_seconds"] = round(time.monotonic() - t0, 1)
    if report["problems"]:  # the database stays for a look; the next run replaces it
        report["server_log"] = server.tail()
        report["worker_log"] = worker.tail()
    else:
        drop_database(url)
    return report


def migrate(url: str, env: dict):
    """`manage.py migrate` on the fault database. On SQLite the migrated empty file is kept
    (var/test-cache/, named by a hash of every migration file and Django's version) and
    copied for the next run: the same file a fresh migrate makes, without its ~20 s of CPU
    (Django re-renders the model states of 70 migrations; tests/test_setup.py still migrates
    a fresh database every run)."""
    if not url.startswith("sqlite"):
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True,
                       timeout=600)
        return
    import hashlib

    import django

    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(ROOT.glob("fangkong/*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    template = ROOT / "var" / "test-cache" / f"migrated-{digest.hexdigest()[:16]}.sqlite3"
    target = Path(url.removeprefix("sqlite:///"))
    if template.exists():
        shutil.copyfile(template, target)
        return
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True,
                   timeout=600)
    template.parent.mkdir(parents=True, exist_ok=True)
    partial = template.with_suffix(f".{os.getpid()}.part")
    shutil.copyfile(target, partial)
    os.replace(partial, template)  # whole or absent, whoever writes it


def drop_database(url: str):
    if url.startswith("postgres"):
        import psycopg

        base, _, name = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_ready(port, built, server, timeout=60):
    api = Api(port, built["staff"], threading.Event())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"the server exited: {server.tail()}")
        try:
            status, _ = api.call("GET", f"/api/v1/screening/rounds/{built['round']}", retry=False)
            if status == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
    raise RuntimeError("the server did not answer")


def _station_bodies(people, prefix, batch):
    events, scans = [], set()
    for k in range(0, len(people), 10):
        code = f"{prefix}{k // 10:05d}"
        events.append({"client_id": str(uuid.uuid4()), "type": "open", "barcode": code})
        for p in people[k:k + 10]:
            cid = str(uuid.uuid4())
            scans.add(cid)
            events.append({"client_id": cid, "type": "scan", "barcode": code, "person": p})
    return [json.dumps({"events": events[i:i + batch]}) for i in range(0, len(events), batch)], scans


def _clients(plan, port, built, seen, lock, chaos_over, errors, big_job):
    def guard(fn):
        def run(*a):
            try:
                fn(*a)
            except Exception as e:  # noqa: BLE001 - reported as a problem of the run
                with lock:
                    errors.append(f"{fn.__name__}: {type(e).__name__}: {e}")
        return run

    @guard
    def station(k):
        s = built["stations"][k]
        api = Api(port, s["token"], chaos_over)
        bodies, scans = _station_bodies(s["people"], f"F{k}T", plan.batch)
        with lock:
            seen["people"] += s["people"]
        for body in bodies:
            status, answer = api.call("POST", f"/api/v1/screening/rounds/{built['round']}/sync", body)
            if status != 200:
                raise RuntimeError(f"sync answered {status}: {answer}")
            with lock:
                for r in answer["results"]:
                    if r["client_id"] in scans:
                        (seen["registered"] if r["status"] == "ok" else seen["conflicts"]).append(
                            r["client_id"])
            time.sleep(random.random() * 0.3)

    @guard
    def volunteers(share):
        for tok in share:
            api = Api(port, tok, chaos_over)
            for call_id in built["calls"]:
                status, answer = api.call("POST", f"/api/v1/volunteers/calls/{call_id}/signup", b"")
                if status == 200:
                    with lock:
                        seen["answers"].append((call_id, answer["volunteer"]))
                time.sleep(random.random() * 0.2)

    @guard
    def imports():
        api = Api(port, built["staff"], chaos_over)
        small = roster_bytes(plan.big_rows, first=plan.small_rows)
        big = roster_bytes(plan.big_rows)
        for name, content in (("small.xlsx", small), ("big.xlsx", big)):
            body, ctype = multipart({"place": built["import_place"]}, name, content)
            # a 500 here is an import that failed (with its job): an answer, not retried
            status, answer = api.call("POST", "/api/v1/imports", body, ctype, deadline=300,
                                      retry_500=False)
            job = answer.get("id") or (answer.get("error") or {}).get("job")
            if not job:
                raise RuntimeError(f"import answered {status}: {answer}")
            with lock:
                seen["imports"].append(job)
            if name == "big.xlsx":
                big_job["id"] = job
            confirm(api, job)

    def confirm(api, job):
        """An import writes once confirmed: wait until it is checked, then confirm it (a
        retried confirmation writes once)."""
        give_up = time.monotonic() + 300
        while time.monotonic() < give_up:
            _status, answer = api.call("GET", f"/api/v1/imports/{job}", deadline=300)
            state = (answer or {}).get("status")
            if state == "checked":
                api.call("POST", f"/api/v1/imports/{job}/confirm", b"",
                         "application/x-www-form-urlencoded", deadline=300, retry_500=False)
                return
            if state in ("done", "failed", "rejected", "discarded"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"import {job} was never checked")

    @guard
    def publisher():
        api = Api(port, built["staff"], chaos_over)
        k = 0
        while not chaos_over.is_set():
            k += 1
            at = time.strftime("%Y-%m-%dT08:00:00+08:00", time.localtime(time.time() + 86400 * (30 + k)))
            end = at.replace("T08:", "T11:")
            body = json.dumps({"community": built["community"], "task": "delivery",
                               "title": f"送菜 {k}", "place": built["community"],
                               "starts_at": at, "ends_at": end, "slots": 3})
            try:  # not idempotent (no client id): never retried, it only makes messages
                api.call("POST", "/api/v1/volunteers/calls", body, retry=False)
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(1.5 + random.random())

    tokens = built["volunteers"]
    threads = [threading.Thread(target=station, args=(k,), daemon=True)
               for k in range(plan.stations)]
    threads += [threading.Thread(target=volunteers, args=(tokens[k::2],), daemon=True)
                for k in range(2)]
    threads += [threading.Thread(target=imports, daemon=True),
                threading.Thread(target=publisher, daemon=True)]
    return threads


def job_status(url: str, job_id) -> str:
    """The import job's status read straight from the database (not through the server,
    whose threads may be waiting on the same locks as the import)."""
    if not job_id:
        return ""
    sql = "SELECT status FROM registry_importjob WHERE id = %s"
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(sql, [job_id]).fetchone()
    else:
        import sqlite3

        conn = sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True,
                               timeout=5)
        try:
            row = conn.execute(sql.replace("%s", "?"), [job_id]).fetchone()
        finally:
            conn.close()
    return row[0] if row else ""


def _killer(plan, url, server, worker, big_job, report):
    end = time.monotonic() + plan.chaos_seconds
    for what in plan.kills:
        time.sleep(random.uniform(*plan.gap))
        target = server if what == "server" else worker
        if "@" in what:  # wait for the big import to be in this state
            state = what.split("@")[1]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                st = job_status(url, big_job["id"])
                if st == state:
                    break
                if st in ("done", "failed", "rejected"):
                    deadline = 0
                time.sleep(0.02)
            if time.monotonic() >= deadline:
                report["kills"].append(f"{what}: the import was not seen {state}")
        at = time.monotonic()
        target.kill()
        time.sleep(random.uniform(0.3, 1.5))
        target.start()
        report["kills"].append(f"{what} at {at - end + plan.chaos_seconds:.1f} s")
    while time.monotonic() < end:
        time.sleep(0.2)


def _settle(env, timeout) -> float:
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        s = world(env, "state")
        if not s["tasks"]["RUNNING"] and not s["imports"] and not s["messages"] and not (
                s["tasks"]["READY"]):
            return round(time.monotonic() - t, 1)
        time.sleep(1)
    return round(time.monotonic() - t, 1)
