"""Who may do what in the screening app: the ONLY home of its permission rules, imported
by actions, queries, views and the API alike.

- `require(actor, perm, obj)`: `core.access.require` — NotFound outside the actor's
  scope, Forbidden when the object is seen (screening or registry view) but the act not
  allowed.
- On a round as a whole (`round_allows`, `round_q`) a grant counts at or above the round's
  place and also below it: a grid worker works the part of a community round in their grid.
- Sampling (`can_sample`, `require_sample`) is allowed to roles holding SCREENING_SAMPLE on
  the round, and to anyone holding a `Sampler` assignment in that round (this is how
  volunteers sample: only inside the rounds they are assigned to) — an assignment that
  counts (`sampler_counts`): the account holds a role now over the round's area
  (`works_on_round`: a volunteer's role on its community) and, if it is registered as a
  volunteer, the registration is approved (`sampler_rows`). A role taken away or an
  approval withdrawn leaves the row behind granting nothing: the station, the door-to-door
  page and their API answer 404, as for a round never given. The antigen door work is the
  same assignment (an antigen round's `Sampler`).
- A household's own resident reports its members' antigen results (`can_self_report`).
- A box is received at the lab by the lab (`require_handover`); a results file is held for
  its confirm step by and for a lab account (`require_lab`); a health-code colour is
  observed by whoever samples or runs screening there (`require_observe_code`).
- Follow-ups (`can_follow_up`, `followup_task_q`, `require_retest`): staff and grid workers
  read the whole list of their people; a volunteer only the held people whose single
  re-test is her task — the re-test visit given to her, or all of them awaiting it when she
  is on the round's emergency sampling team (`on_emergency_team`) — while they wait.
- What a missing-list row may record for someone held by a positive test, a case or a close
  contact (`HELD_OUTCOMES`, `outcome_allowed`, `require_outcome`): the page shows only those
  (with `held_rule`'s reason for the rest), the actions refuse the others (409
  `held_outcome`), page and API alike; the registry's presence edit asks it too
  (`presence_rule`, settings.FANGKONG_PRESENCE_RULE).
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_noop

from fangkong.accounts.roles import Perm, Role
from fangkong.accounts.scope import TASK_ROLES
from fangkong.core import access as core_access
from fangkong.core.errors import Conflict, Forbidden, NotFound
from fangkong.core.said import define, said
from fangkong.core.tree import ancestor_ids, level_field, under

from .models import FollowUp, Handover, HomeVisit, Round, Sampler

SEEN = (Perm.SCREENING_VIEW, Perm.VIEW_REGISTRY)  # who sees an object is told 403, not 404


def require(actor, perm, obj):
    core_access.require(actor, perm, obj, seen=SEEN)


def round_allows(scope, perm, rnd: Round) -> bool:
    """On a round as a whole, a grant counts at or above the round's place (like any row)
    and also below it: a grid worker works the part of a community round in their grid
    (their reads of people stay scoped to the grid)."""
    if scope.allows(perm, rnd):
        return True
    field = level_field(rnd.place)
    return any(perm in g.perms and g.household_id is None and getattr(g.place, field, None) == rnd.place_id
               for g in scope.grants)


def can_run_people(scope, rnd: Round) -> bool:
    """Exempt people and list or mark home visits in a round (the round page's 上门采样 and
    免检, the missing list's "上门采样"): SCREENING_RUN on the round as a whole
    (`round_allows`), so a grid worker in a community round covering their grid — for their
    grid's people only (`require_run_person`). The pages show these buttons by this."""
    return round_allows(scope, Perm.SCREENING_RUN, rnd)


def require_run_people(actor, rnd: Round) -> None:
    """`can_run_people`, or NotFound (Forbidden where the round is seen but not theirs)."""
    if not can_run_people(actor.scope, rnd):
        require(actor, Perm.SCREENING_RUN, rnd)  # raises: NotFound, or Forbidden when seen
        raise NotFound()


def require_run_person(actor, rnd: Round, obj) -> None:
    """Exempt or home-visit one person (or change their exemption or visit: `obj` carries
    their levels) in `rnd`: `can_run_people` on the round, and SCREENING_RUN over the
    person — a grid worker's own grid. A person (or round) out of reach is a missing one
    (NotFound); one seen but not theirs to run, Forbidden."""
    require_run_people(actor, rnd)
    require(actor, Perm.SCREENING_RUN, obj)


def can_correct_positive(scope, row) -> bool:
    """May this user correct a positive antigen result (`row`, or anything with the person's
    levels)? SCREENING_CORRECT over the person: the community's staff. Never the door's
    ordinary form, whoever fills it in (`actions.antigen_correct`)."""
    return scope.allows(Perm.SCREENING_CORRECT, row)


def require_correct_positive(actor, row) -> None:
    """`can_correct_positive`, or Forbidden for one who sees the result (a grid worker),
    NotFound for anyone else."""
    require(actor, Perm.SCREENING_CORRECT, row)


# --- what a missing-list row may record for someone held ---------------------------------
# The outcomes of a missing-list row: their presence "away" or "hospital" (`missing_views`,
# `planning.record_presence`), "home" (listed for a swab at the door: `followup.add_home_visit`),
# "exempt:<reason>" (`planning.add_exemption`). For someone marked by `status.held_codes`, only
# these: a case is transferred (转运, to hospital) or isolated (隔离); someone held by a positive
# test is swabbed at the door (the single re-test), never called to the point nor taken off
# the list as away or exempt; a close contact stays at home for the door swab or is isolated.
# Anyone of them taken to hospital (120, dialysis) is recorded in hospital: a transfer never
# sends them to the sampling point, and the home-sampling team is not sent to an empty flat.
# Everyone else: any outcome their role allows.
HELD_OUTCOMES = {
    "case": frozenset({"hospital", "exempt:isolation"}),
    "held": frozenset({"home", "hospital"}),
    "held_antigen": frozenset({"home", "hospital"}),
    "close_contact": frozenset({"home", "hospital", "exempt:isolation"}),
}


def outcome_allowed(held_code: str, outcome: str) -> bool:
    """May a missing-list row record `outcome` for someone of `held_code` ("" = not held)?"""
    return not held_code or outcome in HELD_OUTCOMES.get(held_code, frozenset())


def exempt_reasons(held_code: str, reasons):
    """Of `reasons` ((value, label)), those an exemption may give someone of `held_code`."""
    return [(v, label) for v, label in reasons if outcome_allowed(held_code, f"exempt:{v}")]


HELD_RULES = {
    "case": define("screening.held_rule.case", gettext_noop(
        "%(name)s is a confirmed case: only a transfer to hospital or isolation is "
        "recorded here; follow the case procedure.")),
    "held": define("screening.held_rule.held", gettext_noop(
        "%(name)s is held by a positive test: the single re-test is taken at home, "
        "or in hospital if they were taken there. Do not send them to the sampling "
        "point, and do not record them as away or exempt.")),
    "close_contact": define("screening.held_rule.close_contact", gettext_noop(
        "%(name)s lives with a confirmed case: they stay at home for a swab at the "
        "door, go into isolation or, if taken there, to hospital. Do not send them to "
        "the sampling point, and do not record them as away.")),
}


def held_rule(held_code: str, name: str) -> str:
    """Why a row offers someone of `held_code` only `HELD_OUTCOMES`' outcomes, in the reader's
    language: the page's line under the row and the actions' refusal say it; a kept message
    (`core.said`: a roster import's row error is said again in its reader's language)."""
    code = HELD_RULES.get("held" if held_code == "held_antigen" else held_code)
    return said(code, name=name) if code else ""


def require_outcome(held_code: str, outcome: str, name: str) -> None:
    """`outcome_allowed`, or Conflict (409 `held_outcome`) saying `held_rule`."""
    if not outcome_allowed(held_code, outcome):
        raise Conflict(held_rule(held_code, name), code="held_outcome",
                       extra={"held": held_code, "allowed": sorted(HELD_OUTCOMES[held_code])})


# A presence set in the registry (`registry.actions.update_resident`: the resident's edit
# page, `PATCH /api/v1/residents/{id}`, the missing list's away / in hospital) is the outcome
# it records: away or moved out takes them off the list as gone ("away"), in hospital is the
# transfer, centralized quarantine the isolation. At home asks nothing: it is where they are
# to be (the door swab).
PRESENCE_OUTCOMES = {"away": "away", "moved_out": "away", "hospital": "hospital",
                     "quarantine": "exempt:isolation"}


def presence_rule(resident, presence) -> None:
    """settings.FANGKONG_PRESENCE_RULE, asked by `registry.actions.update_resident` before
    a presence changes (the registry imports no screening): `require_outcome` for the
    presence's outcome (`PRESENCE_OUTCOMES`) and the person's `status.held_code`."""
    outcome = PRESENCE_OUTCOMES.get(str(presence))
    if outcome is None:
        return
    from .status import held_code

    require_outcome(held_code(resident), outcome, resident.name)


def round_q(scope, perm) -> Q:
    """Filter for rounds by `round_allows`."""
    q = scope.q(perm, household_field="pk__in") if not any(g.household_id for g in scope.grants) \
        else Q(pk__in=[])
    for g in scope.grants:
        if perm in g.perms and g.household_id is None:
            if g.level_field:
                q |= Q(**{g.level_field: g.place.id})
            q |= Q(place_id__in=ancestor_ids(g.place))
    return q


def works_on_round(scope, rnd: Round) -> bool:
    """Does the user hold a role now (`accounts.scope.TASK_ROLES`) over the round's area: on
    its place or above it, or inside it (a community's volunteer in a street's round)? In
    memory: no query."""
    if scope.works_at(rnd):
        return True
    field = level_field(rnd.place)
    return any(g.role in TASK_ROLES and g.household_id is None and getattr(g.place, field, None) == rnd.place_id
               for g in scope.grants)


def work_round_q(scope) -> Q:
    """Filter for rounds by `works_on_round`."""
    q = Q(pk__in=[])
    for g in scope.grants:
        if g.role in TASK_ROLES and g.household_id is None:
            if g.level_field:
                q |= Q(**{g.level_field: g.place.id})
            q |= Q(place_id__in=ancestor_ids(g.place))
    return q


def sampler_pool_q(rnd: Round) -> Q:
    """The volunteers who may be given a table in a round (`planning.assign_sampler_volunteer`,
    the points page's list, the API alike), as a filter over `Volunteer`: approved, with an
    account, and of the round's community — of any community under a street's or district's
    round. Their volunteer role there is what makes the table count (`sampler_counts`): one
    lent in from another community holds none here, and a table would grant them nothing."""
    from fangkong.volunteers.models import Volunteer

    where = under(rnd.place) if rnd.place.kind in ("district", "street") else Q(community_id=rnd.community_id)
    return Q(status=Volunteer.Status.APPROVED, user__isnull=False) & where


def withdrawn(user_id):
    """The account's volunteer registration when it is not (or no longer) approved: its
    sampler assignments count for nothing (a queryset, for EXISTS)."""
    from fangkong.volunteers.models import Volunteer

    return Volunteer.objects.filter(user_id=user_id).exclude(status=Volunteer.Status.APPROVED)


def sampler_rows(user_id):
    """The account's sampler assignments, none while its volunteer registration is not
    approved. Whether the account works over each round is `works_on_round` (the scope's,
    in memory) or `work_round_q`."""
    if user_id is None:
        return Sampler.objects.none()
    return Sampler.objects.filter(user_id=user_id).filter(~Exists(withdrawn(user_id)))


def sampler_rounds_q(scope) -> Q:
    """Rounds where the user's sampler assignment counts (`sampler_counts`), as a filter."""
    if scope.user is None:
        return Q(pk__in=[])
    return Q(id__in=sampler_rows(scope.user.id).values("round_id")) & work_round_q(scope)


def sampler_counts(actor, rnd: Round) -> bool:
    """Does the actor's own sampler assignment in this round count: a `Sampler` row, a role
    now over the round's area, and a volunteer registration (if any) still approved? The
    row's answer is kept on the actor for the request (`queries.get_round_for_sampling`
    reads it with the round)."""
    user = actor.user
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not works_on_round(actor.scope, rnd):
        return False
    cache = actor.__dict__.setdefault("_sampler_rounds", {})
    if rnd.id not in cache:
        cache[rnd.id] = sampler_rows(user.id).filter(round=rnd).exists()
    return cache[rnd.id]


def can_sample(actor, rnd: Round) -> bool:
    return round_allows(actor.scope, Perm.SCREENING_SAMPLE, rnd) or sampler_counts(actor, rnd)


def require_sample(actor, rnd: Round):
    if can_sample(actor, rnd):
        return
    if round_allows(actor.scope, Perm.SCREENING_VIEW, rnd):
        raise Forbidden()
    raise NotFound()


def is_door_sampler(actor, hv) -> bool:
    """Is the home visit given to the actor (`HomeVisit.assignee`) while their sampler
    assignment in its round counts (`sampler_counts`)? Their task at that door now."""
    user = actor.user
    return user is not None and hv.assignee_id == getattr(user, "id", None) and sampler_counts(actor, hv.round)


def require_door(actor, hv) -> None:
    """Record what happened at a home visit's door (`actions.door.record_door`): the sampler
    it is given to (`is_door_sampler`), or whoever runs the person in the round
    (`require_run_person`: staff, a grid worker for their grid's people). Anyone else:
    NotFound (Forbidden where the person is seen but not theirs to run)."""
    if not is_door_sampler(actor, hv):
        require_run_person(actor, hv.round, hv)


# --- follow-ups: the held people of a positive test and who works them -----------------
# Staff and grid workers (SCREENING_RUN) read the whole follow-up list of their people:
# held, re-sampled, released, cases. A volunteer reads only her task (`followup_task_q`):
# the held people whose single re-test is hers to take — the re-test visit given to her
# while her table in the round counts, or every one awaiting it when she is on the round's
# emergency sampling team (`on_emergency_team`) — and only while they wait. Never another
# person's result, nor a neighbour's case (walk "lab", 2026-12).

def emergency_team_q(team_id) -> Q:
    """Filter for `volunteers.Volunteer`: a team's members and its leader, approved, with an
    account."""
    from fangkong.volunteers.models import Volunteer

    return (Q(teams=team_id) | Q(leads=team_id)) & Q(status=Volunteer.Status.APPROVED, user__isnull=False)


def emergency_team_users(rnd: Round) -> set[int]:
    """The accounts of the round's emergency sampling team whose team counts
    (`on_emergency_team`): approved members and the leader holding a role now over the
    round's area. They are told of its positive pools, with the follow-up page's link."""
    if not rnd.emergency_team_id:
        return set()
    from fangkong.accounts.models import Membership
    from fangkong.volunteers.models import Volunteer

    near = Q(place_id__in=ancestor_ids(rnd.place))
    field = level_field(rnd.place)
    if field:
        near |= Q(**{f"place__{field}": rnd.place_id})
    working = Membership.objects.filter(near, role__in=TASK_ROLES, household__isnull=True, is_active=True)
    return set(Volunteer.objects.filter(emergency_team_q(rnd.emergency_team_id))
               .filter(user_id__in=working.values("user_id")).values_list("user_id", flat=True))


def on_emergency_team(actor, rnd: Round) -> bool:
    """Is the actor on the round's emergency sampling team (`Round.emergency_team`: a member
    or its leader, an approved volunteer) while holding a role now over the round's area
    (`works_on_round`)? That is the round's follow-up task: every held person awaiting the
    single re-test, their doors, the swab recorded. Kept on the actor for the request."""
    user = actor.user
    if not rnd.emergency_team_id or user is None or not getattr(user, "is_authenticated", False):
        return False
    if not works_on_round(actor.scope, rnd):
        return False
    cache = actor.__dict__.setdefault("_team_rounds", {})
    if rnd.id not in cache:
        from fangkong.volunteers.models import Volunteer

        cache[rnd.id] = (Volunteer.objects.filter(emergency_team_q(rnd.emergency_team_id))
                         .filter(user_id=user.pk).exists())
    return cache[rnd.id]


def _retest_given(user_id):
    """The held person's re-test visit (not taken off) given to `user_id`, for EXISTS over a
    follow-up (OuterRef: its round and person)."""
    return (HomeVisit.objects.filter(round_id=OuterRef("round_id"), resident_id=OuterRef("resident_id"),
                                     source=HomeVisit.Source.RETEST, assignee_id=user_id)
            .exclude(status=HomeVisit.Status.CANCELLED))


def followup_task_q(actor, rnd: Round) -> Q:
    """Filter for `FollowUp` of `rnd`: the held people whose single re-test is the actor's
    task as a volunteer, while they await it (recorded, released or a case: no longer hers
    to read) — every one for the round's emergency team, else those whose re-test visit is
    given to her while her sampler assignment counts (`sampler_counts`)."""
    awaiting = Q(status=FollowUp.Status.AWAITING)
    if on_emergency_team(actor, rnd):
        return awaiting
    if sampler_counts(actor, rnd):
        return awaiting & Q(Exists(_retest_given(actor.user.pk)))
    return Q(pk__in=[])


def is_followup_task(actor, fu: FollowUp) -> bool:
    """Is this follow-up the actor's task as a volunteer (`followup_task_q`)? Also the swab
    she recorded herself and still at the lab: her retry of that recording (a lost answer)
    is answered as the first time, and a second tube is refused in words about her own."""
    user = actor.user
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    rnd = fu.round
    if fu.status == FollowUp.Status.RESAMPLED and fu.retest_tube_id:
        from .models import Sample

        return ((on_emergency_team(actor, rnd) or sampler_counts(actor, rnd))
                and Sample.objects.filter(tube_id=fu.retest_tube_id, retest=True, sampler_id=user.pk).exists())
    return FollowUp.objects.filter(pk=fu.pk).filter(followup_task_q(actor, rnd)).exists()


def sees_followup(actor, fu: FollowUp) -> bool:
    """May the actor read (and so record the re-test of) this follow-up: who runs screening
    over the person (staff, the grid worker), who samples in the round by role, or a
    volunteer whose task it is (`is_followup_task`)?"""
    return (actor.scope.allows(Perm.SCREENING_RUN, fu) or round_allows(actor.scope, Perm.SCREENING_SAMPLE, fu.round)
            or is_followup_task(actor, fu))


def require_retest(actor, fu: FollowUp) -> None:
    """Record a held person's single re-test (`followup.record_retest`): `sees_followup`;
    anyone else NotFound (Forbidden where the round is seen: command, a building leader)."""
    if sees_followup(actor, fu):
        return
    if round_allows(actor.scope, Perm.SCREENING_VIEW, fu.round):
        raise Forbidden()
    raise NotFound()


def manages_followup(actor, fu: FollowUp) -> bool:
    """Who runs screening over the person (SCREENING_RUN: the community's staff, the grid
    worker for their grid) manages her follow-up: may take a re-test tube recorded on her by
    mistake off her (`require_detach`) while the lab does not have it."""
    return actor.scope.allows(Perm.SCREENING_RUN, fu)


def require_detach(actor, fu: FollowUp, tube) -> None:
    """Take the single re-test tube `tube` off the person it was recorded on
    (`followup.detach_retest`):
    - who manages her follow-up (`manages_followup`), until the lab has the tube;
    - the volunteer who recorded it herself (her own swab, `is_followup_task`), only while
      it is still with her: not in a box handed to the courier (Conflict
      `retest_handed_over`: the staff can);
    - anyone else: NotFound, as for a missing follow-up (an ordinary sampler never moves
      another's tube, and one who does not see the person never learns of her).
    A tube the lab has (a result, received, marked lost) is refused by the action, for all."""
    if manages_followup(actor, fu):
        return
    user = actor.user
    if user is None or tube is None or fu.retest_tube_id != tube.id or not is_followup_task(actor, fu):
        raise NotFound()
    from .models import Box

    if tube.box_id and Box.objects.filter(pk=tube.box_id).exclude(state=Box.State.PACKING).exists():
        raise Conflict(said(RETEST_HANDED_OVER, barcode=tube.barcode), code="retest_handed_over")


def lab_has(tube) -> bool:
    """The lab has the tube (a result, signed for in its box, marked missing or damaged, or
    reported positive with its row refused, 来源待核实): no one takes it off its person any
    more — its result must reach her, or the lab records it invalid (`require_detach`)."""
    return bool(tube.result or tube.at_lab_at or tube.lost or tube.unverified_positive_at)


def can_detach(actor, fu: FollowUp) -> bool:
    """Does the follow-up page offer "take this tube off" on the row: a re-test tube waiting
    for the lab on it (`fu.retest_tube` read with the row) and the actor manages her
    follow-up (a volunteer's own swab leaves her list once recorded: she uses the API's
    answer, or asks the staff)."""
    tube = fu.retest_tube if fu.retest_tube_id else None
    return (fu.status == FollowUp.Status.RESAMPLED and tube is not None and not lab_has(tube)
            and manages_followup(actor, fu))


RETEST_HANDED_OVER = define("screening.retest_handed_over", gettext_noop(
    "Tube %(barcode)s was handed to the courier in its box: only the community staff can take it "
    "off this person now. Ask them."))


def can_follow_up(actor, rnd: Round) -> bool:
    """The follow-up page and its API: whoever runs screening on the round or samples in it,
    and the members of its emergency sampling team (`on_emergency_team`). What each reads is
    `followup_task_q`'s for a volunteer, the whole list of their people for staff."""
    return (actor.scope.allows(Perm.SCREENING_RUN, rnd) or can_sample(actor, rnd)
            or on_emergency_team(actor, rnd))


# --- the lab a box is sent to ------------------------------------------------------------
# A lab is a lab account (Role.LAB, a login on a district or a street): there is no lab
# organisation in accounts, and two labs serving one district sit on the same node, so the
# node cannot tell them apart. A box names the lab account it is sent to (`Box.lab`): only
# that account signs for it at the lab and writes its tubes. A lab serves a round when its
# membership sits at or above the round's place, or inside it (as `round_allows`). The
# round's own lab (`only_lab_id`) is the one lab account on the nearest node at or above the
# round's place: a box names it by itself, and a tube that travelled in no box (a single
# re-test carried from the door) is taken to have gone to it; where several labs sit on
# that node, the sender chooses, and a tube in no box is no lab's: refused to every one.

def lab_users_q(rnd: Round) -> Q:
    """Filter for `accounts.User`: the lab accounts serving the round's area."""
    from fangkong.accounts.models import Membership

    near = Q(place_id__in=ancestor_ids(rnd.place))
    field = level_field(rnd.place)
    if field:
        near |= Q(**{f"place__{field}": rnd.place_id})
    labs = Membership.objects.filter(near, role=Role.LAB, is_active=True, user__is_active=True)
    return Q(pk__in=labs.values("user_id"))


def lab_choices(rnd: Round) -> list:
    """The lab accounts a box of the round may be sent to, by name."""
    from fangkong.accounts.models import User

    return list(User.objects.filter(lab_users_q(rnd)).order_by("display_name", "username", "id"))


def only_lab_id(rnd: Round) -> int | None:
    """The round's own lab: the one lab account on the nearest node at or above the round's
    place (a lab given to a community serves it rather than the district's), or None (none,
    or several on that node: the sender chooses, and a tube in no box is no lab's)."""
    cache = rnd.__dict__.setdefault("_only_lab", [])
    if not cache:
        from fangkong.accounts.models import Membership

        rows = (Membership.objects.filter(place_id__in=ancestor_ids(rnd.place), role=Role.LAB,
                                          is_active=True, user__is_active=True)
                .values_list("user_id", "place__depth"))
        deepest = max((d for _u, d in rows), default=None)
        users = {u for u, d in rows if d == deepest}
        cache.append(users.pop() if len(users) == 1 else None)
    return cache[0]


def sent_to(tube_or_box, rnd: Round) -> int | None:
    """The lab account a box (or a tube, by its box) was sent to: the box's lab; a tube in no
    box: the lab that wrote its first result (`first_lab_id`, set by the caller: that lab
    keeps correcting it), else the round's own lab; None: no lab's."""
    box = tube_or_box if hasattr(tube_or_box, "handovers") else (tube_or_box.box if tube_or_box.box_id else None)
    if box is not None and box.lab_id:
        return box.lab_id
    if box is None and getattr(tube_or_box, "first_lab_id", None):
        return tube_or_box.first_lab_id
    return only_lab_id(rnd)


def is_lab_of(actor, obj, rnd: Round) -> bool:
    """Is the actor the lab `obj` (a box, or a tube) was sent to, still serving the round?
    (The system — commands, the demo — acts for any lab.)"""
    user = actor.user
    if user is None and getattr(actor.scope, "superuser", False):
        return True
    return (user is not None and getattr(user, "is_authenticated", False) and sent_to(obj, rnd) == user.pk
            and round_allows(actor.scope, Perm.SCREENING_LAB, rnd))


def sent_elsewhere_q(user, box="box") -> Q:
    """Tubes (or boxes, box="") sent to a lab other than `user`'s account: not its to see."""
    field = f"{box}__lab" if box else "lab"
    return Q(**{f"{field}__isnull": False}) & ~Q(**{field: getattr(user, "pk", None)})


def require_handover(actor, rnd: Round, stage: str, box=None):
    """The lab a box is sent to signs for it at the lab (`is_lab_of`): another lab is told
    the box is not found, whoever else sees the round 403; every other hand-over is the
    samplers'."""
    if stage == Handover.Stage.LAB:
        if box is not None and is_lab_of(actor, box, rnd):
            return
        if round_allows(actor.scope, Perm.SCREENING_LAB, rnd) or not round_allows(actor.scope, Perm.SCREENING_VIEW, rnd):
            raise NotFound()
        raise Forbidden()
    require_sample(actor, rnd)


def received_elsewhere_q(scope, box="box_id") -> Q:
    """Tubes a box brought to another lab: signed for at the lab (`Handover.Stage.LAB`) by a
    lab account none of whose labs is the user's (a lab is its accounts' place: a lab
    operator's login on a district or a street). Those are that lab's tubes: for this lab
    they look missing — not listed, and a result for them "not in this lab's area"."""
    from fangkong.accounts.models import Membership

    mine = [g.place.id for g in scope.grants if g.role == Role.LAB]
    labs = Membership.objects.filter(role=Role.LAB, is_active=True)
    others = (Handover.objects.filter(box_id=OuterRef(box), stage=Handover.Stage.LAB,
                                      recorded_by__in=labs.values("user_id"))
              .exclude(recorded_by__in=labs.filter(place_id__in=mine).values("user_id")))
    return Q(Exists(others))


def require_lab(actor):
    """A lab's own work not tied to one round (the results upload, a file held for its
    confirm step): an account holding the lab's permission somewhere; anyone else 404."""
    user = actor.user
    if user is None or not getattr(user, "is_authenticated", False) or not actor.scope.has(Perm.SCREENING_LAB):
        raise NotFound()


def require_observe_code(actor, resident):
    """A health-code colour is recorded by whoever samples or runs screening there."""
    if not (actor.scope.allows(Perm.SCREENING_SAMPLE, resident)
            or actor.scope.allows(Perm.SCREENING_RUN, resident)):
        require(actor, Perm.SCREENING_RUN, resident)


def resident_households(scope) -> list[int]:
    """The households whose resident login this is (a RESIDENT grant on the household)."""
    return [g.household_id for g in scope.grants if g.role == Role.RESIDENT and g.household_id]


def can_self_report(scope, household_id) -> bool:
    """Antigen self-report: the household's own resident, for its members."""
    return household_id in resident_households(scope)
