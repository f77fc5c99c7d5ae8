"""Scoped reads of the audit trail: an auditor sees the events of their part of the tree."""

from fangkong.accounts.roles import Perm

from .models import AuditEvent


def events(scope, *, action=None, target_type=None, target_id=None):
    qs = AuditEvent.objects.filter(scope.q(Perm.VIEW_AUDIT))
    if action:
        qs = qs.filter(action__startswith=action)
    if target_type and target_id:
        qs = qs.filter(target_type=target_type, target_id=target_id)
    return qs.select_related("actor").order_by("-at", "-id")
