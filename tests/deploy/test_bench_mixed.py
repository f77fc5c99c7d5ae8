"""`bench/run mixed --tiny` runs end to end against its own production topology (started in
a cache of its own on free ports, stopped after): stations scanning, staff refreshing
coverage, residents opening their household pages and volunteers answering a call, all at
once through nginx. Every figure is printed and written; figures are never asserted, only
what must hold at any speed: no scan lost or doubled, never more volunteers confirmed than
the call's slots. Skipped like tests/deploy/test_topology.py where nginx, pgbouncer, Redis or
PostgreSQL's server programs are missing, or where the topology cannot start here."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.test_topology import ROOT, _free_base, _load_module

# What deploy/local-topology says when a part of the topology cannot start on this machine
# (a second PostgreSQL cluster, nginx): the benchmark then has nothing to measure.
CANNOT_START = ("initdb failed", "pg_basebackup failed", "pg_ctl start", "nginx -t failed", "nginx failed",
                "redis-server failed", "pgbouncer failed", "did not come up", "exited while starting")


def test_mixed_load_benchmark_runs_tiny(tmp_path):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # It starts a PostgreSQL cluster of its own and never touches the suite's database:
        # once a CI run (the SQLite pass) is enough.
        pytest.skip("runs in the SQLite pass only: it brings its own PostgreSQL topology")
    need = _load_module().Topology(Path("/nonexistent"), 0).missing()
    if need:
        pytest.skip("the production topology needs " + ", ".join(need))
    if not (ROOT / ".venv" / "bin" / "granian").exists():
        pytest.skip("no granian in .venv (pip install -e '.[serve]')")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "FANGKONG_VAR_DIR", "FANGKONG_SECRETS_FILE", "FANGKONG_ENV",
                        "DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    env["BENCH_OUT_DIR"] = str(tmp_path / "out")
    env["BENCH_TOPOLOGY_PORT"] = str(_free_base())
    # not under the private pytest folder: PostgreSQL runs as the postgres user when we are root
    cache = ROOT / "var" / f"test-bench-mixed-{os.getpid()}"
    try:
        proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run"), "mixed", "--tiny",
                               "--cache", str(cache)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    out = proc.stdout
    if proc.returncode and any(s in out + proc.stderr for s in CANNOT_START):
        pytest.skip("the production topology cannot start here: " + (proc.stderr or out)[-600:])
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    names = {ln.split()[0] for ln in out.splitlines() if ln and not ln.startswith(("#", "["))}
    for kind in ("scan", "coverage", "household", "answer"):
        for what in ("rate", "p50", "p99"):
            assert f"mixed.{kind}.{what}" in names, out
    for expected in ("machine.calibration", "mixed.throughput", "mixed.errors", "mixed.rss_worker",
                     "mixed.cpu_app", "mixed.cpu_db", "mixed.cpu_per_request", "mixed.checks"):
        assert expected in names, out
    assert "load average" in out
    data = json.loads((tmp_path / "out" / "latest.json").read_text())
    assert data["machine"]["loadavg"] is not None
    figures = {f["name"]: f for f in data["figures"]}
    checks = figures["mixed.checks"]["extra"]
    assert checks["lost"] == 0 and checks["doubled"] == 0, checks
    assert checks["over_slots"] == 0 and checks["confirmed_right"], checks
    assert figures["mixed.rss_worker"]["extra"]["workers"], "no app worker's RSS was read"
