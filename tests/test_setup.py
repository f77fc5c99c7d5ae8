"""The set-up promise: migrations are complete and apply on a fresh database; dev.py
explains itself; the settings are safe by default."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_migrations_apply_on_a_fresh_sqlite_database(tmp_path):
    env = dict(os.environ, FANGKONG_VAR_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    env.pop("FANGKONG_SECRETS_FILE", None)  # dev.py test points it at var/test-secrets.json
    out = subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "fangkong.sqlite3").exists()
    assert (tmp_path / "secrets.json").exists()  # generated once, kept for local use


def test_dev_py_without_a_command_prints_usage():
    out = subprocess.run([sys.executable, "dev.py"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2
    assert "python3 dev.py start" in out.stdout and "python3 dev.py test" in out.stdout


def test_debug_is_off_and_language_is_chinese_by_default():
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    if "DEBUG" not in os.environ:
        assert settings.DEBUG is False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dev(code: str, tmp_path, **kw):
    """Run dev.py's main() in a fresh python with some of its steps replaced (`code`), so
    that a step's outcome is chosen without installing or migrating anything."""
    script = f"import subprocess, sys\nsys.path.insert(0, {str(ROOT)!r})\nimport dev\n" + code
    env = dict(os.environ, FANGKONG_VAR_DIR=str(tmp_path))
    return subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_dev_py_start_on_a_taken_port_says_so_at_once(tmp_path):
    """Found on a fresh clone: with port 8000 taken, `dev.py start` ran every slow step,
    printed where to log in, then ended 18 s later in runserver's traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, FANGKONG_VAR_DIR=str(tmp_path))
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, "dev.py", "start", "--port", str(port)], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert time.monotonic() - t0 < 10  # before installing, migrating or loading the demo
    assert "Traceback" not in out.stderr and "Log in at" not in out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "已被占用" in lines[0] and "already in use" in lines[0]
    assert f"python3 dev.py start --port {port + 1}" in lines[0]
    assert not (tmp_path / "fangkong.sqlite3").exists()


def test_dev_py_a_failed_step_ends_in_one_line(tmp_path):
    p = _dev("dev.ensure_venv = lambda extras: sys.executable\n"
             "dev.prepare = lambda py, env=None: subprocess.check_call([py, '-c', 'raise SystemExit(3)'])\n"
             f"sys.argv = ['dev.py', 'start', '--port', '{_free_port()}']\n"
             "dev.main()\n", tmp_path)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 1
    assert "Traceback" not in err
    assert err.strip().splitlines() == ["[fangkong] 步骤失败 / a step failed (exit 3): python -c raise SystemExit(3)"]


@pytest.mark.skipif(os.name == "nt", reason="process groups and SIGINT are POSIX")
def test_dev_py_test_interrupted_exits_130_in_one_line(tmp_path):
    """Ctrl-C on `dev.py test` ended in a KeyboardInterrupt traceback from dev.py; now it
    waits for pytest and says it was interrupted."""
    inside = tmp_path / "inside"
    (tmp_path / "test_slow.py").write_text(
        f"import pathlib, time\n\ndef test_slow():\n    pathlib.Path({str(inside)!r}).touch()\n"
        "    time.sleep(60)\n")
    p = _dev("dev.ensure_venv = lambda extras: sys.executable\n"
             "dev.prepare = lambda py, env=None: None\n"
             "sys.argv = ['dev.py', 'test', '-p', 'no:cacheprovider', '-p', 'no:django', "
             f"{str(tmp_path / 'test_slow.py')!r}]\n"
             "dev.main()\n", tmp_path, start_new_session=True)
    assert "running:" in p.stdout.readline()
    deadline = time.monotonic() + 60
    while not inside.exists() and time.monotonic() < deadline:  # pytest is in the slow test
        time.sleep(0.1)
    os.killpg(p.pid, signal.SIGINT)  # as a terminal's Ctrl-C: to dev.py and pytest alike
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "[fangkong] 已中断 / interrupted (Ctrl-C)"
