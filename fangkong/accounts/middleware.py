"""Sessions end after SESSION_COOKIE_AGE without a request (phones are shared).

Django either keeps a session for its whole age from login or, with
SESSION_SAVE_EVERY_REQUEST, writes the session row on every request. This keeps the idle
rule at the cost of one write in REFRESH seconds per active session: the expiry is pushed
back when the last push is older than that.
"""

import time

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

SEEN_KEY = "_fk_seen"
# Set at login for an account whose password someone else chose or saw (the first one, or
# one the office reset: User.must_change_password); cleared when the person sets their own.
MUST_CHANGE = "_fk_must_change"
REFRESH = 300  # seconds: how stale the expiry may get before a request pushes it back


@receiver(user_logged_in)
def _stamp_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SEEN_KEY] = int(time.time())
        if getattr(user, "must_change_password", False):
            request.session[MUST_CHANGE] = True


class SessionIdleMiddleware:
    """Place after AuthenticationMiddleware (inside SessionMiddleware, which saves)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session that was read anyway (a logged-in page or API call); never create one.
        if session is not None and session.accessed and not session.is_empty() \
                and SESSION_KEY in session:
            now = int(time.time())
            if now - session.get(SEEN_KEY, 0) > REFRESH:
                session[SEEN_KEY] = now  # modified → SessionMiddleware saves it, new expiry
        return response


class LanguageMemoryMiddleware:
    """A signed-in person's language is kept on their account (`User.language`: their inbox
    and text messages are written in it): the language they switch to (the set_language view
    at /i18n/ sets the language cookie) or the one a signed-in page was shown in
    (LocaleMiddleware), when it differs from the stored one. Place after
    AuthenticationMiddleware. A page that read the session has read the user too: the check
    costs no query; a change costs one UPDATE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        response = self.get_response(request)
        chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        session = getattr(request, "session", None)
        if chosen is not None and chosen.value and chosen["max-age"] != 0:
            lang = chosen.value  # switched: the page after the redirect is in it
        elif session is not None and session.accessed and SESSION_KEY in session:
            lang = getattr(request, "LANGUAGE_CODE", "")
        else:
            return response
        user = getattr(request, "user", None)
        if lang and user is not None and user.is_authenticated:
            from .actions import remember_language

            remember_language(user, lang)
        return response


class TwoStepEnrolMiddleware:
    """First things first, after logging in: an account whose password someone else chose
    (`MUST_CHANGE`) reaches only the page to set its own; then an account whose role needs
    two-step login (FANGKONG_TOTP_REQUIRED_ROLES) and has not set it up reaches only the
    set-up page until it has (accounts.twostep)."""

    OPEN = ("/logout/", "/i18n/", "/login/")
    FIRST = (  # (session key, its page's path and name, API error code)
        (MUST_CHANGE, "/password/", "password_change", "password_change_required"),
        ("_fk_twostep_enrol", "/two-step/", "two_step", "two_step_required"),  # twostep.ENROL
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is None or not session.session_key:
            return self.get_response(request)
        for key, path, name, code in self.FIRST:
            if session.get(key) and not request.path.startswith((path, *self.OPEN)):
                return self._refuse(request, name, code)
        return self.get_response(request)

    @staticmethod
    def _refuse(request, name, code):
        from django.shortcuts import redirect
        from django.utils.translation import gettext as _

        if request.headers.get("HX-Request"):
            from django.http import HttpResponse

            return HttpResponse(status=204)  # a page's part (the inbox badge): nothing
        if request.path.startswith("/api/"):
            from django.http import JsonResponse

            message = (_("Set your own password first (menu: Change my password).")
                       if name == "password_change" else
                       _("Set up two-step login first (menu: Two-step login)."))
            return JsonResponse({"error": {"code": code, "message": message,
                                           "fields": {}, "rows": []}}, status=403)
        if name == "password_change":
            from django.urls import reverse
            from django.utils.http import urlencode

            return redirect(reverse(name) + "?" + urlencode({"next": request.get_full_path()}))
        return redirect(name)


class ScopeMiddleware:
    """Puts `request.scope` (the user's place in the tree) on every request, lazily."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils.functional import SimpleLazyObject

        from .scope import Scope

        request.scope = SimpleLazyObject(lambda: Scope.for_user(request.user))
        return self.get_response(request)
