"""The benchmark harness still runs: bench/run --tiny --sqlite, end to end."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_tiny_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "FANGKONG_VAR_DIR", "FANGKONG_SECRETS_FILE")}
    env["BENCH_OUT_DIR"] = str(tmp_path / "out")
    # The tiny city is cached in bench/cache (rebuilt when the generator changes).
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run"), "--tiny", "--sqlite"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    lines = [ln for ln in out.splitlines() if ln and not ln.startswith("#")]
    names = {ln.split()[0] for ln in lines}
    for expected in ("subtree.count.district", "search.pinyin.p50", "search.address.p99",
                     "import.importer", "page.place.rps", "page.search.p99", "cards.building",
                     "cards.community", "screening.batch.api", "screening.lab.results", "screening.scan.p99",
                     "screening.coverage.community", "screening.coverage.city.counters",
                     "volunteers.signup.p99", "volunteers.signup.time_to_fill",
                     "volunteers.publish.seconds", "zones.diff.seconds", "zones.publish.seconds",
                     "zones.figures.district", "zones.household.lookup", "reports.dashboard.community",
                     "reports.dashboard.district", "reports.dashboard.city", "reports.rollup.district",
                     "overload.shed.p99", "overload.queued.p99"):
        assert expected in names, out
    district = next(ln for ln in lines if ln.startswith("subtree.count.district"))
    assert re.search(r"ms .* vs recursive CTE .* ratio [\d.,]+×", district), district

    written = json.loads((tmp_path / "out" / "latest.json").read_text())
    figures = {f["name"]: f for f in written["figures"]}
    assert set(figures) == names
    assert figures["import.importer"]["ratio"] > 0
    assert figures["page.place.rps"]["value"] > 0
    assert written["machine"]["database"].startswith("SQLite")
    assert written["params"]["tiny"] is True
