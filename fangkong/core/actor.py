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
    """The visitor's address. Behind FANGKONG_PROXY_HOPS proxies that each append to
    X-Forwarded-For, it is that many entries from the right (entries further left were
    written by the visitor and prove nothing)."""
    from django.conf import settings

    hops = getattr(settings, "FANGKONG_PROXY_HOPS", 0)
    if hops > 0:
        chain = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if a.strip()]
        if len(chain) >= hops:
            import ipaddress

            try:
                return str(ipaddress.ip_address(chain[-hops]))
            except ValueError:
                pass  # not an address: the proxy is not what the setting says
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
