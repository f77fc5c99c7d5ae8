"""/api/v1/me and /api/v1/tokens: who am I, and my API tokens."""

import json

from django.test import Client

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import ApiToken
from fangkong.accounts.roles import Perm
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor


def session(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def make_token(user, name="test device"):
    return account_actions.create_token(Actor.system(user, via="web"), name)


def auth(raw) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def test_me_shows_the_user_their_roles_and_places(world):
    r = session(world.users.staff).get("/api/v1/me")
    assert r.status_code == 200
    assert r.json() == {
        "user": {"id": world.users.staff.id, "username": "staff_a", "display_name": "staff_a"},
        "roles": ["staff"],
        "memberships": [{"role": "staff", "role_label": "社区工作者",
                         "place": {"id": world.community.id, "kind": "community",
                                   "name": "光明社区"},
                         "household": None}],
    }


def test_me_for_a_resident_names_their_household_and_for_nobody_is_empty(world):
    _tok, raw = make_token(world.users.resident)
    body = Client().get("/api/v1/me", headers=auth(raw)).json()
    assert body["roles"] == ["resident"]
    assert [(m["place"]["id"], m["household"]) for m in body["memberships"]] == [
        (world.unit1.id, world.hh101.id)]
    body = session(world.users.nobody).get("/api/v1/me").json()
    assert (body["roles"], body["memberships"]) == ([], [])


def test_token_list_shows_my_tokens_only_and_never_a_secret(world):
    mine, raw = make_token(world.users.grid, "平板")
    make_token(world.users.staff, "someone else's")
    account_actions.revoke_token(Actor.system(world.users.grid), make_token(world.users.grid,
                                                                            "旧手机")[0].id)
    r = Client().get("/api/v1/tokens", headers=auth(raw))
    assert r.status_code == 200
    body = r.json()
    assert [(t["name"], t["active"]) for t in body] == [("旧手机", False), ("平板", True)]
    assert body[1]["lookup"] == f"fk_{mine.lookup}" and raw.startswith(body[1]["lookup"])
    assert body[1]["last_used_at"] is not None  # this very request used it
    text = r.content.decode()
    assert raw not in text and mine.digest not in text
    assert set(body[0]) == {"id", "name", "lookup", "created_at", "last_used_at", "revoked_at",
                            "active"}


def test_a_token_made_in_the_browser_is_shown_once_and_works(world):
    client = session(world.users.grid)
    r = client.post("/api/v1/tokens", json.dumps({"name": "  采样点平板 "}),
                    content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    raw = body["token"]
    assert raw.startswith(body["lookup"] + "_") and body["name"] == "采样点平板"
    tok = ApiToken.objects.get(pk=body["id"])
    assert tok.user == world.users.grid and tok.digest == ApiToken.hash(raw)
    assert raw not in client.get("/api/v1/tokens").content.decode()
    me = Client().get("/api/v1/me", headers=auth(raw))
    assert me.status_code == 200 and me.json()["user"]["username"] == "grid_a"
    event = AuditEvent.objects.get(action="token.create", target_id=tok.id)
    assert (event.actor, event.via) == (world.users.grid, "api")


def test_a_token_cannot_make_another_token(world):
    _tok, raw = make_token(world.users.staff)
    before = ApiToken.objects.count()
    r = Client().post("/api/v1/tokens", json.dumps({"name": "copy"}),
                      content_type="application/json", headers=auth(raw))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "session_required"
    assert ApiToken.objects.count() == before


def test_a_token_needs_a_name(world):
    client = session(world.users.staff)
    before = ApiToken.objects.count()
    r = client.post("/api/v1/tokens", json.dumps({"name": "  "}), content_type="application/json",
                    headers={"Accept-Language": "en"})
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["name"]
    r = client.post("/api/v1/tokens", json.dumps({}), content_type="application/json")
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"name": ["请填写此项。"]}
    assert ApiToken.objects.count() == before


def test_revoking_a_token_stops_it_at_once(world):
    tok, raw = make_token(world.users.staff)
    _other, other_raw = make_token(world.users.staff, "laptop")
    r = Client().delete(f"/api/v1/tokens/{tok.id}", headers=auth(other_raw))
    assert r.status_code == 200
    assert (r.json()["active"], r.json()["revoked_at"] is not None) == (False, True)
    assert Client().get("/api/v1/me", headers=auth(raw)).status_code == 401
    # Twice is harmless, and a token may revoke itself.
    assert Client().delete(f"/api/v1/tokens/{tok.id}", headers=auth(other_raw)).status_code == 200
    assert Client().delete(f"/api/v1/tokens/{_other.id}", headers=auth(other_raw)).status_code == 200
    assert Client().get("/api/v1/me", headers=auth(other_raw)).status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke").count() == 2


def test_someone_elses_token_looks_like_a_missing_one(world):
    theirs, their_raw = make_token(world.users.staff)
    client = session(world.users.grid)
    r = client.delete(f"/api/v1/tokens/{theirs.id}")
    missing = client.delete("/api/v1/tokens/987654321")
    assert r.status_code == missing.status_code == 404
    assert r.content == missing.content
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert Client().get("/api/v1/me", headers=auth(their_raw)).status_code == 200


def test_unknown_api_path_answers_in_the_json_error_shape(client):
    resp = client.get("/api/v1/no-such-thing")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_wrong_method_answers_405_in_the_json_error_shape(client):
    resp = client.delete("/api/v1/me")
    assert resp.status_code == 405
    assert resp.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in resp["Allow"] and "GET" in resp.json()["error"]["message"]


def test_a_token_request_is_authenticated_with_its_scope_in_one_query(world, django_assert_num_queries):
    from fangkong.accounts.actions import authenticate_token_and_scope
    from fangkong.accounts.scope import Scope

    _tok, raw = account_actions.create_token(Actor.system(world.users.staff, via="api"), "phone")
    authenticate_token_and_scope(raw)  # first use writes last_used_at
    with django_assert_num_queries(1):
        user, scope = authenticate_token_and_scope(raw)
    assert user == world.users.staff
    expected = Scope.for_user(world.users.staff)
    assert [(g.role, g.place.id, g.household_id, g.perms) for g in scope.grants] == \
        [(g.role, g.place.id, g.household_id, g.perms) for g in expected.grants]
    assert scope.allows(Perm.VIEW_REGISTRY, world.su) and not scope.allows(Perm.VIEW_REGISTRY,
                                                                           world.other_person)
    # a user without any role still authenticates (with an empty scope)
    _tok, nobody_raw = account_actions.create_token(Actor.system(world.users.nobody, via="api"), "x")
    user, scope = authenticate_token_and_scope(nobody_raw)
    assert user == world.users.nobody and scope.grants == []
    # a resident's grant names the household
    _tok, res_raw = account_actions.create_token(Actor.system(world.users.resident, via="api"), "x")
    _user, scope = authenticate_token_and_scope(res_raw)
    assert [g.household_id for g in scope.grants] == [world.hh101.id]
    # revoked tokens and disabled users do not authenticate
    world.users.staff.is_active = False
    world.users.staff.save()
    assert authenticate_token_and_scope(raw) is None
    assert authenticate_token_and_scope("fk_nope") is None
