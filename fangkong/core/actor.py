"""The Actor: who is writing, from where. Every action takes one as its first argument."""

from dataclasses import dataclass

from fangkong.accounts.scope import Scope


@dataclass
class Actor:
    user: object
    scope: Scope
    via: str = "web"  # web, api, import, cli, task
    ip: str | None = None

    @classmethod
    def from_request(cls, request, via="web") -> "Actor":
        return cls(user=request.user, scope=request.scope, via=via, ip=client_ip(request))

    @classmethod
    def system(cls, user=None, via="cli") -> "Actor":
        """For management commands and tasks: the given user's scope, or all-powerful."""
        if user is not None:
            return cls(user=user, scope=Scope.for_user(user), via=via)
        return cls(user=None, scope=SystemScope(), via=via)


def client_ip(request):
    return request.META.get("REMOTE_ADDR")


class SystemScope(Scope):
    """Used by demo loading and maintenance commands only: every permission everywhere."""

    def __init__(self):
        super().__init__(user=None, superuser=True)

    def has(self, perm):
        return True

    def allows(self, perm, obj):
        return True

    def q(self, perm, *, household_field="household_id"):
        from django.db.models import Q

        return Q()

    def place_q(self, perm):
        from django.db.models import Q

        return Q()
