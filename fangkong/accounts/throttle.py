"""Limits on guessing passwords and codes: per account and per client address.

Counters live in the Django cache, so with REDIS_URL every app server shares them (without
it each process counts alone; run one process or set REDIS_URL). An account is the user
the login names (by username or phone, in any spelling); a login that names nobody is
counted under a hash of what was typed, so no phone number is kept in the cache.

- FANGKONG_LOGIN_FAILS_PER_ACCOUNT failures (default 5) within the window (15 minutes)
  lock the account for FANGKONG_LOGIN_LOCK_MINUTES (15), doubling with each further lock
  in a day (30, 60 … at most 24 hours); the right password is refused while locked, so
  guessing cannot go on. A success clears the account's failures.
- FANGKONG_LOGIN_FAILS_PER_ADDRESS failures (default 30) from one address within the
  window lock that address the same way (many accounts tried from one place).
- Each lock writes one audit event (`login.locked`) at the account's place, so the
  community's auditors see it; the person is told when to try again.

Password logins (accounts.backends), the second step's codes (accounts.twostep) and the
volunteers' text-code login count here. API tokens are 240 random bits: not guessable,
not counted.
"""

import datetime
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

WINDOW = 15 * 60
PREFIX = "fk:login:"


class Locked(Exception):
    def __init__(self, until: datetime.datetime, by_address: bool):
        self.until = until
        self.by_address = by_address
        super().__init__(self.message)

    @property
    def message(self) -> str:
        minutes = max(1, int((self.until - timezone.now()).total_seconds() + 59) // 60)
        when = time_format(timezone.localtime(self.until), "H:i")
        wait = ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
        if self.by_address:
            return _("Too many failed logins from your network. Try again at %(when)s "
                     "(%(wait)s).") % {"when": when, "wait": wait}
        return _("Too many wrong passwords or codes for this account, so it is locked for "
                 "now. Try again at %(when)s (%(wait)s), or ask your office to check it.") % {
            "when": when, "wait": wait}


def account_key(user=None, login: str = "") -> str:
    if user is not None:
        return account_key_of(user.pk)
    from fangkong.core import pii

    typed = pii.normalize_phone(login) or (login or "").strip().lower()
    return "n" + hashlib.sha256(typed.encode()).hexdigest()[:20]


def _limits():
    return (getattr(settings, "FANGKONG_LOGIN_FAILS_PER_ACCOUNT", 5),
            getattr(settings, "FANGKONG_LOGIN_FAILS_PER_ADDRESS", 30),
            getattr(settings, "FANGKONG_LOGIN_LOCK_MINUTES", 15) * 60)


def _subjects(account: str | None, ip: str | None):
    out = []
    if account:
        out.append(("acct:" + account, False))
    if ip:
        out.append(("ip:" + ip, True))
    return out


def check(account: str | None, ip: str | None):
    """Raise Locked if the account or the address is locked now."""
    keys = [PREFIX + "lock:" + s for s, _a in _subjects(account, ip)]
    if not keys:
        return
    found = cache.get_many(keys)
    for (subject, by_address) in _subjects(account, ip):
        until = found.get(PREFIX + "lock:" + subject)
        if until is not None and until > timezone.now().timestamp():
            raise Locked(datetime.datetime.fromtimestamp(until, tz=datetime.UTC), by_address)


def _incr(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout)  # starts the window; atomic with Redis and LocMem alike
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout)
        return 1


def failed(account: str | None, ip: str | None, *, user=None, via="web"):
    """Count one failure; lock (and audit) what passed its limit."""
    per_account, per_address, lock_seconds = _limits()
    for subject, by_address in _subjects(account, ip):
        n = _incr(PREFIX + "fails:" + subject, WINDOW)
        if n != (per_address if by_address else per_account):
            continue  # locked once, at the failure that crosses the limit
        locks = _incr(PREFIX + "locks:" + subject, 24 * 3600)
        seconds = min(lock_seconds * 2 ** (locks - 1), 24 * 3600)
        until = timezone.now() + datetime.timedelta(seconds=seconds)
        cache.set(PREFIX + "lock:" + subject, until.timestamp(), seconds)
        cache.delete(PREFIX + "fails:" + subject)
        _audit(ip, via, until, n, user=None if by_address else user, by_address=by_address)


def succeeded(account: str | None):
    if account:
        cache.delete(PREFIX + "fails:acct:" + account)


def locks_of(user_ids) -> dict:
    """{user id: until (aware datetime)} for the accounts among `user_ids` locked now (the
    people page's rows): one cache read."""
    keys = {PREFIX + "lock:acct:" + account_key_of(uid): uid for uid in user_ids}
    if not keys:
        return {}
    now = timezone.now().timestamp()
    return {keys[k]: datetime.datetime.fromtimestamp(v, tz=datetime.UTC)
            for k, v in cache.get_many(list(keys)).items() if v is not None and v > now}


def account_key_of(user_id) -> str:
    return f"u{user_id}"


def unlock(user) -> bool:
    """Clear the account's lock and its count of failures (the office checked it, or
    reset its password). The day's count of locks stays: the next lock today is longer.
    A locked address stays locked. True when it was locked."""
    key = PREFIX + "lock:acct:" + account_key(user)
    was = cache.get(key)
    cache.delete_many([key, PREFIX + "fails:acct:" + account_key(user)])
    return was is not None and was > timezone.now().timestamp()


def _audit(ip, via, until, failures, *, user, by_address):
    from fangkong.audit.actions import record
    from fangkong.core.actor import Actor

    place = None
    if user is not None:
        m = user.memberships.filter(is_active=True).select_related("place").first()
        place = m.place if m else None
    record(Actor(user=None, scope=None, via=via, ip=ip), "login.locked", user,
           {"by": "address" if by_address else "account", "failures": failures,
            "until": until.isoformat()},
           levels_from=place, label=str(user) if user is not None else (ip or ""))
