from django.contrib.auth.backends import ModelBackend

from fangkong.core import pii

from .models import User


class PhoneOrUsernameBackend(ModelBackend):
    """Log in with a username or with the phone number on the account."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        login = username.strip()
        user = User.objects.filter(username=login).first()
        if user is None:
            phone = pii.normalize_phone(login)
            if phone:
                user = User.objects.filter(phone=phone).first()
        if user is None:
            User().set_password(password)  # same time whether or not the user exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
