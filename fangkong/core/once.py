"""Telling of something once, with any number of workers: the worker's passes that find rows
nobody was told of (a hold past its time, a round past its planned end) claim them with one
conditional UPDATE of a `…_told_at` column, so two passes running at once never both tell
of the same row. Told again every so often while it lasts (a batch still late at the gate):
`again_before`, the same conditional UPDATE on the time it was last told."""

from django.db.models import Q


def claim(qs, field: str, now, *, order: tuple[str, ...], limit: int, again_before=None):
    """The rows of `qs` whose `field` is unset, at most `limit` in `order`, claimed for this
    pass: `field` is set to `now` where it is still unset, and the rows this pass set are
    returned (re-read, in `order`; a row another pass claimed first is not among them).
    `again_before`: instead, the rows whose `field` is set and not later than it (told before,
    told again now); another pass that claimed a row meanwhile moved its `field` past it.
    Call it inside `transaction.atomic()`, with the telling, so a failed pass claims nothing.
    `qs` may carry `select_related` for the rows returned."""
    due = Q(**{field: None}) if again_before is None else Q(**{f"{field}__lte": again_before})
    ids = list(qs.filter(due).order_by(*order).values_list("id", flat=True)[:limit])
    if not ids:
        return []
    qs.model.objects.filter(due, id__in=ids).update(**{field: now})
    return list(qs.filter(id__in=ids, **{field: now}).order_by(*order))
