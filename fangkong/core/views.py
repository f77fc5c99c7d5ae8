from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.translation import gettext as _

from fangkong.core.errors import FangkongError, Forbidden, NotFound


def not_found(request, exception=None):
    return render(request, "error.html", {"title": _("Not found"), "message": _(
        "This page does not exist, or your role does not cover it.")}, status=404)


def forbidden(request, exception=None):
    return render(request, "error.html", {"title": _("Not allowed"), "message": _(
        "Your role does not allow this.")}, status=403)


def server_error(request):
    return render(request, "error.html", {"title": _("Something went wrong"), "message": _(
        "The error has been logged. Please try again in a moment.")}, status=500)


def page(view):
    """For HTML views: login required; NotFound → 404 page, Forbidden → 403 page, any
    other error an action raised → a page with its message and status."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return not_found(request)
        except Forbidden:
            return forbidden(request)
        except FangkongError as e:  # anything else a view did not handle: its message
            return render(request, "error.html", {"title": _("This could not be done"),
                                                  "message": e.message}, status=e.status)

    return wrapper


def confirmed(request) -> bool:
    """Did this POST come from a confirmation step (`confirm_step`)?"""
    return request.method == "POST" and request.POST.get("confirm") == "1"


def confirm_step(request, *, title, lines=(), yes, back, warn="", fields=None, action=None):
    """Ask before something hard to undo: a page that says what will happen (`lines`, and a
    `warn` line in red) and posts the same form again with confirm=1. No script (the CSP
    forbids inline script, and it works where htmx does not load); "go back" comes first,
    where the thumb that tapped was, and "yes" below it, so a double tap cannot confirm.

    `fields`: what to post again (default: the request's own POST, without the token)."""
    if fields is None:
        fields = [(k, v) for k, vs in request.POST.lists() if k not in ("csrfmiddlewaretoken", "confirm")
                  for v in vs]
    elif isinstance(fields, dict):
        fields = list(fields.items())
    return render(request, "confirm.html", {
        "title": title, "lines": [str(x) for x in lines if x], "warn": warn, "yes": yes,
        "back": back, "fields": fields, "action": action or request.get_full_path()})
