from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.registry.models import Levels


class AuditEvent(Levels):
    """Who did what, when, to which object; before/after for personal fields.

    Carries the object's levels so that an auditor sees the events of their own part of
    the tree only. Identifiers in `changes` are stored masked, never in clear.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # (actor, at): the log filtered by an account, newest first
    actor = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True,
                              related_name="+", db_index=False)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    via = models.CharField(max_length=10, default="web")  # web, api, import, cli, task
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["community", "at"], name="audit_community_at_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_label}"


class Named(models.Model):
    """A person or household an event names without being its target: each id of a list
    of people shown or handed out (a page's phones, an export, printed cards), all of
    them, where the event's `changes` keep the first 500. The index the log's filter by
    resident reads (`audit.queries`), on SQLite and PostgreSQL alike, instead of
    searching inside the JSON."""

    event = models.ForeignKey(AuditEvent, models.CASCADE, related_name="named")
    kind = models.CharField(max_length=10)  # "resident" or "household"
    object_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["kind", "object_id", "event"], name="audit_named_idx")]

    def __str__(self):
        return f"{self.kind} {self.object_id} in event {self.event_id}"
