"""Password guessing is limited per account and per address; the person is told when to
try again; locks are audited; the volunteers' text-code login counts the same way."""

import datetime
import socket

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from fangkong.accounts import throttle
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import client_ip
from tests.conftest import PASSWORD
from tests.volunteers.conftest import codes, make_volunteer  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


_ANON = []


def attempt(username, password, ip="10.0.0.1", client=None):
    """One login form sent, as a fresh visitor unless `client` is given (one test client
    reused: making one loads the middleware, 180 ms)."""
    if client is None:
        if not _ANON:
            _ANON.append(Client())
        client = _ANON[0]
        client.cookies.clear()
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip, headers={"Accept-Language": "en"})


def later(monkeypatch, minutes):
    moved = throttle.timezone.now() + datetime.timedelta(minutes=minutes)
    monkeypatch.setattr(throttle.timezone, "now", lambda: moved)


def test_wrong_passwords_lock_the_account_and_say_when_to_try_again(world, monkeypatch):
    for _n in range(4):
        assert attempt("staff_a", "wrong-guess").status_code == 200  # the form again
    fifth = attempt("staff_a", "wrong-guess")
    assert fifth.status_code == 429
    text = fifth.content.decode()
    assert "Too many wrong passwords" in text and "in 15 minutes" in text
    # the right password is refused too while locked: guessing cannot go on
    for _n in range(200):
        assert attempt("staff_a", PASSWORD).status_code == 429
    lock = AuditEvent.objects.get(action="login.locked")
    assert lock.target_id == world.users.staff.id and lock.ip == "10.0.0.1"
    assert lock.changes["by"] == "account" and lock.changes["failures"] == 5
    assert lock.community_id == world.community.id  # the community's auditors see it

    later(monkeypatch, 16)
    c = Client()
    assert attempt("staff_a", PASSWORD, client=c).status_code == 302
    assert c.get(reverse("search")).status_code == 200


def test_a_second_lock_lasts_twice_as_long(world, monkeypatch):
    for _n in range(5):
        attempt("grid_a", "nope-nope")
    later(monkeypatch, 16)
    for _n in range(5):
        last = attempt("grid_a", "nope-nope")
    assert last.status_code == 429 and "in 30 minutes" in last.content.decode()
    assert AuditEvent.objects.filter(action="login.locked").count() == 2


def test_every_spelling_of_a_phone_counts_against_the_same_account(world):
    spellings = ["13800000001", "+86 138 0000 0001", "138-0000-0001", "１３８００００００01",
                 "staff_a"]
    for s in spellings:
        attempt(s, "wrong-guess")
    assert attempt("+8613800000001", PASSWORD).status_code == 429


def test_an_unknown_login_is_locked_alike_and_keeps_no_phone_in_the_cache(world):
    for _n in range(5):
        last = attempt("13999999999", "whatever1")
    assert last.status_code == 429
    assert "Too many wrong passwords" in last.content.decode()
    keys = list(cache._cache.keys())  # LocMemCache: what a Redis would hold
    assert keys and not any("13999999999" in k for k in keys)
    # another account from the same address is unaffected
    assert attempt("grid_a", PASSWORD).status_code == 302


def test_many_accounts_from_one_address_lock_the_address_only(world, settings):
    settings.FANGKONG_LOGIN_FAILS_PER_ADDRESS = 8
    for n in range(8):
        attempt(f"guess{n}", "wrong-guess", ip="10.9.9.9")
    blocked = attempt("grid_a", PASSWORD, ip="10.9.9.9")
    assert blocked.status_code == 429 and "from your network" in blocked.content.decode()
    assert attempt("grid_a", PASSWORD, ip="10.9.9.10").status_code == 302
    event = AuditEvent.objects.get(action="login.locked")
    assert event.changes["by"] == "address" and event.target_id is None


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(settings):
    req = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5",
                               HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(req) == "10.0.0.5"  # no proxy configured: the header proves nothing
    settings.FANGKONG_PROXY_HOPS = 1
    assert client_ip(req) == "203.0.113.7"  # what our proxy appended, not what was sent
    bad = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="junk")
    assert client_ip(bad) == "10.0.0.5"


def test_wrong_volunteer_codes_count_like_wrong_passwords(world, make_volunteer, codes):  # noqa: F811
    v = make_volunteer(3)
    url = reverse("volunteers_login")
    c = Client()
    c.post(url, {"phone": v.phone}, REMOTE_ADDR="10.1.1.1")
    right = codes[v.phone]
    wrong = "000000" if right != "000000" else "111111"
    for _n in range(5):
        c.post(url, {"phone": v.phone, "code": wrong}, REMOTE_ADDR="10.1.1.1")
    page = c.post(url, {"phone": v.phone, "code": right}, REMOTE_ADDR="10.1.1.1",
                  headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Too many wrong passwords or codes" in page.content.decode()
    assert "_auth_user_id" not in c.session
    assert AuditEvent.objects.filter(action="login.locked", target_id=v.user_id).count() == 1


def _redis_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_every_app_server_sees_the_same_lock(world, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/15",
                                   "KEY_PREFIX": "fk-test-login"}}
    from django.core.cache import caches

    caches["default"].clear()
    try:
        for _n in range(5):
            attempt("leader_a", "wrong-guess")
        # a second server: its own connection to the same Redis
        import redis

        r = redis.Redis.from_url("redis://127.0.0.1:6379/15")
        assert any(b"fk:login:lock:acct:" in k for k in r.keys("fk-test-login*"))
        assert attempt("leader_a", PASSWORD).status_code == 429
    finally:
        caches["default"].clear()
