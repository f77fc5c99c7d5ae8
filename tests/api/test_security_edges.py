"""The security matrix of tests/api/test_security.py, its edges: every route without an
account (401 in the error shape), another community's object (the very bytes of a missing
one), and NUL and bidi characters in every string a route is sent (core/clean.py). A module
of its own so that pytest-xdist runs it beside the rest of the matrix."""

import pytest
from django.test import Client

from tests.api.test_security import (  # noqa: F401 - this module's own instances
    RLO,
    ROUTES,
    as_user,
    body_of,
    counts,
    prepare,
    scened,
    send,
    shared,
    world,
)


@pytest.mark.parametrize("key", [k for k, r in ROUTES.items() if not r.public],
                         ids=lambda k: f"{k[0]} {k[1]}")
def test_anonymous_gets_401_in_the_error_shape(world, key):  # noqa: F811 - the imported fixture
    route = ROUTES[key]
    w = world
    prepare(w, route)
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
def test_another_communitys_object_looks_exactly_like_a_missing_one(world, key):  # noqa: F811
    """Staff of community B asking for community A's object get the very bytes a missing
    id gives: the API does not tell them that it exists."""
    route = ROUTES[key]
    w = world
    prepare(w, route)
    client, _headers = as_user(w, "other_staff", "session")
    real = send(client, key[0], route.url(w), body_of(route, w), route.multipart)
    missing = route.missing(w)
    url, body = missing if isinstance(missing, tuple) else (missing, body_of(route, w))
    absent = send(client, key[0], url, body, route.multipart)
    assert real.status_code == absent.status_code == 404
    assert real.content == absent.content
    assert real["Content-Type"] == absent["Content-Type"]
    assert real.json()["error"]["code"] == "not_found"


# --- every API route, with NUL in every string it is sent (core/clean.py) -----------

def poison(value):
    if isinstance(value, str):
        return value + "\x00" + RLO
    if isinstance(value, dict):
        return {k: poison(v) for k, v in value.items()}
    if isinstance(value, list):
        return [poison(v) for v in value]
    return value


@pytest.mark.parametrize("key", [k for k, r in ROUTES.items() if r.documented],
                         ids=lambda k: f"{k[0]} {k[1]}")
def test_no_api_route_fails_on_a_nul_byte(world, key):  # noqa: F811
    """Text hygiene (core/clean.py) on every route: NUL and bidi characters in the query and
    in every string of the body never make a server error nor come back in the answer."""
    route = ROUTES[key]
    w = world
    prepare(w, route)
    client, _headers = as_user(w, "staff", "session", raise_request_exception=False)
    url = route.url(w)
    url += ("&" if "?" in url else "?") + "q=a%00b%E2%80%AE"
    body = body_of(route, w)
    if body is not None and not route.multipart:
        body = poison(body)
    r = send(client, key[0], url, body, route.multipart)
    assert r.status_code < 500, r.content[:300]
    if r.status_code >= 400:
        assert "error" in r.json()
    if r["Content-Type"].startswith("application/json"):
        assert "\\u0000" not in r.content.decode() and "\\u202e" not in r.content.decode()
