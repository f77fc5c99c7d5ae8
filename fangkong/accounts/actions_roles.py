"""Roles for accounts that exist: give an existing account a role (found by its phone or
username among the people one manages), give back a role taken away (恢复). The people page
("existing accounts", `roles_views.py`) and /api/v1/people/roles call these; taking a role
away is `actions.revoke_membership` (what it carried ends with it: `actions_endings`)."""

from django.utils.translation import gettext as _

from fangkong.core.errors import Invalid

from .access import require_grant, require_manage
from .actions import grant
from .models import Membership
from .queries import find_account
from .roles import Role


def give_role(actor, account, role, place) -> tuple[Membership, bool]:
    """Give the account with this phone or username (`queries.find_account`: among the
    people the actor manages — anyone else is "no such account") `role` on `place`.
    Returns (membership, given): `given` False when they already had it. A family login is
    given on the household's page."""
    if role == Role.RESIDENT:
        raise Invalid(fields={"role": [_("A family login is given on the household's page.")]})
    require_grant(actor, role, place)  # NotFound where the actor manages nobody
    user = find_account(actor.scope, account)
    if user is None:
        raise Invalid(fields={"account": [_("No account with this phone or username among the people "
                                            "you manage. Check it, or add them as a new person.")]})
    held = Membership.objects.filter(user=user, role=role, place=place, is_active=True).first()
    if held is not None:
        return held, False
    return grant(actor, user, role, place), True


def restore(actor, m: Membership) -> Membership:
    """Give back a role taken away (the same role on the same place; a family login its
    household), audited as given (`membership.grant`). What the role carried before — a
    sampling table, a team, a place on a call — is not given back. A role held now is left
    as it is."""
    require_manage(actor, m.place)
    if m.is_active:
        return m
    if not m.user.is_active:
        raise Invalid(_("This account is switched off, so it cannot be given a role."))
    return grant(actor, m.user, m.role, m.place, household=m.household)
