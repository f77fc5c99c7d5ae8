"""Who may do what with zones: the only home of the zones app's permission rules.

A notice, adjustment, designation, case or gate event belongs to the node it was made for
(its level columns), so the usual grant check applies; a forbidden object looks missing
(NotFound) unless the user may see it (then Forbidden)."""

from django.db.models import Exists, OuterRef, Q

from fangkong.accounts.roles import Perm
from fangkong.core import access as core_access
from fangkong.core.errors import NotFound
from fangkong.core.tree import NOTHING, ancestor_ids, level_field, under
from fangkong.registry.models import LEVELS

VIEW, MANAGE, GATE, POLICY = Perm.ZONES_VIEW, Perm.ZONES_MANAGE, Perm.ZONES_GATE, Perm.ZONES_POLICY
APPROVE = Perm.ZONES_APPROVE  # the level above approves lifting a zone that needs it


def require(actor_or_scope, perm, obj):
    """NotFound if the user cannot see `obj` at all; Forbidden if they see it but lack `perm`."""
    core_access.require(actor_or_scope, perm, obj, seen=(VIEW, Perm.VIEW_REGISTRY))


def may(scope, perm, obj) -> bool:
    return scope.allows(perm, obj)


# --- who may read a notice ---------------------------------------------------------------
# A notice is public words: it is read by everyone it zones, not only by whoever filed it.
# Community staff read the street's notice that seals their building; a family reads the
# notice that seals their building or their whole street.

def filed_q(scope, perm=VIEW, prefix="") -> Q:
    """Rows (notices, adjustments: anything with level columns at `prefix`) filed at or
    under a node where the user holds `perm` (a resident's grant files nothing)."""
    out = NOTHING
    for g in scope.grants:
        if perm in g.perms and g.household_id is None and level_field(g.place):
            out |= under(g.place, prefix)
    return out


def concerns_q(scope, prefix="") -> Q:
    """Places (at `prefix`, e.g. "place__") whose zoning concerns the user: at or under a
    node where they hold VIEW, or above one (a street zoned whole zones each community in
    it); a resident's: their household's unit or building and every place above it."""
    out = NOTHING
    for g in scope.grants:
        if VIEW not in g.perms:
            continue
        out |= Q(**{f"{prefix}pk__in": {*ancestor_ids(g.place), g.place.pk}})
        if g.household_id is None:
            out |= under(g.place, prefix)
    return out


def zoning_q(places_q: Q) -> Exists:
    """A notice whose scheduled or published adjustments name a place matching `places_q`
    (an AdjustmentItem filter on "place__…")."""
    from .models import Adjustment, AdjustmentItem

    return Exists(AdjustmentItem.objects.filter(
        places_q, adjustment__notice=OuterRef("pk"),
        adjustment__state__in=[Adjustment.State.SCHEDULED, Adjustment.State.PUBLISHED]))


def notice_q(scope) -> Q:
    """The notices the user may read (the one rule: the notices page and its API, the
    notice's own page, the resident's home, the adjustment page's choice): those filed in
    their area, and those that zone a place of their area or above it. Anything else is
    missing (404), as a notice that does not exist."""
    return filed_q(scope) | Q(zoning_q(concerns_q(scope, "place__")))


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
