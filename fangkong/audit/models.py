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
    actor = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True,
                              related_name="+")
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
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_label}"
