"""Who may call the accounts endpoints: who am I, and my API tokens (checked by
tests/api/test_security.py, which explains the columns)."""

from fangkong.accounts.models import ApiToken
from tests.api.routes import ANY_USER, MISSING, Route

MODELS = [ApiToken]

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
    ("POST", "/people/accounts/{user_id}/unlock"): Route(
        lambda w: f"/api/v1/people/accounts/{w.users.grid.id}/unlock",
        missing=lambda w: f"/api/v1/people/accounts/{MISSING}/unlock",
        leader=404, resident=404),
}
