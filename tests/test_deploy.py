"""Production settings: refuses to start without its keys, HTTPS behind a proxy, short
sessions. The settings are read at start, so these run manage.py in a subprocess with the
environment a production server would have."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEY_VARS = ("SECRET_KEY", "FANGKONG_FIELD_KEY", "FANGKONG_HASH_KEY")


def base_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items()
           if k not in KEY_VARS + ("DATABASE_URL", "FANGKONG_SECRETS_FILE", "FANGKONG_ENV",
                                   "HTTPS", "DEBUG", "ALLOWED_HOSTS",
                                   "DJANGO_ALLOW_ASYNC_UNSAFE")}  # set by the browser tests
    env.update(FANGKONG_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def e001(out) -> str:
    """The error line of fangkong.E001 (its hint follows on the next line). Messages come in
    the installation's language (Chinese by default): match names, not words."""
    return next(line for line in out.stderr.splitlines() if "fangkong.E001" in line)


def run(args, env, **kw):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def keys():
    """Fresh keys, as an operator makes them: `manage.py generate_keys`."""
    out = run(["manage.py", "generate_keys"], base_env(Path("/nonexistent"),
                                                       FANGKONG_ENV="production"))
    assert out.returncode == 0, out.stderr
    pairs = dict(line.split("=", 1) for line in out.stdout.split())
    assert set(pairs) == set(KEY_VARS)
    return pairs


def production(tmp_path, keys, **extra):
    return base_env(tmp_path, **{"FANGKONG_ENV": "production", "HTTPS": "1",
                                 "ALLOWED_HOSTS": "fangkong.example.org",
                                 "FANGKONG_PUBLIC_URL": "https://fangkong.example.org/", **keys, **extra})


def test_check_deploy_is_clean_with_production_settings(tmp_path, keys):
    out = run(["manage.py", "check", "--deploy"], production(tmp_path, keys))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues (0 silenced)" in out.stdout, out.stdout + out.stderr


def test_production_without_a_public_address_is_warned_of_by_every_check(tmp_path, keys):
    """Found on the volunteer walk: with FANGKONG_PUBLIC_URL unset every text went out without
    its link ("请在…前到召集令页面报名。") and nothing told the operator. Production is told by a
    plain `manage.py check` (fangkong.W003, a warning: it still starts); a local install is not."""
    env = production(tmp_path, keys, FANGKONG_PUBLIC_URL="")
    out = run(["manage.py", "check"], env)
    assert out.returncode == 0, out.stderr
    assert "fangkong.W003" in out.stdout + out.stderr and "FANGKONG_PUBLIC_URL" in out.stdout + out.stderr
    # texts by an SMS gateway: said once, not again as the deploy check's W002
    out = run(["manage.py", "check", "--deploy"], dict(env, FANGKONG_SMS_URL="https://sms.example/"))
    said = out.stdout + out.stderr
    assert "fangkong.W003" in said and "fangkong.W002" not in said, said
    out = run(["manage.py", "check"], base_env(tmp_path, FANGKONG_ENV="local"))
    assert out.returncode == 0 and "fangkong.W003" not in out.stdout + out.stderr
    assert "no issues (0 silenced)" in out.stdout, out.stdout + out.stderr


def test_production_without_keys_fails_the_check_and_names_the_fix(tmp_path):
    env = base_env(tmp_path, FANGKONG_ENV="production", HTTPS="1",
                   ALLOWED_HOSTS="fangkong.example.org")
    out = run(["manage.py", "check", "--deploy"], env)
    assert out.returncode == 1
    for name in KEY_VARS:
        assert name in e001(out)
    assert "manage.py generate_keys" in out.stderr and "var/secrets.json" in out.stderr
    # nothing was generated behind the operator's back
    assert not (tmp_path / "var" / "secrets.json").exists()
    # migrate (and so any start) stops on the same error
    out = run(["manage.py", "migrate", "-v", "0"], env)
    assert out.returncode == 1 and "fangkong.E001" in out.stderr


def test_one_missing_key_is_named_alone(tmp_path, keys):
    env = production(tmp_path, {k: v for k, v in keys.items() if k != "FANGKONG_HASH_KEY"})
    out = run(["manage.py", "check"], env)
    assert out.returncode == 1
    assert "FANGKONG_HASH_KEY" in e001(out)
    assert "SECRET_KEY" not in e001(out) and "FANGKONG_FIELD_KEY" not in e001(out)


def test_a_field_key_that_is_not_a_fernet_key_is_refused(tmp_path, keys):
    env = production(tmp_path, dict(keys, FANGKONG_FIELD_KEY=keys["FANGKONG_FIELD_KEY"] + ",short"))
    out = run(["manage.py", "check"], env)
    assert out.returncode == 1
    assert "FANGKONG_FIELD_KEY" in e001(out) and " 2 " in e001(out)


def test_a_database_url_means_production_unless_said_otherwise(tmp_path, keys):
    db = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    out = run(["manage.py", "check"], base_env(tmp_path, DATABASE_URL=db))
    assert out.returncode == 1 and "FANGKONG_ENV=production" in e001(out)
    out = run(["manage.py", "check"], base_env(tmp_path, DATABASE_URL=db, FANGKONG_ENV="local"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "var" / "secrets.json").exists()


def test_the_wsgi_application_refuses_to_load_without_keys(tmp_path, keys):
    env = base_env(tmp_path, FANGKONG_ENV="production", FANGKONG_GC_FREEZE="0")
    out = run(["-c", "import fangkong.wsgi"], env)
    assert out.returncode != 0
    assert "ImproperlyConfigured" in out.stderr and "generate_keys" in out.stderr
    out = run(["-c", "import fangkong.wsgi"], dict(env, **keys))
    assert out.returncode == 0, out.stderr


HTTPS_PROBE = """
import django
from django.conf import settings
django.setup()
settings.STORAGES = dict(settings.STORAGES, staticfiles={  # no collectstatic in tmp var/
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"})
from django.test import Client
c = Client()
plain = c.get("/login/")
proxied = c.get("/login/", headers={"X-Forwarded-Proto": "https"})
print(plain.status_code, plain.get("Location"))
print(proxied.status_code, proxied.wsgi_request.is_secure())
print(proxied.get("Strict-Transport-Security"))
print(proxied.cookies["csrftoken"]["secure"], settings.SESSION_COOKIE_SECURE)
print(settings.SESSION_COOKIE_AGE)
"""


def test_https_behind_a_proxy_redirects_sends_hsts_and_trusts_the_proxy_header(tmp_path, keys):
    env = production(tmp_path, keys, ALLOWED_HOSTS="testserver",
                     DJANGO_SETTINGS_MODULE="fangkong.settings")
    out = run(["-c", HTTPS_PROBE], env)
    assert out.returncode == 0, out.stderr
    plain, proxied, hsts, secure, age = out.stdout.strip().splitlines()
    assert plain == "301 https://testserver/login/"
    assert proxied == "200 True"  # is_secure() behind TLS termination
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert secure == "True True"
    assert age == str(12 * 3600)


@pytest.mark.django_db
def test_a_session_ends_after_12_idle_hours_and_each_use_pushes_the_end_back(world, client,
                                                                           monkeypatch):
    from django.conf import settings
    from django.contrib.sessions.models import Session

    from fangkong.accounts import middleware

    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    client.force_login(world.users.staff)
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    assert client.get("/search/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == first  # no write per request
    now = time.time()
    monkeypatch.setattr(middleware.time, "time", lambda: now + middleware.REFRESH + 5)
    client.get("/search/")
    assert Session.objects.get(session_key=key).expire_date > first
