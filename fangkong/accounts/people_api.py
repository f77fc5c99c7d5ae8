"""People and roles over JSON (/api/v1/people…), as on the people page: the accounts and
roles below the user's places, adding a person with a role, and — for an account whose
every role the user gives — a new one-time password or clearing its lock. Same actions,
same rules (accounts.access): an account or place outside the user's reach is a 404 like a
missing one; an account that also works above them is a 403.
"""

import datetime

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from fangkong.core.actor import actor_of
from fangkong.core.errors import NotFound
from fangkong.core.paging import page_of

from . import actions, actions_passwords
from .access import require_people_page
from .queries import account_states, get_account, memberships, place_by_id
from .roles import Role

router = Router(tags=["accounts"])


class PeoplePlaceOut(Schema):
    id: int
    kind: str
    name: str


class AccountOut(Schema):
    id: int
    username: str
    display_name: str
    # On a password the office set (not yet replaced by their own): when it stops working
    # (FANGKONG_ONE_TIME_PASSWORD_HOURS after it was set), and whether it already has.
    one_time_password_until: datetime.datetime | None
    one_time_password_expired: bool


class PersonRoleOut(Schema):
    id: int  # the membership (the role on the place)
    role: str
    role_label: str
    place: PeoplePlaceOut
    user: AccountOut
    may_reset: bool  # may I reset this account's password / clear its lock
    locked_until: datetime.datetime | None  # wrong passwords locked it until then


class PeoplePage(Schema):
    count: int
    results: list[PersonRoleOut]


class NewAccountIn(Schema):
    model_config = ConfigDict(extra="forbid")
    display_name: str
    role: str  # command, lab, staff, grid, leader, volunteer, supplier (those you give)
    place: int  # where they work: a grid for a grid worker, a building for its leader…
    phone: str = ""
    username: str = ""  # blank: made up (not personal data)
    password: str = ""  # blank: made up; either way changed at their first login


class Created(Schema):
    user: AccountOut
    membership: int
    password: str  # in clear this once: pass it on; they choose their own at first login


class PasswordOut(Schema):
    user: AccountOut
    password: str  # the one-time password, in clear this once


class UnlockOut(Schema):
    user: AccountOut
    was_locked: bool


def _account(u) -> dict:
    return {"id": u.id, "username": u.username, "display_name": u.display_name,
            "one_time_password_until": u.one_time_password_until,
            "one_time_password_expired": u.one_time_password_expired}


@router.get("/people", response=PeoplePage)
def people(request, page: int = Query(1, ge=1, le=100_000), page_size: int | None = Query(None, ge=1)):
    """The roles below my places (a superuser: all), with each account's lock."""
    require_people_page(request.scope)
    count, _size, rows = page_of(memberships(request.scope), page, page_size)
    states = account_states(request.scope, {m.user for m in rows})
    labels = dict(Role.choices)
    out = []
    for m in rows:
        may, until = states.get(m.user_id, (False, None))
        out.append({"id": m.id, "role": m.role, "role_label": str(labels.get(m.role, m.role)),
                    "place": {"id": m.place.id, "kind": m.place.kind, "name": m.place.name},
                    "user": _account(m.user), "may_reset": may, "locked_until": until})
    return {"count": count, "results": out}


@router.post("/people", response={201: Created})
def add_person(request, body: NewAccountIn):
    """A new account with a role on a place; its first password comes back once."""
    require_people_page(request.scope)
    place = place_by_id(body.place)
    if place is None:
        raise NotFound()
    m, password = actions.add_person(actor_of(request), username=body.username,
                                     password=body.password, display_name=body.display_name,
                                     phone=body.phone, role=body.role, place=place)
    return Status(201, {"user": _account(m.user), "membership": m.id, "password": password})


@router.post("/people/accounts/{user_id}/password-reset", response=PasswordOut)
def password_reset(request, user_id: int):
    """A new one-time password for the account, working for the hours this site allows (72
    unless set otherwise; the answer's `user.one_time_password_until` says until when): its
    old one stops working, its sessions end and its
    API tokens are revoked, its lock is cleared; they choose their own at their next login."""
    user = get_account(request.scope, user_id)
    password = actions_passwords.reset_password(actor_of(request), user)
    return {"user": _account(user), "password": password}


@router.post("/people/accounts/{user_id}/unlock", response=UnlockOut)
def unlock(request, user_id: int):
    """Clear the lock wrong passwords put on the account."""
    user = get_account(request.scope, user_id)
    return {"user": _account(user), "was_locked": actions_passwords.unlock(actor_of(request), user)}
