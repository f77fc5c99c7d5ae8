"""Scoped reads of accounts."""

from fangkong.core.access import one

from .access import may_manage, require_manage
from .models import Membership
from .roles import Perm


def _places(scope, perm):
    """The places where `scope` holds `perm` (the registry's tables, read without its
    queries: accounts sits below the registry)."""
    from fangkong.registry.models import Place

    return Place.objects.filter(scope.place_q(perm))


def manageable_places(scope, kinds):
    """Places of these kinds where the user may manage people, outermost first (at most
    500: the People page's choice)."""
    return _places(scope, Perm.MANAGE_USERS).filter(kind__in=kinds).order_by("depth", "sort_key")[:500]


def memberships(scope):
    """Active memberships on nodes where the user may manage people."""
    return (Membership.objects.filter(is_active=True,
                                      place__in=_places(scope, Perm.MANAGE_USERS).values("id"))
            .select_related("user", "place").order_by("place__depth", "place__sort_key", "role",
                                                      "user__username"))


def get_membership(scope, pk) -> Membership:
    """An active or ended membership on a node where the user manages people; NotFound
    otherwise (as for a missing one)."""
    m = one(Membership.objects.select_related("place", "user", "household"), pk)
    require_manage(scope, m.place)
    return m


def household_logins(scope, household):
    """The accounts that log in for a household, for a user who manages people there;
    None when they do not (the household page then shows no login section)."""
    if not may_manage(scope, household):
        return None
    return list(Membership.objects.filter(household=household, is_active=True)
                .select_related("user").order_by("id"))


def office_contacts(scope, limit=6, communities=None) -> list[tuple]:
    """Whom to call about one's work: the community staff of the community of each of the
    user's own grants (a lab's), or of `communities` when the work is theirs (a supplier
    delivers to the communities of its suppliers, wherever its login was made),
    [(community, [user])]; two queries. Their work phones are shown to the user's own
    accounts only through this."""
    from fangkong.registry.models import Place

    from .roles import Role

    ids = []
    for g in scope.grants if communities is None else ():
        if g.household_id:
            continue
        cid = g.place.community_id or (g.place.id if g.place.kind == "community" else None)
        if cid and cid not in ids:
            ids.append(cid)
    for cid in communities or ():
        if cid and cid not in ids:
            ids.append(cid)
    if not ids:
        return []
    names = {p.id: p for p in Place.objects.filter(id__in=ids)}
    staff = {}
    for m in (Membership.objects.filter(role=Role.STAFF, is_active=True, place_id__in=ids)
              .select_related("user").order_by("id")):
        if m.user.is_active and len(staff.setdefault(m.place_id, [])) < limit:
            staff[m.place_id].append(m.user)
    return [(names[i], staff.get(i, [])) for i in ids if i in names]
