"""Pages of two-step login: the code after the password, and setting it up (twostep.py)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from fangkong.core.errors import FangkongError
from fangkong.core.views import actor_of, page

from . import throttle, twostep


@never_cache
def login_code(request):
    """The second step: the 6-digit code from the app (or a recovery code)."""
    user = twostep.pending_user(request)
    if user is None:
        if request.method == "POST":
            messages.error(request, _("That took too long. Log in again."))
        return redirect("login")
    error, status = None, 200
    if request.method == "POST":
        try:
            return twostep.finish_login(request, request.POST.get("code", ""))
        except throttle.Locked as e:
            error, status = e.message, 429
        except FangkongError as e:
            error = " ".join(m for v in e.fields.values() for m in v) or str(e.message)
            status = 400
    return render(request, "accounts/login_code.html", {"error": error}, status=status)


@never_cache
@page
def two_step(request):
    """Turn two-step login on (scan, type the first code, keep the recovery codes), set
    it up for a new phone, get new recovery codes, or turn it off."""
    actor = actor_of(request)
    user = request.user
    op = request.POST.get("op", "") if request.method == "POST" else ""
    ctx = {"device": twostep.device(user), "required": twostep.required(user),
           "errors": {}, "codes": None, "next": _next(request)}
    try:
        if op == "start":
            twostep.start(actor)
        elif op == "confirm":
            ctx["codes"] = twostep.confirm(actor, request.POST.get("code", ""))
            request.session.pop(twostep.ENROL, None)
            messages.success(request, _("Two-step login is on."))
        elif op == "recovery":
            ctx["codes"] = twostep.new_recovery_codes(actor, request.POST.get("code", ""))
            messages.success(request, _("New recovery codes made; the old ones no longer work."))
        elif op == "off":
            twostep.disable(actor, request.POST.get("code", ""))
            messages.success(request, _("Two-step login is off."))
            return redirect("two_step")
    except FangkongError as e:
        ctx["errors"] = e.fields
        ctx["error"] = None if e.fields else str(e.message)
        ctx["op"] = op
    ctx["device"] = twostep.device(user)
    pending = twostep.unconfirmed(user) if op in ("start", "confirm") and not ctx["codes"] else None
    if pending is not None:
        ctx.update(pending=pending, qr=twostep.qr(pending), secret=twostep.secret_text(pending))
    # never_cache: no-store, the recovery codes are shown once
    return render(request, "accounts/two_step.html", ctx,
                  status=400 if ctx["errors"] or ctx.get("error") else 200)


def _next(request) -> str:
    nxt = request.GET.get("next") or request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return ""
