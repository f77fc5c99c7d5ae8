"""Kill the server and the worker under load; every acknowledged record exists exactly once
and no job is left running (tests/fault/harness.py).

The tiny run is part of the normal suite (on the suite's database: SQLite or PostgreSQL);
the full run — a 20,000-row import, four stations, a minute of kills — is marked `fault`
and run by .ci/run on PostgreSQL (`python3 dev.py test -m fault`).
"""

import json
import os
import shutil

import pytest

from .harness import Plan, run


def _run(plan, tmp_path):
    if not shutil.which("granian", path=os.path.dirname(os.sys.executable)) and not shutil.which("granian"):
        pytest.skip("fault run skipped: granian is not installed (pip install -e '.[test]')")
    report = run(plan, os.environ.get("DATABASE_URL", ""), tmp_path)
    print(json.dumps({k: v for k, v in report.items() if not k.endswith("_log")},
                     ensure_ascii=False, indent=1))
    assert report["problems"] == [], json.dumps(report, ensure_ascii=False, indent=1)[-6000:]
    return report


def test_tiny_fault_run_loses_and_doubles_nothing(tmp_path):
    plan = Plan(chaos_seconds=12, stations=2, people=150, batch=40, calls=2, slots=5, small_rows=30,
                big_rows=2000, kills=["worker@reading", "server", "worker@writing"],
                gap=(1.0, 2.0), server_workers=1, settle_seconds=60)
    report = _run(plan, tmp_path)
    assert report["registered"] > 0 and report["answers"] > 0
    assert report["starts"] == {"server": 2, "worker": 3}


@pytest.mark.fault
def test_fault_run_under_load_loses_and_doubles_nothing(tmp_path):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the full fault run is on PostgreSQL (DATABASE_URL)")
    kills = ["worker@reading", "server", "worker@writing", "server", "worker", "server",
             "worker", "server", "worker", "server"]
    plan = Plan(chaos_seconds=60, stations=4, people=1000, batch=100, calls=4, slots=6, small_rows=200,
                big_rows=20_000, kills=kills, gap=(2.0, 6.0), server_workers=2,
                settle_seconds=120)
    report = _run(plan, tmp_path)
    assert report["imports"].get("done"), report["imports"]
