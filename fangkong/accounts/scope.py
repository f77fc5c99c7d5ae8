"""Scope: where in the tree a user may do what.

Built once per request from the user's memberships (one query). Every read of personal data
filters through `scope.q(perm)`; every action checks `scope.allows(perm, obj)`.
"""

from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import Q

from fangkong.core.db import convert_rows, prepared_cursor, row_converters
from fangkong.core.tree import level_field

from .roles import ROLE_PERMS, Perm, Role

NOTHING = Q(pk__in=[])
# The roles that carry tasks given to a person (a sampling table, a team, a run, a call's
# place): a task counts only while its person holds one of these over it (`Scope.works_at`).
TASK_ROLES = frozenset({Role.COMMAND, Role.STAFF, Role.GRID, Role.LEADER, Role.VOLUNTEER})


def grant_perms(role: str) -> frozenset:
    return ROLE_PERMS.get(role, frozenset())


@dataclass(frozen=True)
class Grant:
    role: str
    place: object  # a registry.Place
    household_id: int | None
    perms: frozenset

    @property
    def level_field(self) -> str | None:
        return level_field(self.place)


def _place_covers(g, obj) -> bool:
    """Is `obj` (a place, or anything with level columns) on or under grant `g`'s place?"""
    lf = g.level_field
    if lf is not None:
        return getattr(obj, lf, None) == g.place.id
    return isinstance(obj, type(g.place)) and (obj.id == g.place.id or obj.parent_id == g.place.id)


@dataclass
class Scope:
    user: object
    grants: list[Grant] = field(default_factory=list)
    superuser: bool = False

    @classmethod
    def for_user(cls, user) -> "Scope":
        if not user or not user.is_authenticated or not user.is_active:
            return cls(user=None)
        return cls(user=user, grants=grants_of(user))

    # --- questions ---------------------------------------------------------
    @property
    def is_authenticated(self):
        return self.user is not None

    def has(self, perm: Perm) -> bool:
        """The user holds `perm` somewhere."""
        return any(perm in g.perms for g in self.grants)

    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    def has_role(self, *roles) -> bool:
        return any(g.role in roles for g in self.grants)

    def roots(self, perm: Perm | None = None) -> list:
        """The nodes the user's grants (with `perm`) are on, outermost first, no repeats."""
        seen, out = set(), []
        for g in self.grants:
            if g.role == Role.RESIDENT or (perm and perm not in g.perms):
                continue
            if g.place.id not in seen:
                seen.add(g.place.id)
                out.append(g.place)
        return out

    def allows(self, perm: Perm, obj) -> bool:
        """May the user do `perm` on this place / household / resident (or anything with levels)?"""
        for g in self.grants:
            if perm not in g.perms:
                continue
            if g.household_id is not None:
                hid = obj.id if type(obj).__name__ == "Household" else getattr(obj, "household_id", None)
                if hid == g.household_id:
                    return True
                continue
            if _place_covers(g, obj):
                return True
        return False

    def works_at(self, obj, roles=TASK_ROLES) -> bool:
        """Does the user hold one of `roles` now (never a resident's grant) on obj's place or
        above it? Whatever was given to a person — a sampler's table, a team, a run, a
        place on a call — grants something only while this holds: the role taken away, the
        row left behind grants nothing."""
        for g in self.grants:
            if g.household_id is not None or g.role not in roles:
                continue
            if _place_covers(g, obj):
                return True
        return False

    # --- filters -----------------------------------------------------------
    def q(self, perm: Perm, *, household_field="household_id") -> Q:
        """Filter for households/residents (anything with level columns) under `perm`."""
        out = NOTHING
        for g in self.grants:
            if perm not in g.perms:
                continue
            if g.household_id is not None:
                out |= Q(**{household_field: g.household_id})
            elif g.level_field:
                out |= Q(**{g.level_field: g.place.id})
        return out

    def work_q(self, roles=TASK_ROLES) -> Q:
        """Filter for rows with level columns by `works_at`."""
        out = NOTHING
        for g in self.grants:
            if g.household_id is None and g.role in roles and g.level_field:
                out |= Q(**{g.level_field: g.place.id})
        return out

    def place_q(self, perm: Perm) -> Q:
        """Filter for places under `perm` (residents' grants see no places)."""
        out = NOTHING
        for g in self.grants:
            if perm not in g.perms or g.household_id is not None:
                continue
            if g.level_field:
                out |= Q(**{g.level_field: g.place.id})
            else:
                out |= Q(id=g.place.id) | Q(parent_id=g.place.id)
        return out


def scope_for(user) -> Scope:
    """settings.FANGKONG_SCOPE_FOR_USER: how core.actor builds a user's scope."""
    return Scope.for_user(user)


def grants_of(user) -> list[Grant]:
    """The user's active memberships with their places, outermost first: one query whose
    text is made once per database. Every signed-in page pays for this; as an ORM query
    (a join, its ordering, every place column) it cost ~0.9 ms of compiling a request,
    as fixed text it costs the run (PostgreSQL keeps its plan)."""
    from .models import Membership

    Place = Membership._meta.get_field("place").related_model  # noqa: N806 (a model)
    conn = connections[router.db_for_read(Membership, instance=user)]
    sql, converters, pattrs = _grants_query(conn)
    with prepared_cursor(conn.alias) as cur:
        cur.execute(sql, [user.pk])
        rows = convert_rows(cur.fetchall(), converters, conn)
    return [Grant(r[0], Place.from_db(conn.alias, pattrs, r[2:]), r[1], grant_perms(r[0]))
            for r in rows]


_GRANTS_QUERY: dict = {}


def _grants_query(conn):
    """(sql, converters, place attnames) of `grants_of`, made once per database."""
    made = _GRANTS_QUERY.get(conn.alias)
    if made is None:
        from .models import Membership

        Place = Membership._meta.get_field("place").related_model  # noqa: N806 (the tree's node)
        qn = conn.ops.quote_name
        pcols = list(Place._meta.concrete_fields)
        sql = ("SELECT m.role, m.household_id, " + ", ".join(f"p.{qn(f.column)}" for f in pcols)
               + f" FROM {qn(Membership._meta.db_table)} m"
               f" JOIN {qn(Place._meta.db_table)} p ON p.id = m.place_id"
               " WHERE m.user_id = %s AND m.is_active ORDER BY p.depth, m.id")
        fields = [Membership._meta.get_field("role"), Membership._meta.get_field("household"), *pcols]
        made = _GRANTS_QUERY[conn.alias] = (sql, row_converters(conn, fields), [f.attname for f in pcols])
    return made


class SystemScope(Scope):
    """Used by demo loading and maintenance commands only: every permission everywhere
    (settings.FANGKONG_SYSTEM_SCOPE)."""

    def __init__(self):
        super().__init__(user=None, superuser=True)

    def has(self, perm):
        return True

    def allows(self, perm, obj):
        return True

    def q(self, perm, *, household_field="household_id"):
        return Q()

    def place_q(self, perm):
        return Q()

    def works_at(self, obj, roles=TASK_ROLES):
        return True

    def work_q(self, roles=TASK_ROLES):
        return Q()
