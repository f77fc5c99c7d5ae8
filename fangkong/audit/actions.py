"""Writing audit events. Called by every action; never by views directly."""

from fangkong.core.tree import LEVEL_FIELDS

from .models import AuditEvent, Named

# The keys of `changes` that name people: each id gets a `Named` row (the log's filter by
# resident). A list in `changes` keeps the first 500; `record(named=…)` hands the whole.
NAMED_KEYS = {"residents": "resident", "resident": "resident", "households": "household"}


def record(ctx, action: str, target=None, changes=None, levels_from=None, label=None, defer=None,
           named=None):
    """Append one audit event. `ctx` is the Actor (user, via, ip) doing the write.

    `named`: {"resident": [ids], "household": [ids]}, every person the event names (its
    `changes` may keep only the first 500); by default the ids under NAMED_KEYS.

    `defer`: a list that receives the event's INSERT as (sql, params) instead of running it,
    for an action that sends several writes in one round trip (`screening.actions.sync`);
    the caller runs it in the same transaction. The event comes back without its id (so
    it may name nobody: refused)."""
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
    named = names_of(event.changes) if named is None else named
    if defer is not None:
        if any(named.values()):
            raise ValueError("an event that names people cannot be deferred")
        defer.append(insert_sql(event))
        return event
    event.save()
    save_named([(event, named)])
    return event


def names_of(changes: dict) -> dict[str, list[int]]:
    """The people and households `changes` name, by kind (NAMED_KEYS)."""
    out: dict[str, list[int]] = {}
    for key, kind in NAMED_KEYS.items():
        value = (changes or {}).get(key)
        ids = value if isinstance(value, list) else [value]
        out.setdefault(kind, []).extend(i for i in ids if isinstance(i, int) and not isinstance(i, bool))
    return out


def save_named(pairs) -> None:
    """The `Named` rows of saved events: [(event, {kind: [ids]})]."""
    rows = [Named(event_id=e.pk, kind=kind, object_id=i)
            for e, named in pairs for kind, ids in named.items() for i in dict.fromkeys(ids)]
    if rows:
        Named.objects.bulk_create(rows, batch_size=5000)


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
    pairs = [(e, names_of(e.changes)) for e in events]
    save_named([(e, n) for e, n in pairs if any(n.values())])


def common_levels(rows):
    """An object carrying only the levels all rows share (for auditing a list)."""
    class _L:
        pass

    out = _L()
    for f in LEVEL_FIELDS:
        values = {getattr(r, f) for r in rows}
        setattr(out, f, values.pop() if len(values) == 1 else None)
    return out


def record_shown(ctx, action: str, where: str, rows, key: str):
    """One event for a page, API answer or export that showed personal data of many rows
    in clear (volunteers' phones…): whose (`key`: their ids, the first 500), how many, and
    where; at the levels the rows share. Nothing when no row was shown."""
    rows = list(rows)
    if not rows:
        return None
    return record(ctx, action, None, {"where": where, key: [r.id for r in rows[:500]],
                                      "count": len(rows)},
                  levels_from=common_levels(rows), label=where[:200])
