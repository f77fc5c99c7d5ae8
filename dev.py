#!/usr/bin/env python3
"""Fangkong's two set-up commands, runnable by any python3 (stdlib only).

    python3 dev.py start   install into .venv, migrate SQLite, load the demo, serve on 127.0.0.1
                           (the worker's log: var/worker.log; where to log in is printed last)
    python3 dev.py test    install into .venv (with test tools) and run the whole test suite

Extra arguments after `test` go to pytest (the whole suite runs on every core, plus one
worker; `-n 0` in one process); `start --port 8001` picks another port.
This file must keep running on old Pythons: it only finds a Python >= 3.12 and hands over.
"""

import glob
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
MIN = (3, 12)
IS_WIN = os.name == "nt"


def say(msg):
    print("[fangkong] " + msg, flush=True)


def fail(msg, code=1):
    """One line saying what went wrong (Chinese, then English), no traceback, and out."""
    print("[fangkong] " + msg, file=sys.stderr, flush=True)
    sys.exit(code)


def var_dir():
    return os.environ.get("FANGKONG_VAR_DIR") or os.path.join(ROOT, "var")


def venv_python():
    return os.path.join(VENV, "Scripts" if IS_WIN else "bin", "python.exe" if IS_WIN else "python")


def works(candidate):
    """True if `candidate` runs and is a Python >= 3.12 with venv support."""
    try:
        out = subprocess.run(
            [candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    major, minor = (int(x) for x in out.stdout.strip().split("."))
    return (major, minor) if (major, minor) >= MIN else None


def find_python():
    """Newest Python >= 3.12: this one, python3.13/3.12 on PATH, or a pyenv install."""
    candidates = []
    if sys.version_info[:2] >= MIN:
        candidates.append(sys.executable)
    for name in ("python3.14", "python3.13", "python3.12", "python3", "python"):
        path = shutil.which(name)
        if path:
            candidates.append(path)
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", "3.1[2-9]*", "bin", "python3")), reverse=True)
    best = None
    for c in candidates:
        v = works(c)
        if v and (best is None or v > best[0]):
            best = (v, c)
    return best[1] if best else None


def ensure_venv(extras):
    py = venv_python()
    if os.path.exists(py) and not works(py):
        say("the existing .venv is not Python >= 3.12; rebuilding it")
        shutil.rmtree(VENV)
    if not os.path.exists(py):
        base = find_python()
        if not base:
            sys.exit(
                "[fangkong] Fangkong needs Python 3.12 or newer, and none was found.\n"
                "  Install one, then run this command again:\n"
                "    Debian/Ubuntu: sudo apt install python3.12 python3.12-venv\n"
                "    macOS:         brew install python@3.13\n"
                "    Windows:       https://www.python.org/downloads/ (3.12 or newer)\n"
                "  (This script runs on any python3; it only needs to find a newer one.)"
            )
        say("creating .venv with " + base)
        subprocess.check_call([base, "-m", "venv", VENV])
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        want = hashlib.sha256(f.read() + extras.encode()).hexdigest()
    stamp = os.path.join(VENV, ".fangkong-installed")
    have = open(stamp).read().strip() if os.path.exists(stamp) else ""
    # A stamp for a superset of extras is good enough for a subset.
    if want not in have.split():
        say("installing dependencies (first run takes a minute)")
        subprocess.check_call([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               "-e", ROOT + ("[%s]" % extras if extras else "")])
        with open(stamp, "a") as f:
            f.write(want + "\n")
    return py


def manage(py, *args, env=None):
    subprocess.check_call([py, os.path.join(ROOT, "manage.py"), *args], cwd=ROOT, env=env)


def prepare(py, env=None):
    manage(py, "compilemessages_py", env=env)
    manage(py, "collectstatic", "--noinput", "-v", "0", env=env)


def port_of(args) -> int:
    if "--port" not in args:
        return 8000
    i = args.index("--port")
    value = args[i + 1] if i + 1 < len(args) else ""
    if not value.isdigit() or not 0 < int(value) < 65536:
        fail("端口应为 1–65535 之间的数字 / --port needs a number from 1 to 65535, "
             "e.g. python3 dev.py start --port 8001", 2)
    return int(value)


def port_free(port: int) -> bool:
    """True if a server could listen on 127.0.0.1:port now (bound and let go at once)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if not IS_WIN:  # as runserver does: a port left in TIME_WAIT is free
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def port_taken(port: int):
    fail("端口 %d 已被占用 / port %d is already in use: stop what runs there, or pick another "
         "port: python3 dev.py start --port %d" % (port, port, port + 1))


def answering(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def stop(proc, wait=10):
    """End a child we started and wait for it (killed if it does not end in `wait` s)."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start(args):
    port = port_of(args)
    if not port_free(port):  # before the slow steps, not after them
        port_taken(port)
    py = ensure_venv("")
    prepare(py)
    manage(py, "migrate", "-v", "0")
    manage(py, "demo", "--if-empty")
    # links in texts (SMS, group robots) are whole addresses, here this machine's
    env = dict(os.environ)
    env.setdefault("FANGKONG_PUBLIC_URL", "http://127.0.0.1:%s" % port)
    url = "http://127.0.0.1:%d/" % port
    logins = subprocess.run([py, os.path.join(ROOT, "manage.py"), "demo_logins", "--url", url],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
    if not port_free(port):  # taken while the steps ran
        port_taken(port)
    os.makedirs(var_dir(), exist_ok=True)
    log_path = os.path.join(var_dir(), "worker.log")
    # The worker is quiet here (its first pass alone writes a few hundred lines): its log,
    # with the texts it would send (no SMS gateway on a local install), goes to a file.
    say("starting the background worker (imports, messages); its log and texts: " + log_path)
    with open(log_path, "a") as log:
        worker = subprocess.Popen([py, os.path.join(ROOT, "manage.py"), "db_worker"], cwd=ROOT,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    server = None
    try:
        server = subprocess.Popen([py, os.path.join(ROOT, "manage.py"), "runserver",
                                   "127.0.0.1:%d" % port, "--noreload"], cwd=ROOT, env=env)
        deadline = time.monotonic() + 120
        while not answering(port):
            if server.poll() is not None:
                fail("服务器未能启动 / the server did not start (exit %d): see the lines above"
                     % server.returncode)
            if time.monotonic() > deadline:
                fail("服务器两分钟内未就绪 / the server was not ready within two minutes")
            time.sleep(0.2)
        # where to log in: the last thing on the screen, once the server answers
        print(logins, end="", flush=True)
        say("服务器已就绪，按 Ctrl-C 停止 / ready; Ctrl-C stops the server and the worker")
        code = server.wait()
        if code:
            fail("服务器已退出 / the server stopped (exit %d)" % code)
    except KeyboardInterrupt:
        say("已停止 / stopped")
    finally:
        if server is not None:
            stop(server)
        stop(worker)


def parallel(args):
    """The whole suite runs on every core (pytest-xdist; each worker has its own test
    database, `test_<name>_gw0`… on PostgreSQL, its own file on SQLite; a test module stays on
    one worker, so a world built once for a module is built once). Modules are handed out in
    collection order, where tests/conftest.py puts the few slow ones first (xdist's default
    would hand out the biggest modules first and leave the slow one-test modules for last).
    Chosen files or tests (`-k`, a path) run in one process, which starts sooner. `-n 0` (or
    any -n) decides."""
    chosen = any(a.startswith(("-n", "--numprocesses", "-k", "--dist")) or a == "no:xdist"
                 or os.path.exists(a.split("::")[0]) for a in args)
    return [] if chosen else ["-n", str(workers()), "--dist", "loadscope", "--no-loadscope-reorder"]


def workers() -> int:
    """One worker a core, and one more: a good part of the suite waits on something it
    started (a server under load, a browser, a killed process coming back), and the extra
    worker uses that time (two cores: 243 s with 2 workers, 211–217 s with 3, 227 s with 4)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores + 1


def test(args):
    py = ensure_venv("test")
    env = dict(os.environ)
    env.setdefault("FANGKONG_SECRETS_FILE", os.path.join(ROOT, "var", "test-secrets.json"))
    # Bytecode caches (__pycache__, ignored by git) are written even where the shell says not
    # to: without them every worker and every server the suite starts compiles the project
    # again, and pytest rewrites all 130 test modules' asserts again (collection 8 s → 4 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    prepare(py, env)
    cmd = [py, "-m", "pytest", *parallel(args), *args]
    say("running: " + " ".join(cmd[1:]) + "  (database: %s)" % (
        "PostgreSQL" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite"))
    child = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        code = child.wait()
    except KeyboardInterrupt:  # Ctrl-C reached pytest too: let it finish its report
        try:
            child.wait(30)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            stop(child, 5)
        fail("已中断 / interrupted (Ctrl-C)", 130)
    sys.exit(code)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("start", "test"):
        print(__doc__)
        sys.exit(2)
    # Both commands are a local install: keys may be generated into var/ (production sets
    # FANGKONG_ENV=production or DATABASE_URL/HTTPS and must pass its keys; see settings.py).
    os.environ.setdefault("FANGKONG_ENV", "local")
    try:
        (start if sys.argv[1] == "start" else test)(sys.argv[2:])
    except subprocess.CalledProcessError as e:  # the step said why above; say which step
        step = " ".join(os.path.basename(str(a)) if i < 2 else str(a)
                        for i, a in enumerate(e.cmd))
        fail("步骤失败 / a step failed (exit %d): %s" % (e.returncode, step))
    except KeyboardInterrupt:
        fail("已中断 / interrupted (Ctrl-C)", 130)


if __name__ == "__main__":
    main()
