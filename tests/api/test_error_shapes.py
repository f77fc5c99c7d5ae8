"""Every error of the API is in its one JSON shape, server faults and CSRF refusals
included, and the OpenAPI document lists those answers for every operation."""

import logging

import pytest
from django.test import Client

from fangkong.api import ERROR_STATUSES

SHAPE = {"code", "message", "fields", "rows"}


def test_a_server_fault_on_the_api_answers_json_and_is_logged(world, login, monkeypatch, caplog):
    from fangkong.registry import queries

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(queries, "get_place", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.users.staff)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        r = client.get(f"/api/v1/places/{world.building.id}")
    assert r.status_code == 500
    assert r["Content-Type"].startswith("application/json")
    error = r.json()["error"]
    assert set(error) == SHAPE and error["code"] == "server_error"
    assert error["message"] == "错误已记录，请稍后再试。"
    assert "disk on fire" not in r.content.decode()  # no internals to the client
    assert any("disk on fire" in str(rec.exc_info) for rec in caplog.records)
    # A page with the same fault still shows the error page.
    r = client.get(f"/places/{world.building.id}/")
    assert r.status_code == 500 and r["Content-Type"].startswith("text/html")


def test_a_csrf_refusal_answers_a_script_in_json_and_a_browser_with_the_error_page(world):
    from fangkong.core.actor import Actor
    from fangkong.volunteers.actions import registration

    link = registration.join_link(Actor.system(), world.community)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.grid)  # a browser with a session: CSRF applies
    r = client.post(f"/join/{link.token}/code/", {"phone": "13903519999"},
                    headers={"Accept": "application/json"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf"
    r = client.post(f"/join/{link.token}/code/", {"phone": "13903519999"},
                    headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 403 and "请刷新页面" in r.content.decode()
    # The API's public join endpoint needs no CSRF token from a script.
    r = Client(enforce_csrf_checks=True).post(
        f"/api/v1/volunteers/join/{link.token}/code", {"phone": "13903519999"},
        content_type="application/json")
    assert r.status_code == 200, r.content


def test_a_request_too_large_to_read_is_a_json_400_on_the_api(world, login, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    client = Client(raise_request_exception=False)
    client.force_login(world.users.staff)
    r = client.get("/api/v1/me?" + "&".join(f"f{i}=1" for i in range(50)))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"


def test_every_documented_operation_lists_its_errors_in_the_one_shape(world):
    schema = Client().get("/api/v1/openapi.json").json()
    error = schema["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"]
    detail = schema["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == SHAPE
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            codes = {int(c) for c in op["responses"]}
            assert any(200 <= c < 300 for c in codes), (method, path)
            expected = {400, 403, 404, 409, 422, 429, 500, 503}
            if op.get("security"):
                expected.add(401)
            assert expected <= codes, (method, path, codes)
            for code, answer in op["responses"].items():
                if int(code) >= 400:
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorOut"}, (method, path, code)
                    assert answer["description"] == ERROR_STATUSES[int(code)]


@pytest.mark.parametrize("url,status", [("/api/v1/nowhere", 404), ("/api/v1/residents/abc", 422)])
def test_unknown_paths_and_bad_ids_answer_in_the_shape(world, login, url, status):
    r = login(world.users.staff).get(url)
    assert r.status_code == status
    assert set(r.json()["error"]) == SHAPE


def _schemas_of_the_api():
    """Every ninja Schema class the project defines (the API's routers are imported)."""
    from django.urls import get_resolver
    from ninja import Schema

    _ = get_resolver().url_patterns  # imports every router
    found, todo = [], [Schema]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("fangkong."):
                found.append(sub)
    return found


def test_no_two_schemas_share_a_name_so_the_documentation_shows_each_body():
    """The OpenAPI document names a body by its class's name: two classes of one name (zones'
    and services' ItemIn were) leave one of them documented with the other's fields, and a
    client generated from the document sends the wrong body."""
    by_name = {}
    for cls in _schemas_of_the_api():
        by_name.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not shared, shared


def test_the_zone_item_and_the_conflict_are_documented_with_their_own_fields(world):
    schema = Client().get("/api/v1/openapi.json").json()

    def body(path, method="post"):
        ref = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return set(schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"])

    assert body("/api/v1/zones/adjustments/{pk}/items") == {"op", "place", "zone_type"}
    assert body("/api/v1/services/suppliers/{pk}/items") >= {"name", "price", "unit"}
    assert body("/api/v1/screening/conflicts/{conflict_id}/resolve") == {"accept"}
    assert body("/api/v1/services/problems/{pk}/resolve") == {"resolution", "delivered"}
