"""Who may call the accounts endpoints: who am I, and my API tokens (checked by
tests/api/test_security.py, which explains the columns)."""

from fangkong.accounts.models import ApiToken, Membership
from tests.api.routes import ANY_USER, MISSING, Route

MODELS = [ApiToken, Membership]


def grid_role(w):
    return w.users.grid.memberships.get().id


def grid_role_ended(w):
    from fangkong.accounts import actions
    from fangkong.core.actor import Actor

    actions.revoke_membership(Actor.system(), grid_role(w))

ROUTES = {
    ("GET", "/me"): Route(lambda w: "/api/v1/me", **ANY_USER),
    ("GET", "/tokens"): Route(lambda w: "/api/v1/tokens", **ANY_USER),
    ("POST", "/tokens"): Route(
        lambda w: "/api/v1/tokens", body=lambda w: {"name": "phone"},
        **dict(ANY_USER, staff=201, command=201, leader=201, resident=201, other_staff=201,
               outsider=201),
        by_token=dict(staff=403, command=403, leader=403, resident=403, other_staff=403,
                      outsider=403), forbidden_code="session_required"),
    ("DELETE", "/tokens/{token_id}"): Route(
        lambda w: f"/api/v1/tokens/{w.staff_token.id}",
        missing=lambda w: f"/api/v1/tokens/{MISSING}",
        command=404, leader=404, resident=404),
    # people and roles: staff of community A and the street's command manage A's accounts
    ("GET", "/people"): Route(lambda w: "/api/v1/people", staff=200, command=200, leader=404,
                              resident=404, other_staff=200),  # B's staff: B's people
    ("POST", "/people"): Route(
        lambda w: "/api/v1/people",
        body=lambda w: {"display_name": "郭晓东", "role": "grid", "place": w.grid.id},
        missing=lambda w: ("/api/v1/people", {"display_name": "郭晓东", "role": "grid",
                                              "place": MISSING}),
        staff=201, command=201, leader=404, resident=404),
    ("POST", "/people/accounts/{user_id}/password-reset"): Route(
        lambda w: f"/api/v1/people/accounts/{w.users.grid.id}/password-reset",
        missing=lambda w: f"/api/v1/people/accounts/{MISSING}/password-reset",
        leader=404, resident=404),
    # roles: one, taken away (the street's command first, then staff: already ended, 200),
    # those taken away and given back; an existing account (the leader's) given a role
    ("GET", "/people/roles/ended"): Route(lambda w: "/api/v1/people/roles/ended", staff=200, command=200,
                                          leader=404, resident=404, other_staff=200),
    ("GET", "/people/roles/{membership_id}"): Route(
        lambda w: f"/api/v1/people/roles/{grid_role(w)}",
        missing=lambda w: f"/api/v1/people/roles/{MISSING}", leader=404, resident=404),
    ("POST", "/people/roles/{membership_id}/revoke"): Route(
        lambda w: f"/api/v1/people/roles/{grid_role(w)}/revoke",
        missing=lambda w: f"/api/v1/people/roles/{MISSING}/revoke", leader=404, resident=404),
    ("POST", "/people/roles/{membership_id}/restore"): Route(
        lambda w: f"/api/v1/people/roles/{grid_role(w)}/restore", setup=grid_role_ended,
        missing=lambda w: f"/api/v1/people/roles/{MISSING}/restore", leader=404, resident=404),
    ("POST", "/people/roles"): Route(
        lambda w: "/api/v1/people/roles",
        body=lambda w: {"account": "leader_a", "role": "grid", "place": w.grid.id},
        missing=lambda w: ("/api/v1/people/roles", {"account": "leader_a", "role": "grid",
                                                    "place": MISSING}),
        staff=200, command=201, leader=404, resident=404),  # the command gave it first
    ("POST", "/people/accounts/{user_id}/unlock"): Route(
        lambda w: f"/api/v1/people/accounts/{w.users.grid.id}/unlock",
        missing=lambda w: f"/api/v1/people/accounts/{MISSING}/unlock",
        leader=404, resident=404),
}
