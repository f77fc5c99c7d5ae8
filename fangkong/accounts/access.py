"""Who may manage accounts: the one home of accounts' permission rules.

Memberships are managed by those holding MANAGE_USERS on the place (or household) they
are given on; anyone else gets NotFound (a membership elsewhere does not exist for them).
"""

from fangkong.core.access import require, require_somewhere

from .roles import Perm


def may_manage(who, obj) -> bool:
    """May `who` (an actor or a scope) manage the memberships on `obj` (a place or a
    household)?"""
    return getattr(who, "scope", who).allows(Perm.MANAGE_USERS, obj)


def require_manage(who, obj) -> None:
    require(who, Perm.MANAGE_USERS, obj)


def require_people_page(who) -> None:
    """The people page: for those who manage accounts somewhere."""
    require_somewhere(who, Perm.MANAGE_USERS)
