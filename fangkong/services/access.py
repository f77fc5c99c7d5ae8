"""Who may do what with sealed-area services: the only home of this app's permission rules.

- Staff and grid workers (SERVICES_RUN) run batches, runs, requests and disinfection under
  their node; command and building leaders see (SERVICES_VIEW); leaders and a household's
  own login order and raise requests (SERVICES_ORDER, a resident's grant is its household).
- Request categories are the installation's (one table): everyone who sees services reads
  them; only command at a district (SERVICES_POLICY granted at the top of the tree) or a
  superuser sets their priority and response time (`require_policy`).
- A supplier's login sees only its own supplier's orders, batches and manifests.
- A resident who asked a request for a neighbour of their building (`asked_for`) follows
  that request — its state, holder, outcome — and nothing else of the neighbour's.
- A volunteer holds no permission by role: they see a household (its address and phone)
  only while assigned to it — an open run they carry (or their team carries), a batch their
  team checks at the gate, an open request assigned to them, a feeding task they hold.
  What was given to them counts only while they hold a role over it now (`given_to`,
  `given_q`: `Scope.works_at`) and their teams only while their volunteer record counts
  (`team_ids`: `volunteers.access.approved_volunteer`): with the role taken away, a run or
  request left behind answers 404 like a missing one.
Anything the user may not see answers NotFound, exactly like a missing row."""

from django.db.models import Q

from fangkong.accounts.roles import Perm
from fangkong.core import access as core_access
from fangkong.core.errors import Forbidden, NotFound

VIEW, ORDER, RUN = Perm.SERVICES_VIEW, Perm.SERVICES_ORDER, Perm.SERVICES_RUN
POLICY = Perm.SERVICES_POLICY


def _scope(a):
    return getattr(a, "scope", a)


def _user(a):
    scope = _scope(a)
    return scope.user


def require(actor_or_scope, perm, obj):
    """NotFound if the user cannot see `obj` at all; Forbidden if they see it but lack `perm`."""
    scope = _scope(actor_or_scope)
    if scope.allows(perm, obj):
        return
    if scope.allows(VIEW, obj):
        raise Forbidden()
    raise NotFound()


def require_any(actor_or_scope, perm):
    if not _scope(actor_or_scope).has(perm):
        raise NotFound()


# --- request categories (the installation's) -------------------------------------------

def sets_policy(actor_or_scope) -> bool:
    """May the user set request categories' priority and response time: command granted at
    a district (the top of the tree; the categories serve every community) or a superuser."""
    return core_access.holds_at_top(actor_or_scope, POLICY)


def require_policy(actor_or_scope):
    """Set request categories: the policy holder; who sees services (reads the categories)
    gets Forbidden, anyone else NotFound."""
    core_access.require_at_top(actor_or_scope, POLICY, VIEW)


# --- suppliers ---------------------------------------------------------------------------

def supplier_ids(actor_or_scope) -> list[int]:
    user = _user(actor_or_scope)
    if user is None:
        return []
    cached = getattr(user, "_fk_supplier_ids", None)
    if cached is None:
        from .models import Supplier

        cached = list(Supplier.objects.filter(users=user, is_active=True).values_list("id", flat=True))
        user._fk_supplier_ids = cached
    return cached


def sees_supplier(actor_or_scope, supplier) -> bool:
    scope = _scope(actor_or_scope)
    return scope.allows(VIEW, supplier) or supplier.id in supplier_ids(scope)


def require_supplier(actor_or_scope, supplier, *, manage=False):
    """Catalogues: read by whoever may see or order under the supplier's community (its
    staff, command, leaders, its households' own logins); changed by staff and grid workers
    there and the supplier's own logins."""
    scope = _scope(actor_or_scope)
    if supplier.id in supplier_ids(scope) or scope.allows(RUN, supplier):
        return
    # who works over the community (leader, grid worker, command) is refused a change (403);
    # a household's own login, which reads the catalogue only to order from its page, never
    # sees the catalogue page: to it, as every other object it may not touch, it is missing
    # (found on the supply evening: a resident got 403 here, 404 everywhere else)
    works_here = scope.allows(VIEW, supplier) or _works_in_community(scope, supplier)
    if works_here:
        if manage:
            raise Forbidden()
        return
    if not manage and _lives_in_community(scope, supplier):
        return
    raise NotFound()


def _lives_in_community(scope, supplier) -> bool:
    """A household's own login living in the supplier's community."""
    from fangkong.registry.models import Household

    own = [g.household_id for g in scope.grants if g.household_id]
    return bool(own) and Household.objects.filter(id__in=own, community_id=supplier.community_id).exists()


def _works_in_community(scope, supplier) -> bool:
    """A grant (leader, grid worker…) on a place inside the supplier's community."""
    return any((VIEW in g.perms or ORDER in g.perms) and g.household_id is None
               and getattr(g.place, "community_id", None) == supplier.community_id for g in scope.grants)


# --- volunteers' assignments ---------------------------------------------------------

def given_to(actor_or_scope, obj, user_id) -> bool:
    """Was `obj` (a run, a request, a feeding: anything with level columns) given to the
    user by name (`user_id` is theirs), and do they hold a role over it now?"""
    scope = _scope(actor_or_scope)
    return bool(user_id and scope.user is not None and user_id == scope.user.id and scope.works_at(obj))


def given_q(actor_or_scope, field: str) -> Q:
    """Filter for rows given to the user by name in `field`, by `given_to`."""
    from fangkong.accounts.scope import NOTHING

    scope = _scope(actor_or_scope)
    if scope.user is None:
        return NOTHING
    return Q(**{field: scope.user}) & scope.work_q()


def team_ids(actor_or_scope) -> list[int]:
    scope = _scope(actor_or_scope)
    user = scope.user
    if user is None:
        return []
    cached = getattr(user, "_fk_team_ids", None)
    if cached is None:
        from fangkong.volunteers.access import approved_volunteer
        from fangkong.volunteers.models import TeamMember
        from fangkong.zones.queries import kept_home

        # only while their volunteer record counts (approved, the volunteer role held now);
        # a volunteer kept home (sealed in, or a code not green) carries none of their teams'
        # runs or requests: they cannot go out, and the doors' addresses and phones are not theirs
        v = approved_volunteer(scope)
        cached = [] if v is None else list(
            TeamMember.objects.filter(volunteer=v)
            .exclude(kept_home("volunteer__household_id", "volunteer__id_hash"))
            .values_list("team_id", flat=True))
        user._fk_team_ids = cached
    return cached


def going_out():
    """Volunteer records who may go out for their community now (the one rule): approved,
    with an active account, the volunteer role held now, none kept home (sealed in, or a
    code not green). Whom a team's run or request reaches (`team_user_ids`), whom a request
    may be given to by name (`may_be_given`) and who feeds a pet (`care.on_duty_volunteer`)."""
    from fangkong.volunteers.access import role_now
    from fangkong.volunteers.models import Volunteer
    from fangkong.zones.queries import kept_home

    return (Volunteer.objects.filter(role_now(), status=Volunteer.Status.APPROVED, user__isnull=False,
                                     user__is_active=True)
            .exclude(kept_home()))


def team_user_ids(team_id) -> set[int]:
    """The accounts of a team's volunteers who may go out for it (`going_out`: those
    `team_ids` gives the team). Whom a run or a request given to the team is told to; none,
    and the pages ask first and say nobody is told."""
    from fangkong.volunteers.models import TeamMember

    if not team_id:
        return set()
    return set(TeamMember.objects.filter(team_id=team_id, volunteer_id__in=going_out().values("id"))
               .values_list("volunteer__user_id", flat=True))


def team_reach(team_ids) -> dict[int, int]:
    """{team id: how many accounts `team_user_ids` would tell}, for many teams in one query
    (the request page's team list)."""
    from django.db.models import Count

    from fangkong.volunteers.models import TeamMember

    return dict(TeamMember.objects.filter(team_id__in=list(team_ids), volunteer_id__in=going_out().values("id"))
                .values("team_id").annotate(n=Count("volunteer__user_id", distinct=True))
                .values_list("team_id", "n"))


def carrier_ids(run) -> set[int]:
    """Who carries a run (`carries`): its carrier and its team's volunteers, none kept home."""
    return carriers_of(run.team_id, run.carrier_id)


def carriers_of(team_id, carrier_id) -> set[int]:
    """`carrier_ids` of a team and a person (who carried a run before it was given again)."""
    from fangkong.volunteers.models import Volunteer
    from fangkong.zones.queries import kept_home

    ids = team_user_ids(team_id)
    if carrier_id and not Volunteer.objects.filter(user_id=carrier_id).filter(kept_home()).exists():
        ids.add(carrier_id)
    return ids


def runs_q(actor_or_scope) -> Q:
    """Runs the user may see: under their node, or open ones they or their team carry."""
    from .models import Run

    scope = _scope(actor_or_scope)
    q = levels_q(scope, VIEW)
    user = scope.user
    if user is not None:
        q |= Q(state=Run.State.OPEN) & (given_q(scope, "carrier") | Q(team_id__in=team_ids(scope)))
    return q


def levels_q(scope, perm) -> Q:
    """Rows with level columns under the user's nodes (never a household grant: a
    resident sees their own household's rows through household-scoped filters)."""
    from fangkong.accounts.scope import NOTHING

    out = NOTHING
    for g in scope.grants:
        if perm in g.perms and g.household_id is None and g.level_field:
            out |= Q(**{g.level_field: g.place.id})
    if getattr(scope, "superuser", False) and not scope.grants:
        return Q()
    return out


def carries(actor_or_scope, run) -> bool:
    scope = _scope(actor_or_scope)
    user = scope.user
    return (user is not None and run.state == run.State.OPEN
            and (given_to(scope, run, run.carrier_id) or (run.team_id and run.team_id in team_ids(scope))))


def require_run(actor_or_scope, run, *, confirm=False, manage=False):
    """See a run: staff under it, or its carriers while it is open. Confirm a door: the
    carriers, or staff and grid workers (RUN). Give it to a team or a person (`manage`):
    staff and grid workers (RUN) only; its carriers and command see it but may not."""
    scope = _scope(actor_or_scope)
    if manage:
        if scope.allows(RUN, run):
            return
        if carries(scope, run) or scope.allows(VIEW, run):
            raise Forbidden()
        raise NotFound()
    if carries(scope, run) or scope.allows(RUN, run):
        return
    if not confirm and scope.allows(VIEW, run):
        return
    if scope.allows(VIEW, run):
        raise Forbidden()
    raise NotFound()


def checks_batch(actor_or_scope, batch) -> bool:
    """The team on duty at the checkpoint (or staff and grid workers) check a batch."""
    scope = _scope(actor_or_scope)
    return scope.allows(RUN, batch) or bool(batch.team_id and batch.team_id in team_ids(scope)
                                           and batch.state in (batch.State.EXPECTED, batch.State.CHECKING))


def require_batch(actor_or_scope, batch, *, check=False, manage=False):
    scope = _scope(actor_or_scope)
    own = batch.supplier_id in supplier_ids(scope)
    if manage:
        ok = scope.allows(RUN, batch)
    elif check:
        ok = checks_batch(scope, batch) or own  # the supplier signs its side
    else:
        ok = own or checks_batch(scope, batch) or scope.allows(VIEW, batch)
    if ok:
        return
    if own or scope.allows(VIEW, batch):
        raise Forbidden()
    raise NotFound()


def splitter_ids(batch) -> set[int]:
    """Whom a batch signed at the checkpoint is said to wait for (`handoff.tell_splitters`):
    the active accounts whose role runs services (RUN: staff, grid workers) at the gate's
    community or grid — those who may split it (`require_batch(manage=True)`). A grid
    worker of another grid, whose doors are in the batch, could not open it: not told."""
    from fangkong.accounts.models import Membership
    from fangkong.accounts.roles import ROLE_PERMS

    places = {p for p in (batch.community_id, batch.grid_id) if p}
    roles = [role for role, perms in ROLE_PERMS.items() if RUN in perms]
    return set(Membership.objects.filter(is_active=True, household=None, role__in=roles, place_id__in=places,
                                         user__is_active=True).values_list("user_id", flat=True))


def require_manifest(actor_or_scope, batch):
    """Set a batch's lines and prices: replace its manifest from a file, or price a
    substitute left 价格待定 at the gate (`pricing.price_substitute`) — the supplier's own
    login, or staff and grid workers (RUN) under the gate."""
    scope = _scope(actor_or_scope)
    if batch.supplier_id in supplier_ids(scope) or scope.allows(RUN, batch):
        return
    if checks_batch(scope, batch) or scope.allows(VIEW, batch):
        raise Forbidden()
    raise NotFound()


def exports_batch(actor_or_scope, batch) -> bool:
    """A batch's manifest and amounts owed as files: its supplier's own login, or users
    with the export right over the gate."""
    from fangkong.accounts.roles import Perm

    scope = _scope(actor_or_scope)
    return batch.supplier_id in supplier_ids(scope) or scope.allows(Perm.EXPORT, batch)


def require_owed(actor_or_scope, batch) -> None:
    """A batch's amounts owed, as the .xlsx and through the API alike (the supplier got the
    file and a 404 from the API): `exports_batch`; NotFound for anyone else."""
    if not exports_batch(actor_or_scope, batch):
        raise NotFound()


def batches_q(actor_or_scope) -> Q:
    scope = _scope(actor_or_scope)
    return levels_q(scope, VIEW) | Q(supplier_id__in=supplier_ids(scope)) | \
        Q(team_id__in=team_ids(scope), state__in=["expected", "checking"])


# --- orders ----------------------------------------------------------------------------

def orders_q(actor_or_scope) -> Q:
    """Orders the user may see: households under their node (their own household for a
    resident), or their own supplier's orders."""
    scope = _scope(actor_or_scope)
    return scope.q(VIEW) | Q(supplier_id__in=supplier_ids(scope))


def require_order(actor_or_scope, order, *, manage=False):
    scope = _scope(actor_or_scope)
    if manage:
        if scope.allows(ORDER, order):
            return
    elif scope.allows(VIEW, order) or order.supplier_id in supplier_ids(scope):
        return
    if scope.allows(VIEW, order):
        raise Forbidden()
    raise NotFound()


def prescriptions_seen(actor_or_scope, orders) -> set[int]:
    """The ids of the orders (of `orders`, those with a prescription photo) whose photo the
    user may open (medical data): the pharmacy the order is for (its supplier's own login),
    staff and grid workers running services over the household (RUN), the household's own
    login, and a volunteer delivering it — an open run they or their team carry with the
    household's door in the order's batch, or an open request given to them (or their team)
    that follows the order (`Request.for_order`). Not a building's leader or command, who
    see the order but have no need of the photo. Two queries at most, for a list."""
    from .models import Request, Stop

    scope = _scope(actor_or_scope)
    own, out, rest = set(supplier_ids(scope)), set(), []
    for o in orders:
        if not o.prescription:
            continue
        if o.supplier_id in own or scope.allows(RUN, o) or speaks_for(scope, o.household_id):
            out.add(o.id)
        else:
            rest.append(o)
    if not rest or scope.user is None:
        return out
    teams = team_ids(scope)
    batched = [o for o in rest if o.batch_id]
    carried = set(Stop.objects.filter(
        given_q(scope, "run__carrier") | Q(run__team_id__in=teams), run__state="open",
        run__batch_id__in={o.batch_id for o in batched}, household_id__in={o.household_id for o in batched})
        .values_list("run__batch_id", "household_id")) if batched else set()
    followed = set(Request.objects.filter(given_q(scope, "assignee") | Q(team_id__in=teams),
                                          for_order_id__in=[o.id for o in rest], state__in=Request.OPEN)
                   .values_list("for_order_id", flat=True))
    return out | {o.id for o in rest if (o.batch_id, o.household_id) in carried or o.id in followed}


def require_prescription(actor_or_scope, order) -> None:
    """`prescriptions_seen`, else NotFound (forbidden looks like missing)."""
    if order.id not in prescriptions_seen(actor_or_scope, [order]):
        raise NotFound()


def may_order_for(actor_or_scope, household) -> bool:
    """Place an order or raise a request for `household`: its own login, a leader, grid
    worker or staff over it, or a volunteer while assigned to it."""
    scope = _scope(actor_or_scope)
    return scope.allows(ORDER, household) or assigned_to(scope, household.id)


def require_household(actor_or_scope, household, *, order=False):
    scope = _scope(actor_or_scope)
    if order:
        if may_order_for(scope, household):
            return
    elif scope.allows(VIEW, household) or assigned_to(scope, household.id):
        return
    if scope.allows(VIEW, household):
        raise Forbidden()
    raise NotFound()


def assigned_to(actor_or_scope, household_id) -> bool:
    """Is this volunteer assigned to the household right now (an open stop of a run they
    carry, an open request assigned to them or their team, a feeding task of today)?"""
    from django.utils import timezone

    from .models import Feeding, Request, Stop

    scope = _scope(actor_or_scope)
    user = scope.user
    if user is None:
        return False
    teams = team_ids(scope)
    carried = given_q(scope, "run__carrier") | Q(run__team_id__in=teams)
    if Stop.objects.filter(carried, household_id=household_id, run__state="open").exists():
        return True
    mine = given_q(scope, "assignee") | Q(team_id__in=teams)
    if Request.objects.filter(mine, household_id=household_id, state__in=Request.OPEN).exists():
        return True
    return Feeding.objects.filter(given_q(scope, "volunteer"), pet__household_id=household_id, done_at=None,
                                  stopped=False, day=timezone.localdate()).exists()


# --- requests -------------------------------------------------------------------------

def answerer_ids(row, *, staff: bool) -> set[int]:
    """Who answers a household's requests and makes its morning calls (RUN there): the
    grid workers of its grid, and with `staff` (an urgent category, one overdue) or when it
    has no grid the staff of its community. `row`: anything with level columns (a request,
    a place). Whom a request tells (`requests.responders`) and whom a page names to call
    about them to who may not act on them (a building's leader)."""
    return answerers_of([(row.grid_id, row.community_id)], staff=staff)


def answerers_of(levels, *, staff: bool) -> set[int]:
    """`answerer_ids`' rule over many places at once, in one query: `levels` is (grid id,
    community id) pairs (a batch's households: `batch_late`)."""
    from fangkong.accounts.models import Membership
    from fangkong.accounts.roles import Role

    who = Q(pk__in=[])
    for grid_id, community_id in set(levels):
        if grid_id:
            who |= Q(role=Role.GRID, place_id=grid_id)
        if (staff or not grid_id) and community_id:
            who |= Q(role=Role.STAFF, place_id=community_id)
    return set(Membership.objects.filter(who, is_active=True).values_list("user_id", flat=True))


def may_be_given(user, req) -> bool:
    """May a request be given to this person: staff or a grid worker who runs services over
    it, or a volunteer of its community (or on a team of it) who may go out (`going_out`)."""
    from fangkong.accounts.scope import scope_for
    from fangkong.volunteers.models import Team

    if user is None or not user.is_active:
        return False
    if scope_for(user).allows(RUN, req):
        return True
    if going_out().filter(user=user, community_id=req.community_id).exists():
        return True  # one of its community who may go out, in a team or not (the request page's list)
    teams = Team.objects.filter(community_id=req.community_id, memberships__volunteer__user=user)
    return any(user.id in team_user_ids(t) for t in teams.values_list("id", flat=True))


def requests_q(actor_or_scope) -> Q:
    scope = _scope(actor_or_scope)
    q = scope.q(VIEW) | asked_q(scope)
    user = scope.user
    if user is not None:
        q |= (given_q(scope, "assignee") | Q(team_id__in=team_ids(scope))) & Q(state__in=["new", "taken"])
    return q


def own_households(scope) -> list[int]:
    """The households the user's own login speaks for (a resident's grant), where they see services."""
    return [g.household_id for g in scope.grants if g.household_id and VIEW in g.perms]


def asked_q(actor_or_scope) -> Q:
    """Requests the user asked for a neighbour (`requests.raise_for_neighbour`: 101 asking
    help for the elderly woman at 302), by `asked_for`."""
    from fangkong.accounts.scope import NOTHING

    scope = _scope(actor_or_scope)
    own = own_households(scope)
    if scope.user is None or not own:
        return NOTHING
    return Q(raised_by=scope.user, asked_from_id__in=own)


def asked_for(actor_or_scope, req) -> bool:
    """Did the user ask this request for a neighbour, from a household whose own login they
    still are? They follow it — its state, who has it, when it was done and what was done
    (found on a phone: 101 asked for medicine for 302 and could not see whether it came) —
    and nothing else of the neighbour's (`follows_only`). Only while they still live there."""
    scope = _scope(actor_or_scope)
    return bool(req.asked_from_id and scope.user is not None and req.raised_by_id == scope.user.id
                and req.asked_from_id in own_households(scope))


def follows_only(actor_or_scope, req) -> bool:
    """Does the user see this request only as the neighbour who asked it (`asked_for`), not
    as its household, its staff or its holder? Then the page and the API show what they
    asked and what became of it, never the household's phones, people or orders."""
    scope = _scope(actor_or_scope)
    if not asked_for(scope, req) or scope.allows(VIEW, req):
        return False
    return not (req.state in req.OPEN and (given_to(scope, req, req.assignee_id)
                                           or (req.team_id and req.team_id in team_ids(scope))))


def speaks_for(actor_or_scope, household_id) -> bool:
    """Is this the household's own login (it confirms its requests itself; anyone else who
    may confirm does so on its behalf)?"""
    return any(g.household_id == household_id for g in _scope(actor_or_scope).grants)


def may_withdraw(actor_or_scope, req) -> bool:
    """May the user withdraw this request as no longer needed (`requests.withdraw`): the
    household's own login, or the neighbour who asked it for them (`asked_for`) — those who
    asked for it. Staff and grid workers cancel it instead (`manage`)."""
    scope = _scope(actor_or_scope)
    return speaks_for(scope, req.household_id) or asked_for(scope, req)


def require_request(actor_or_scope, req, *, work=False, confirm=False, manage=False, withdraw=False):
    """See (also the neighbour who asked it: `asked_for`); work on it (take, mark done: the
    assignee, their team, or RUN); confirm (the household's own login or RUN); manage
    (assign, cancel: RUN); withdraw (those who asked for it: `may_withdraw`)."""
    scope = _scope(actor_or_scope)
    user = scope.user
    assigned = user is not None and req.state in req.OPEN and (
        given_to(scope, req, req.assignee_id) or (req.team_id and req.team_id in team_ids(scope)))
    if manage:
        ok = scope.allows(RUN, req)
    elif withdraw:
        ok = may_withdraw(scope, req)
    elif work:
        ok = assigned or scope.allows(RUN, req)
    elif confirm:
        ok = scope.allows(RUN, req) or speaks_for(scope, req.household_id)
    else:
        ok = assigned or scope.allows(VIEW, req) or asked_for(scope, req)
    if ok:
        return
    if assigned or scope.allows(VIEW, req) or asked_for(scope, req):
        raise Forbidden()
    raise NotFound()
