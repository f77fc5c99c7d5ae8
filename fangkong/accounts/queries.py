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
