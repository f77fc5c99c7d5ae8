"""Who may manage accounts: the one home of accounts' permission rules.

- Where: memberships are managed by those holding MANAGE_USERS on the place (or household)
  they are given on — a community's staff on their community, command on its district or
  street — and by a superuser anywhere; for anyone else a membership elsewhere does not
  exist (NotFound).
- What: `GIVES` says which roles each managing role hands out, never one above its own:
  staff give the community's roles, command also command (its own level and below) and
  lab roles; a superuser gives any. `ROLE_PLACES` says on which kind of place each role
  sits (a grid worker on a grid, a building leader on a building…): the other apps find
  people there (a case is told to the grid's worker and the community's staff).
- An account (its password, its lock) is managed by whoever may give every role it holds
  now: staff never reset a command's, a street's command never a district's.
"""

from django.utils.translation import gettext_lazy as _

from fangkong.core.access import require, require_somewhere, scope_of
from fangkong.core.errors import Forbidden, Invalid, NotFound
from fangkong.core.tree import is_under

from .roles import Perm, Role

COMMUNITY_ROLES = (Role.STAFF, Role.GRID, Role.LEADER, Role.VOLUNTEER, Role.SUPPLIER,
                   Role.RESIDENT)
GIVES = {
    Role.COMMAND: (Role.COMMAND, Role.LAB, *COMMUNITY_ROLES),
    Role.STAFF: COMMUNITY_ROLES,
}
ROLE_PLACES = {
    Role.COMMAND: ("district", "street"),
    Role.LAB: ("district", "street"),
    Role.STAFF: ("community",),
    Role.GRID: ("grid",),
    Role.LEADER: ("building",),
    Role.VOLUNTEER: ("community",),
    Role.SUPPLIER: ("community",),
    Role.RESIDENT: ("unit", "building"),  # through the household (household_login)
}
WRONG_PLACE = {
    Role.COMMAND: _("Command roles sit on a district or a street."),
    Role.LAB: _("A lab operator's login sits on a district or a street."),
    Role.STAFF: _("Community staff work on a community: choose the community."),
    Role.GRID: _("A grid worker works on one grid: choose the grid."),
    Role.LEADER: _("A building leader works on one building: choose the building."),
    Role.VOLUNTEER: _("A volunteer works for a community: choose the community."),
    Role.SUPPLIER: _("A supplier's login sits on the community it serves: choose the community."),
    Role.RESIDENT: _("A resident's account names their household."),
}


def is_superuser(who) -> bool:
    """A superuser (an active Django superuser, or the system's own scope for commands)."""
    scope = scope_of(who)
    if getattr(scope, "superuser", False):
        return True
    user = getattr(scope, "user", None)
    return bool(user is not None and user.is_active and user.is_superuser)


def _is_system(who) -> bool:
    """Maintenance commands, the demo and tests' set-up (SystemScope): no kind rule."""
    scope = scope_of(who)
    return bool(getattr(scope, "superuser", False)) and getattr(scope, "user", None) is None


def may_manage(who, obj) -> bool:
    """May `who` (an actor or a scope) manage the memberships on `obj` (a place or a
    household)?"""
    return is_superuser(who) or scope_of(who).allows(Perm.MANAGE_USERS, obj)


def require_manage(who, obj) -> None:
    if is_superuser(who):
        return
    require(who, Perm.MANAGE_USERS, obj)


def may_open_people_page(who) -> bool:
    scope = scope_of(who)
    return bool(scope) and (is_superuser(scope) or scope.has(Perm.MANAGE_USERS))


def require_people_page(who) -> None:
    """The people page: for those who manage accounts somewhere (and superusers)."""
    if is_superuser(who):
        return
    require_somewhere(who, Perm.MANAGE_USERS)


def roles_given(who, place) -> list[str]:
    """The roles `who` may give on `place`, in the Role enum's order ([] where they manage
    nobody): those of `GIVES` for the managing grants covering the place, that sit on a
    place of its kind."""
    if place is None:
        return []
    fits = [r for r in Role.values if place.kind in ROLE_PLACES.get(r, ())]
    scope = scope_of(who)
    if is_superuser(scope):
        return fits
    given = set()
    for g in scope.grants:
        if Perm.MANAGE_USERS in g.perms and g.household_id is None and is_under(place, g.place):
            given.update(GIVES.get(g.role, ()))
    return [r for r in fits if r in given]


def roles_given_anywhere(who) -> list[str]:
    """Every role `who` gives somewhere (the people page's role list)."""
    scope = scope_of(who)
    if is_superuser(scope):
        return [r for r in Role.values if r != Role.RESIDENT]
    given = set()
    for g in scope.grants:
        if Perm.MANAGE_USERS in g.perms and g.household_id is None:
            given.update(r for r in GIVES.get(g.role, ())
                         if _level_at_or_below(g.place.kind, ROLE_PLACES[r]))
    return [r for r in Role.values if r in given and r != Role.RESIDENT]


def _level_at_or_below(kind, kinds) -> bool:
    from fangkong.core.tree import LEVELS

    top = LEVELS.index(kind) if kind in LEVELS else len(LEVELS)
    return any(k in LEVELS and LEVELS.index(k) >= top for k in kinds)


def require_grant(who, role, place) -> None:
    """May `who` give `role` on `place`? NotFound where they manage nobody; Invalid (a
    field's message) for a role they do not give or a place where the role does not sit."""
    if role not in Role.values:
        raise Invalid(fields={"role": [_("Unknown role.")]})
    if place is None:
        raise NotFound()
    require_manage(who, place)
    if role in roles_given(who, place):
        return
    if _is_system(who):  # commands and set-up: only the tree's own rule for command
        if role == Role.COMMAND and place.kind not in ROLE_PLACES[Role.COMMAND]:
            raise Invalid(fields={"place": [WRONG_PLACE[Role.COMMAND]]})
        return
    if place.kind not in ROLE_PLACES.get(role, ()):
        raise Invalid(fields={"place": [WRONG_PLACE[role]]})
    raise Invalid(fields={"role": [_("You cannot give this role.")]})


def may_manage_account(who, user, memberships=None) -> bool:
    """May `who` reset `user`'s password or clear its lock? A superuser: anyone. Otherwise
    the account must hold at least one role now, every one of them a role `who` gives on
    its place; never a superuser's account, never one's own (that is "Change my
    password"). `memberships`: the user's active memberships with their places, when the
    caller has them (the people page reads them for all its rows at once)."""
    scope = scope_of(who)
    if user is None:
        return False
    if scope.user is not None and user.pk == scope.user.pk:
        return False
    if is_superuser(scope):
        return True
    if user.is_superuser:
        return False
    if memberships is None:
        memberships = list(user.memberships.filter(is_active=True).select_related("place"))
    return bool(memberships) and all(m.role in roles_given(scope, m.place) for m in memberships)


def require_manage_account(who, user) -> None:
    """NotFound unless `who` manages a place where `user` holds a role now; Forbidden
    when the account also works above them (a role they do not give)."""
    scope = scope_of(who)
    if scope.user is not None and user.pk == scope.user.pk:
        own = _("Change your own password on “Change my password” in the menu.")
        raise Invalid(own, fields={"user": [own]})
    memberships = list(user.memberships.filter(is_active=True).select_related("place"))
    if not is_superuser(scope) and not any(may_manage(scope, m.place) for m in memberships):
        raise NotFound()
    if not may_manage_account(scope, user, memberships):
        raise Forbidden(_("This account also works above your level; its password is reset "
                          "there."))
