"""The production topology, started for real with deploy/local-topology (nginx, two
granian app servers, PostgreSQL primary + streaming replica, pgbouncer, Redis, the worker),
on its own ports and in its own directory, with a tiny world:

- health and readiness answer through nginx (the replica reported in use);
- a station keeps scanning through nginx while one app server is SIGKILLed and started
  again: every scan is acknowledged after at most the station's own retry, and each
  person is registered exactly once;
- the replica serves the coverage report (with the replica's replay paused, the report
  still shows the figure from before the last scan; resumed, it catches up);
- tasks queued while the worker is dead are all done after it is started again;
- `bench/run topology replay partition mixed --tiny` runs end to end on this same topology
  (started once for the module: the benchmarks take it as they find it);
- stop leaves nothing running.

Skipped (saying why) where nginx, pgbouncer, Redis or PostgreSQL's server programs are not
installed, or the project's .venv has no granian. Takes a few minutes.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "local-topology"
VENV_PY = ROOT / ".venv" / "bin" / "python"
N_PEOPLE = 40


def _load_module():
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("fk_local_topology_test", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def _free_base() -> int:
    for base in range(18400 + (os.getpid() % 20) * 20, 19000, 20):
        ok = True
        for off in range(14):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", base + off))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    pytest.skip("no free block of 14 ports between 18400 and 19000")


class Topo:
    def __init__(self, directory: Path, base: int):
        self.dir, self.base = directory, base
        self.env = {**os.environ, "FANGKONG_TOPOLOGY_DIR": str(directory),
                    "FANGKONG_TOPOLOGY_PORT": str(base),
                    # the replica may lag while its replay is paused; checked on every read
                    "FANGKONG_REPLICA_MAX_LAG": "600", "FANGKONG_REPLICA_CHECK_SECONDS": "0"}
        for k in ("DATABASE_URL", "FANGKONG_ENV", "FANGKONG_SECRETS_FILE", "FANGKONG_VAR_DIR",
                  "DJANGO_SETTINGS_MODULE", "REDIS_URL", "DATABASE_REPLICA_URL"):
            self.env.pop(k, None)
        self.url = f"http://127.0.0.1:{base}"

    def cmd(self, *args, timeout=240, check=True):
        out = subprocess.run([sys.executable, str(SCRIPT), *args], env=self.env, capture_output=True,
                             text=True, timeout=timeout)
        if check and out.returncode:
            raise AssertionError(f"local-topology {' '.join(args)}: {out.stdout[-2000:]}{out.stderr[-2000:]}")
        return out

    def app_env(self) -> dict:
        env = dict(self.env)
        for line in self.cmd("env").stdout.splitlines():
            k, _, v = line.partition("=")
            env[k] = v
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{self.base + 10}/fangkong"
        env.pop("DATABASE_REPLICA_URL", None)
        env.pop("DATABASE_POOL_MODE", None)
        env["DJANGO_SETTINGS_MODULE"] = "fangkong.settings"
        return env

    def scene(self, *args) -> dict:
        out = subprocess.run([str(VENV_PY), "-m", "tests.deploy.scene", *args], cwd=ROOT,
                             env=self.app_env(), capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    def sql(self, which, query):
        import psycopg

        port = self.base + (10 if which == "primary" else 11)
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/fangkong", autocommit=True) as c:
            return c.execute(query).fetchall()


def request(url, method="GET", body=None, token=None, timeout=10):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 -- 127.0.0.1
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read()[:300]


@pytest.fixture(scope="module")
def topo():
    mod = _load_module()
    probe = mod.Topology(Path("/nonexistent"), 0)
    need = probe.missing()
    if need:
        pytest.skip("the production topology needs " + ", ".join(need)
                    + " (apt-get install " + " ".join(sorted({n.split()[0] for n in need})) + ")")
    if not (ROOT / ".venv" / "bin" / "granian").exists():
        pytest.skip("no granian in .venv (pip install -e '.[serve]')")
    if os.geteuid() != 0 and shutil.which("pg_ctl") is None and probe.pg_bindir() is None:
        pytest.skip("PostgreSQL's server programs are not installed")
    # Not under /tmp/pytest-of-…: that folder is private to its owner, and PostgreSQL runs
    # as the postgres user when we are root. The folder is laid out as bench/run's cache
    # (<cache>/topology-tiny), so the tiny benchmarks below run on this very topology.
    cache = ROOT / "var" / f"test-topology-{os.getpid()}"
    t = Topo(cache / "topology-tiny", _free_base())
    t.cache = cache
    try:
        t.cmd("start", timeout=300)
        yield t
    finally:
        t.cmd("destroy", timeout=120, check=False)
        shutil.rmtree(cache, ignore_errors=True)


@pytest.fixture(scope="module")
def world(topo):
    return topo.scene("build", str(N_PEOPLE))


def test_health_and_readiness_through_nginx(topo, world):
    assert request(f"{topo.url}/healthz") == (200, {"status": "alive"})
    status, body = request(f"{topo.url}/readyz")
    assert status == 200, body
    assert body["status"] == "ready"
    assert all(body["checks"][k]["ok"] for k in ("database", "migrations", "cache"))
    assert body["checks"]["replica"]["ok"] is True
    out = topo.cmd("status")
    assert "readyz through nginx: 200" in out.stdout


def _scan(topo, world, person, tube, retries):
    """One scan as the station sends it: on a failure, the same body again (same client id)."""
    body = json.dumps({"client_id": str(uuid.uuid4()), "barcode": tube, "person": "FK1:" + person})
    for attempt in range(4):  # the station retries; nginx already retried once on the other server
        try:
            status, answer = request(f"{topo.url}/api/v1/screening/rounds/{world['round']}/scan",
                                     "POST", body, world["sampler_token"])
        except OSError:
            status, answer = None, None
        if status == 200:
            return answer
        retries.append((person, status, attempt))
        time.sleep(0.5)
    raise AssertionError(f"scan of {person} never acknowledged: {retries[-4:]}")


def test_scans_keep_flowing_when_an_app_server_is_killed(topo, world):
    people = world["people"][:N_PEOPLE - 2]  # two are kept for the replica test
    retries, acked, failures = [], [], []

    def station():
        for i, person in enumerate(people):
            try:
                acked.append(_scan(topo, world, person, world["tubes"][i // 10], retries))
            except AssertionError as e:
                failures.append(str(e))
            time.sleep(0.05)

    th = threading.Thread(target=station)
    th.start()
    while len(acked) < 8 and th.is_alive():
        time.sleep(0.05)
    topo.cmd("kill", "app1")  # SIGKILL: the server and its worker, mid-traffic
    time.sleep(1.0)
    topo.cmd("restart", "app1")
    th.join(timeout=180)
    assert not failures, failures
    assert len(acked) == len(people)
    registered = topo.sql("primary", f"SELECT COUNT(*), COUNT(DISTINCT resident_id) FROM screening_sample "
                                     f"WHERE round_id = {world['round']}")[0]
    assert registered == (len(people), len(people)), (registered, retries)
    status, _ = request(f"{topo.url}/healthz")
    assert status == 200


def test_the_replica_serves_the_coverage_report(topo, world):
    cov = f"{topo.url}/api/v1/screening/rounds/{world['round']}/coverage"
    before = request(cov, token=world["staff_token"])[1]["sampled"]
    topo.sql("replica", "SELECT pg_wal_replay_pause()")
    try:
        _scan(topo, world, world["people"][-1], world["tubes"][-1], [])
        primary = topo.sql("primary", f"SELECT COUNT(*) FROM screening_sample WHERE round_id = {world['round']}")[0][0]
        assert primary == before + 1
        # the report is read from the replica, whose replay stands still: the old figure
        assert request(cov, token=world["staff_token"])[1]["sampled"] == before
    finally:
        topo.sql("replica", "SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 20
    while request(cov, token=world["staff_token"])[1]["sampled"] != before + 1:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.3)


def test_the_worker_drains_its_queue_after_a_restart(topo, world):
    topo.cmd("kill", "worker")
    ids = topo.scene("enqueue", "5")["tasks"]
    quoted = ", ".join(f"'{i}'" for i in ids)
    query = f"SELECT status, COUNT(*) FROM django_tasks_database_dbtaskresult WHERE id::text IN ({quoted}) GROUP BY 1"
    assert dict(topo.sql("primary", query)) == {"READY": 5}
    topo.cmd("start")  # starts what is not running: the worker
    deadline = time.monotonic() + 60
    while dict(topo.sql("primary", query)) != {"SUCCESSFUL": 5}:
        assert time.monotonic() < deadline, dict(topo.sql("primary", query))
        time.sleep(0.5)


def test_topology_and_replay_benchmarks_run_tiny(topo, tmp_path):
    """`bench/run topology replay partition mixed --tiny` runs end to end on this module's
    topology (its cache is the topology's parent folder): every figure is printed and
    written, and the replay — once plain, once with an app server killed half-way — loses
    and doubles nothing. Figures are never asserted. The app servers and the worker are
    started again first with the settings they have outside this module (the replica test
    loosened the replica's lag check), so the benchmarks measure what they measure alone."""
    plain = Topo(topo.dir, topo.base)
    for k in ("FANGKONG_REPLICA_MAX_LAG", "FANGKONG_REPLICA_CHECK_SECONDS"):
        plain.env.pop(k)
    for part in ("app1", "app2", "worker"):
        plain.cmd("restart", part)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "FANGKONG_VAR_DIR", "FANGKONG_SECRETS_FILE", "FANGKONG_ENV",
                        "DJANGO_SETTINGS_MODULE", "REDIS_URL", "DATABASE_REPLICA_URL")}
    env["BENCH_OUT_DIR"] = str(tmp_path / "out")
    env["BENCH_TOPOLOGY_PORT"] = str(topo.base)
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run"), "topology", "replay",
                           "partition", "mixed", "--tiny", "--cache", str(topo.cache)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    names = {ln.split()[0] for ln in out.splitlines() if ln and not ln.startswith(("#", "["))}
    for expected in ("topology.batch.http", "topology.scan.max_rate_p99_under_50ms",
                     "topology.scan.cpu_app", "topology.scan.cpu_db", "topology.pgbouncer.p99",
                     "topology.read.live.cpu", "topology.read.household.cpu",
                     "replay.wall", "replay.scan_rate", "replay.kill.wall", "replay.kill.extra",
                     "partition.copy", "partition.coverage", "partition.probe", "partition.drop_round",
                     # the mixed load: stations, staff's coverage, households, a call at once
                     "machine.calibration", "mixed.throughput", "mixed.errors", "mixed.rss_worker",
                     "mixed.cpu_app", "mixed.cpu_db", "mixed.cpu_per_request", "mixed.checks"):
        assert expected in names, out
    for kind in ("scan", "coverage", "household", "answer"):
        for what in ("rate", "p50", "p99"):
            assert f"mixed.{kind}.{what}" in names, out
    assert "load average" in out
    figures = {f["name"]: f for f in json.loads((tmp_path / "out" / "latest.json").read_text())["figures"]}
    for name in ("replay.wall", "replay.kill.wall"):
        assert figures[name]["extra"]["lost"] == 0 and figures[name]["extra"]["doubled"] == 0, figures[name]
        assert not figures[name]["extra"]["errors"], figures[name]
    assert "SIGKILLed" in figures["replay.kill.wall"]["note"]
    checks = figures["mixed.checks"]["extra"]
    assert checks["lost"] == 0 and checks["doubled"] == 0, checks
    assert checks["over_slots"] == 0 and checks["confirmed_right"], checks
    assert figures["mixed.rss_worker"]["extra"]["workers"], "no app worker's RSS was read"
    # the benchmarks leave the topology they found running (the next test stops it)
    assert "readyz through nginx: 200" in topo.cmd("status", check=False).stdout


def test_stop_leaves_nothing_running(topo, world):
    topo.cmd("stop", timeout=120)
    out = topo.cmd("status", check=False)
    assert out.returncode == 3
    assert "running" not in out.stdout.replace("readyz", "")
    assert "unreachable" in out.stdout
