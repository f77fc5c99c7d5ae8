"""Notifications: the in-app inbox (one row per user and message) and outbound deliveries
(one row per message and channel target), sent by background tasks and retried."""

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import reader_language
from fangkong.registry.models import Levels


class Notification(models.Model):
    """One message in one user's inbox. `title` and `body` are in the language the user read
    when it was sent (their text message says the same); `translations` holds the message in
    every language of settings.LANGUAGES ({lang: {"title", "body"}}), so the inbox shows it
    in the language the reader reads now (`said`). Empty for words that read the same in
    every language (typed by a person) and for rows written before it existed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)  # e.g. "volunteers.call", "screening.positive_pool"
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    translations = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    place = models.ForeignKey("registry.Place", models.DO_NOTHING, null=True, blank=True,
                              related_name="+", db_constraint=False)
    key = models.CharField(max_length=120, blank=True)  # de-duplication: (user, key) once
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], condition=~models.Q(key=""),
                                    name="notification_once_per_key"),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
                   models.Index(fields=["user", "-created_at"], name="notification_recent_idx")]

    def __str__(self):
        return self.title

    def said(self, lang: str | None = None) -> tuple[str, str]:
        """(title, body) in `lang` (None: the active language, the reader's now); the stored
        title and body when the message has no words in it (an old row, typed words)."""
        words = (self.translations or {}).get(reader_language(lang or translation.get_language()))
        if not isinstance(words, dict):
            return self.title, self.body
        return words.get("title", self.title), words.get("body", self.body)

    @property
    def shown_title(self) -> str:
        return self.said()[0]

    @property
    def shown_body(self) -> str:
        return self.said()[1]


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RETRYING = "retrying", _("Retrying")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")  # gave up after the last attempt; staff can retry


class GroupChannel(models.Model):
    """A group chat or system that receives announcements for a place and everything
    below it, e.g. the community's WeCom group robot (企业微信群机器人)."""

    place = models.ForeignKey("registry.Place", models.CASCADE, related_name="group_channels")
    name = models.CharField(_("name"), max_length=80)
    channel = models.CharField(_("channel"), max_length=20)  # a key of NOTIFY_CHANNELS
    target = models.CharField(_("webhook address"), max_length=500)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Delivery(Levels):
    """One message to one outbound target (a phone, a webhook). Never deleted: a failure
    stays visible, with its error, until it is sent."""

    channel = models.CharField(max_length=20)
    target = models.CharField(max_length=500)
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="+")
    group = models.ForeignKey(GroupChannel, models.SET_NULL, null=True, blank=True,
                              related_name="deliveries")
    # The place the message is about: staff of that part of the tree see the delivery
    # (its levels are copied, like on every row that belongs to a place).
    place = models.ForeignKey("registry.Place", models.DO_NOTHING, null=True, blank=True,
                              related_name="+", db_constraint=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
                   models.Index(fields=["community", "status"], name="delivery_community_idx"),
                   models.Index(fields=["street", "status"], name="delivery_street_idx"),
                   models.Index(fields=["district", "status"], name="delivery_district_idx")]

    def __str__(self):
        return f"{self.channel} → {self.target}"
