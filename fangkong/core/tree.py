"""The place tree's kernel: "everything under node N", for any app, on any table.

The tree has fixed residential levels (district → street → community → grid → compound →
building → unit). Every row that hangs in the tree (a place, a household, a resident, a
round, a team, a counter, an audit event…) carries a copy of its ancestor at each level in
the columns `district_id` … `unit_id`. So "under node N" is one indexed equality,
`<N.kind>_id = N.id`, whatever the table, and roll-ups group by a level column. A node of
a non-residential kind (a shop, a sampling point…) has no column of its own: nothing is
under it by level.

This module knows kinds only as strings (the registry's `Kind` values are these strings);
it imports no app. Write `under(node)` instead of spelling `f"{node.kind}_id"` by hand.
"""

from django.db.models import Q

LEVELS = ("district", "street", "community", "grid", "compound", "building", "unit")
LEVEL_FIELDS = tuple(f"{k}_id" for k in LEVELS)
# The levels at or above a community: the ones a round, a counter or an audit event can be
# rolled up to without reading the tree below a community.
UPPER_LEVELS = LEVELS[:3]

NOTHING = Q(pk__in=[])


def _kind(node_or_kind) -> str:
    kind = getattr(node_or_kind, "kind", node_or_kind)
    return str(kind) if kind is not None else ""


def is_level(node_or_kind) -> bool:
    """Is this node (or kind) one of the tree's residential levels?"""
    return _kind(node_or_kind) in LEVELS


def level_field(node_or_kind, prefix: str = "") -> str | None:
    """The level column for a node or a kind ("street" → "street_id"), with `prefix` (a
    path to the row that carries the columns, e.g. "resident__"); None for a kind that is
    not a level."""
    kind = _kind(node_or_kind)
    return f"{prefix}{kind}_id" if kind in LEVELS else None


def under_key(kind, pk, prefix: str = "") -> Q:
    """Filter for rows at or below the node (`kind`, `pk`); nothing for a non-level kind."""
    field = level_field(kind, prefix)
    return Q(**{field: pk}) if field else NOTHING


def under(node, prefix: str = "") -> Q:
    """Filter for rows at or below `node` (a place, or anything with `.kind` and `.id`),
    through their level columns at `prefix`. A node of a non-level kind: nothing."""
    return under_key(node.kind, node.pk if hasattr(node, "pk") else node.id, prefix)


def under_any(keys, prefix: str = "") -> Q:
    """Filter for rows under any of the nodes: `keys` are nodes or (kind, pk) pairs."""
    out = NOTHING
    for k in keys:
        out |= under_key(*k, prefix) if isinstance(k, tuple) else under(k, prefix)
    return out


def is_under(obj, node) -> bool:
    """Is `obj` (anything with level columns) at or below `node`? A node is under itself;
    nothing is under a node of a non-level kind but that node itself."""
    field = level_field(node)
    if field is None:
        return type(obj) is type(node) and obj.pk == node.pk
    return getattr(obj, field, None) == node.pk


def levels_of(obj) -> dict[str, int | None]:
    """The level columns of a row: {"district_id": …, …, "unit_id": …}."""
    return {f: getattr(obj, f, None) for f in LEVEL_FIELDS}


def ancestor_ids(obj) -> list[int]:
    """The ids in `obj`'s level columns, from the root down (a place's own id included
    when it is a level)."""
    return [v for v in (getattr(obj, f, None) for f in LEVEL_FIELDS) if v]
