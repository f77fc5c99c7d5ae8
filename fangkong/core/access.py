"""The one permission check every app uses, and the one rule for refused exports.

Who may do what is decided by a scope (accounts builds one per request: `scope.allows(perm,
obj)`); each app's `access.py` says which permission a job needs on which object. This
module only turns the answer into the one error shape:

- allowed: nothing happens;
- the user may see the object but not do this: Forbidden (403);
- the user may not even see it: NotFound (404) — the same answer, to the byte, as for an
  object that does not exist. Forbidden looks like missing.

An export the user may not take is refused with NotFound (404), whether or not they see
the object it is taken from: an export is a separate thing to be allowed, and its absence
says nothing about the place (the page route tables declare it role by role).
"""

from collections.abc import Callable, Iterable

from .errors import Forbidden, NotFound


def scope_of(who):
    """The scope of an actor, or the scope itself."""
    return getattr(who, "scope", who)


def _perms(seen) -> Iterable:
    if seen is None:
        return ()
    return (seen,) if isinstance(seen, str) else seen


def require(who, perm, obj, *, seen=None, allows: Callable | None = None) -> None:
    """Return if `who` (an actor or a scope) may `perm` on `obj`. Otherwise raise Forbidden
    if they may see `obj` (hold one of the `seen` permissions on it), NotFound if not.

    `allows(scope, perm, obj) -> bool` replaces `scope.allows` where an app widens the
    rule for a kind of object (a round is worked by grants below its place too)."""
    scope = scope_of(who)
    check = allows or (lambda s, p, o: s.allows(p, o))
    if check(scope, perm, obj):
        return
    if any(check(scope, p, obj) for p in _perms(seen)):
        raise Forbidden()
    raise NotFound()


def require_export(who, perm, obj) -> None:
    """An export of `obj`'s data: NotFound unless `who` holds `perm` (the export
    permission) on it."""
    if not scope_of(who).allows(perm, obj):
        raise NotFound()


def one(qs, pk):
    """The row of `qs` (already scoped to what the user may see) with this primary key;
    NotFound when there is none, the key is not a number, or the row is not theirs."""
    try:
        return qs.get(pk=int(pk))
    except (qs.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None


MAX_ID = 2**63 - 1  # the largest row id a database column (bigint) can hold


def ids(values) -> set[int]:
    """Row ids asked for by number (`?hh=1&hh=2`, a list in a body): NotFound for any that
    no row can have — not a number, below 1, beyond a bigint — as for a row that is not
    there (a number too large for the database had been a server error)."""
    out = set()
    for v in values:
        try:
            n = int(v)
        except (ValueError, TypeError):
            raise NotFound() from None
        if not 1 <= n <= MAX_ID:
            raise NotFound()
        out.add(n)
    return out


class RowId:
    """The `<id:pk>` path converter of every page: digits that fit a row id. A larger
    number matches no page (404), as Django's `<int:>` let through to the database."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        n = int(value)
        if n > MAX_ID:
            raise ValueError("not a row id")  # Django: this pattern does not match
        return n

    def to_url(self, value):
        return str(value)


def require_somewhere(who, perm) -> None:
    """A page or list that needs `perm` somewhere in the tree (an outbox, the audit log):
    NotFound for a user who holds it nowhere."""
    if not scope_of(who).has(perm):
        raise NotFound()


def holds_at_top(who, perm) -> bool:
    """An installation-wide setting (the zone policy, request categories) is changed by whoever
    holds `perm` on a place at the top of the tree (a district), or by a superuser."""
    from .tree import LEVELS

    scope = scope_of(who)
    if getattr(scope, "superuser", False):
        return True
    return any(perm in g.perms and g.household_id is None and g.place.kind == LEVELS[0]
               for g in scope.grants)


def require_at_top(who, perm, seen) -> None:
    """`holds_at_top`, or: Forbidden for a user who holds `seen` somewhere, NotFound else."""
    if holds_at_top(who, perm):
        return
    if scope_of(who).has(seen):
        raise Forbidden()
    raise NotFound()

