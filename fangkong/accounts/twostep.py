"""Two-step login: a password (or a volunteer's text code), then a 6-digit code from an
authenticator app (TOTP), or one of ten single-use recovery codes.

Devices are django-otp's (`TOTPDevice`: drift, replay protection — a code works once — and
its own back-off; `StaticDevice` holds the recovery codes, stored as keyed hashes, never in
clear). Anyone may turn it on from the "Two-step login" page; roles listed in
FANGKONG_TOTP_REQUIRED_ROLES must (after their password they are sent to set it up and can
reach nothing else until they have).

A session is either logged in or not: after the password, an account with a device gets
only a pending mark in the session (`PENDING`: who, which backend, for 5 minutes) and logs
in when the code is right. Wrong codes count against the account and the address like
wrong passwords (accounts.throttle). A lost phone: a superuser deletes the device in
/admin/ (django-otp's pages), or the person uses a recovery code and sets up again.
"""

import time

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.audit.actions import record
from fangkong.core import pii
from fangkong.core.actor import client_ip
from fangkong.core.errors import Conflict, Invalid

from . import throttle
from .usernames import ALPHABET

PENDING = "_fk_twostep"
ENROL = "_fk_twostep_enrol"
PENDING_SECONDS = 300
RECOVERY_CODES = 10
BACKEND = "fangkong.accounts.backends.PhoneOrUsernameBackend"


def device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def required(user) -> bool:
    """Must this account use two-step login (its roles, FANGKONG_TOTP_REQUIRED_ROLES)?"""
    roles = settings.FANGKONG_TOTP_REQUIRED_ROLES
    return bool(roles) and user.memberships.filter(is_active=True, role__in=roles).exists()


def begin_login(request, user, next_url: str, backend: str | None = None):
    """After the first step: log in, or ask for the code when the account has a device."""
    backend = backend or getattr(user, "backend", None) or BACKEND
    if device(user) is not None:
        request.session[PENDING] = {"uid": user.pk, "backend": backend, "at": int(time.time()),
                                    "next": next_url, "hash": user.get_session_auth_hash()}
        return redirect("login_code")
    auth_login(request, user, backend=backend)
    if required(user):
        request.session[ENROL] = True
        return redirect(reverse("two_step") + "?" + urlencode({"next": next_url}))
    return redirect(next_url)


def pending_user(request):
    from .models import User

    p = request.session.get(PENDING)
    if not p or time.time() - p.get("at", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=p["uid"], is_active=True).first()
    # the password typed is still theirs (a reset or a change since ends this too)
    if user is None or not constant_time_compare(p.get("hash", ""), user.get_session_auth_hash()):
        return None
    return user


def finish_login(request, code: str):
    """The second step: the code for the pending account. Returns the redirect, or raises
    Invalid (wrong code) or throttle.Locked."""
    user = pending_user(request)
    if user is None:
        raise Invalid(fields={"code": [_("That took too long. Log in again.")]}, code="expired")
    account, ip = throttle.account_key(user), client_ip(request)
    throttle.check(account, ip)
    if not verify(user, code, ip=ip):
        throttle.failed(account, ip, user=user)
        throttle.check(account, ip)  # that failure may have locked it: say so at once
        raise Invalid(fields={"code": [_("The code is wrong. Use the newest code in the app.")]},
                      code="code_wrong")
    throttle.succeeded(account)
    pending = request.session.pop(PENDING)
    auth_login(request, user, backend=pending["backend"])
    return redirect(pending.get("next") or settings.LOGIN_REDIRECT_URL)


def _recovery_hash(code: str) -> str:
    clean = "".join(c for c in (code or "").lower() if c.isalnum())
    return pii.lookup_hash("totp-recovery:" + clean)[:16]  # StaticToken holds 16 characters


def verify(user, code: str, *, ip=None) -> bool:
    """A 6-digit code from the app, or a recovery code (used up, audited)."""
    code = "".join((code or "").split())
    if code.isdigit() and len(code) == 6:
        d = device(user)
        with transaction.atomic():
            return d is not None and d.verify_token(code)
    for d in StaticDevice.objects.filter(user=user, confirmed=True):
        with transaction.atomic():
            if d.verify_token(_recovery_hash(code)):
                left = d.token_set.count()
                record(_system(user, ip), "totp.recovery_code_used", user, {"left": left})
                return True
    return False


def _system(user, ip=None):
    from fangkong.core.actor import Actor

    return Actor(user=user, scope=None, via="web", ip=ip)


# --- setting it up -----------------------------------------------------------------

def start(actor) -> TOTPDevice:
    """A new, not yet confirmed device (a new phone), shown as a QR code to scan."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor.user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=actor.user, name="app", confirmed=False)


def unconfirmed(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def confirm(actor, code: str) -> list[str]:
    """The first code from the app proves it is set up: the device replaces any earlier
    one, and ten new recovery codes are returned (shown once)."""
    d = unconfirmed(actor.user)
    if d is None:
        raise Conflict(_("Start again: scan a new QR code."), code="no_device")
    code = "".join((code or "").split())
    with transaction.atomic():
        if not (code.isdigit() and len(code) == 6 and d.verify_token(code)):
            raise Invalid(fields={"code": [_("The code is wrong. Check the phone's clock and "
                                             "type the code the app shows now.")]})
        TOTPDevice.objects.filter(user=actor.user).exclude(pk=d.pk).delete()
        d.confirmed = True
        d.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(actor.user)
        record(actor, "totp.enable", actor.user, {})
    return codes


def new_recovery_codes(actor, code: str) -> list[str]:
    """Replace the recovery codes (the old ones stop working), proved by a current code."""
    if device(actor.user) is None or not verify(actor.user, code, ip=actor.ip):
        raise Invalid(fields={"code": [_("The code is wrong. Use the newest code in the app.")]})
    with transaction.atomic():
        codes = _new_recovery_codes(actor.user)
        record(actor, "totp.recovery_codes", actor.user, {})
    return codes


def disable(actor, code: str):
    if required(actor.user):
        raise Conflict(_("Your role needs two-step login, so it cannot be turned off. For a "
                         "new phone, set it up again."), code="two_step_required")
    if device(actor.user) is None or not verify(actor.user, code, ip=actor.ip):
        raise Invalid(fields={"code": [_("The code is wrong. Use the newest code in the app.")]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor.user).delete()
        StaticDevice.objects.filter(user=actor.user).delete()
        record(actor, "totp.disable", actor.user, {})


def _new_recovery_codes(user) -> list[str]:
    import secrets

    StaticDevice.objects.filter(user=user).delete()
    d = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = ["".join(secrets.choice(ALPHABET) for _i in range(8)) for _n in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=d, token=_recovery_hash(c)) for c in codes])
    return [f"{c[:4]}-{c[4:]}" for c in codes]


def qr(d: TOTPDevice) -> str:
    from fangkong.core.qr import qr_svg

    return qr_svg(d.config_url, scale=5)


def secret_text(d: TOTPDevice) -> str:
    """The key for typing into an app by hand, in groups of four."""
    import base64

    key = base64.b32encode(d.bin_key).decode()
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))
