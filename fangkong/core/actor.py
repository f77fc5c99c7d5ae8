"""The Actor: who is writing, from where. Every action takes one as its first argument.

Core imports no app: the scope of a user (accounts.scope) is reached through two settings,
FANGKONG_SCOPE_FOR_USER (user → scope) and FANGKONG_SYSTEM_SCOPE (the all-powerful scope of
commands and tasks)."""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def _setting(name):
    return import_string(getattr(settings, name))


def scope_for(user):
    """The scope of a user (their places in the tree), as FANGKONG_SCOPE_FOR_USER builds it."""
    return _setting("FANGKONG_SCOPE_FOR_USER")(user)


def system_scope():
    """Every permission everywhere: for demo loading, maintenance commands and tasks."""
    return _setting("FANGKONG_SYSTEM_SCOPE")()


@dataclass
class Actor:
    user: object
    scope: object
    via: str = "web"  # web, api, import, cli, task
    ip: str | None = None

    @classmethod
    def from_request(cls, request, via="web") -> "Actor":
        return cls(user=request.user, scope=request.scope, via=via, ip=client_ip(request))

    @classmethod
    def system(cls, user=None, via="cli") -> "Actor":
        """For management commands and tasks: the given user's scope, or all-powerful."""
        if user is not None:
            return cls(user=user, scope=scope_for(user), via=via)
        return cls(user=None, scope=system_scope(), via=via)


def actor_of(request, via: str | None = None) -> Actor:
    """The actor of a request: its user and scope, via "api" under /api/ (a token or a
    session alike), "web" otherwise."""
    if via is None:
        via = "api" if request.path_info.startswith("/api/") else "web"
    return Actor.from_request(request, via=via)


def client_ip(request):
    """The visitor's address. Behind FANGKONG_PROXY_HOPS proxies that each append to
    X-Forwarded-For, it is that many entries from the right (entries further left were
    written by the visitor and prove nothing)."""
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


def __getattr__(name):
    # Kept for screening until its owner imports fangkong.accounts.scope.SystemScope.
    if name == "SystemScope":
        return _setting("FANGKONG_SYSTEM_SCOPE")
    raise AttributeError(name)
