"""Who may do what with zones: the only home of the zones app's permission rules.

A notice, adjustment, designation, case or gate event belongs to the node it was made for
(its level columns), so the usual grant check applies; a forbidden object looks missing
(NotFound) unless the user may see it (then Forbidden)."""

from fangkong.accounts.roles import Perm
from fangkong.core import access as core_access
from fangkong.core.errors import NotFound
from fangkong.registry.models import LEVELS

VIEW, MANAGE, GATE, POLICY = Perm.ZONES_VIEW, Perm.ZONES_MANAGE, Perm.ZONES_GATE, Perm.ZONES_POLICY


def require(actor_or_scope, perm, obj):
    """NotFound if the user cannot see `obj` at all; Forbidden if they see it but lack `perm`."""
    core_access.require(actor_or_scope, perm, obj, seen=(VIEW, Perm.VIEW_REGISTRY))


def may(scope, perm, obj) -> bool:
    return scope.allows(perm, obj)


def require_policy(actor):
    """The policy is the same for the whole installation: command at a district (the top of
    the tree) or a superuser picks and edits it."""
    core_access.require_at_top(actor, POLICY, VIEW)


def require_any(actor_or_scope, perm):
    scope = getattr(actor_or_scope, "scope", actor_or_scope)
    if not scope.has(perm):
        raise NotFound()


def may_plan_rounds(scope, place) -> bool:
    """May the user plan a testing round on `place` (screening's permission, asked here so
    the zones page offers "plan this round" only where the planning form would accept it)."""
    return place.kind in LEVELS and scope.allows(Perm.SCREENING_RUN, place)
