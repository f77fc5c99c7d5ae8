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
REFRESH = 300  # seconds: how stale the expiry may get before a request pushes it back


@receiver(user_logged_in)
def _stamp_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SEEN_KEY] = int(time.time())


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
