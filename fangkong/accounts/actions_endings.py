"""What ends with a role: the tasks a person was given under it.

A role carries tasks given to the person by name — a sampling table or the door-to-door
work of a round, a team and its leadership, a place on a call, a delivery run, a request,
a pet to feed. Each app's access rule already refuses such a task once its person holds no
role over it (`Scope.works_at`); ending the role also ends the rows, so that nobody counts
on a person who is gone (the call's slot goes to its waitlist, the team's leader is
cleared, the round's table is free).

Each app names a function in `settings.FANGKONG_ROLE_ENDINGS` taking (user, scope,
withdrawn=False) — the scope the user will have, and whether their volunteer approval is
being withdrawn — and returning the `Ending`s of that app: what ends, in the reader's
words, and how to end it. The confirm step says the same list the action then ends
(`what_ends`, `end_stale`), so accounts imports none of the apps.

Also here: the refusal to take away one's own role when nobody else would be left to
manage the place's people (`last_manager`, `refuse_own_last`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from fangkong.core.actor import Actor, system_scope
from fangkong.core.errors import Conflict

from .models import Membership
from .roles import Perm, Role
from .scope import Grant, Scope, grant_perms


@dataclass(frozen=True)
class Ending:
    text: str  # what ends, said to whoever ends it ("the sampling table in 第3轮核酸 …")
    end: Callable  # end(actor, reason): the app's own write, audited


def endings(user, scope, *, withdrawn=False) -> list[Ending]:
    """Every app's tasks of `user` that `scope` no longer carries."""
    out = []
    for path in getattr(settings, "FANGKONG_ROLE_ENDINGS", ()):
        out.extend(import_string(path)(user, scope, withdrawn=withdrawn))
    return out


def scope_without(user, membership_ids=()) -> Scope:
    """The scope `user` will have once these of their memberships end (the others as they
    are now, active ones only)."""
    rows = (Membership.objects.filter(user=user, is_active=True).exclude(pk__in=list(membership_ids))
            .select_related("place").order_by("place__depth", "id"))
    if not user.is_active:
        rows = []
    return Scope(user=user, grants=[Grant(m.role, m.place, m.household_id, grant_perms(m.role))
                                    for m in rows])


def what_ends(user, membership_ids=(), *, withdrawn=False) -> list[str]:
    """What would end with these memberships (and, `withdrawn`, the volunteer approval):
    the confirm step's list."""
    return [e.text for e in endings(user, scope_without(user, membership_ids), withdrawn=withdrawn)]


def end_stale(actor, user, *, reason="") -> list[str]:
    """End every task of `user` their roles no longer carry (after a membership ended, or
    their volunteer approval was withdrawn), each through its app's own action, audited as
    done by `actor` — who was allowed to end the role, and so what it carried (the tasks
    may sit where the actor could not act: a loaned volunteer's call elsewhere). Returns
    what ended, in the actor's words."""
    if user is None:
        return []
    on_behalf = Actor(user=actor.user, scope=system_scope(), via=getattr(actor, "via", "web"),
                      ip=getattr(actor, "ip", None))
    done = []
    for e in endings(user, Scope.for_user(user)):
        e.end(on_behalf, reason)
        done.append(e.text)
    return done


def managing_roles() -> list[str]:
    """The roles that manage people (MANAGE_USERS: `roles.ROLE_PERMS`)."""
    return [r for r in Role.values if Perm.MANAGE_USERS in grant_perms(r)]


def last_manager(m: Membership) -> bool:
    """Is `m` an active managing role (`managing_roles`: a community's staff, a street's
    command) whose account is the last active one holding a managing role on that place?
    (Command above may still reach the place's people, but the place would have nobody of
    its own to run it.)"""
    roles = managing_roles()
    if not m.is_active or m.role not in roles:
        return False
    return not (Membership.objects.filter(is_active=True, role__in=roles, user__is_active=True,
                                          place_id=m.place_id)
                .exclude(user_id=m.user_id).exists())


def own(actor, m: Membership) -> bool:
    user = getattr(actor, "user", None)
    return bool(user is not None and getattr(user, "is_authenticated", False) and m.user_id == user.id)


def refuse_own_last(actor, m: Membership) -> None:
    """Taking away one's own managing role when nobody else manages people there: refused
    (afterwards nobody could give that place's people a role, or take one away)."""
    if own(actor, m) and last_manager(m):
        raise Conflict(_("You are the last %(role)s of %(place)s: without your role nobody there "
                         "could give its people a role or take one away. Give someone else the "
                         "%(role)s role there first.") % {
            "place": m.place.name, "role": m.get_role_display()}, code="last_manager")
