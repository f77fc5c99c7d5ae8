"""Scoped reads of accounts."""

from fangkong.core.access import one
from fangkong.core.errors import NotFound

from .access import is_superuser, may_manage, may_manage_account, require_manage
from .models import Membership
from .roles import Perm


def _places(scope, perm):
    """The places where `scope` holds `perm` (the registry's tables, read without its
    queries: accounts sits below the registry)."""
    from fangkong.registry.models import Place

    return Place.objects.filter(scope.place_q(perm))


def place_by_id(pk):
    """A place of the tree by its id, or None; whether the user may use it is the action's
    rule (accounts.access), which answers as for a missing one."""
    from fangkong.registry.models import Place

    return Place.objects.filter(pk=pk).first()


def place_children(parent, name=None):
    """The places right under `parent` (None: the top), by name when given — for the
    `grant_role` command, which finds a place by its path of names as the system."""
    from fangkong.registry.models import Place

    qs = Place.objects.filter(parent=parent).order_by("sort_key")
    return qs.filter(name=name) if name is not None else qs


def manageable_places(scope, kinds):
    """Places of these kinds where the user may manage people, outermost first (at most
    500: the People page's choice)."""
    return _places(scope, Perm.MANAGE_USERS).filter(kind__in=kinds).order_by("depth", "sort_key")[:500]


def memberships(scope):
    """Active memberships on nodes where the user may manage people (a superuser: all)."""
    qs = Membership.objects.filter(is_active=True)
    if not is_superuser(scope):
        qs = qs.filter(place__in=_places(scope, Perm.MANAGE_USERS).values("id"))
    return qs.select_related("user", "place").order_by("place__depth", "place__sort_key", "role",
                                                       "user__username")


def get_account(scope, pk):
    """An account that holds a role now on a place where the user manages people (a
    superuser: any); NotFound otherwise, as for a missing one. Whether the user may reset
    it is `access.require_manage_account`."""
    from .models import User

    user = one(User.objects.all(), pk)
    if is_superuser(scope):
        return user
    if not any(may_manage(scope, m.place)
               for m in user.memberships.filter(is_active=True).select_related("place")):
        raise NotFound()
    return user


def account_states(scope, users) -> dict:
    """{user id: (may reset / unlock it, locked until or None)} for the people page's
    rows: the users' memberships in one query, their locks in one cache read."""
    from . import throttle

    ids = {u.id for u in users}
    held = {}
    for m in Membership.objects.filter(user_id__in=ids, is_active=True).select_related("place"):
        held.setdefault(m.user_id, []).append(m)
    locks = throttle.locks_of(ids)
    by_id = {u.id: u for u in users}
    return {uid: (may_manage_account(scope, by_id[uid], held.get(uid, [])), locks.get(uid))
            for uid in ids}


PICKER_KINDS = ("district", "street", "community", "grid", "building")


def place_picker(scope, limit=1000):
    """The people page's 所在范围: the places where the user gives some role, in groups a
    person reads — the district and street; each community with its grids; each compound's
    buildings — each option labelled with its path ("光明小区 1号楼", with the community's
    name in front when the user has several), and the roles that sit on it (the page
    offers a place only for them). Returns ([(group, [(place, label, roles)])], cut):
    `cut` when more than `limit` places (outermost first) were left out. Two queries."""
    from fangkong.registry.models import Place

    from .access import roles_given

    qs = Place.objects.all() if is_superuser(scope) else _places(scope, Perm.MANAGE_USERS)
    places = list(qs.filter(kind__in=PICKER_KINDS).order_by("depth", "sort_key", "id")[:limit + 1])
    cut = len(places) > limit
    places = places[:limit]
    names = dict(Place.objects.filter(
        id__in={x for p in places for x in (p.street_id, p.community_id, p.compound_id) if x})
        .values_list("id", "name"))
    several = len({p.community_id for p in places if p.community_id}) > 1

    def path(p, *ids):
        parts = [names.get(x, "") for x in ids if x and x != p.id]
        return " ".join([*[x for x in parts if x], p.name])

    upper, groups = [], {}
    for p in places:
        roles = roles_given(scope, p)
        if not roles:
            continue
        if p.kind in ("district", "street"):
            upper.append((p, f"{p.get_kind_display()} · {p.name}", roles))
            continue
        top = p.community_id if several else None
        if p.kind == "building" and p.compound_id:
            key, title = (p.community_id, p.compound_id), path(p, top, p.compound_id).rsplit(" ", 1)[0]
            label = path(p, top, p.compound_id)
        elif p.kind == "building":
            key = (p.community_id, 0)
            title = f"{names.get(p.community_id, '')} · {p.get_kind_display()}"
            label = path(p, top)
        else:  # the community and its grids
            key, title = (p.community_id, None), names.get(p.community_id, p.name)
            label = path(p, top) if p.kind == "grid" else p.name
        groups.setdefault(key, (title, []))[1].append((p, label, roles))
    pos = {k: i for i, k in enumerate(groups)}
    first = {}  # each community where it first shows, its own group before its compounds'
    for k, i in pos.items():
        first.setdefault(k[0], i)
    order = sorted(groups, key=lambda k: (first[k[0]], k[1] is not None, pos[k]))
    out = ([(str(_upper_title()), upper)] if upper else []) + [groups[k] for k in order]
    return out, cut


def _upper_title():
    from django.utils.translation import gettext as _

    return _("District and street")


def get_membership(scope, pk) -> Membership:
    """An active or ended membership on a node where the user manages people; NotFound
    otherwise (as for a missing one)."""
    m = one(Membership.objects.select_related("place", "user", "household"), pk)
    require_manage(scope, m.place)
    return m


def household_logins(scope, household):
    """The accounts that log in for a household, for a user who manages people there;
    None when they do not (the household page then shows no login section)."""
    if not may_manage(scope, household):
        return None
    return list(Membership.objects.filter(household=household, is_active=True)
                .select_related("user").order_by("id"))


def office_contacts(scope, limit=6, communities=None) -> list[tuple]:
    """Whom to call about one's work: the community staff of the community of each of the
    user's own grants (a lab's), or of `communities` when the work is theirs (a supplier
    delivers to the communities of its suppliers, wherever its login was made),
    [(community, [user])]; two queries. Their work phones are shown to the user's own
    accounts only through this."""
    from fangkong.registry.models import Place

    from .roles import Role

    ids = []
    for g in scope.grants if communities is None else ():
        if g.household_id:
            continue
        cid = g.place.community_id or (g.place.id if g.place.kind == "community" else None)
        if cid and cid not in ids:
            ids.append(cid)
    for cid in communities or ():
        if cid and cid not in ids:
            ids.append(cid)
    if not ids:
        return []
    names = {p.id: p for p in Place.objects.filter(id__in=ids)}
    staff = {}
    for m in (Membership.objects.filter(role=Role.STAFF, is_active=True, place_id__in=ids)
              .select_related("user").order_by("id")):
        if m.user.is_active and len(staff.setdefault(m.place_id, [])) < limit:
            staff[m.place_id].append(m.user)
    return [(names[i], staff.get(i, [])) for i in ids if i in names]


def find_account(scope, text):
    """The active account with this phone or username among the people the user manages:
    one that holds, or held, a role on a place where the user manages people (a superuser:
    any). None otherwise — an account outside the user's reach is answered exactly as no
    account at all (nothing tells it exists)."""
    from django.core.exceptions import ValidationError
    from django.db.models import Q

    from fangkong.core import pii

    from .models import User

    text = (text or "").strip()[:150]
    if not text:
        return None
    q = Q(username=text)
    try:
        phone = pii.validate_phone(text)
    except ValidationError:
        phone = ""
    if phone:
        q |= Q(phone=phone)
    everyone = is_superuser(scope)
    for user in User.objects.filter(q, is_active=True).order_by("id")[:2]:
        if everyone:
            return user
        if not user.is_superuser and any(may_manage(scope, m.place)
                                         for m in user.memberships.select_related("place")):
            return user
    return None


def ended_memberships(scope):
    """Roles taken away on places where the user manages people (a superuser: all), each to
    be given back (恢复): the people page's "roles taken away"."""
    qs = Membership.objects.filter(is_active=False)
    if not is_superuser(scope):
        qs = qs.filter(place__in=_places(scope, Perm.MANAGE_USERS).values("id"))
    return qs.select_related("user", "place").order_by("place__depth", "place__sort_key", "role",
                                                       "user__username", "id")
