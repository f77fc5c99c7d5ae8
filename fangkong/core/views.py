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
