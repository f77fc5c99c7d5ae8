"""The benchmark harness: configuration, data, timing, output. See docs/benchmarks.md."""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/fk_bench"
NAMES = ["subtree", "search", "import", "page", "cards", "screening", "volunteers", "zones", "reports",
         "services", "overload", "topology", "replay", "partition", "mixed"]
# These run against the production topology (deploy/local-topology, started in the cache
# on its own ports), not against BENCH_DATABASE_URL: run them on their own.
TOPOLOGY_NAMES = {"topology", "replay", "partition", "mixed"}
# Their default city: a fifth of the 1 M city keeps a whole replay within a minute on the
# shared two-core machine (--residents 1000000 for the full city).
TOPOLOGY_RESIDENTS = {"full": 200_000, "tiny": 5_000}

SIZES = {
    # residents: city scale (500 communities of ~2,000); import_rows: one roster file;
    # duration: seconds of HTTP load per repeat (≤ 15; tiny: just enough to prove the path works,
    # no figure is read from it); threads: load generator threads.
    "full": {"residents": 1_000_000, "import_rows": 100_000, "duration": 10.0, "threads": 16,
             "repeat": 3, "queries": 100},
    "tiny": {"residents": 5_000, "import_rows": 300, "duration": 0.5, "threads": 4,
             "repeat": 1, "queries": 8},
}


@dataclass
class Config:
    names: list[str]
    tiny: bool
    sqlite: bool
    residents: int
    import_rows: int
    duration: float
    threads: int
    repeat: int
    queries: int
    seed: int
    cache: Path
    out: Path
    database_url: str = ""
    workdir: Path = None  # per-database folder in the cache: var dir, secrets, stamp
    topology: object = None  # deploy/local-topology's Topology (topology, replay)

    def scaled(self, full: int, tiny: int) -> int:
        return tiny if self.tiny else full


# --- figures -----------------------------------------------------------------

@dataclass
class Figure:
    name: str
    value: float  # median
    unit: str
    min: float
    max: float
    n: int
    compare: dict | None = None  # {"name", "value", "min", "max", "n"}
    ratio: float | None = None
    ratio_label: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)

    def line(self) -> str:
        def num(v):
            return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"

        text = f"{self.name:<34} {num(self.value):>9} {self.unit:<6} [{num(self.min)}–{num(self.max)}]"
        if self.compare:
            c = self.compare
            text += (f"   vs {c['name']} {num(c['value'])} {self.unit} "
                     f"[{num(c['min'])}–{num(c['max'])}]")
        if self.ratio is not None:
            text += f"   ratio {self.ratio:,.1f}× ({self.ratio_label})"
        if self.note:
            text += f"   ({self.note})"
        return text


def summary(samples: list[float]) -> tuple[float, float, float]:
    return statistics.median(samples), min(samples), max(samples)


def figure(name, samples, unit, *, scale=1.0, compare=None, compare_name="", ratio_label="",
           invert=False, note="", extra=None) -> Figure:
    """A figure from raw samples (× scale). With `compare` samples, ratio = compare/value
    (or value/compare with invert=True), with `ratio_label` saying which way."""
    med, lo, hi = summary([s * scale for s in samples])
    fig = Figure(name, med, unit, lo, hi, len(samples), note=note, extra=extra or {})
    if compare:
        cmed, clo, chi = summary([s * scale for s in compare])
        fig.compare = {"name": compare_name, "value": cmed, "min": clo, "max": chi,
                       "n": len(compare)}
        if med and cmed:
            fig.ratio = (med / cmed) if invert else (cmed / med)
            fig.ratio_label = ratio_label
    return fig


def timed(fn, repeat: int, warmup: int = 1) -> list[float]:
    """Seconds per call of fn(), `repeat` times after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


class Report:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.figures: list[Figure] = []
        self.notes: list[str] = []
        self.started = datetime.datetime.now(datetime.UTC)

    def add(self, fig: Figure):
        self.figures.append(fig)
        print(fig.line(), flush=True)

    def note(self, text: str):
        self.notes.append(text)
        print(f"# {text}", flush=True)

    def write(self, machine: dict) -> Path:
        self.cfg.out.mkdir(parents=True, exist_ok=True)
        stamp = self.started.strftime("%Y%m%dT%H%M%SZ")
        data = {
            "started": self.started.isoformat(),
            "finished": datetime.datetime.now(datetime.UTC).isoformat(),
            "machine": machine,
            "params": {k: (str(v) if isinstance(v, Path) else v)
                       for k, v in asdict(self.cfg).items() if k not in ("database_url", "topology")},
            "database": _redact(self.cfg.database_url),
            "figures": [asdict(f) for f in self.figures],
            "notes": self.notes,
        }
        mode = "tiny" if self.cfg.tiny else "full"
        db = "sqlite" if self.cfg.sqlite else "pg"
        path = self.cfg.out / f"{stamp}-{mode}-{db}-{'-'.join(self.cfg.names)}.json"
        text = json.dumps(data, ensure_ascii=False, indent=1)
        path.write_text(text)
        (self.cfg.out / "latest.json").write_text(text)
        return path


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        return f"{scheme}://{cred.split(':')[0]}@{host}"
    return url


# --- configuration and data ---------------------------------------------------------

def parse(argv) -> Config:
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    p.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks: {', '.join(NAMES)}")
    p.add_argument("--tiny", action="store_true", help="tiny data (for the test suite)")
    p.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    p.add_argument("--residents", type=int, help="city size (default 1,000,000; tiny 5,000)")
    p.add_argument("--import-rows", type=int, help="roster rows (default 100,000; tiny 500)")
    p.add_argument("--duration", type=float, help="seconds of HTTP load per repeat (≤ 15)")
    p.add_argument("--threads", type=int, help="HTTP load generator threads")
    p.add_argument("--repeat", type=int, help="repeats per figure (default 3; tiny 2)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cache", type=Path, default=Path(os.environ.get("BENCH_CACHE_DIR", ROOT / "bench" / "cache")))
    p.add_argument("--out", type=Path, default=Path(os.environ.get("BENCH_OUT_DIR", ROOT / "bench" / "out")))
    a = p.parse_args(argv)
    unknown = [n for n in a.names if n not in NAMES]
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(unknown)} (choose from {', '.join(NAMES)})")
    if set(a.names) & TOPOLOGY_NAMES and not set(a.names) <= TOPOLOGY_NAMES:
        p.error("run topology, replay, partition and mixed on their own (they start the production topology)")
    if a.sqlite and set(a.names) & TOPOLOGY_NAMES:
        p.error("topology, replay, partition and mixed run on PostgreSQL only")
    size = SIZES["tiny" if a.tiny else "full"]
    cfg = Config(
        names=a.names or [n for n in NAMES if n not in TOPOLOGY_NAMES], tiny=a.tiny, sqlite=a.sqlite,
        residents=a.residents or (TOPOLOGY_RESIDENTS["tiny" if a.tiny else "full"]
                                  if a.names and set(a.names) <= TOPOLOGY_NAMES else size["residents"]),
        import_rows=a.import_rows or size["import_rows"],
        duration=min(15.0, a.duration or size["duration"]),
        threads=a.threads or size["threads"], repeat=max(1, a.repeat or size["repeat"]),
        queries=size["queries"], seed=a.seed, cache=a.cache.resolve(), out=a.out.resolve())
    return cfg


def code_fingerprint(seed: int = 1) -> str:
    """What the data generator makes (fangkong.demo.data_version): a change rebuilds."""
    from fangkong.demo import driver as demo

    return demo.data_version(seed)


def configure(cfg: Config) -> dict:
    """Point this process (and the subprocesses it starts) at the benchmark database."""
    if set(cfg.names) <= TOPOLOGY_NAMES:
        from bench.topology_env import configure_topology

        return configure_topology(cfg)
    if cfg.sqlite:
        cfg.workdir = cfg.cache / f"sqlite-{cfg.residents}-s{cfg.seed}"
        cfg.workdir.mkdir(parents=True, exist_ok=True)
        cfg.database_url = f"sqlite:///{cfg.workdir / 'bench.sqlite3'}"
    else:
        url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
        if cfg.tiny:  # keep the city-scale data of the default database
            base, _, name = url.rpartition("/")
            url = f"{base}/{name.split('?')[0]}_tiny"
        cfg.database_url = url
        dbname = url.rpartition("/")[2].split("?")[0]
        cfg.workdir = cfg.cache / f"pg-{dbname}"
        cfg.workdir.mkdir(parents=True, exist_ok=True)
    env = {
        "DATABASE_URL": cfg.database_url,
        "FANGKONG_VAR_DIR": str(cfg.workdir / "var"),
        # The keyed hash of ID numbers must stay the one the cached data was built with:
        # a local install's generated keys, kept beside the cached data.
        "FANGKONG_ENV": "local",
        "FANGKONG_SECRETS_FILE": str(cfg.workdir / "secrets.json"),
        "DJANGO_SETTINGS_MODULE": "fangkong.settings",
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
        "CONN_MAX_AGE": "60",
    }
    os.environ.update(env)
    return env


def _create_pg_database(url: str):
    import psycopg

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(*args, **options):
    """A management command, in this process."""
    from django.core.management import call_command

    call_command(*args, **options)


def _migrate():
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", verbosity=0)


def ensure_data(cfg: Config, report: Report):
    """Build the city (manage.py demo --residents N) unless the cache already holds it."""
    key = {"residents": cfg.residents, "seed": cfg.seed, "data": code_fingerprint(cfg.seed)}
    stamp_path = cfg.workdir / "stamp.json"
    stamp = json.loads(stamp_path.read_text()) if stamp_path.exists() else {}
    t = time.perf_counter()
    _migrate()
    print(f"# database ready in {time.perf_counter() - t:.1f} s", flush=True)
    fresh = stamp.get("key") == key and any(
        (cfg.workdir / name).exists() for name in ("secrets.json", "secrets.env"))
    if fresh:
        fresh = _resident_count() == cfg.residents
    if fresh:
        report.note(f"data: cached city of {cfg.residents:,} residents "
                    f"(built {stamp.get('built_at', '?')} in {stamp.get('seconds', 0):.0f} s)")
        return
    stamp_path.unlink(missing_ok=True)
    print(f"# building a city of {cfg.residents:,} residents (manage.py demo --residents); "
          f"this is cached for later runs", flush=True)
    t = time.perf_counter()
    manage("demo", "--flush", "--residents", str(cfg.residents), "--seed", str(cfg.seed),
           verbosity=0 if cfg.tiny else 1)
    seconds = time.perf_counter() - t
    stamp_path.write_text(json.dumps({"key": key, "seconds": seconds,
                                      "built_at": datetime.datetime.now().isoformat(" ", "seconds")}))
    report.add(figure("data.build", [seconds], "s",
                      note=f"manage.py demo --residents {cfg.residents:,}"))


def _resident_count() -> int:
    from django.db.utils import DatabaseError

    from bench.common import BIG_COMMUNITY
    from fangkong.registry.models import Place, Resident

    try:  # the screening benchmark's extra community is not part of the city
        return Resident.objects.exclude(community_id__in=Place.objects.filter(
            kind="community", name=BIG_COMMUNITY).values("id")).count()
    except DatabaseError:
        return -1


def machine_info(cfg: Config) -> dict:
    from django.db import connection

    info = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    import django

    info["django"] = django.get_version()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            info["database"] = "PostgreSQL " + cur.fetchone()[0]
        else:
            cur.execute("SELECT sqlite_version()")
            info["database"] = "SQLite " + cur.fetchone()[0]
    return info


def calibration() -> float:
    """Seconds for a fixed pure-Python loop: how busy/slow the machine is right now
    (about 0.015 s on an idle modern core)."""
    return min(timed(lambda: sum(range(10**6)), 3, warmup=0))


def _hold_cache(cfg: Config):
    """One run at a time on one cached city: a second run (two test suites at once, say)
    waits here rather than build or benchmark the same database beside the first. The lock
    goes with the process."""
    import fcntl

    if cfg.workdir is None:
        return None
    f = open(cfg.workdir / ".lock", "w")  # noqa: SIM115 -- held for the life of the run
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"# waiting for another benchmark run using {cfg.workdir}", flush=True)
        fcntl.flock(f, fcntl.LOCK_EX)
    return f


def main(argv) -> int:
    cfg = parse(argv)
    env = configure(cfg)
    _lock = _hold_cache(cfg)  # noqa: F841 -- kept open until the run ends
    report = Report(cfg)
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    db = "SQLite" if cfg.sqlite else "PostgreSQL"
    print(f"# Fangkong benchmarks: {', '.join(cfg.names)} on {db} "
          f"({'tiny' if cfg.tiny else 'city'} scale: {cfg.residents:,} residents); "
          f"medians [min–max] of {cfg.repeat} repeats unless noted", flush=True)
    if not cfg.sqlite and not set(cfg.names) <= TOPOLOGY_NAMES:
        _create_pg_database(cfg.database_url)
    import django

    django.setup()
    ensure_data(cfg, report)
    from bench import (
        cards,
        mixed,
        overload,
        page,
        partition,
        replay,
        reports,
        roster_import,
        screening,
        search,
        services,
        subtree,
        topology,
        volunteers,
        zones,
    )
    from bench.common import Context

    ctx = Context(cfg=cfg, report=report, env=env)
    report.add(figure("machine.calibration", [calibration()], "ms", scale=1000,
                      note="sum(range(10**6)); ~15 ms on an idle core"))
    modules = {"subtree": subtree, "search": search, "import": roster_import, "page": page,
               "cards": cards, "screening": screening, "volunteers": volunteers, "zones": zones,
               "reports": reports, "services": services, "overload": overload, "topology": topology,
               "replay": replay, "partition": partition, "mixed": mixed}
    failed = False
    for name in cfg.names:
        t = time.perf_counter()
        try:
            modules[name].run(ctx)
            print(f"# {name}: {time.perf_counter() - t:.1f} s", flush=True)
        except Exception as e:  # one broken benchmark must not hide the others
            failed = True
            report.note(f"{name}: FAILED: {type(e).__name__}: {e}")
            import traceback

            traceback.print_exc()
    machine = machine_info(cfg)
    machine["loadavg"] = load_start
    machine["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    path = report.write(machine)
    print(f"# written {path}", flush=True)
    return 1 if failed else 0
