"""The set-up promise: migrations are complete and apply on a fresh database; dev.py
explains itself; the settings are safe by default."""

import os
import subprocess
import sys
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
