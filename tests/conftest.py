"""Shared test set-up: a small world of two communities with one user per role.

Everything is built through actions (as a user would), never with raw ORM writes.
"""

import os
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from fangkong.accounts import actions as account_actions
from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind

PASSWORD = "correct-horse-42"

# Valid, fictional ID numbers (region 140106, Taiyuan Yingze district).
IDS = {
    "su_xia": "14010619480904786X",
    "yu_haitao": "140106194902100530",
    "xia_ming": "140106198702197890",
    "wang_xinyong": "140106199202213254",
    "b_person": "140105197905122468",  # not in the sample roster
}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """SQLite: the test database is a file (in memory-backed /dev/shm where there is one),
    not Django's default shared in-memory database. With the in-memory one, the browser
    tests' live server shares the test's single connection between its request threads and
    the test thread, and a page loading its parts at once fails at random ("database table
    is locked", "bad parameter or other API misuse"; Django's docs warn of this). A file
    gives every thread its own connection with SQLite's normal locking."""
    import shutil
    import tempfile

    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        yield
        return
    shm = "/dev/shm"  # where it is writable and roomy (a container's may be 64 MB)
    roomy = os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 1 << 30
    where = tempfile.mkdtemp(prefix="fangkong-test-", dir=shm if roomy else None)
    db.setdefault("TEST", {})["NAME"] = os.path.join(where, "test.sqlite3")
    yield
    shutil.rmtree(where, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings, tmp_path):
    from django.core.cache import cache
    from django.utils import translation

    # Every test starts in the default language (Chinese): a request in English leaves its
    # language active in the thread (LocaleMiddleware), and a test run after it on the same
    # worker read English errors (seen when the suite ran on three workers).
    translation.activate(settings.LANGUAGE_CODE)
    cache.clear()  # per-user rate counts (core/shedding.py) start at zero in every test
    settings.MEDIA_ROOT = str(tmp_path / "media")  # uploaded photos never land in var/
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # WhiteNoise reads every collected static file (~560) each time a test client starts its
    # middleware — 0.1–0.2 s a client, a third of the suite's time. In tests it looks a
    # static file up when one is asked for instead (its documented development mode).
    settings.WHITENOISE_AUTOREFRESH = True
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    # The round page's live figures are computed on every poll (tests read them right after a
    # change); tests/screening/test_coverage.py checks the shared few seconds on their own.
    settings.FANGKONG_LIVE_CACHE_SECONDS = 0
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    yield
    translation.deactivate()  # and what runs between tests (a module's scene) starts so too


@pytest.fixture
def system():
    return Actor.system()


def make_user(system, username, role=None, place=None, household=None, phone=""):
    user = account_actions.create_user(system, username, PASSWORD, display_name=username,
                                       phone=phone, check_password=False)
    if role:
        account_actions.grant(system, user, role, place, household=household)
    return user


@pytest.fixture
def world(db, system):
    """Built once a process through actions, then copied in for each test
    (tests/world_snapshot.py)."""
    from tests import world_snapshot

    return world_snapshot.world(build_world, system)


def build_world(system):
    """The world, built through actions (also for module-scoped scenes)."""
    w = SimpleNamespace()
    w.district = reg.create_place(system, None, Kind.DISTRICT, "迎泽区", code="140106")
    w.street = reg.create_place(system, w.district, Kind.STREET, "桥东街道")
    w.community = reg.create_place(system, w.street, Kind.COMMUNITY, "光明社区")
    w.grid = reg.create_place(system, w.community, Kind.GRID, "第一网格")
    w.compound = reg.create_place(system, w.grid, Kind.COMPOUND, "光明小区")
    w.building = reg.create_place(system, w.compound, Kind.BUILDING, "1号楼")
    w.unit1 = reg.create_place(system, w.building, Kind.UNIT, "1单元")
    w.unit2 = reg.create_place(system, w.building, Kind.UNIT, "2单元")
    w.hh101 = reg.create_household(system, w.unit1, "101", phone="03514001234")
    w.hh102 = reg.create_household(system, w.unit1, "102")
    w.hh201 = reg.create_household(system, w.unit2, "201")
    w.su = reg.create_resident(system, w.hh101, {
        "name": "苏霞", "id_number": IDS["su_xia"], "phone": "17446416120", "relation": "户主",
        "tags": "独居老人、行动不便"})
    w.yu = reg.create_resident(system, w.hh101, {
        "name": "于海涛", "id_number": IDS["yu_haitao"], "phone": "17629786286", "relation": "配偶"})
    w.xia = reg.create_resident(system, w.hh102, {
        "name": "夏明", "id_number": IDS["xia_ming"], "phone": "15083776308", "relation": "户主",
        "tags": "卧床"})
    w.wang = reg.create_resident(system, w.hh201, {
        "name": "王新勇", "id_number": IDS["wang_xinyong"], "phone": "15534248731"})
    # A second community under the same street, which community A's users must never see.
    w.other = reg.create_place(system, w.street, Kind.COMMUNITY, "惠泽苑社区")
    w.other_compound = reg.create_place(system, w.other, Kind.COMPOUND, "惠泽苑小区")
    w.other_building = reg.create_place(system, w.other_compound, Kind.BUILDING, "5号楼")
    w.other_unit = reg.create_place(system, w.other_building, Kind.UNIT, "1单元")
    w.other_hh = reg.create_household(system, w.other_unit, "301")
    w.other_person = reg.create_resident(system, w.other_hh, {
        "name": "袁桂英", "id_number": IDS["b_person"], "phone": "17288469604"})

    w.users = SimpleNamespace(
        district=make_user(system, "command_district", Role.COMMAND, w.district),
        street=make_user(system, "command_street", Role.COMMAND, w.street),
        staff=make_user(system, "staff_a", Role.STAFF, w.community, phone="13800000001"),
        other_staff=make_user(system, "staff_b", Role.STAFF, w.other),
        grid=make_user(system, "grid_a", Role.GRID, w.grid),
        leader=make_user(system, "leader_a", Role.LEADER, w.building),
        volunteer=make_user(system, "volunteer_a", Role.VOLUNTEER, w.community),
        lab=make_user(system, "lab_op", Role.LAB, w.district),
        supplier=make_user(system, "supplier_a", Role.SUPPLIER, w.community),
        resident=make_user(system, "resident_a", Role.RESIDENT, household=w.hh101),
        nobody=make_user(system, "no_role"),
    )
    return w


@contextmanager
def built_once(django_db_blocker, tmp_path_factory, build):
    """For a module-scoped fixture: `build()` runs once, outside any test's transaction,
    with the suite's fast settings; each test still runs in its own transaction, rolled
    back after it (pytest-django's `db`), so every test starts from exactly what `build`
    made. The database is emptied when the module is done."""
    from django.core.management import call_command
    from django.test import override_settings

    media = str(tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock():
        try:
            with override_settings(
                    MEDIA_ROOT=media,
                    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                    TASKS={"default": {
                        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}):
                w = build()
                w.media = media
            yield w
        finally:
            call_command("flush", interactive=False, verbosity=0)


def at_once(*calls, timeout=60):
    """Run the calls in threads released at the same instant (PostgreSQL concurrency
    tests); return each call's result or the exception it raised, in order."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            out[i] = fn()
        except Exception as e:  # noqa: BLE001 - handed back to the test
            out[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return out


def actor_for(user, via="web"):
    return Actor.system(user, via=via)


def client_of(user):
    """A test client signed in as `user` (no login page, no password)."""
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


# The modules that take longest (real servers, tiny benchmark runs, the security matrix's
# ~700 tests in three modules, fresh migrations, the day on phones), longest first. They
# are handed out first, so that under `dev.py test` (pytest-xdist, `--dist loadscope`: a
# module stays on one worker, modules are handed out in this order) the longest start at
# once and the short modules fill in around them, instead of one being the run's long
# tail. Measured in docs/benchmarks.md ("Issue 11: the suite's time").
SLOW_FIRST = (
    "tests/deploy/test_topology.py",
    "tests/api/test_security.py",
    "tests/api/test_security_token.py",
    "tests/test_bench.py",
    "tests/api/test_security_edges.py",
    "tests/test_page_routes.py",
    "tests/fault/test_fault.py",
    "tests/api/test_schemathesis.py",
    "tests/test_deploy.py",
    "tests/test_setup.py",
    "tests/day/test_day_browser.py",
    "tests/ops/test_backup.py",
    "tests/services/test_story.py",
    "tests/core/test_live_server.py",
    "tests/screening/test_demo.py",
    "tests/services/test_demo.py",
    "tests/zones/test_demo.py",
    "tests/registry/test_demo.py",
    "tests/volunteers/test_demo.py",
    "tests/day/test_day_api.py",
)


def pytest_configure(config):
    """xdist hands modules out in collection order (its default would sort them by number
    of tests, putting the slow one-test modules last), however it was asked for (-n, --dist)."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    """The slow modules first (SLOW_FIRST's order); the rest keep pytest's order. A stable
    sort: the tests inside a module keep theirs."""
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "")
    return "database: " + ("PostgreSQL" if url.startswith("postgres") else "SQLite")


# --- browser tests -------------------------------------------------------------
# Debian's chromium driven by Python Playwright (never `playwright install`). Where
# chromium is missing the tests are skipped with a plain reason (shown by -rs).

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-output", "screenshots")


def chromium_path():
    import shutil

    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def _browser():
    path = chromium_path()
    if not path:
        pytest.skip("browser tests skipped: no Chromium found (Debian: apt install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def settings_time_zone():
    """The phone's clock is in the community's time zone, as the server's pages are."""
    from django.conf import settings

    return settings.TIME_ZONE


@pytest.fixture(scope="session")
def _phone(_browser):
    """One phone-sized context and page for a worker's whole run, made clean before each
    test (`phone_page`): a new context costs Chromium a renderer process each time (~0.2
    CPU-s; 240 of them were a quarter of the suite's browser time)."""
    ctx = _browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True,
                               has_touch=True, locale="zh-CN", timezone_id=settings_time_zone())
    ctx.set_default_timeout(30_000)
    ctx.set_default_navigation_timeout(60_000)
    page = ctx.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    yield page
    ctx.close()


PHONE = {"width": 390, "height": 844}


def _fresh(page, origin):
    """As a new context would be: nothing of the last test left — no page loaded (its
    timers stopped), no cookies, no storage of the site (localStorage, IndexedDB: the
    station's and door-to-door queues, caches), online, phone-sized, screen media, no
    routes, the standard timeouts; extra pages a test opened closed."""
    ctx = page.context
    for other in ctx.pages:
        if other is not page:
            other.close()
    page.goto("about:blank")
    ctx.clear_cookies()
    ctx.set_offline(False)
    page.unroute_all()
    ctx.unroute_all()
    page.set_viewport_size(PHONE)
    page.emulate_media(media="screen")
    ctx.set_default_timeout(30_000)
    ctx.set_default_navigation_timeout(60_000)
    cdp = ctx.new_cdp_session(page)
    try:
        cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    finally:
        cdp.detach()
    page.problems.clear()


@pytest.fixture
def phone_page(_phone, live_server):
    """A clean 390×844 phone-sized page (one context reused, see `_fresh`); collects
    console errors and CSP violations."""
    from django.urls import get_resolver

    _ = get_resolver().url_patterns  # import the URLconf (and the API schemas) before timing starts
    page = _phone
    _fresh(page, live_server.url)
    page.base = live_server.url

    def shot(name):
        """A screenshot to look at (never an assertion). Chromium on a loaded machine now and
        then answers "Unable to capture screenshot" (seen once in ~60 suite runs): try again
        after the page settles, twice, before that counts as a failure."""
        from playwright.sync_api import Error

        os.makedirs(SHOTS, exist_ok=True)
        for attempt in range(3):
            try:
                page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
                return
            except Error as e:
                if "Unable to capture screenshot" not in str(e) or attempt == 2:
                    raise
                page.wait_for_load_state()
                page.wait_for_timeout(200)

    page.shot = shot
    yield page
    page.goto("about:blank")  # the next test starts from nothing, and no timer of this one runs on


def log_in(page, username, password=PASSWORD):
    """Log in through the login form, as a person would."""
    page.goto(page.base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")
    page.wait_for_load_state()


def sign_out(page):
    """The last person's page is left first (its timers and reads stop with it), then the
    cookies go: the phone is nobody's. Clearing the cookies under a page still open let
    that page's next read go out signed out — the delivery run's list, read again 400 ms
    after a door is sent, answered 401 while the login page was slow to come (a console
    error, once in CI under load). For a next person who signs in some other way (a text
    code); `switch_to` for one who logs in with a password."""
    page.goto("about:blank")
    page.context.clear_cookies()


def switch_to(page, username, password=PASSWORD):
    """Another person on the same phone: `sign_out`, then the next person logs in."""
    sign_out(page)
    log_in(page, username, password)


def seal_now(world, place=None):
    """`place` (default 1号楼) sealed from now by the zones' own publication (a notice, a
    draft, its item, published): the missing list's, the resident form's and the import's
    "away in a sealed building" tests start from it. Returns the published adjustment."""
    from django.utils import timezone

    from fangkong.zones.actions import publish as pub
    from fangkong.zones.actions.policy import install_presets
    from fangkong.zones.models import ZoneType

    install_presets()
    staff = actor_for(world.users.staff)
    n = pub.create_notice(staff, world.community, {"number": "迎泽防控〔2022〕19号", "issued_by": "桥东街道",
                                                   "title": "封控通告",
                                                   "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, world.community, "封控", notice=n)
    pub.add_item(staff, adj, pub.Op.CREATE, place or world.building,
                 ZoneType.objects.get(policy__is_active=True, code="sealed"))
    pub.publish(staff, adj)
    return adj
