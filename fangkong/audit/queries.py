"""Scoped reads of the audit trail: an auditor sees the events of their part of the tree
(a superuser every event: `access.log_q`).

Every filter reads an index: the reader's places (the level columns; `community, at`),
the time (`at`), the account (`actor, at`), the action (`action`), a resident (the
events targeting them, `target_type, target_id`, and those naming them among many,
`Named`: kind, object id, event)."""

from django.db.models import Q

from . import words
from .access import log_q
from .models import AuditEvent, Named

# The events naming one person read through `Named` first (newest first, at most this
# many), then by primary key: an OR of two index reads, never a scan of the JSON.
MAX_NAMED = 20_000


def kind_q(kind: str) -> Q:
    actions = words.KINDS[kind][1]
    q = Q(action__in=actions)
    if kind == "exports":  # phones written into a file are recorded as shown "on an export"
        where = Q()
        for head in words.EXPORT_WHERE:
            where |= Q(changes__where__startswith=head)
        q |= Q(action="resident.view_phones") & where
    return q


def named_events(resident: int, household: int | None) -> list[int]:
    q = Q(kind="resident", object_id=resident)
    if household:
        q |= Q(kind="household", object_id=household)
    return list(Named.objects.filter(q).order_by("-event_id")
                .values_list("event_id", flat=True)[:MAX_NAMED])


def events(scope, flt=None, *, action=None, target_type=None, target_id=None):
    """The events the reader may see, newest first, under the filters of `flt` (a
    filters.LogFilter)."""
    qs = AuditEvent.objects.filter(log_q(scope))
    action = action or (flt.action if flt else None)
    if action:
        qs = qs.filter(action__startswith=action)
    if target_type and target_id:
        qs = qs.filter(target_type=target_type, target_id=target_id)
    if flt is not None:
        if flt.kind:
            qs = qs.filter(kind_q(flt.kind))
        if flt.actor:
            qs = qs.filter(actor_id=flt.actor)
        if flt.since:
            qs = qs.filter(at__gte=flt.since)
        if flt.until:
            qs = qs.filter(at__lt=flt.until)
        if flt.resident:
            qs = qs.filter(Q(target_type="resident", target_id=flt.resident)
                           | Q(pk__in=named_events(flt.resident, flt.household)))
    return qs.select_related("actor").order_by("-at", "-id")
