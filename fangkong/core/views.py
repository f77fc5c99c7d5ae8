"""What every page view shares: the error pages, `page` (login, and errors as pages),
`act` (POST → action → message → redirect), the confirmation step, and `actor_of`."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from fangkong.core.actor import actor_of  # noqa: F401 (the views' one way to the actor)
from fangkong.core.errors import FangkongError, Forbidden, Invalid, NotFound, TooMany, json_error


def not_found(request, exception=None):
    return render(request, "error.html", {"title": _("Not found"), "message": _(
        "This page does not exist, or your role does not cover it.")}, status=404)


PHOTO_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def photo_response(field_file):
    """A stored photo (a door's, an antigen result's) as the answer, private to the browser
    that asked. A photo whose file is gone from storage (media not restored with a backup, a
    disk replaced) is not found, as the page says — never a server error."""
    from django.http import FileResponse

    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):  # ValueError: no file recorded at all
        raise NotFound() from None
    ext = field_file.name.rsplit(".", 1)[-1].lower()
    resp = FileResponse(handle, content_type=PHOTO_TYPES.get(ext, "application/octet-stream"))
    resp["Cache-Control"] = "private, max-age=3600"
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


def forbidden(request, exception=None):
    return render(request, "error.html", {"title": _("Not allowed"), "message": _(
        "Your role does not allow this.")}, status=403)


def _api(request) -> bool:
    return request.path_info.startswith("/api/")


def wants_json(request) -> bool:
    """An API path, or a client that sent JSON or asked for JSON and not for HTML (a
    script, not a browser)."""
    if _api(request) or request.content_type == "application/json":
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def bad_request(request, exception=None):
    """handler400 (a malformed request, e.g. a body past the size limit)."""
    message = _("The request could not be read.")
    if wants_json(request):
        return json_error(400, "bad_request", message)
    return render(request, "error.html", {"title": _("Something went wrong"),
                                          "message": message}, status=400)


def server_error(request):
    """handler500: the error page, or the API's error shape under /api/ (a client of the
    API must never have to parse HTML)."""
    message = _("The error has been logged. Please try again in a moment.")
    if _api(request):
        return json_error(500, "server_error", message)
    return render(request, "error.html", {"title": _("Something went wrong"),
                                          "message": message}, status=500)


def csrf_failure(request, reason="", template_name=None):
    """CSRF_FAILURE_VIEW: a form posted without its CSRF token (a stale page, or a
    non-browser client of a public endpoint): the API's error shape under /api/, the error
    page otherwise; never Django's English debugging page."""
    message = _("The CSRF check failed: reload the page and try again.")
    if wants_json(request):
        return json_error(403, "csrf", message)
    return render(request, "error.html", {"title": _("Not allowed"), "message": message},
                  status=403)


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
        except TooMany as e:
            response = render(request, "error.html", {"title": _("Too many requests"),
                                                      "message": e.message}, status=429)
            if e.retry_after:
                response["Retry-After"] = str(e.retry_after)
            return response
        except FangkongError as e:  # anything else a view did not handle: its message
            return render(request, "error.html", {"title": _("This could not be done"),
                                                  "message": e.message}, status=e.status)

    return wrapper


def confirmed(request) -> bool:
    """Did this POST come from a confirmation step (`confirm_step`)?"""
    return request.method == "POST" and request.POST.get("confirm") == "1"


def confirm_step(request, *, title, lines=(), yes, back, warn="", fields=None, action=None, back_post=False,
                 choice=None, alarm=None, entry=None):
    """Ask before something hard to undo: a page that says what will happen (`lines`, and a
    `warn` line in red) and posts the same form again with confirm=1. No script (the CSP
    forbids inline script, and it works where htmx does not load); "go back" comes first,
    where the thumb that tapped was, and "yes" below it, so a double tap cannot confirm.

    `fields`: what to post again (default: the request's own POST, without the token).
    `back_post`: "go back" posts the fields again with edit=1 (not a link to `back`), so a
    form comes back as it was typed (the view shows it when it sees `edit`).
    `choice`: (name, legend, [(value, label, what it means), …]): the ways to go ahead, as
    radio buttons above "yes", none chosen (the browser holds "yes" until one is; the view
    asks again when the POST has none); a fourth item, the value chosen before, keeps it
    chosen when the step is asked again (a note was missing).
    `entry`: (name, label, value): a line of text to type above "yes" (a note), kept as typed.
    `warn`: one warning, or a list of them (each its own red line).
    `alarm`: (heading, [line, …]): what most needs reading before "yes" ("规则未满足，确定仍要
    解除？" then one line per place), first under the title, before the lines and warnings."""
    skip = {"csrfmiddlewaretoken", "confirm"} | ({choice[0]} if choice else set()) | (
        {entry[0]} if entry else set())
    if fields is None:
        fields = [(k, v) for k, vs in request.POST.lists() if k not in skip for v in vs]
    elif isinstance(fields, dict):
        fields = list(fields.items())
    if choice or entry:
        asked = {x[0] for x in (choice, entry) if x}
        fields = [(k, v) for k, v in fields if k not in asked]
    return render(request, "confirm.html", {
        "title": title, "lines": [str(x) for x in lines if x], "yes": yes,
        "warns": [str(w) for w in ([warn] if isinstance(warn, str) else warn) if w],
        "alarm": {"heading": str(alarm[0]), "lines": [str(x) for x in alarm[1]]} if alarm else None,
        "entry": {"name": entry[0], "label": str(entry[1]), "value": entry[2] or ""} if entry else None,
        "back": back, "fields": fields, "action": action or request.get_full_path(), "back_post": back_post,
        "choice": {"name": choice[0], "legend": choice[1],
                   "options": [(v, str(label), str(help)) for v, label, help in choice[2]],
                   "chosen": choice[3] if len(choice) > 3 else ""} if choice else None})


# --- POST → action → message → redirect ---------------------------------------------

def is_htmx(request) -> bool:
    """Did htmx send this request (it swaps a fragment of the page)?"""
    return request.headers.get("HX-Request") == "true"


def flash_error(request, e: FangkongError) -> None:
    """An action's refusal as messages on the next page: each field's and each row's
    message, or its one message."""
    msgs = [str(m) for v in e.fields.values() for m in v] + [
        f"{r.get('row', '')}: {r['message']}" for r in e.rows]
    for m in msgs or [str(e.message)]:
        messages.error(request, m)


def next_or(request, default):
    """The POSTed `next` address when it is on this site, else `default` (for `redirect`)."""
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return nxt
    return default


def act(request, do, *, to, done=None, refused=None, catch=(Invalid,)):
    """Run `do(actor)` (an action, with the request's actor), then redirect to `to`, with
    `done` as a success message; an error of `catch` becomes messages (`flash_error`) and
    a redirect to `refused` (default `to`). `to`, `done` and `refused` may be callables of
    the action's result (`refused`: of the error). Anything else the action raises
    (NotFound, Forbidden…) goes to `page`, which answers with its page and status."""
    try:
        result = do(actor_of(request))
    except catch as e:
        flash_error(request, e)
        where = refused if refused is not None else to
        return redirect(where(e) if callable(where) else where)
    if done:
        messages.success(request, done(result) if callable(done) else done)
    return redirect(to(result) if callable(to) else to)
