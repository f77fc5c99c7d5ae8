"""The JSON API root: /api/v1/. One router per app; one error shape for everything.

Authentication: `Authorization: Bearer fk_…` (tokens made on the Tokens page) or the
browser session (with CSRF). Scope and permissions are the same as on the pages, because
the endpoints call the same queries and actions.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from fangkong.accounts.actions import authenticate_token
from fangkong.accounts.scope import Scope
from fangkong.core.errors import FangkongError


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = authenticate_token(token)
        if user is None:
            return None
        request.user = user
        request.scope = Scope.for_user(user)
        request.via = "api"
        return user


class SessionAuth(APIKeyHeader):
    """The logged-in browser session (django_auth checks CSRF on unsafe methods)."""

    param_name = "X-CSRFToken"

    def __call__(self, request):
        user = django_auth(request)
        if user:
            request.via = "web"
        return user

    def authenticate(self, request, key):  # pragma: no cover - __call__ overrides
        return None


api = NinjaAPI(
    title="Fangkong API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    docs_url="/docs",
)


def error_body(code, message, fields=None, rows=None):
    return {"error": {"code": code, "message": str(message), "fields": fields or {},
                      "rows": rows or []}}


@api.exception_handler(FangkongError)
def on_fangkong_error(request, exc):
    fields = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    return api.create_response(request, error_body(exc.code, exc.message, fields, exc.rows),
                               status=exc.status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc):
    fields = {}
    for err in exc.errors:
        loc = [str(x) for x in err.get("loc", []) if x not in ("body", "payload", "query", "path")]
        fields.setdefault(".".join(loc) or "__all__", []).append(err.get("msg", ""))
    return api.create_response(
        request, error_body("invalid", _("Please correct the errors below."), fields), status=422)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return api.create_response(
        request, error_body("unauthenticated", _("Log in or send a valid API token.")), status=401)


@api.exception_handler(Http404)
def on_404(request, exc):
    return api.create_response(request, error_body("not_found", _("Not found.")), status=404)


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return api.create_response(request, error_body("error", exc.message), status=exc.status_code)


def register_routers():
    from fangkong.accounts.api import router as accounts_router
    from fangkong.registry.api import router as registry_router

    api.add_router("/", accounts_router)
    api.add_router("/", registry_router)


register_routers()
