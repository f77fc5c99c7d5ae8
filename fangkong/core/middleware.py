from django.utils.functional import SimpleLazyObject


class ScopeMiddleware:
    """Puts `request.scope` (the user's place in the tree) on every request, lazily."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from fangkong.accounts.scope import Scope

        request.scope = SimpleLazyObject(lambda: Scope.for_user(request.user))
        return self.get_response(request)


class ApiMethodNotAllowedMiddleware:
    """django-ninja answers a method a path does not have with a plain-text 405; under
    /api/v1/ every error has the one JSON shape, so rewrite it (keeping the Allow header)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith("/api/v1/") \
                and not response.get("Content-Type", "").startswith("application/json"):
            from django.http import JsonResponse
            from django.utils.translation import gettext as _

            allowed = response.get("Allow", "")
            out = JsonResponse({"error": {
                "code": "method_not_allowed",
                "message": _("This address does not accept %(method)s; it accepts %(allowed)s.")
                % {"method": request.method, "allowed": allowed or "—"},
                "fields": {}, "rows": []}}, status=405)
            if allowed:
                out["Allow"] = allowed
            return out
        return response
