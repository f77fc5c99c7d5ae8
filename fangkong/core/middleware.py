from fangkong.core import clean

_CLEANING = {}  # request class → its subclass that cleans the form it parses


def _cleaning_class(cls):
    """`cls` with a form parser that cleans what it parses (fields and upload names). The
    form is still read only when a view (or the CSRF check) asks for it, so upload
    handlers and size limits work as before."""
    if cls not in _CLEANING:
        class Cleaning(cls):
            def _load_post_and_files(self):
                super()._load_post_and_files()
                self._post = clean.clean_querydict(self._post)
                for _name, files in self._files.lists():
                    for f in files:
                        if f.name and clean.has_unsafe(f.name):
                            f.name = clean.clean(f.name)

        Cleaning.__name__ = Cleaning.__qualname__ = f"Cleaning{cls.__name__}"
        _CLEANING[cls] = Cleaning
    return _CLEANING[cls]


class TextHygieneMiddleware:
    """Every request's text cleaned before anything reads it (see `core.clean`): the path,
    the query string, cookies, and the form with its upload names (when parsed). First in
    the chain after static files, so the session and CSRF cookies are read clean too.
    JSON bodies are cleaned by the API's parser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if clean.has_unsafe(request.path_info):
            request.path_info = clean.clean(request.path_info)
            request.path = clean.clean(request.path)
        request.GET = clean.clean_querydict(request.GET)
        cookies = request.COOKIES
        if any(clean.has_unsafe(k) or clean.has_unsafe(v) for k, v in cookies.items()):
            request.COOKIES = {k: v for k, v in cookies.items()
                               if not (clean.has_unsafe(k) or clean.has_unsafe(v))}
        request.__class__ = _cleaning_class(type(request))
        return self.get_response(request)


class ApiMethodNotAllowedMiddleware:
    """django-ninja answers a method a path does not have with a plain-text 405; under
    /api/v1/ every error has the one JSON shape, so rewrite it (keeping the Allow header).
    A page opened by GET that only takes a POST answers an error page in words."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith("/api/v1/") \
                and not response.get("Content-Type", "").startswith("application/json"):
            from django.utils.translation import gettext as _

            from fangkong.core.errors import json_error

            allowed = response.get("Allow", "")
            out = json_error(405, "method_not_allowed", _(
                "This address does not accept %(method)s; it accepts %(allowed)s.")
                % {"method": request.method, "allowed": allowed or "—"})
            if allowed:
                out["Allow"] = allowed
            return out
        if response.status_code == 405 and not response.content and request.method in ("GET", "HEAD"):
            # a page that only takes a form, opened by its address (a bookmark, a reload):
            # say so in words, not a blank page with the browser's "HTTP ERROR 405"
            from django.shortcuts import render
            from django.utils.translation import gettext as _

            out = render(request, "error.html", {
                "title": _("This address only takes a form"),
                "message": _("It is the answer to a button on another page. Go back to that "
                             "page, or start again from the start page.")}, status=405)
            if response.get("Allow"):
                out["Allow"] = response["Allow"]
            return out
        return response
