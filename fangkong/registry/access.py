"""Who may do what in the registry: the only home of its permission rules, imported by
actions, queries, cards, the importer, pages and the API alike.

Outside the actor's scope an object looks missing (NotFound); inside it, without the
permission asked for, it is Forbidden.
"""

from fangkong.accounts.roles import Perm
from fangkong.core.errors import Forbidden, NotFound


def require(actor, perm, obj):
    """NotFound if the actor cannot see obj at all; Forbidden if they see it but lack perm."""
    if actor.scope.allows(perm, obj):
        return
    if actor.scope.allows(Perm.VIEW_REGISTRY, obj):
        raise Forbidden()
    raise NotFound()


def can_show_codes(scope, household) -> bool:
    """A household's personal codes: its own residents, and roles that may print cards for it."""
    if scope.allows(Perm.EDIT_REGISTRY, household):
        return True
    return any(g.household_id == household.id for g in scope.grants)


def can_see_import(scope, job) -> bool:
    """An import job: the user who started it, or someone who may import into its place."""
    user_id = getattr(scope.user, "id", None)
    return (user_id is not None and job.user_id == user_id) or scope.allows(Perm.IMPORT, job.place)


def can_reveal_ids(scope, residents) -> bool:
    """Full ID numbers (in an export): only with REVEAL_ID on every one of the residents."""
    return bool(residents) and all(scope.allows(Perm.REVEAL_ID, r) for r in residents)
