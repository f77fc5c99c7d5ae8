"""Roles over JSON (/api/v1/people/roles…), as on the people page: one role (with what would
end with it), taking it away (and what ended), the roles taken away and giving one back,
and giving an existing account a role. Same actions, same rules: a role or place outside
the user's reach is a 404 like a missing one; an account outside it is "no such account"."""

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from fangkong.core.actor import actor_of
from fangkong.core.errors import NotFound
from fangkong.core.paging import page_of

from . import actions, actions_roles
from .access import require_people_page
from .actions_endings import what_ends
from .models import Membership
from .queries import ended_memberships, get_membership
from .roles import Role

router = Router(tags=["accounts"])


class RolePlaceOut(Schema):
    id: int
    kind: str
    name: str


class RoleAccountOut(Schema):
    id: int
    username: str
    display_name: str


class RoleOut(Schema):
    id: int  # the membership (the role on the place)
    role: str
    role_label: str
    place: RolePlaceOut
    user: RoleAccountOut
    active: bool  # false: taken away (POST …/restore gives it back)
    ends: list[str]  # what would end with it if taken away now (a round's table, a team…)


class RevokedOut(RoleOut):
    ended: list[str]  # what ended with it, in your language


class RolePage(Schema):
    count: int
    results: list[RoleOut]


class RoleGiveIn(Schema):
    model_config = ConfigDict(extra="forbid")
    account: str  # their phone or username: an account of the people you manage
    role: str  # staff, grid, leader, volunteer, supplier (those you give; command, lab above)
    place: int  # where they work: a grid for a grid worker, a building for its leader…


def role_out(m: Membership, ends=None) -> dict:
    return {"id": m.id, "role": m.role, "role_label": str(dict(Role.choices).get(m.role, m.role)),
            "place": {"id": m.place.id, "kind": m.place.kind, "name": m.place.name},
            "user": {"id": m.user.id, "username": m.user.username, "display_name": m.user.display_name},
            "active": m.is_active, "ends": ends or []}


@router.get("/people/roles/ended", response=RolePage)
def roles_ended(request, page: int = Query(1, ge=1, le=100_000), page_size: int | None = Query(None, ge=1)):
    """The roles taken away below my places, each to be given back."""
    require_people_page(request.scope)
    count, _size, rows = page_of(ended_memberships(request.scope), page, page_size)
    return {"count": count, "results": [role_out(m) for m in rows]}


@router.post("/people/roles", response={201: RoleOut, 200: RoleOut})
def role_give(request, body: RoleGiveIn):
    """Give an existing account (by phone or username, among the people you manage) a role
    on a place: 201, or 200 when it already had it. An account you do not manage answers as
    one that does not exist (400, field `account`)."""
    require_people_page(request.scope)
    place = Membership._meta.get_field("place").related_model.objects.filter(pk=body.place).first()
    if place is None:
        raise NotFound()
    m, given = actions_roles.give_role(actor_of(request), body.account, body.role, place)
    return Status(201 if given else 200, role_out(m))


@router.get("/people/roles/{membership_id}", response=RoleOut)
def role_detail(request, membership_id: int):
    """One role below my places, with what would end with it if taken away now."""
    m = get_membership(request.scope, membership_id)
    return role_out(m, what_ends(m.user, [m.id]) if m.is_active else [])


@router.post("/people/roles/{membership_id}/revoke", response=RevokedOut)
def role_revoke(request, membership_id: int):
    """Take the role away: what it carried ends with it (`ended`). Your own last managing
    role on a place is refused (409 last_manager). Taking it away twice is harmless."""
    get_membership(request.scope, membership_id)
    m = actions.revoke_membership(actor_of(request), membership_id)
    return dict(role_out(m), ended=m.ended)


@router.post("/people/roles/{membership_id}/restore", response=RoleOut)
def role_restore(request, membership_id: int):
    """Give a role taken away back (what it carried before is not given back). A role held
    now is answered as it is."""
    m = get_membership(request.scope, membership_id)
    return role_out(actions_roles.restore(actor_of(request), m))
