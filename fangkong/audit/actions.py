"""Writing audit events. Called by every action; never by views directly."""

from fangkong.registry.models import LEVEL_FIELDS

from .models import AuditEvent


def record(ctx, action: str, target=None, changes=None, levels_from=None, label=None, defer=None):
    """Append one audit event. `ctx` is the Actor (user, via, ip) doing the write.

    `defer`: a list that receives the event's INSERT as (sql, params) instead of running it,
    for an action that sends several writes in one round trip (`screening.actions.sync`);
    the caller runs it in the same transaction. The event comes back without its id."""
    source = levels_from if levels_from is not None else target
    event = AuditEvent(
        actor=ctx.user if ctx and ctx.user and ctx.user.is_authenticated else None,
        via=getattr(ctx, "via", "web"),
        ip=getattr(ctx, "ip", None),
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=getattr(target, "pk", None),
        target_label=(label if label is not None else str(target) if target is not None else "")[:200],
        changes=changes or {},
    )
    if source is not None:
        for f in LEVEL_FIELDS:
            setattr(event, f, getattr(source, f, None))
    if defer is not None:
        defer.append(insert_sql(event))
        return event
    event.save()
    return event


def insert_sql(event: AuditEvent) -> tuple[str, list]:
    """The INSERT of one unsaved event as (sql, params), made by Django's own compiler (the
    values prepared as `save()` would: JSON, inet, time zones)."""
    from django.db import router
    from django.db.models.sql import InsertQuery

    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    query = InsertQuery(AuditEvent)
    query.insert_values(fields, [event])
    alias = router.db_for_write(AuditEvent)
    (sql, params), = query.get_compiler(alias).as_sql()
    return sql, list(params)


def record_many(events: list[AuditEvent]):
    AuditEvent.objects.bulk_create(events, batch_size=1000)
