"""Pages of passwords: the office resets one or clears a lock (from the people page), and
everyone changes their own ("Change my password" in every menu; the only page an account
reaches after logging in with a password someone else chose: middleware.MUST_CHANGE)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fangkong.core.errors import Invalid
from fangkong.core.views import act, actor_of, confirm_step, confirmed, page

from . import actions_passwords
from .access import require_manage_account
from .middleware import MUST_CHANGE
from .queries import get_account
from .views import created_page


@require_POST
@never_cache
@page
def account_password_reset(request, pk):
    user = get_account(request.scope, pk)
    require_manage_account(request.scope, user)  # refused before the question, not after
    if not confirmed(request):
        return confirm_step(
            request, title=_("Reset the password of %(name)s?") % {"name": user},
            lines=[_("The next page shows a new one-time password, once: pass it on in "
                     "person or by phone. Their old password stops working at once and "
                     "they are logged out on every device; at their next login they choose "
                     "their own password."),
                   ngettext("Their API tokens are revoked too. The new password works for "
                            "%(hours)d hour: if it is not used by then, reset it again.",
                            "Their API tokens are revoked too. The new password works for "
                            "%(hours)d hours: if it is not used by then, reset it again.",
                            settings.FANGKONG_ONE_TIME_PASSWORD_HOURS)
                   % {"hours": settings.FANGKONG_ONE_TIME_PASSWORD_HOURS},
                   _("Do this only for the person themselves, once you know it is them.")],
            yes=_("Yes, reset the password"), back=reverse("people"))
    password = actions_passwords.reset_password(actor_of(request), user)
    return created_page(request, user, password, reset=True)


@require_POST
@page
def account_unlock(request, pk):
    user = get_account(request.scope, pk)
    require_manage_account(request.scope, user)
    if not confirmed(request):
        return confirm_step(
            request, title=_("Unlock %(name)s?") % {"name": user},
            lines=[_("Wrong passwords locked this account. Unlock it only once you know it "
                     "was them, not someone guessing; if they forgot the password, reset it "
                     "instead (that unlocks it too).")],
            yes=_("Yes, unlock"), back=reverse("people"))
    return act(request, lambda actor: actions_passwords.unlock(actor, user), to="people",
               done=_("%(name)s can log in again.") % {"name": user})


@never_cache
@page
def password_change(request):
    """Set one's own password: with the current one, or — just logged in with a password
    someone else chose — without it."""
    user = request.user
    errors = {}
    nxt = _next(request)
    if request.method == "POST":
        try:
            changed = actions_passwords.change_own_password(
                actor_of(request), request.POST.get("new_password", ""),
                request.POST.get("new_password2", ""), old=request.POST.get("old_password"))
        except Invalid as e:
            errors = e.fields
        else:
            update_session_auth_hash(request, user)  # this session stays logged in
            request.session.pop(MUST_CHANGE, None)
            messages.success(request, _changed(changed.tokens_revoked))
            return redirect(nxt or "home")
    return render(request, "accounts/password_change.html", {
        "forced": user.must_change_password, "errors": errors, "next": nxt},
        status=400 if errors else 200)


def _changed(tokens: int) -> str:
    """What changing one's password did: every other device logged out, the tokens ended."""
    said = _("Your password is changed. You are logged out on your other devices; this one "
             "stays logged in.")
    if tokens:
        said += " " + ngettext(
            "Your API token was revoked: make a new one on the API tokens page for the device "
            "or program that used it.",
            "Your %(n)d API tokens were revoked: make new ones on the API tokens page for the "
            "devices or programs that used them.", tokens) % {"n": tokens}
    return said


def _next(request) -> str:
    nxt = request.GET.get("next") or request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()) \
            and not nxt.startswith(reverse("password_change")):
        return nxt
    return ""
