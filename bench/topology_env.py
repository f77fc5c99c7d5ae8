"""The benchmark's own production topology (deploy/local-topology) in the cache, on its own
ports (BENCH_TOPOLOGY_PORT, default 18200), started for the run and stopped after it. The
benchmark process talks to its primary directly, with the same keys as the app servers.
A topology already running in that directory is used as it is and left running (the test
suite starts one for tests/deploy/test_topology.py and runs the tiny benchmarks on it)."""

import atexit
import importlib.machinery
import importlib.util
import os

from .harness import ROOT


def load_topology_module():
    path = ROOT / "deploy" / "local-topology"
    loader = importlib.machinery.SourceFileLoader("fangkong_local_topology", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def configure_topology(cfg) -> dict:
    mod = load_topology_module()
    directory = cfg.cache / f"topology-{'tiny' if cfg.tiny else 'full'}"
    topo = mod.Topology(directory, int(os.environ.get("BENCH_TOPOLOGY_PORT", "18200")))
    need = topo.missing()
    if need:
        raise SystemExit("bench/run topology|replay: missing " + ", ".join(need)
                         + " (apt-get install " + " ".join(sorted({n.split()[0] for n in need})) + ")")
    found_running = any(topo.running(name) for name in mod.ORDER)
    topo.start()
    if not found_running:
        atexit.register(topo.stop)
    cfg.topology = topo
    cfg.workdir = directory
    env = topo.app_env()
    env.pop("DATABASE_POOL_MODE", None)
    env.pop("DATABASE_REPLICA_URL", None)  # the benchmark process writes and checks the primary
    env.update({"DATABASE_URL": topo.url(), "DJANGO_SETTINGS_MODULE": "fangkong.settings",
                "LOG_LEVEL": "ERROR"})
    cfg.database_url = env["DATABASE_URL"]
    os.environ.update(env)
    return env
