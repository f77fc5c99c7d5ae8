"""Who may call what on /api/v1/: one row per route, every route in the table.

`ROUTES` lists each (method, path) of the API with a request that would succeed for the
community's staff, and the status every other kind of user must get: the API's own rows
here, each app's in `tests/<app>/security_routes.py` (merged below). The first test fails
when a route is added without a row, so no endpoint ships untested.

Each row runs twice (browser session and bearer token). Users are tried in a fixed order,
everyone who must be refused first: each refusal is checked to write nothing at all.
"""

import json

import pytest
from django.conf import settings
from django.test import Client

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import ApiToken
from fangkong.api import DOCS_ASSETS, api
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from tests.api import scenes
from tests.api.routes import (  # noqa: F401 - other test modules import them from here too
    ANY_USER,
    MISSING,
    NEW_PERSON,
    OUTSIDERS,
    RLO,
    WRITE,
    Route,
    bearer,
    make_job,
    roster_xlsx,
    send,
    upload,
)

ROUTES = {  # the API's own; each app's rows are in tests/<app>/security_routes.py
    ("GET", "/docs/assets/{name}"): Route(
        lambda w: "/api/v1/docs/assets/swagger-ui-bundle.js", public=True, documented=False,
        **ANY_USER),
}


COUNTED = [AuditEvent]  # and each app's MODELS: a refusal writes nothing in any of them


def _app_tables():
    """Each app's rows live beside its tests (tests/<app>/security_routes.py, a dict
    ROUTES of the same Route rows), so that apps grow their tables without touching this
    file; they are all checked here, the same way."""
    from tests.tables import app_tables

    for table in app_tables("security_routes"):
        clash = set(table.ROUTES) & set(ROUTES)
        assert not clash, f"routes listed twice: {clash}"
        ROUTES.update(table.ROUTES)
        COUNTED.extend(getattr(table, "MODELS", []))  # their tables: refusals write nothing


_app_tables()


def api_routes() -> set[tuple[str, str]]:
    routes = set()
    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            for op in view.operations:
                routes.update((m, path) for m in op.methods)
    return routes


def test_every_route_has_a_row_in_the_security_table():
    routes = api_routes()
    assert routes - set(ROUTES) == set(), "add these routes to ROUTES"
    assert set(ROUTES) - routes == set(), "these rows name routes that no longer exist"
    # The same paths, read from the URLconf that Django actually serves (docs, schema and
    # root are ninja's own views, not operations).
    served = {"/" + str(p.pattern).replace("<", "{").replace(">", "}") for p in api.urls[0]
              if p.name not in ("openapi-json", "openapi-view", "api-root")}
    assert served == {path for _m, path in routes}


def counts():
    """The rows of every counted table, in one query (it runs twice for each answer)."""
    from django.db import connection

    q = connection.ops.quote_name
    tables = [m._meta.db_table for m in COUNTED]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {q(t)})" for t in tables))
        row = cursor.fetchone()
    return {m.__name__: n for m, n in zip(COUNTED, row, strict=True)}


def body_of(route, w):
    return route.body(w) if route.body else None


WHO = [("lab" if u == "lab" else "outsider", u) for u in OUTSIDERS] + [
    ("other_staff", "other_staff"), ("resident", "resident"), ("leader", "leader"),
    ("command", "street"), ("staff", "staff")]
MODES = ("session", "token")
# What the matrix checked on the day its world became shared (issue 11): it may grow, never
# shrink — a row dropped or a kind of user forgotten fails here.
AT_LEAST = {"routes": 72, "answers": 1296}


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the whole matrix, and each user logged in once (a session cookie and a
    bearer token each). Every test runs in its own transaction, rolled back after it, so
    each row still starts from exactly this world (the rows' own `setup` runs inside it)."""
    from tests.conftest import build_world, built_once

    def build():
        w = build_world(Actor.system())
        w.sessions, w.tokens = {}, {}
        for _kind, username in WHO:
            user = getattr(w.users, username)
            c = Client()
            c.force_login(user)
            w.sessions[username] = c.cookies[settings.SESSION_COOKIE_NAME].value
            w.tokens[username] = bearer(user)
        return w

    with built_once(django_db_blocker, tmp_path_factory, build) as w:
        try:
            yield w
        finally:
            with django_db_blocker.unblock():
                scenes.activate(w, None)


@pytest.fixture
def scened(shared, request, django_db_blocker):
    """The shared world with the standing scene this test's route asks for (tests/api/
    scenes.py), set up before the test's own transaction opens."""
    callspec = getattr(request.node, "callspec", None)
    key = callspec.params.get("key") if callspec else None
    with django_db_blocker.unblock():
        scenes.activate(shared, ROUTES[key].setup if key in ROUTES else None)
    return shared


@pytest.fixture
def world(scened, db, settings):
    """In this module `world` is the shared one (changes are rolled back after each test)."""
    settings.MEDIA_ROOT = scened.media
    return scened


def prepare(w, route):
    w.staff_token, _raw = account_actions.create_token(
        Actor.system(w.users.staff, via="api"), "staff laptop")
    if route.setup:
        route.setup(w)  # a standing scene (scenes.shared_scene) is there already: nothing to do


def as_user(w, username, mode, **kwargs):
    """A client for the user, logged in the way `mode` says: (client, headers)."""
    client = Client(**kwargs)
    if mode == "token":
        return client, w.tokens[username]
    client.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[username]
    return client, {}


def test_the_matrix_checks_every_route_for_every_kind_of_user_both_ways():
    answers = len(ROUTES) * len(MODES) * len(WHO)
    print(f"security matrix: {len(ROUTES)} routes × {len(MODES)} ways × {len(WHO)} users"
          f" = {answers} answers checked")
    assert len(ROUTES) >= AT_LEAST["routes"] and answers >= AT_LEAST["answers"]
    from tests.api import test_security_token

    assert ("session", *test_security_token.MODES) == MODES  # both ways, each in its module
    assert {u for _k, u in WHO} == {"volunteer", "lab", "supplier", "nobody", "other_staff",
                                    "resident", "leader", "street", "staff"}


def check_each_kind(w, key, mode):
    """One row of the matrix in one way: every kind of user gets its declared status, and
    each refusal writes nothing."""
    route = ROUTES[key]
    prepare(w, route)
    wrong = []
    for kind, username in WHO:
        expected = route.by_token.get(kind, getattr(route, kind)) if mode == "token" \
            else getattr(route, kind)
        client, headers = as_user(w, username, mode)
        before = counts()
        r = send(client, key[0], route.url(w), body_of(route, w), route.multipart, headers)
        if r.status_code != expected:
            wrong.append(f"{username}: {r.status_code} (expected {expected}) {r.content[:200]!r}")
            continue
        if expected >= 400:
            code = {403: route.forbidden_code, 404: "not_found"}[expected]
            assert r.json()["error"]["code"] == code, (username, r.content)
            after = counts()
            if after != before:
                wrong.append(f"{username}: refused with {expected} but wrote {before} → {after}")
    assert not wrong, "\n".join(wrong)


# The matrix runs in three modules, so that pytest-xdist (a module stays on one worker)
# spreads its ~700 tests over the workers: the session way here, the token way in
# test_security_token.py, the anonymous / other community / NUL rows in
# test_security_edges.py. Each module builds the shared world once.
@pytest.mark.parametrize("key", list(ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_kind_of_user_gets_the_right_status_and_refusals_write_nothing(world, key):
    check_each_kind(world, key, "session")


# --- CSRF: tokens need none, sessions need it on unsafe methods -------------------

def test_token_auth_needs_no_csrf(world):
    client = Client(enforce_csrf_checks=True)
    r = client.post("/api/v1/households", {"place": world.unit1.id, "door": "104"},
                    content_type="application/json", headers=bearer(world.users.staff))
    assert r.status_code == 201, r.content


def test_session_auth_refuses_unsafe_methods_without_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.staff)
    before = counts()
    for method, url, body in [
        ("POST", "/api/v1/households", {"place": world.unit1.id, "door": "104"}),
        ("PATCH", f"/api/v1/residents/{world.su.id}", {"notes": "x"}),
        ("POST", f"/api/v1/residents/{world.su.id}/reveal-id", None),
        ("DELETE", f"/api/v1/tokens/{MISSING}", None),
    ]:
        r = send(client, method, url, body)
        assert r.status_code == 403, (url, r.content)
        assert r.json()["error"]["code"] == "csrf"
    assert counts() == before
    # Safe methods need no token.
    assert client.get(f"/api/v1/residents/{world.su.id}").status_code == 200


def test_session_auth_accepts_unsafe_methods_with_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.staff)
    client.get("/api/v1/docs")  # any page that renders the token sets the cookie
    token = client.cookies["csrftoken"].value
    r = client.post("/api/v1/households", {"place": world.unit1.id, "door": "104"},
                    content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.content


def test_a_bad_token_does_not_fall_back_to_anything(world):
    client = Client()
    for header in ("Bearer fk_nope", "Bearer ", "Basic abc", "Bearer " + "x" * 500):
        r = client.get("/api/v1/me", headers={"Authorization": header})
        assert r.status_code == 401, header


def test_a_revoked_token_and_a_disabled_user_get_401(world):
    headers = bearer(world.users.staff)
    tok = ApiToken.objects.filter(user=world.users.staff).latest("id")
    assert Client().get("/api/v1/me", headers=headers).status_code == 200
    account_actions.revoke_token(Actor.system(world.users.staff), tok.id)
    assert Client().get("/api/v1/me", headers=headers).status_code == 401

    grid = type(world.users.grid).objects.get(pk=world.users.grid.pk)  # the shared one stays active
    headers = bearer(grid)
    grid.is_active = False
    grid.save()
    assert Client().get("/api/v1/me", headers=headers).status_code == 401


def test_ids_that_are_not_numbers_or_are_huge_are_refused_cleanly(world, login):
    client = login(world.users.staff)
    r = client.get("/api/v1/residents/abc")
    assert r.status_code == 422
    assert "resident_id" in r.json()["error"]["fields"]
    for url in ("/api/v1/residents/99999999999999999999999", "/api/v1/places/-1",
                "/api/v1/households/0", "/api/v1/imports/99999999999999999999"):
        r = client.get(url)
        assert r.status_code == 404, (url, r.content)


# --- OpenAPI and the docs page, offline and under the CSP ------------------------

def test_openapi_schema_lists_every_operation(world):
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    served = {(m.upper(), p.removeprefix("/api/v1")) for p, ops in schema["paths"].items()
              for m in ops}
    assert served == {k for k, r in ROUTES.items() if r.documented}
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}


def test_docs_page_loads_only_its_own_files_and_runs_under_the_csp(world):
    import re

    client = Client()
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = r.content.decode()
    # No CDN, no other origin, nothing inline that the CSP would block.
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attrs, text in scripts:
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
        if "src=" in attrs:
            assert not text.strip()
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    settings_json = re.search(r'id="swagger-settings" type="application/json">(.*?)</script>',
                              html, re.S).group(1)
    assert json.loads(settings_json)["url"] == "/api/v1/openapi.json"
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(urls) == 4
    for url in urls:
        assert url.startswith("/api/v1/docs/assets/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        name = url.rsplit("/", 1)[1]
        assert asset["Content-Type"] == DOCS_ASSETS[name]
        assert b"".join(asset.streaming_content)
    assert client.get("/api/v1/docs/assets/..%2Fsettings.py").status_code == 404
    assert client.get("/api/v1/docs/assets/redoc.standalone.js").status_code == 404


@pytest.mark.browser
def test_docs_page_renders_in_a_real_browser_without_csp_violations(world, _browser, live_server):
    """Chromium, offline: Swagger UI draws every operation, and the console shows no
    Content-Security-Policy violation, no script error and no request to another origin."""
    from django.urls import get_resolver

    _ = get_resolver().url_patterns  # import the URLconf before the clock starts
    ctx = _browser.new_context()
    ctx.set_default_timeout(60_000)
    ctx.set_default_navigation_timeout(90_000)
    page = ctx.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda req: problems.append(f"failed: {req.url}"))
    page.on("request", lambda req: None if req.url.startswith((live_server.url, "data:"))
            else problems.append(f"other origin: {req.url}"))
    try:
        page.goto(live_server.url + "/api/v1/docs", wait_until="domcontentloaded")
        page.wait_for_selector(".opblock")
        operations = page.locator(".opblock").count()
    finally:
        ctx.close()
    assert operations == len([r for r in ROUTES.values() if r.documented])
    assert not problems, problems
