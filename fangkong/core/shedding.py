"""Overload: answered quickly, never queued without end.

Two parts, both cheap (no database):

- `LoadSheddingMiddleware`: each server process lets at most FANGKONG_MAX_ACTIVE requests
  run at once. A request past that waits for a slot — at most FANGKONG_ADMIT_WAIT seconds,
  and only while fewer than FANGKONG_MAX_WAITING others wait — and otherwise is answered at
  once with 503 and `Retry-After` (the API's error shape under /api/, a short page that
  reloads itself otherwise). The station's writes (scan, sync, tubes, kits, antigen
  results: FANGKONG_PRIORITY_PATHS) have their own lane of slots, so a flood of searches
  never makes a sampling table wait; the station already queues and retries on 503.
  Slots are per process: serve with more blocking threads than MAX_ACTIVE + MAX_WAITING
  (granian `--blocking-threads`), so requests reach this queue instead of waiting unseen
  in the server's own.
- `expensive(kind)`: a per-user limit on the reads that cost the most (search, coverage,
  exports), counted in the Django cache (Redis when REDIS_URL is set, shared by every
  process; else per process) by django-ratelimit. Past FANGKONG_RATE_LIMITS[kind] the
  user gets 429 with `Retry-After` (TooMany), the others are not slowed.
"""

import functools
import re
import threading

from django.conf import settings
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.errors import TooMany, json_error


class Lane:
    """`slots` requests at once; at most `queue` more wait, each for at most `wait` s."""

    def __init__(self, slots: int, queue: int):
        self.slots = threading.BoundedSemaphore(max(1, slots))
        self.queue = queue
        self.waiting = 0
        self.lock = threading.Lock()

    def enter(self, wait: float) -> bool:
        if self.slots.acquire(blocking=False):
            return True
        with self.lock:
            if self.waiting >= self.queue:
                return False
            self.waiting += 1
        try:
            return self.slots.acquire(timeout=wait)
        finally:
            with self.lock:
                self.waiting -= 1

    def leave(self):
        self.slots.release()


class LoadSheddingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        active = settings.FANGKONG_MAX_ACTIVE
        self.normal = Lane(active, settings.FANGKONG_MAX_WAITING)
        self.priority = Lane(settings.FANGKONG_MAX_ACTIVE_PRIORITY or active,
                             settings.FANGKONG_MAX_WAITING)
        self.priority_paths = re.compile(settings.FANGKONG_PRIORITY_PATHS)
        self.wait = settings.FANGKONG_ADMIT_WAIT
        self.retry_after = settings.FANGKONG_RETRY_AFTER

    def __call__(self, request):
        lane = self.priority if self.priority_paths.match(request.path_info) else self.normal
        if not lane.enter(self.wait):
            return overloaded(request, self.retry_after)
        try:
            return self.get_response(request)
        finally:
            lane.leave()


_BUSY_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{seconds}">
<title>{title}</title><link rel="stylesheet" href="{css}"></head>
<body><main class="container"><section class="card"><h1>{title}</h1><p>{message}</p></section>
</main></body></html>
"""


def overloaded(request, seconds: int):
    """503 + Retry-After, in the user's language, without touching the database (this runs
    before the session and the user are loaded)."""
    from django.templatetags.static import static

    lang = translation.get_language_from_request(request)
    with translation.override(lang):
        title = _("Busy right now")
        message = ngettext("The server has more requests than it can answer at once. Nothing was "
                           "saved or lost; try again in %(n)d second (this page reloads itself).",
                           "The server has more requests than it can answer at once. Nothing was "
                           "saved or lost; try again in %(n)d seconds (this page reloads itself).", seconds) % {
            "n": seconds}
        headers = {"Retry-After": str(seconds)}
        if request.path_info.startswith("/api/"):
            return json_error(503, "overloaded", ngettext(
                "The server is at capacity; try again in %(n)d second.",
                "The server is at capacity; try again in %(n)d seconds.", seconds) % {"n": seconds},
                headers=headers)
        from django.http import HttpResponse

        html = _BUSY_PAGE.format(lang=escape(lang), seconds=seconds, title=escape(title),
                                 message=escape(message), css=static("fangkong/app.css"))
        return HttpResponse(html, status=503, headers=headers)


def _who(group, request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return f"ip{request.META.get('REMOTE_ADDR', '')}"


def check_rate(request, kind: str):
    """Count one `kind` read for this user; TooMany (429, Retry-After) past the limit."""
    from django_ratelimit.core import get_usage

    rate = settings.FANGKONG_RATE_LIMITS.get(kind)
    if not rate:
        return
    usage = get_usage(request, group=f"fangkong.{kind}", key=_who, rate=rate, increment=True)
    if usage and usage["should_limit"]:
        seconds = max(1, usage["time_left"])
        raise TooMany(ngettext("You have asked for this too often; try again in %(n)d second.",
                               "You have asked for this too often; try again in %(n)d seconds.", seconds)
                      % {"n": seconds}, retry_after=seconds)


def expensive(kind: str):
    """Decorator for a page view or an API operation (after its login/auth): counts the
    call against the user's FANGKONG_RATE_LIMITS[kind]."""

    def wrap(view):
        @functools.wraps(view)
        def inner(request, *args, **kwargs):
            check_rate(request, kind)
            return view(request, *args, **kwargs)

        return inner

    return wrap
