from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy

from fangkong.core import pii

from . import throttle
from .models import User


def find_user(login: str) -> User | None:
    """The account a login names: its username, or the phone on it (any spelling)."""
    login = (login or "").strip()
    user = User.objects.filter(username=login).first() if login else None
    if user is None:
        phone = pii.normalize_phone(login)
        if phone:
            user = User.objects.filter(phone=phone).first()
    return user


ONE_TIME_EXPIRED = gettext_lazy("This one-time password has expired. Ask your community staff "
                                "to set a new one.")


class PhoneOrUsernameBackend(ModelBackend):
    """Log in with a username or with the phone number on the account; wrong passwords
    are limited per account and per address (accounts.throttle). While either is locked
    nothing is checked: `request.login_locked` holds the Locked (for the form to say when
    to try again) and PermissionDenied stops Django trying other backends. The right
    password, when it is a one-time password past its hours (`User.one_time_password_expired`),
    is refused the same way, `request.login_expired` holding the sentence to say."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        from fangkong.core.actor import client_ip

        user = find_user(username)
        account = throttle.account_key(user, username)
        ip = client_ip(request) if request is not None else None
        try:
            throttle.check(account, ip)
        except throttle.Locked as e:
            if request is not None:
                request.login_locked = e
            raise PermissionDenied from None
        if user is None:
            User().set_password(password)  # same time whether or not the user exists
        elif user.check_password(password) and self.user_can_authenticate(user):
            if user.one_time_password_expired:
                # The office's one-time password, past FANGKONG_ONE_TIME_PASSWORD_HOURS: said
                # only to someone who typed it right (a wrong one is answered and counted as
                # ever); neither a failure nor a success for the limits.
                if request is not None:
                    request.login_expired = ONE_TIME_EXPIRED
                raise PermissionDenied
            throttle.succeeded(account)
            return user
        throttle.failed(account, ip, user=user)
        if request is not None:
            try:
                throttle.check(account, ip)  # that failure locked it: say so at once
            except throttle.Locked as e:
                request.login_locked = e
        return None
