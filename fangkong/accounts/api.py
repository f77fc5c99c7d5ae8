"""Who am I, and my API tokens (/api/v1/me, /api/v1/tokens).

Tokens are made and revoked by `accounts.actions` (audited), exactly as on the Tokens page.
A token is shown in clear once, in the answer that creates it; only its hash is stored.
"""

import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from fangkong.core.actor import actor_of
from fangkong.core.errors import Forbidden

from . import actions
from .models import ApiToken
from .roles import Role

router = Router(tags=["accounts"])


class MembershipPlaceOut(Schema):
    id: int
    kind: str
    name: str


class MembershipOut(Schema):
    role: str
    role_label: str
    place: MembershipPlaceOut
    household: int | None


class UserOut(Schema):
    id: int
    username: str
    display_name: str


class MeOut(Schema):
    user: UserOut
    roles: list[str]
    memberships: list[MembershipOut]


class TokenOut(Schema):
    id: int
    name: str
    lookup: str  # the visible start of the token, to tell tokens apart
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    active: bool


class TokenCreated(TokenOut):
    token: str  # in clear this once; store it now


class TokenCreate(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str


def token_out(tok: ApiToken) -> dict:
    return {"id": tok.id, "name": tok.name, "lookup": f"{ApiToken.PREFIX}{tok.lookup}",
            "created_at": tok.created_at, "last_used_at": tok.last_used_at,
            "revoked_at": tok.revoked_at, "active": tok.is_active}


@router.get("/me", response=MeOut)
def me(request):
    """The logged-in user, their roles, and the places (or household) each role covers."""
    user = request.user
    labels = dict(Role.choices)
    # The scope already holds the memberships (one query per request): no more queries.
    grants = request.scope.grants
    return {
        "user": {"id": user.id, "username": user.username,
                 "display_name": user.display_name or user.username},
        "roles": sorted({g.role for g in grants}),
        "memberships": [
            {"role": g.role, "role_label": str(labels.get(g.role, g.role)),
             "place": {"id": g.place.id, "kind": g.place.kind, "name": g.place.name},
             "household": g.household_id}
            for g in grants
        ],
    }


@router.get("/tokens", response=list[TokenOut])
def token_list(request):
    """Your own tokens, newest first (revoked ones included, marked)."""
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    return [token_out(t) for t in rows]


@router.post("/tokens", response={201: TokenCreated})
def token_create(request, payload: TokenCreate):
    """A new token for a device or an integration. Needs the browser session: a token
    cannot make another token (a leaked token could otherwise outlive its revocation)."""
    if getattr(request, "via", None) != "web":
        raise Forbidden(_("Create tokens while logged in (in the browser), not with a token."),
                        code="session_required")
    tok, raw = actions.create_token(actor_of(request), payload.name)
    return Status(201, dict(token_out(tok), token=raw))


@router.delete("/tokens/{token_id}", response=TokenOut)
def token_revoke(request, token_id: int):
    """Revoke one of your tokens. It stops working at once; revoking twice is harmless."""
    return token_out(actions.revoke_token(actor_of(request), token_id))


from .people_api import router as people_router  # noqa: E402 - /people…: the people page's

router.add_router("/", people_router)

from .roles_api import router as roles_router  # noqa: E402 - /people/roles…: roles taken away, given back

router.add_router("/", roles_router)
