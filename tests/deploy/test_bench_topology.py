"""`bench/run topology replay partition --tiny` runs end to end against its own production topology
(started in the cache on free ports, stopped after): every figure is printed and written,
and the replay — once plain, once with an app server killed half-way — loses and doubles
nothing. Figures are never asserted. Skipped like tests/deploy/test_topology.py."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.test_topology import ROOT, _free_base, _load_module  # noqa: F401


def test_topology_and_replay_benchmarks_run_tiny(tmp_path):
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
    # A cache of its own, on free ports (not under the private pytest folder: PostgreSQL
    # runs as the postgres user when we are root); removed afterwards.
    cache = ROOT / "var" / f"test-bench-topology-{os.getpid()}"
    try:
        proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run"), "topology", "replay",
                               "partition", "--tiny", "--cache", str(cache)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    names = {ln.split()[0] for ln in out.splitlines() if ln and not ln.startswith(("#", "["))}
    for expected in ("topology.batch.http", "topology.scan.max_rate_p99_under_50ms",
                     "topology.scan.cpu_app", "topology.scan.cpu_db", "topology.pgbouncer.p99",
                     "topology.read.live.cpu", "topology.read.household.cpu",
                     "replay.wall", "replay.scan_rate", "replay.kill.wall", "replay.kill.extra",
                     "partition.copy", "partition.coverage", "partition.probe", "partition.drop_round"):
        assert expected in names, out
    figures = {f["name"]: f for f in json.loads((tmp_path / "out" / "latest.json").read_text())["figures"]}
    for name in ("replay.wall", "replay.kill.wall"):
        assert figures[name]["extra"]["lost"] == 0 and figures[name]["extra"]["doubled"] == 0, figures[name]
        assert not figures[name]["extra"]["errors"], figures[name]
    assert "SIGKILLed" in figures["replay.kill.wall"]["note"]
