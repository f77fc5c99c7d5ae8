from django.utils.functional import SimpleLazyObject


class ScopeMiddleware:
    """Puts `request.scope` (the user's place in the tree) on every request, lazily."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from fangkong.accounts.scope import Scope

        request.scope = SimpleLazyObject(lambda: Scope.for_user(request.user))
        return self.get_response(request)
