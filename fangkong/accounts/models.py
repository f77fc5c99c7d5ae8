import datetime
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import Role


class User(AbstractUser):
    """A person who logs in: by username or by phone."""

    phone = models.CharField(_("phone"), max_length=20, unique=True, null=True, blank=True)
    display_name = models.CharField(_("name"), max_length=50, blank=True)
    # The language the person reads: their messages (inbox, text messages) are written in
    # it. Blank: the site's default (Chinese). Remembered from the pages they use
    # (accounts.middleware.LanguageMemoryMiddleware); read through `reader_language`.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    # A password someone else chose or saw (the first one, one reset by the office): the
    # person sets their own before anything else (accounts.password).
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # When the office set that one-time password: it works for
    # settings.FANGKONG_ONE_TIME_PASSWORD_HOURS, then the login refuses it (backends).
    one_time_password_at = models.DateTimeField(_("one-time password set at"), null=True, blank=True)

    objects = UserManager()

    def set_one_time_password(self, raw: str) -> None:
        """A password someone else chose or saw: to be replaced at the next login, and
        working only until `one_time_password_until`."""
        self.set_password(raw)
        self.must_change_password = True
        self.one_time_password_at = timezone.now()

    @property
    def one_time_password_until(self):
        """When the one-time password stops working (None: the person has their own)."""
        if not self.must_change_password or self.one_time_password_at is None:
            return None
        from django.conf import settings

        return self.one_time_password_at + datetime.timedelta(
            hours=settings.FANGKONG_ONE_TIME_PASSWORD_HOURS)

    @property
    def one_time_password_expired(self) -> bool:
        until = self.one_time_password_until
        return until is not None and timezone.now() >= until

    def __str__(self):
        # A family login may have no name: its masked phone says more than its random
        # username (and is how the audit trail shows phones).
        if self.display_name:
            return self.display_name
        if self.phone:
            from fangkong.core.pii import mask_phone

            return mask_phone(self.phone)
        return self.username


def reader_language(code: str | None) -> str:
    """One of settings.LANGUAGES for a stored or requested language code: blank or one the
    site does not offer is the site's default language."""
    from django.conf import settings
    from django.utils.translation import get_supported_language_variant

    try:
        return get_supported_language_variant(code) if code else settings.LANGUAGE_CODE
    except LookupError:
        return settings.LANGUAGE_CODE


class Membership(models.Model):
    """A role on one node of the place tree, and so on everything under it.

    A resident's membership names their household instead (and its unit as the node).
    """

    user = models.ForeignKey(User, models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    place = models.ForeignKey("registry.Place", models.CASCADE, related_name="memberships",
                              verbose_name=_("place"))
    household = models.ForeignKey("registry.Household", models.CASCADE, null=True, blank=True,
                                  related_name="memberships", verbose_name=_("household"))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "place"], name="membership_unique"),
            models.CheckConstraint(
                condition=~models.Q(role=Role.RESIDENT) | models.Q(household__isnull=False),
                name="membership_resident_has_household",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.place}"


class ApiToken(models.Model):
    """A bearer token for a device or an integration. Only its SHA-256 is stored."""

    PREFIX = "fk_"

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    lookup = models.CharField(max_length=12, unique=True)  # shown to tell tokens apart
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def generate(cls) -> tuple[str, str]:
        lookup = secrets.token_hex(4)
        return lookup, f"{cls.PREFIX}{lookup}_{secrets.token_urlsafe(30)}"

    @property
    def is_active(self):
        return self.revoked_at is None

    def __str__(self):
        return f"{self.name} ({self.PREFIX}{self.lookup}…)"
