"""Who may do what in the registry: the only home of its permission rules, imported by
actions, queries, cards, the importer, pages and the API alike.

Outside the actor's scope an object looks missing (NotFound); inside it, without the
permission asked for, it is Forbidden.
"""

from fangkong.accounts.roles import Perm
from fangkong.core import access as core_access


def require(actor, perm, obj):
    """core.access.require with the registry's reading permission: NotFound if the actor
    cannot see obj at all (VIEW_REGISTRY), Forbidden if they see it but lack perm."""
    core_access.require(actor, perm, obj, seen=Perm.VIEW_REGISTRY)


def can_show_codes(scope, household) -> bool:
    """A household's personal codes: its own residents, and roles that may print cards for it."""
    if scope.allows(Perm.EDIT_REGISTRY, household):
        return True
    return any(g.household_id == household.id for g in scope.grants)


def require_cards(actor, target) -> None:
    """Printing the code cards of a place or household: registry edit rights there (NotFound
    unseen, Forbidden seen). Checked before the export's rate limit (a refused print never
    answers 429)."""
    require(actor, Perm.EDIT_REGISTRY, target)


def require_own_cards(actor, household) -> None:
    """A household's codes on screen or its own cards printed (`can_show_codes`), else as for
    editing it: NotFound or Forbidden."""
    if not can_show_codes(actor.scope, household):
        require(actor, Perm.EDIT_REGISTRY, household)


def can_see_import(scope, job) -> bool:
    """An import job: the user who started it, or someone who may import into its place."""
    user_id = getattr(scope.user, "id", None)
    return (user_id is not None and job.user_id == user_id) or scope.allows(Perm.IMPORT, job.place)
