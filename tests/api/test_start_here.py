"""What a district IT office met starting on the API (a demo walker's findings): the
documentation says how to start, a guessed filter name is refused instead of answering
everything, and a 422 speaks like a 400 (plain field names, a message saying what is wrong).
Through the API and the pages, as an integrator would."""

import json
import re

from django.test import Client

from fangkong.accounts import actions as account_actions
from fangkong.core.actor import Actor


def bearer(user) -> dict:
    _tok, raw = account_actions.create_token(Actor.system(user, via="api"), "district IT")
    return {"Authorization": f"Bearer {raw}"}


# --- 1. the documentation says how to start ----------------------------------------------

def test_the_documentation_starts_with_how_to_get_and_send_a_token(world, settings):
    settings.FANGKONG_API_MAX_PAGE = 321  # the document says the site's real figure
    schema = Client().get("/api/v1/openapi.json", headers={"Accept-Language": "en"}).json()
    intro = schema["info"]["description"]
    assert "/tokens/" in intro and "Authorization: Bearer fk_" in intro
    assert "401" in intro and "400" in intro and "422" in intro and "404" in intro
    assert "at most 321" in intro and "UTC" in intro and "ISO 8601" in intro
    r = Client().get(f"/api/v1/residents/{world.su.id}", headers=bearer(world.users.staff))
    assert r.json()["updated_at"].endswith("Z")  # as the document says: answers in UTC
    assert '"fields"' in intro  # the one error shape, shown
    # the reader never meets a setting's name instead of its value, anywhere in the document
    assert not re.findall(r"FANGKONG_[A-Z_]+", json.dumps(schema))
    zh = Client().get("/api/v1/openapi.json").json()["info"]["description"]
    assert "获取令牌" in zh and "Authorization: Bearer fk_" in zh  # Chinese by default


def test_the_tokens_page_says_how_to_send_a_token_and_links_the_documentation(world, login):
    page = login(world.users.staff).get("/tokens/").content.decode()
    assert "Authorization: Bearer fk_" in page
    assert 'href="/api/v1/docs"' in page
    assert Client().get("/api/v1/docs").status_code == 200


# --- 2. unknown query parameters are refused -----------------------------------------------

def test_a_guessed_filter_is_refused_naming_it_and_the_ones_that_exist(world):
    auth = bearer(world.users.staff)
    client = Client()
    r = client.get(f"/api/v1/residents?place={world.community.id}&household={world.hh101.id}",
                   headers={**auth, "Accept-Language": "en"})
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert set(error) == {"code", "message", "fields", "rows"}
    assert error["code"] == "unknown_parameter" and list(error["fields"]) == ["household"]
    assert error["message"].startswith("Unknown query parameter: household.")
    for name in ("place", "tag", "presence", "q", "page", "page_size"):
        assert name in error["message"]
    # the declared ones still work, and an operation without parameters says so
    r = client.get(f"/api/v1/residents?place={world.community.id}&page_size=2", headers=auth)
    assert r.status_code == 200 and r.json()["count"] == 4
    r = client.get("/api/v1/me?verbose=1", headers={**auth, "Accept-Language": "en"})
    assert r.status_code == 400 and "takes no query parameters" in r.json()["error"]["message"]
    assert "verbose" in Client().get("/api/v1/me?verbose=1", headers=auth).json()["error"]["message"]
    # checked after the token: a caller without one learns nothing but 401
    assert client.get("/api/v1/residents?household=1").status_code == 401


def test_writes_refuse_unknown_query_parameters_too(world):
    """A guessed `?dry_run=1` on a write would otherwise do the real thing."""
    r = Client().post("/api/v1/residents?dry_run=1", json.dumps({
        "household": world.hh101.id, "name": "试运行"}), content_type="application/json",
        headers=bearer(world.users.staff))
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["dry_run"]
    from fangkong.registry.models import Resident

    assert not Resident.objects.filter(name="试运行").exists()


# --- 3. a 422 speaks like a 400 -----------------------------------------------------------

def test_a_type_error_names_the_plain_field_and_says_what_is_wrong(world):
    auth = {**bearer(world.users.staff), "Accept-Language": "en"}
    client = Client()
    r = client.post("/api/v1/services/requests", json.dumps(
        {"household": "one-oh-one", "category": "medical", "text": "药"}),
        content_type="application/json", headers=auth)
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert list(error["fields"]) == ["household"]  # not "body.household"
    assert error["message"] == "This field has the wrong type: household."
    # a value error from the checks keys its field the same way (400)
    r = client.post("/api/v1/services/requests", json.dumps(
        {"household": world.hh101.id, "category": "no-such-kind", "text": "药"}),
        content_type="application/json", headers=auth)
    assert r.status_code == 400 and "category" in r.json()["error"]["fields"]
    # several kinds at once, each said; in Chinese by default
    r = client.post("/api/v1/residents", json.dumps({"household": [1], "colour": "red"}),
                    content_type="application/json", headers=bearer(world.users.staff))
    error = r.json()["error"]
    assert set(error["fields"]) == {"household", "name", "colour"}
    assert "name" in error["message"] and "colour" in error["message"] and "household" in error["message"]
    assert "请更正" not in error["message"]


# --- 4. the household count can be reproduced from the list --------------------------------

def test_the_households_counted_are_the_places_household_count(world):
    from fangkong.registry import actions as reg

    system = Actor.system()
    reg.create_household(system, world.unit2, "202")  # nobody in it yet
    gone = reg.create_household(system, world.unit2, "203")
    reg.create_resident(system, gone, {"name": "迁走了", "presence": "moved_out"})
    auth, client = bearer(world.users.staff), Client()
    place = client.get(f"/api/v1/places/{world.building.id}", headers=auth).json()
    assert place["household_count"] == 3  # 101, 102, 201
    every = client.get(f"/api/v1/households?place={world.building.id}", headers=auth).json()
    assert every["count"] == 5
    assert {h["door"]: h["counted"] for h in every["results"]} == {
        "101": True, "102": True, "201": True, "202": False, "203": False}
    counted = client.get(f"/api/v1/households?place={world.building.id}&counted=true",
                         headers=auth).json()
    assert counted["count"] == place["household_count"]
    assert all(h["resident_count"] > 0 for h in counted["results"])
    rest = client.get(f"/api/v1/households?place={world.building.id}&counted=false",
                      headers=auth).json()
    assert sorted(h["door"] for h in rest["results"]) == ["202", "203"]
    # the same figure from the list of the building's children
    kids = client.get(f"/api/v1/places?parent={world.building.id}", headers=auth).json()
    assert sum(k["household_count"] for k in kids) == counted["count"]
    # and the document says what household_count counts
    doc = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "counted=true" in doc["PlaceOut"]["properties"]["household_count"]["description"]
    assert "counted" in doc["HouseholdOut"]["required"]
