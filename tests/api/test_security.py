"""Who may call what on /api/v1/: one row per route, every route in the table.

`ROUTES` lists each (method, path) of the API with a request that would succeed for the
community's staff, and the status every other kind of user must get. The first test fails
when a route is added without a row here, so no endpoint ships untested.

Each row runs twice (browser session and bearer token). Users are tried in a fixed order,
everyone who must be refused first: each refusal is checked to write nothing at all.
"""

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import ApiToken
from fangkong.api import DOCS_ASSETS, api
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.registry.models import Household, ImportJob, Place, Resident

MISSING = 987654321
OUTSIDERS = ("volunteer", "lab", "supplier", "nobody")


def bearer(user, name="test device") -> dict:
    _tok, raw = account_actions.create_token(Actor.system(user, via="api"), name)
    return {"Authorization": f"Bearer {raw}"}


def roster_xlsx(rows, title="光明社区居民花名册") -> bytes:
    """A roster in the usual shape: merged title row, Chinese header row, one row a person."""
    import openpyxl

    header = ["序号", "姓名", "性别", "身份证号", "联系电话", "小区", "楼栋", "单元", "门牌号",
              "与户主关系", "人员状态", "重点人群", "备注"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for i, row in enumerate(rows, 1):
        ws.append([i, *row])
    for cell in ws["D"]:
        cell.number_format = "@"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


NEW_PERSON = ["郭建华", "男", "140106198203150019", "13912345678", "光明小区", "1号楼",
              "2单元", "202", "户主", "在家", "", ""]


def send(client, method, url, body=None, multipart=False, headers=None):
    headers = headers or {}
    if multipart:
        return client.post(url, body, headers=headers)
    if body is None:
        return client.generic(method, url, headers=headers)
    return client.generic(method, url, json.dumps(body), content_type="application/json",
                          headers=headers)


def upload(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"place": w.community.id, "file": SimpleUploadedFile(
        "roster.xlsx", roster_xlsx([NEW_PERSON]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


def make_job(w):
    from fangkong.registry.importer import start_import

    return start_import(Actor.system(w.users.staff, via="web"), w.community, "roster.xlsx",
                        roster_xlsx([NEW_PERSON]))


@dataclass
class Route:
    url: Callable  # world -> url
    body: Callable | None = None  # world -> JSON body (or multipart dict)
    missing: Callable | None = None  # the same request naming an object that does not exist
    multipart: bool = False
    setup: Callable | None = None  # world -> None, runs before the requests
    public: bool = False  # answers without an account (not in the who-may-call tests)
    documented: bool = True  # listed in the OpenAPI schema (the docs' own files are not)
    # Expected status for each kind of user. `staff` is community A's staff (the owner).
    staff: int = 200
    command: int = 200  # street command: reads all below the street, writes nothing
    leader: int = 200  # building leader of community A's building 1
    resident: int = 200  # resident of household 101
    other_staff: int = 404
    outsider: int = 404  # volunteer, lab operator, supplier, user without a role
    lab: int | None = None  # the lab operator where it differs from the other outsiders
    by_token: dict = field(default_factory=dict)  # overrides when the bearer token is used

    def __post_init__(self):
        if self.lab is None:
            self.lab = self.outsider
            if "outsider" in self.by_token:
                self.by_token.setdefault("lab", self.by_token["outsider"])


ANY_USER = dict(staff=200, command=200, leader=200, resident=200, other_staff=200, outsider=200)
WRITE = dict(command=403, leader=403, resident=403)  # visible to all three, writable by none

ROUTES = {
    ("GET", "/me"): Route(lambda w: "/api/v1/me", **ANY_USER),
    ("GET", "/tokens"): Route(lambda w: "/api/v1/tokens", **ANY_USER),
    ("POST", "/tokens"): Route(
        lambda w: "/api/v1/tokens", body=lambda w: {"name": "phone"},
        **dict(ANY_USER, staff=201, command=201, leader=201, resident=201, other_staff=201,
               outsider=201),
        by_token=dict(staff=403, command=403, leader=403, resident=403, other_staff=403,
                      outsider=403)),
    ("DELETE", "/tokens/{token_id}"): Route(
        lambda w: f"/api/v1/tokens/{w.staff_token.id}",
        missing=lambda w: f"/api/v1/tokens/{MISSING}",
        command=404, leader=404, resident=404),
    ("GET", "/places"): Route(
        lambda w: f"/api/v1/places?parent={w.community.id}",
        missing=lambda w: f"/api/v1/places?parent={MISSING}", leader=404, resident=404),
    ("POST", "/places"): Route(
        lambda w: "/api/v1/places",
        body=lambda w: {"parent": w.building.id, "kind": "unit", "name": "3单元"},
        missing=lambda w: ("/api/v1/places", {"parent": MISSING, "kind": "unit", "name": "3单元"}),
        staff=201, command=403, leader=403, resident=404),
    ("GET", "/places/{place_id}"): Route(
        lambda w: f"/api/v1/places/{w.building.id}",
        missing=lambda w: f"/api/v1/places/{MISSING}", resident=404),
    ("PATCH", "/places/{place_id}"): Route(
        lambda w: f"/api/v1/places/{w.building.id}", body=lambda w: {"name": "1栋"},
        missing=lambda w: f"/api/v1/places/{MISSING}",
        command=403, leader=403, resident=404),
    ("POST", "/places/{place_id}/move"): Route(
        lambda w: f"/api/v1/places/{w.unit2.id}/move", body=lambda w: {"parent": w.building.id},
        missing=lambda w: f"/api/v1/places/{MISSING}/move",
        command=403, leader=403, resident=404),
    ("GET", "/households"): Route(
        lambda w: f"/api/v1/households?place={w.unit1.id}",
        missing=lambda w: f"/api/v1/households?place={MISSING}", resident=404),
    ("POST", "/households"): Route(
        lambda w: "/api/v1/households", body=lambda w: {"place": w.unit1.id, "door": "103"},
        missing=lambda w: ("/api/v1/households", {"place": MISSING, "door": "103"}),
        staff=201, command=403, leader=403, resident=404),
    ("GET", "/households/{household_id}"): Route(
        lambda w: f"/api/v1/households/{w.hh101.id}",
        missing=lambda w: f"/api/v1/households/{MISSING}"),
    ("PATCH", "/households/{household_id}"): Route(
        lambda w: f"/api/v1/households/{w.hh101.id}", body=lambda w: {"notes": "钥匙在邻居家"},
        missing=lambda w: f"/api/v1/households/{MISSING}", **WRITE),
    ("GET", "/residents"): Route(
        lambda w: f"/api/v1/residents?place={w.unit1.id}",
        missing=lambda w: f"/api/v1/residents?place={MISSING}", resident=404),
    ("POST", "/residents"): Route(
        lambda w: "/api/v1/residents", body=lambda w: {"household": w.hh101.id, "name": "苏小"},
        missing=lambda w: ("/api/v1/residents", {"household": MISSING, "name": "苏小"}),
        staff=201, **WRITE),
    ("GET", "/residents/{resident_id}"): Route(
        lambda w: f"/api/v1/residents/{w.su.id}",
        missing=lambda w: f"/api/v1/residents/{MISSING}"),
    ("PATCH", "/residents/{resident_id}"): Route(
        lambda w: f"/api/v1/residents/{w.su.id}", body=lambda w: {"presence": "hospital"},
        missing=lambda w: f"/api/v1/residents/{MISSING}", **WRITE),
    ("POST", "/residents/{resident_id}/move"): Route(
        lambda w: f"/api/v1/residents/{w.su.id}/move", body=lambda w: {"household": w.hh102.id},
        missing=lambda w: f"/api/v1/residents/{MISSING}/move",
        **dict(WRITE, resident=404)),  # the resident cannot see household 102
    ("POST", "/residents/{resident_id}/reveal-id"): Route(
        lambda w: f"/api/v1/residents/{w.su.id}/reveal-id",
        missing=lambda w: f"/api/v1/residents/{MISSING}/reveal-id", **WRITE),
    ("POST", "/imports"): Route(
        lambda w: "/api/v1/imports", body=upload, multipart=True,
        missing=lambda w: ("/api/v1/imports", dict(upload(w), place=MISSING)),
        staff=201, command=403, leader=404, resident=404),
    ("GET", "/imports/{job_id}"): Route(
        lambda w: f"/api/v1/imports/{w.job.id}", setup=lambda w: setattr(w, "job", make_job(w)),
        missing=lambda w: f"/api/v1/imports/{MISSING}",
        command=404, leader=404, resident=404),
    ("GET", "/places/{place_id}/code-cards.pdf"): Route(
        lambda w: f"/api/v1/places/{w.building.id}/code-cards.pdf",
        missing=lambda w: f"/api/v1/places/{MISSING}/code-cards.pdf",
        command=403, leader=403, resident=404),
    ("GET", "/households/{household_id}/code-cards.pdf"): Route(
        lambda w: f"/api/v1/households/{w.hh101.id}/code-cards.pdf",
        missing=lambda w: f"/api/v1/households/{MISSING}/code-cards.pdf", **WRITE),
    ("POST", "/residents/{resident_id}/reissue-code"): Route(
        lambda w: f"/api/v1/residents/{w.su.id}/reissue-code",
        missing=lambda w: f"/api/v1/residents/{MISSING}/reissue-code", **WRITE),
    ("GET", "/docs/assets/{name}"): Route(
        lambda w: "/api/v1/docs/assets/swagger-ui-bundle.js", public=True, documented=False,
        **ANY_USER),
}


COUNTED = [Place, Household, Resident, ImportJob, ApiToken, AuditEvent]


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
    return {m.__name__: m.objects.count() for m in COUNTED}


def body_of(route, w):
    return route.body(w) if route.body else None


WHO = [("lab" if u == "lab" else "outsider", u) for u in OUTSIDERS] + [
    ("other_staff", "other_staff"), ("resident", "resident"), ("leader", "leader"),
    ("command", "street"), ("staff", "staff")]


@pytest.mark.parametrize("mode", ["session", "token"])
@pytest.mark.parametrize("key", list(ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_kind_of_user_gets_the_right_status_and_refusals_write_nothing(world, key, mode):
    route = ROUTES[key]
    w = world
    w.staff_token, _raw = account_actions.create_token(
        Actor.system(w.users.staff, via="api"), "staff laptop")
    if route.setup:
        route.setup(w)
    clients = {}
    for _kind, username in WHO:
        user = getattr(w.users, username)
        if mode == "session":
            c = Client()
            c.force_login(user)
            clients[username] = (c, {})
        else:
            clients[username] = (Client(), bearer(user))
    wrong = []
    for kind, username in WHO:
        expected = route.by_token.get(kind, getattr(route, kind)) if mode == "token" \
            else getattr(route, kind)
        client, headers = clients[username]
        before = counts()
        r = send(client, key[0], route.url(w), body_of(route, w), route.multipart, headers)
        if r.status_code != expected:
            wrong.append(f"{username}: {r.status_code} (expected {expected}) {r.content[:200]!r}")
            continue
        if expected >= 400:
            assert r.json()["error"]["code"] in ("not_found", "forbidden", "session_required")
            after = counts()
            if after != before:
                wrong.append(f"{username}: refused with {expected} but wrote {before} → {after}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("key", [k for k, r in ROUTES.items() if not r.public],
                         ids=lambda k: f"{k[0]} {k[1]}")
def test_anonymous_gets_401_in_the_error_shape(world, key):
    route = ROUTES[key]
    w = world
    w.staff_token, _raw = account_actions.create_token(
        Actor.system(w.users.staff, via="api"), "staff laptop")
    if route.setup:
        route.setup(w)
    before = counts()
    client = Client(enforce_csrf_checks=True)  # as a browser would: CSRF on, no session
    r = send(client, key[0], route.url(w), body_of(route, w), route.multipart)
    assert r.status_code == 401, r.content
    assert r["Content-Type"].startswith("application/json")
    assert r.json() == {"error": {"code": "unauthenticated", "message": "请登录或发送有效的 API 令牌。",
                                  "fields": {}, "rows": []}}
    assert counts() == before


@pytest.mark.parametrize("key", [k for k, r in ROUTES.items() if r.missing],
                         ids=lambda k: f"{k[0]} {k[1]}")
def test_another_communitys_object_looks_exactly_like_a_missing_one(world, key):
    """Staff of community B asking for community A's object get the very bytes a missing
    id gives: the API does not tell them that it exists."""
    route = ROUTES[key]
    w = world
    w.staff_token, _raw = account_actions.create_token(
        Actor.system(w.users.staff, via="api"), "staff laptop")
    if route.setup:
        route.setup(w)
    client = Client()
    client.force_login(w.users.other_staff)
    real = send(client, key[0], route.url(w), body_of(route, w), route.multipart)
    missing = route.missing(w)
    url, body = missing if isinstance(missing, tuple) else (missing, body_of(route, w))
    absent = send(client, key[0], url, body, route.multipart)
    assert real.status_code == absent.status_code == 404
    assert real.content == absent.content
    assert real["Content-Type"] == absent["Content-Type"]
    assert real.json()["error"]["code"] == "not_found"


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

    headers = bearer(world.users.grid)
    world.users.grid.is_active = False
    world.users.grid.save()
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
