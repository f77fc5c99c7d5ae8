"""Scoped reads of accounts."""

from fangkong.registry.queries import places

from .models import Membership
from .roles import Perm


def memberships(scope):
    """Active memberships on nodes where the user may manage people."""
    return (Membership.objects.filter(is_active=True,
                                      place__in=places(scope, Perm.MANAGE_USERS).values("id"))
            .select_related("user", "place").order_by("place__depth", "place__sort_key", "role",
                                                      "user__username"))


def household_logins(scope, household):
    """The accounts that log in for a household, for a user who manages people there;
    None when they do not (the household page then shows no login section)."""
    if not scope.allows(Perm.MANAGE_USERS, household):
        return None
    return list(Membership.objects.filter(household=household, is_active=True)
                .select_related("user").order_by("id"))
