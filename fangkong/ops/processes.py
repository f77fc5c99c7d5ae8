"""Which process runs a piece of work, and is it still alive?

A runner is named "host|pid|start": the machine, the process id and a token of the
process's start (its start time since boot and the boot id, read from /proc on Linux; a
random token elsewhere). On the same machine a runner is alive exactly when that pid
still runs and started at that moment (a reused pid does not count); on another machine
it is alive while its worker row (`WorkerBeat`) was renewed within the lease.
"""

import datetime
import os
import secrets
import socket
from functools import cache

from django.conf import settings
from django.utils import timezone

SEP = "|"


def host() -> str:
    return socket.gethostname()[:30] or "localhost"


def _proc_start(pid: int) -> str | None:
    """Linux: "<start ticks since boot>.<boot id prefix>" of process `pid`, None elsewhere
    or when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
        ticks = raw[raw.rindex(")") + 2:].split()[19]  # field 22, starttime
        return f"{ticks}.{_boot_id()}"
    except (OSError, IndexError, ValueError):
        return None


@cache
def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip().replace("-", "")[:8]
    except OSError:
        return "x"


@cache
def _identity(pid: int) -> str:
    start = _proc_start(pid) or "r" + secrets.token_hex(6)  # "r…": cannot be checked
    return f"{host()}{SEP}{pid}{SEP}{start}"[:64]


def identity() -> str:
    """This process's runner name (cached per pid, so a forked child gets its own)."""
    return _identity(os.getpid())


def parse(runner: str) -> tuple[str, int, str] | None:
    parts = (runner or "").split(SEP)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]


def _pid_runs(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it runs
        return True
    except OSError:
        return False
    return True


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.FANGKONG_WORKER_LEASE_SECONDS)


def alive(runner: str, beats: dict | None = None, now=None) -> bool | None:
    """True if the runner is alive, False if it is dead, None if this cannot be told
    (another machine's web process, or a worker id that is not a runner name).

    `beats` maps runner → beat_at of the worker rows (read once by the caller)."""
    now = now or timezone.now()
    parsed = parse(runner)
    if parsed and parsed[0] == host():
        _host, pid, start = parsed
        if not _pid_runs(pid):
            return False
        if not start.startswith("r"):
            return _proc_start(pid) == start
        # a token that cannot be checked: the heartbeat decides, as for another machine
    if beats is not None and runner in beats:
        return beats[runner] >= now - lease()
    return None
