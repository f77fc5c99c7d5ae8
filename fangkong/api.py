"""The JSON API root: /api/v1/. One router per app; one error shape for everything.

Authentication: `Authorization: Bearer fk_…` (tokens made on the Tokens page) or the
browser session (with CSRF). Scope and permissions are the same as on the pages, because
the endpoints call the same queries and actions.
"""

import functools
import inspect
import re
from pathlib import Path
from typing import Any

import ninja
import orjson
from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.template import engines
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, ConfigError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.security import APIKeyHeader, HttpBearer
from ninja.utils import check_csrf

from fangkong.accounts.actions import authenticate_token_and_scope
from fangkong.core.clean import clean_body
from fangkong.core.errors import FangkongError, Forbidden, Invalid, error_body
from fangkong.core.text import join_words


class OrjsonParser(Parser):
    """Request bodies parsed by orjson (a station's 500-event batch: 0.2 ms instead of 0.8).
    Its errors are ValueErrors like the json module's, so bad JSON answers as before.
    Every string is cleaned of control and bidi characters (`core.clean`; a body that
    cannot hold one, most batches, is not walked)."""

    def parse_body(self, request):
        raw = request.body
        return clean_body(raw, orjson.loads(raw))


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = authenticate_token_and_scope(token)  # one query: token, user, memberships
        if found is None:
            return None
        request.user, request.scope = found
        request.via = "api"
        return request.user


class SessionAuth(APIKeyHeader):
    """The logged-in browser session. Unsafe methods must carry the CSRF token (header
    X-CSRFToken). Without a logged-in session this is simply not the scheme in use, so an
    anonymous request gets 401, not a CSRF error."""

    param_name = "X-CSRFToken"
    csrf = True  # tells the docs page to send the CSRF token with "Try it out"

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise Forbidden(_("The CSRF check failed: reload the page and try again."),
                            code="csrf")
        request.via = "web"
        return user

    def authenticate(self, request, key):  # pragma: no cover - __call__ overrides
        return None


class SelfHostedSwagger(Swagger):
    """Swagger UI from the copy bundled in django-ninja, served by the API itself (see
    `docs_asset`): no CDN, so it works offline, and no inline script, so it runs under our
    Content-Security-Policy (script-src 'self')."""

    PAGE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<link rel="stylesheet" href="{{ assets }}swagger-ui.css">
<link rel="icon" href="{{ assets }}favicon.svg" type="image/svg+xml">
</head>
<body data-csrf-token="{{ csrf_token }}" data-api-csrf="true">
{{ settings|json_script:"swagger-settings" }}
<div id="swagger-ui"></div>
<script src="{{ assets }}swagger-ui-bundle.js"></script>
<script src="{{ assets }}swagger-ui-init.js"></script>
</body>
</html>
"""

    def render_page(self, request, api, **kwargs):
        one = reverse(f"{api.urls_namespace}:docs_asset", kwargs={"name": "x"})
        html = engines["django"].from_string(self.PAGE).render({
            "title": api.title,
            "lang": get_language() or "zh-hans",
            "assets": one.removesuffix("x"),  # …/docs/assets/
            "csrf_token": get_token(request),
            "settings": dict(self.settings, url=self.get_openapi_url(api, kwargs)),
        })
        return HttpResponse(html)


# The files the docs page loads, from django-ninja's package (same version as the API).
DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
    "favicon.png": "image/png",
}
DOCS_ASSET_DIR = Path(ninja.__file__).parent / "static" / "ninja"


class ErrorDetail(Schema):
    code: str  # e.g. invalid, unknown_parameter, not_found, forbidden, unauthenticated, rate_limited, overloaded
    message: str  # in the user's language
    fields: dict[str, list[str]]  # messages per field ("__all__" for the whole request)
    rows: list[dict[str, Any]]  # per-row errors of a file or a batch: row, column, value, message


class ErrorOut(Schema):
    """Every error of the API, whatever its status."""

    error: ErrorDetail


# The answers every operation may give besides its own, all in the one error shape.
ERROR_STATUSES = {
    400: ("The request's values are not valid, or it has a query parameter the operation does "
          "not take (`unknown_parameter`): `fields` (or `rows`) say which and why."),
    401: "No valid API token and no logged-in session.",
    403: "Your role may see this but not do this (or the CSRF check failed).",
    404: "Missing, or outside your place in the tree: the two look the same.",
    409: "Conflicts with the data as it is now (e.g. a tube already full).",
    413: "The file or request body is too large.",
    422: "The request does not have the documented shape: `fields` say where.",
    429: "Too many requests of this kind from you: wait `Retry-After` seconds.",
    500: "A fault on the server; it is logged. Try again later.",
    503: "The server is at capacity: try again after `Retry-After` seconds.",
}


class FangkongAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The OpenAPI document, with its "start here" introduction (`api_guide`, in the
        reader's language) and every operation listing its error answers in the one error
        shape (`ErrorOut`) beside its own 2xx answers."""
        from fangkong.api_guide import intro

        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["info"]["description"] = intro()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        generated = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(generated.pop("$defs", {}))
        components["ErrorOut"] = generated
        ref = {"$ref": "#/components/schemas/ErrorOut"}
        for ops in schema["paths"].values():
            for op in ops.values():
                multipart = "multipart/form-data" in op.get("requestBody", {}).get("content", {})
                for status, description in ERROR_STATUSES.items():
                    if status == 401 and not op.get("security"):
                        continue  # public
                    if status == 413 and not multipart:
                        continue
                    op["responses"].setdefault(status, {
                        "description": description,
                        "content": {"application/json": {"schema": ref}}})
        return schema

    def validation_error_from_error_contexts(self, error_contexts):
        """Ninja's errors, each located as (where, plain field name…): a body read whole
        into one argument (`payload: ItemIn`, `body: RequestIn`) loses that argument's name,
        so a wrong `household` is "household" here as it is in a 400 from the checks, never
        "body.household"."""
        errors = []
        for context in error_contexts:
            single = getattr(context.model, "__read_from_single_attr__", None)
            for err in super().validation_error_from_error_contexts([context]).errors:
                loc = tuple(err.get("loc", ()))
                if single and len(loc) > 1 and loc[1] == single:
                    loc = loc[:1] + loc[2:]
                err["loc"] = loc
                errors.append(err)
        return NinjaValidationError(errors)


api = FangkongAPI(
    title="Fangkong API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    parser=OrjsonParser(),
    docs_url="/docs",
    docs=SelfHostedSwagger(settings={"validatorUrl": None}),
)


@api.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs_asset")
def docs_asset(request, name: str):
    """A file of the docs page (public, like the page and the schema)."""
    if name not in DOCS_ASSETS:
        raise Http404
    response = FileResponse((DOCS_ASSET_DIR / name).open("rb"), content_type=DOCS_ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


@api.exception_handler(FangkongError)
def on_fangkong_error(request, exc):
    fields = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    body = error_body(exc.code, exc.message, fields, exc.rows)
    body["error"].update(exc.extra)
    response = api.create_response(request, body, status=exc.status)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    for name, value in exc.headers.items():
        response[name] = value
    return response


# Pydantic's messages are English only: these stand in for them, in the user's language.
VALIDATION_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "string_type": gettext_lazy("Send this value as text."),
    "int_type": gettext_lazy("Enter a whole number."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "bool_type": gettext_lazy("Answer true or false."),
    "bool_parsing": gettext_lazy("Answer true or false."),
    "list_type": gettext_lazy("Send a list."),
    "extra_forbidden": gettext_lazy("Unknown field."),
    "model_attributes_type": gettext_lazy("Send a JSON object."),
    "dict_type": gettext_lazy("Send a JSON object."),
    "model_type": gettext_lazy("Send a JSON object."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
    "greater_than_equal": gettext_lazy("Enter a number of at least %(ge)s."),
    "greater_than": gettext_lazy("Enter a number greater than %(gt)s."),
    "less_than_equal": gettext_lazy("Enter a number of at most %(le)s."),
    "string_too_long": gettext_lazy("Write at most %(max_length)s characters."),
    "enum": gettext_lazy("Choose one of: %(expected)s."),
    "literal_error": gettext_lazy("Choose one of: %(expected)s."),
}
LOCATIONS = ("body", "query", "path", "form", "file", "header", "cookie")


def validation_message(err) -> str:
    template = VALIDATION_MESSAGES.get(err.get("type"))
    if template is None:
        return _("This value is not valid.")
    ctx = dict(err.get("ctx") or {})
    if "expected" in ctx:  # pydantic's "'take', 'done' or 'cancel'": the values alone, no English "or"
        ctx["expected"] = ", ".join(re.findall(r"'([^']*)'", str(ctx["expected"]))) or ctx["expected"]
    try:
        return str(template) % ctx
    except (KeyError, TypeError, ValueError):
        return str(template)


# What is wrong with a field, for the 422's message (pydantic's error types).
VALUE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal",
                "string_too_long", "string_too_short", "too_long", "too_short", "enum",
                "literal_error", "multiple_of", "string_pattern_mismatch", "value_error"}
SUMMARIES = {  # (one field, several), in the order they are said
    "missing": (gettext_lazy("This field is required: %(fields)s."),
                gettext_lazy("These fields are required: %(fields)s.")),
    "extra_forbidden": (gettext_lazy("This field is not known here: %(fields)s."),
                        gettext_lazy("These fields are not known here: %(fields)s.")),
    "type": (gettext_lazy("This field has the wrong type: %(fields)s."),
             gettext_lazy("These fields have the wrong type: %(fields)s.")),
    "value": (gettext_lazy("This value is not accepted: %(fields)s."),
              gettext_lazy("These values are not accepted: %(fields)s.")),
}


def validation_summary(by_kind: dict[str, list[str]], fields: dict) -> str:
    """The 422's message: what is wrong and with which fields ("These fields have the wrong
    type: household, place."); the request as a whole (`__all__`) says its own message."""
    said = [fields["__all__"][0]] if "__all__" in fields else []
    for kind, (one, several) in SUMMARIES.items():
        names = [n for n in by_kind.get(kind, []) if n != "__all__"]
        if names:
            said.append(str(one if len(names) == 1 else several) % {"fields": join_words(names)})
    return " ".join(said) or _("The request does not have the documented shape.")


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc):
    """422: the request does not have the documented shape. `fields` is keyed by the plain
    field name, as a 400 from the checks is ("household", never "body.household")."""
    fields, by_kind = {}, {}
    for err in exc.errors:
        loc = [str(x) for x in err.get("loc", [])]
        if loc and loc[0] in LOCATIONS:
            loc = loc[1:]
        name = ".".join(loc) or "__all__"
        fields.setdefault(name, []).append(validation_message(err))
        kind = err.get("type")
        kind = kind if kind in ("missing", "extra_forbidden") else (
            "value" if kind in VALUE_ERRORS else "type")
        if name not in by_kind.setdefault(kind, []):
            by_kind[kind].append(name)
    return api.create_response(
        request, error_body("invalid", validation_summary(by_kind, fields), fields), status=422)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return api.create_response(
        request, error_body("unauthenticated", _("Log in or send a valid API token.")), status=401)


@api.exception_handler(Http404)
def on_404(request, exc):
    return api.create_response(request, error_body("not_found", _("Not found.")), status=404)


# Fixed English messages that django-ninja raises itself.
HTTP_ERROR_MESSAGES = {
    "Cannot parse request body": gettext_lazy("The request body is not valid JSON."),
}


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    message = HTTP_ERROR_MESSAGES.get(exc.message, exc.message)
    return api.create_response(request, error_body("error", message), status=exc.status_code)


def declared_query(operation: Operation) -> list[str]:
    """The query parameters an operation declares, in their order (a schema's fields
    flattened, as ninja reads them)."""
    names = []
    for model in operation.models:
        if model.__ninja_param_source__ == "query":
            names.extend(model.__ninja_flatten_map__)
    return names


def unknown_parameters(unknown: list[str], accepted: list[str]) -> Invalid:
    """400 in the one error shape: the query parameters the operation does not take, each
    named in `fields`, and the message listing the ones it does."""
    named = {"names": join_words(unknown), "accepted": join_words(accepted)}
    if accepted:
        message = _("Unknown query parameter: %(names)s. This operation takes: %(accepted)s.")
    else:
        message = _("Unknown query parameter: %(names)s. This operation takes no query "
                    "parameters.")
    return Invalid(message % named, code="unknown_parameter",
                   fields={n: [_("Not a query parameter of this operation.")] for n in unknown})


def refuse_unknown_query(run):
    """Every operation refuses query parameters it does not declare (400, after the
    authentication check, so an anonymous caller still gets 401): a guessed filter name
    (`/residents?household=1`) would otherwise be ignored and answer everything. Applied
    to every operation in one place (`api.add_decorator(..., mode="view")`)."""
    operation = getattr(inspect.unwrap(run), "__self__", None)
    if not isinstance(operation, Operation):
        raise ConfigError("refuse_unknown_query wraps an operation's run")
    accepted = declared_query(operation)
    known = set(accepted)

    @functools.wraps(run)
    def checked(request, *args, **kwargs):
        unknown = [n for n in request.GET if n not in known]
        if unknown:
            # ninja's own authentication step, run once here (the operation is not run)
            refused = operation._run_checks(request)
            return refused or api.on_exception(request, unknown_parameters(unknown, accepted))
        return run(request, *args, **kwargs)

    return checked


api.add_decorator(refuse_unknown_query, mode="view")


def register_routers():
    from fangkong.accounts.api import router as accounts_router
    from fangkong.audit.api import router as audit_router
    from fangkong.notify.api import router as notify_router
    from fangkong.registry.api import router as registry_router
    from fangkong.reports.api import router as reports_router
    from fangkong.screening.api import router as screening_router
    from fangkong.services.api import router as services_router
    from fangkong.volunteers.api import router as volunteers_router
    from fangkong.zones.api import router as zones_router

    api.add_router("/", accounts_router)
    api.add_router("/", registry_router)
    api.add_router("/", notify_router)
    api.add_router("/", volunteers_router)
    api.add_router("/", screening_router)
    api.add_router("/", zones_router)
    api.add_router("/", reports_router)
    api.add_router("/", services_router)
    api.add_router("/", audit_router)


register_routers()
