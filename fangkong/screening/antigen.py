"""Antigen rounds, the reads: the round for a door or a household, the households at a
door or on a unit's sheet with their members' results and kits, coverage extras, recent
results and their photos. The writes (kits, results, a positive to PCR) are
`actions.antigen`; who may do what is `access` (`can_sample`, `can_self_report`).

An antigen round is a `Round` of kind antigen. Who does what:
- Kits and results at the door: whoever may sample in the round (`access.can_sample`:
  staff and grid workers by role, volunteers through a `Sampler` assignment in that round),
  for households in the round's area (like the station, names only, no phones).
- Self-report: a resident, through their household login (RESIDENT grant on the household),
  for the members of that household, with a photo of the cassette (required).
- A positive result holds the person (`FollowUp` without a tube), lists an urgent PCR
  re-test at home (`HomeVisit`, source re-test) and notifies the community staff and the
  grid worker at once; the re-test then runs through the follow-up page like a pooled one.
- One result per person and round. A later entry replaces the earlier one, except that a
  self-report never replaces a result entered at the door, and a positive is corrected only
  by staff who run the round (audited with before/after).

Reads (coverage, missing list, by unit) use the level columns copied onto each result, as
the PCR coverage does on registrations.
"""


import datetime

from django.db.models import Max, Sum
from django.utils import timezone

from fangkong.accounts.roles import Perm
from fangkong.core.errors import Forbidden, NotFound
from fangkong.core.tree import ancestor_ids, under
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import Household, Kind, Place, Presence, Resident

from . import access, areas
from .models import (
    AntigenResult,
    KitIssue,
    Round,
    RoundKind,
    RoundStatus,
)

MAX_KITS = 20


# --- the round, for whom --------------------------------------------------------------

def require_antigen(rnd: Round):
    """Anything but an antigen round is not found here."""
    if rnd.kind != RoundKind.ANTIGEN:
        raise NotFound()


def get_round(scope, pk, perm=Perm.SCREENING_VIEW) -> Round:
    """An antigen round the user may see (staff, command, leaders): NotFound otherwise."""
    from . import queries

    rnd = queries.get_round(scope, pk, perm)
    require_antigen(rnd)
    return rnd


def get_round_for_door(actor, pk) -> Round:
    """An antigen round the actor may work at the door in (403 when only seen)."""
    from . import queries

    rnd = queries.get_round_for_sampling(actor, pk)
    require_antigen(rnd)
    return rnd


def get_round_for_household(actor, pk, household_id) -> tuple[Round, Household, bool]:
    """(round, household, at_door) for the door page / API or the household's own resident.
    NotFound for anything outside both; Forbidden for command or a leader (they see the
    round but do not work the doors)."""
    try:
        rnd = Round.objects.select_related("place").get(pk=int(pk), kind=RoundKind.ANTIGEN)
        hh = Household.objects.select_related("place").get(pk=int(household_id))
    except (Round.DoesNotExist, Household.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if not areas.in_round(rnd, hh):
        raise NotFound()
    if access.can_sample(actor, rnd):
        return rnd, hh, True
    if access.can_self_report(actor.scope, hh.id):
        return rnd, hh, False
    if access.round_allows(actor.scope, Perm.SCREENING_VIEW, rnd):
        raise Forbidden()
    raise NotFound()


def own_rounds(scope) -> list[tuple[Household, list[Round]]]:
    """For a resident: each of their households with the antigen rounds covering it that
    are not finished: not ended, and within their planned window (a round nobody ended
    after its window asks nobody to report: `Round.overrun`), newest first."""
    out = []
    now = timezone.now()
    for hh in Household.objects.filter(id__in=access.resident_households(scope)).select_related("place"):
        rnds = list(Round.objects.filter(areas__place_id__in=ancestor_ids(hh), kind=RoundKind.ANTIGEN,
                                         ends_at__gte=now).exclude(status=RoundStatus.CLOSED)
                    .distinct().order_by("-starts_at")[:5])
        out.append((hh, rnds))
    return out


# --- reads -----------------------------------------------------------------------------

def by_unit(rnd: Round, node: Place) -> list[dict]:
    """The round's figures per unit (`figures.by_unit`) with the kits handed out there."""
    from .figures import by_unit, node_q

    rows = by_unit(rnd, node)
    kits = dict(KitIssue.objects.filter(round=rnd).filter(node_q(node))
                .values("household__place_id").annotate(k=Sum("count")).order_by()
                .values_list("household__place_id", "k"))
    for r in rows:
        r["kits"], r["reported"] = kits.get(r["place"], 0), r["sampled"]
    return rows


def household_status(rnd: Round, hh: Household) -> dict:
    """The household at the door: its members (names only) with their result, the kits
    handed over and when the last were (so a second volunteer at the door sees them)."""
    kits, last = household_kits(rnd, [hh.id]).get(hh.id, (0, None))
    return {"people": _members(rnd, [hh.id]), "kits": kits, "kits_last": last}


def household_kits(rnd: Round, household_ids) -> dict:
    """{household id: (kits handed over, when the last were)} for households with kits. One query."""
    rows = (KitIssue.objects.filter(round=rnd, household_id__in=list(household_ids)).order_by()
            .values("household_id").annotate(n=Sum("count"), last=Max("issued_at"))
            .values_list("household_id", "n", "last"))
    return {hid: (n, last) for hid, n, last in rows}


def _members(rnd: Round, household_ids) -> list[Resident]:
    """The members of these households (names only, not moved out), each with `.antigen`:
    their result in the round, or None. Two queries."""
    people = list(Resident.objects.filter(household_id__in=household_ids)
                  .exclude(presence=Presence.MOVED_OUT)
                  .order_by("relation", "id").only("id", "name", "household_id", "presence"))
    results = {a.resident_id: a for a in AntigenResult.objects.filter(
        round=rnd, resident_id__in=[p.id for p in people])}
    for p in people:
        p.antigen = results.get(p.id)
    return people


UNIT_SHEET_LIMIT = 400  # households on one sheet (a big tower's unit has 100–200)


def unit_sheet(rnd: Round, unit_id) -> tuple[Place, list[Household]]:
    """A unit (or a building) of the round's area — NotFound for any other place — and
    every household of it in the area, for a volunteer going door to door: each with
    `.people` (names only, each with `.antigen`, their result or None), `.kits` (kits
    handed over), `.kits_last` (when the last were) and `.reported` (members with a result). The page holds the whole unit,
    so the volunteer can keep entering results with no network in the stairwell (the phone
    queues them). Five queries. The caller has checked the actor may work at the door
    (`get_round_for_door`): that right covers the names of the round's households."""
    try:
        unit = Place.objects.get(areas.area_q(rnd), pk=int(unit_id), kind__in=[Kind.UNIT, Kind.BUILDING])
    except (Place.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    households = list(Household.objects.filter(under(unit))
                      .filter(areas.area_q(rnd))  # a building's units in natural order, then doors
                      .order_by(*reg_queries.place_order(within=unit), "sort_key", "id")[:UNIT_SHEET_LIMIT])
    by_id = {h.id: h for h in households}
    for h in households:
        h.people, h.kits, h.kits_last, h.reported = [], 0, None, 0
    for p in _members(rnd, list(by_id)):
        h = by_id[p.household_id]
        h.people.append(p)
        h.reported += p.antigen is not None
    for hid, (n, last) in household_kits(rnd, by_id).items():
        by_id[hid].kits, by_id[hid].kits_last = n, last
    return unit, households


def recent_results(scope, rnd: Round, *, positive_only=False, limit=100):
    """Results staff may see (SCREENING_VIEW on the person's levels), newest first; with
    `positive_only`, the positives (`figures.antigen_positive_q`: those the overview's 阳性
    figure counts)."""
    from .figures import antigen_positive_q

    qs = AntigenResult.objects.filter(round=rnd).filter(scope.q(Perm.SCREENING_VIEW))
    if positive_only:
        qs = qs.filter(antigen_positive_q(rnd))
    rows = list(qs.select_related("resident__household__place", "entered_by", "corrected_by")
                .order_by("-created_at", "-id")[:limit])
    labels = reg_queries.address_labels([a.resident for a in rows])
    for a in rows:
        a.address = f"{labels.get(a.resident.household.place_id, '')} {a.resident.household.door}"
    return rows


def get_result(scope, rnd: Round, pk) -> AntigenResult:
    """One antigen result of `rnd` that the user sees (SCREENING_VIEW over the person), with
    its resident: NotFound otherwise."""
    try:
        return AntigenResult.objects.select_related("resident__household__place").get(
            scope.q(Perm.SCREENING_VIEW), round=rnd, pk=int(pk))
    except (AntigenResult.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None


def get_photo(scope, pk, positive=False):
    """A result's photo (`positive`: the cassette photo of the positive the staff corrected,
    kept with the correction) as its file, for staff who see the person, or the household's
    own resident."""
    try:
        a = AntigenResult.objects.get(pk=int(pk))
    except (AntigenResult.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    photo = a.positive_photo if positive else a.photo
    if not photo or not (scope.allows(Perm.SCREENING_VIEW, a) or
                         access.can_self_report(scope, a.household_id)):
        raise NotFound()
    return photo


# --- reminding the families that have not reported --------------------------------------

REMIND_AGAIN_AFTER_HOURS = 2  # a second reminder within this sends nothing new
REMIND_KIND = "screening.antigen_remind"


def household_reports(household_id) -> bool:
    """Can someone in the household report its members' antigen results? A family login
    (an active RESIDENT grant on it: `/screening/antigen/mine/` reports for every member,
    `access.can_self_report`) or a member at home, on the roll, with a smartphone (not
    marked without one). Otherwise someone takes a kit to the door
    (`panels.household_panel`'s door words). Not scoped, names nobody. Two queries at most."""
    from fangkong.accounts.models import Membership
    from fangkong.accounts.roles import Role

    if Membership.objects.filter(household_id=household_id, role=Role.RESIDENT, is_active=True,
                                 user__is_active=True).exists():
        return True
    return (Resident.objects.filter(household_id=household_id, presence=Presence.HOME)
            .filter(reg_queries.counts()).exclude(has_smartphone=False).exists())


def remind_key_prefix(rnd: Round) -> str:
    """The notifications' key before the household's id (`…{round}.{household}.{time}`)."""
    return f"{REMIND_KIND}.{rnd.id}."


def to_remind(scope, rnd: Round, node: Place, now=None) -> dict:
    """Who "提醒未报告的家庭" would tell, under `node`, of the people the user runs
    (`figures.missing_people`, and SCREENING_RUN over them: a grid worker's grid): the
    households with someone not yet reported (not done, not exempt), each with `.names`
    (those members), `.address`, `.users` (its family accounts — RESIDENT logins on the
    household). {"tell": households with accounts not reminded in the last
    REMIND_AGAIN_AFTER_HOURS, "recent": those reminded within it, "door": those without any
    family account (a door visit), "last": when this round's last reminder under the node
    went}. Four queries."""
    from fangkong.accounts.models import Membership
    from fangkong.accounts.roles import Role
    from fangkong.notify.models import Notification

    from .figures import missing_people

    now = now or timezone.now()
    people = list(missing_people(scope, rnd, node).filter(scope.q(Perm.SCREENING_RUN))[:20000])
    households = {}
    for r in people:
        hh = households.setdefault(r.household_id, r.household)
        hh.names = [*getattr(hh, "names", []), r.name]
        hh.users = set()
    labels = reg_queries.address_labels(list(households.values()))
    for hh in households.values():
        hh.address = labels.get(hh.place_id, "")
    for hid, uid in Membership.objects.filter(household_id__in=list(households), is_active=True,
                                              user__is_active=True, role=Role.RESIDENT) \
            .values_list("household_id", "user_id"):
        households[hid].users.add(uid)
    prefix = remind_key_prefix(rnd)
    sent = list(Notification.objects.filter(kind=REMIND_KIND, key__startswith=prefix,
                                            user_id__in={u for hh in households.values() for u in hh.users},
                                            created_at__gte=now - datetime.timedelta(hours=REMIND_AGAIN_AFTER_HOURS))
                .values_list("key", "created_at"))
    recent = {int(k[len(prefix):].split(".")[0]) for k, _at in sent}
    out = {"tell": [], "recent": [], "door": [], "last": max((at for _k, at in sent), default=None)}
    for hid, hh in households.items():
        out["door" if not hh.users else "recent" if hid in recent else "tell"].append(hh)
    return out
