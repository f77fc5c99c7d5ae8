"""Writing audit events. Called by every action; never by views directly."""

from fangkong.registry.models import LEVEL_FIELDS

from .models import AuditEvent


def record(ctx, action: str, target=None, changes=None, levels_from=None, label=None):
    """Append one audit event. `ctx` is the Actor (user, via, ip) doing the write."""
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
    event.save()
    return event


def record_many(events: list[AuditEvent]):
    AuditEvent.objects.bulk_create(events, batch_size=1000)
