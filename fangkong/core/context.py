from urllib.parse import urlsplit

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def site(request):
    return {"SITE_NAME": settings.SITE_NAME, "scope": getattr(request, "scope", None),
            "here": here(request)}


def here(request) -> str:
    """The address to come back to after switching the language: this page's, or — for a
    form's answer (a POST shown again with its errors), whose address only takes the form —
    the page the form was on (a GET of it had answered a blank 405)."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"
