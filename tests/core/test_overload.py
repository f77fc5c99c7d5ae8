"""Overload is answered, not queued without end (core/shedding.py): past its slots and its
short queue a server process answers 503 with Retry-After at once, the station's writes
keep a lane of their own, it recovers by itself, and the most expensive reads have a
per-user limit (429 with Retry-After). The figures under load are `bench/run overload`."""

import json
import threading
import time

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from fangkong.core.shedding import LoadSheddingMiddleware

SCAN = "/api/v1/screening/rounds/7/scan"


class Blocking:
    """A view that holds its slot until released."""

    def __init__(self):
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def __call__(self, request):
        self.entered.release()
        self.release.wait(10)
        return HttpResponse("ok")


def in_thread(fn, *args):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn(*args)))
    t.start()
    return t, out


@override_settings(FANGKONG_MAX_ACTIVE=1, FANGKONG_MAX_WAITING=1, FANGKONG_ADMIT_WAIT=0.3,
                   FANGKONG_RETRY_AFTER=3, FANGKONG_MAX_ACTIVE_PRIORITY=1)
def test_past_its_slots_and_queue_a_process_answers_503_at_once_and_recovers():
    view = Blocking()
    mw = LoadSheddingMiddleware(view)
    rf = RequestFactory()
    busy, busy_out = in_thread(mw, rf.get("/search/?q=a"))
    assert view.entered.acquire(timeout=5)  # the one slot is taken
    waiting, waiting_out = in_thread(mw, rf.get("/api/v1/residents?q=b"))
    time.sleep(0.05)  # …and the one place in the queue
    t = time.perf_counter()
    shed = mw(rf.get("/api/v1/households?q=c"))
    assert time.perf_counter() - t < 0.1  # answered at once, not after a wait
    assert shed.status_code == 503 and shed["Retry-After"] == "3"
    error = json.loads(shed.content)["error"]
    assert error["code"] == "overloaded" and error["message"] == "服务器已满负荷，请 3 秒后再试。"
    waiting.join(5)
    assert waiting_out["r"].status_code == 503  # waited its 0.3 s, no slot came free

    # The station's scan has its own lane: it is served while searches are shed.
    view2 = Blocking()
    view2.release.set()
    station = LoadSheddingMiddleware(lambda r: view2(r) if r.path == SCAN else view(r))
    station.normal = mw.normal  # the same busy process
    assert station(rf.post(SCAN)).status_code == 200

    view.release.set()  # the slow request ends: the process recovers by itself
    busy.join(5)
    assert busy_out["r"].status_code == 200
    assert mw(rf.get("/search/?q=d")).status_code == 200


@override_settings(FANGKONG_MAX_ACTIVE=1, FANGKONG_MAX_WAITING=0, FANGKONG_RETRY_AFTER=5)
def test_a_page_past_capacity_says_so_in_the_users_language_and_reloads_itself():
    view = Blocking()
    mw = LoadSheddingMiddleware(view)
    rf = RequestFactory()
    busy, _out = in_thread(mw, rf.get("/"))
    assert view.entered.acquire(timeout=5)
    try:
        r = mw(rf.get("/places/1/", headers={"Accept-Language": "zh-CN"}))
        assert r.status_code == 503 and r["Retry-After"] == "5"
        page = r.content.decode()
        assert "服务器正忙" in page and "5 秒后再试" in page
        assert '<meta http-equiv="refresh" content="5">' in page
        r = mw(rf.get("/places/1/", headers={"Accept-Language": "en"}))
        assert "Busy right now" in r.content.decode()
    finally:
        view.release.set()
        busy.join(5)


# --- per-user limits on expensive reads -----------------------------------------------

@pytest.fixture
def tight(settings):
    settings.FANGKONG_RATE_LIMITS = {"search": "3/m", "coverage": "2/m", "export": "1/m"}


def test_searching_past_the_users_limit_is_429_with_retry_after(world, login, tight):
    client = login(world.users.staff)
    url = f"/api/v1/residents?place={world.unit1.id}&q=苏"
    for _ in range(3):
        assert client.get(url).status_code == 200
    r = client.get(url)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(r["Retry-After"]) <= 60
    assert client.get(f"/api/v1/residents?place={world.unit1.id}").status_code == 200  # no q
    other = login(world.users.grid)  # another user is not slowed
    assert other.get(url).status_code == 200


def test_the_search_page_past_the_limit_shows_a_429_page(world, login, tight):
    client = login(world.users.staff)
    for _ in range(3):
        assert client.get("/search/?q=苏").status_code == 200
    r = client.get("/search/?q=苏")
    assert r.status_code == 429 and "Retry-After" in r
    assert "您的请求过于频繁" in r.content.decode()


def test_exports_have_their_own_limit(world, login, tight):
    client = login(world.users.staff)
    assert client.get(f"/places/{world.building.id}/code-cards.pdf").status_code == 200
    assert client.get(f"/places/{world.building.id}/code-cards.pdf").status_code == 429
    assert client.get("/search/?q=苏").status_code == 200  # searching still allowed


def test_one_second_is_said_in_the_singular():
    """English said "try again in 1 seconds"; the rate limit waits at least 1 second."""
    from fangkong.core.shedding import overloaded

    rf = RequestFactory()
    page = overloaded(rf.get("/places/1/", headers={"Accept-Language": "en"}), 1).content.decode()
    assert "try again in 1 second (this page reloads itself)" in page, page
    api = overloaded(rf.get("/api/v1/places", headers={"Accept-Language": "en"}), 1).content.decode()
    assert "try again in 1 second." in api, api
    assert "try again in 2 seconds" in overloaded(rf.get("/", headers={"Accept-Language": "en"}), 2).content.decode()
