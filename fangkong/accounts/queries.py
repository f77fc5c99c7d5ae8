"""Scoped reads of accounts."""

from fangkong.registry.queries import places

from .access import may_manage, require_manage
from .models import Membership
from .roles import Perm


def memberships(scope):
    """Active memberships on nodes where the user may manage people."""
    return (Membership.objects.filter(is_active=True,
                                      place__in=places(scope, Perm.MANAGE_USERS).values("id"))
            .select_related("user", "place").order_by("place__depth", "place__sort_key", "role",
                                                      "user__username"))


def get_membership(scope, pk) -> Membership:
    """An active or ended membership on a node where the user manages people; NotFound
    otherwise (as for a missing one)."""
    from fangkong.core.errors import NotFound

    try:
        m = Membership.objects.select_related("place", "user", "household").get(pk=int(pk))
    except (Membership.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    require_manage(scope, m.place)
    return m


def household_logins(scope, household):
    """The accounts that log in for a household, for a user who manages people there;
    None when they do not (the household page then shows no login section)."""
    if not may_manage(scope, household):
        return None
    return list(Membership.objects.filter(household=household, is_active=True)
                .select_related("user").order_by("id"))


def office_contacts(scope, limit=6) -> list[tuple]:
    """Whom to call about one's work: the community staff of the community of each of the
    user's own grants (a supplier's, a lab's), [(community, [user])]; two queries. Their
    work phones are shown to the user's own accounts only through this."""
    from fangkong.registry.models import Kind, Place

    from .roles import Role

    ids = []
    for g in scope.grants:
        if g.household_id:
            continue
        cid = g.place.community_id or (g.place.id if g.place.kind == Kind.COMMUNITY else None)
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
