"""Writes to passwords: the office resets one (a one-time password, shown once, working
FANGKONG_ONE_TIME_PASSWORD_HOURS) or clears a lock; a person sets their own. A new password
ends every other way in (other sessions, API tokens). All audited, at the account's place;
who may is `accounts.access` (an account whose every role the office gives, never above it).

The site sends no e-mail or text to reset a password: staff are reached in person or by
phone, and a volunteer can log in with a text code (volunteers' login) anyway.
"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Invalid

from . import throttle
from .access import require_manage_account
from .actions import new_password
from .models import ApiToken, User


def _place_of(user):
    m = user.memberships.filter(is_active=True).select_related("place").order_by("id").first()
    return m.place if m else None


def end_other_ways_in(actor, user: User) -> int:
    """After `user`'s password changed: every other way in ends. Their sessions end by
    themselves (Django checks each session's copy of the password's hash on every request,
    and a pending two-step login its own: twostep.pending_user; the session that changed its
    own password is given the new hash, `update_session_auth_hash`); their API tokens, which
    no password protects, are revoked here (kept, marked revoked, on their tokens page).
    Audited (`user.logged_out_elsewhere`: how many tokens). Returns that number."""
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    n = live.update(revoked_at=timezone.now())
    record(actor, "user.logged_out_elsewhere", user, {"tokens_revoked": n}, levels_from=_place_of(user),
           label=str(user))
    return n


def reset_password(actor, user: User) -> str:
    """A new one-time password for `user` (returned once, to be shown on the page and
    passed on), working for FANGKONG_ONE_TIME_PASSWORD_HOURS: their old one stops working,
    their sessions and API tokens end (`end_other_ways_in`), a lock is cleared, and they
    set their own at the next login."""
    require_manage_account(actor, user)
    password = new_password()
    with transaction.atomic():
        user.set_one_time_password(password)
        user.save(update_fields=["password", "must_change_password", "one_time_password_at"])
        unlocked = throttle.unlock(user)
        record(actor, "user.password_reset", user, {"username": user.username, "unlocked": unlocked},
               levels_from=_place_of(user))
        user.tokens_revoked = end_other_ways_in(actor, user)
    return password


def unlock(actor, user: User) -> bool:
    """Clear the lock that wrong passwords put on `user` (the office checked it was them).
    True when it was locked; audited either way."""
    require_manage_account(actor, user)
    with transaction.atomic():
        was = throttle.unlock(user)
        record(actor, "user.unlock", user, {"username": user.username, "was_locked": was},
               levels_from=_place_of(user))
    return was


def change_own_password(actor, new: str, again: str, *, old: str | None = None) -> User:
    """The acting person sets their own password. `old` is asked unless they have just
    logged in with a password someone else chose (`must_change_password`). Their other
    sessions and their API tokens end (`end_other_ways_in`; `user.tokens_revoked` says how
    many tokens); the page keeps its own session (`update_session_auth_hash`)."""
    user = actor.user
    errors = {}
    if not user.must_change_password and not user.check_password(old or ""):
        errors["old_password"] = [_("That is not your current password.")]
    if not new:
        errors["new_password"] = [_("Type the new password.")]
    elif new != again:
        errors["new_password2"] = [_("The two new passwords are not the same.")]
    else:
        try:
            validate_password(new, user)
        except ValidationError as e:
            errors["new_password"] = e.messages
        if user.check_password(new):
            errors["new_password"] = [_("Choose a password other than the one you have now.")]
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        was_forced = user.must_change_password
        user.set_password(new)
        user.must_change_password = False
        user.one_time_password_at = None
        user.save(update_fields=["password", "must_change_password", "one_time_password_at"])
        record(actor, "user.password_change", user, {"first": was_forced},
               levels_from=_place_of(user))
        user.tokens_revoked = end_other_ways_in(actor, user)
    return user
