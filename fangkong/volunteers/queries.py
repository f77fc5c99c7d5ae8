"""Every read of volunteers, teams, calls and hours, scoped.

Staff and command see what `scope.q(VOLUNTEERS_VIEW)` allows (level columns); a
volunteer sees the calls addressed to them and their own assignments; a team leader sees
their team. `get_*` raise NotFound for missing and forbidden alike.
"""

import datetime
import re
from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.errors import NotFound
from fangkong.registry.models import Household, Kind, Place

from .access import (
    VIEW,
    approved_volunteer,
    can_manage,
    can_see_assignment,
    can_see_call,
    can_see_team,
    in_audience,
    in_community_q,
    leads_call,
    led_q,
    lent_to_q,
    loan_now_q,
    reads_call_outside,
    seen_q,
    why_not_called,
)
from .models import Assignment, Call, JoinLink, Loan, Team, TeamMember, Volunteer, tenths_of


def _pk(pk) -> int:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < pk < 2**62:
        raise NotFound()
    return pk


def me(scope) -> Volunteer | None:
    """The approved volunteer record of the user, if any."""
    return approved_volunteer(scope)


def own_record(scope) -> Volunteer | None:
    """The user's own volunteer record whatever its status (withdrawn, rejected): for
    reading their own past hours (`me_page`, the statement); never for acting (`me`)."""
    if scope.user is None or not getattr(scope.user, "is_authenticated", False):
        return None
    return Volunteer.objects.filter(user_id=scope.user.id).first()


def communities(scope) -> list[Place]:
    """The communities the user runs or oversees for volunteers (under their grants)."""
    return list(Place.objects.filter(scope.place_q(VIEW), kind=Kind.COMMUNITY).order_by("sort_key", "id"))


def get_community(scope, pk) -> Place:
    try:
        return Place.objects.filter(scope.place_q(VIEW), kind=Kind.COMMUNITY).get(pk=_pk(pk))
    except Place.DoesNotExist:
        raise NotFound() from None


def volunteers(scope):
    """The volunteers the user sees: under their grants, and those lent now to a community
    they run (`access.seen_q`)."""
    return Volunteer.objects.filter(seen_q(scope))


def volunteer_list(scope, community: Place, *, status=None, q="", lent=True):
    """A community's volunteers the user sees; with `lent`, also those lent to it now (each
    with `lent_until` and `lent_from`, the home community's name, for the 借调自 mark).
    Without: its own alone (a team takes only its own community's people)."""
    from django.db.models import OuterRef, Subquery

    where = in_community_q(community.id) if lent else Q(community_id=community.id)
    loan = Loan.objects.filter(loan_now_q(), volunteer_id=OuterRef("pk"),
                               to_community_id=community.id).order_by("-until")
    qs = (volunteers(scope).filter(where).select_related("household__place")
          .annotate(lent_until=Subquery(loan.values("until")[:1]),
                    lent_from=Subquery(Place.objects.filter(pk=OuterRef("community_id")).values("name")[:1])))
    if status in Volunteer.Status.values:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(phone__endswith=q) | Q(work_unit__contains=q))
    return qs.order_by("status", "name", "id")


def get_volunteer(scope, pk, *, lent=True) -> Volunteer:
    """A volunteer the user sees (`access.seen_q`: a lent one too, while the loan lasts);
    without `lent`, only under the user's grants (deciding on, lending, putting in a team:
    the home community's)."""
    qs = volunteers(scope) if lent else Volunteer.objects.filter(scope.q(VIEW))
    try:
        return qs.select_related("household__place", "user").get(pk=_pk(pk))
    except Volunteer.DoesNotExist:
        raise NotFound() from None


def history_seen(scope, v: Volunteer, loans: list[Loan]):
    """A person's calls as their page shows them: all of them for the home community; for
    a borrowing community (`loans`), the calls of the communities they are lent to."""
    qs = history(v)
    if loans:
        qs = qs.filter(community_id__in=[loan.to_community_id for loan in loans])
    return qs


def status_counts(scope, community: Place) -> dict:
    """The community's own volunteers by status — what the dashboard's "Volunteers approved"
    counts (`figures`: each person once, at home) — and `lent`: those lent to it now
    (`lent_to_q`), listed with the approved ones but counted apart."""
    rows = (volunteers(scope).filter(community_id=community.id).values("status")
            .annotate(n=Count("id")).order_by())
    out = {s: 0 for s in Volunteer.Status.values}
    out.update({r["status"]: r["n"] for r in rows})
    out["lent"] = volunteers(scope).filter(lent_to_q(community.id)).count()
    return out


def join_link_for(community: Place) -> JoinLink | None:
    return JoinLink.objects.filter(place=community).first()


def get_join_link(token) -> JoinLink:
    link = JoinLink.objects.select_related("place").filter(token=str(token or "")[:40]).first()
    if link is None:
        raise NotFound()
    return link


def own_registration(pk, community: Place) -> Volunteer | None:
    """The registration this browser made through the community's link (its id kept in the
    session once the phone code proved it: `views.join`), while it waits for approval or
    once approved; its name and status only. None for anything else (not this community's,
    rejected, gone, no id)."""
    if not isinstance(pk, int):
        return None
    return (Volunteer.objects.filter(pk=pk, community_id=community.id,
                                     status__in=[Volunteer.Status.PENDING, Volunteer.Status.APPROVED])
            .only("id", "name", "status").first())


def homes(community: Place, q: str = "", limit=30) -> list[Household]:
    """Households of a community for the registration form's address picker: by an address
    as people type it ("8号楼 3单元 302", "8-3-302"), a door number or a building name;
    each labelled with its compound, building, unit and door (`.label`). Shows addresses
    only (no names, no phones)."""
    from fangkong.registry.queries import households_at

    q = (q or "").strip()
    qs = Household.objects.filter(community_id=community.id).select_related("place")
    if q:
        at = households_at(qs, q)
        if at is None:
            compact = re.sub(r"\s+", "", q)
            buildings = Place.objects.filter(community_id=community.id, kind=Kind.BUILDING,
                                             name__contains=compact).values("id")
            at = qs.filter(Q(door__startswith=compact) | Q(building_id__in=buildings))
        qs = at
    return labelled_homes(list(qs.order_by("building_id", "unit_id", "sort_key", "id")[:limit]))


def labelled_homes(rows: list[Household]) -> list[Household]:
    """Set `.label` ("光明小区 8号楼 3单元 302") on households, in one query."""
    from fangkong.registry.queries import address_labels

    labels = address_labels(rows)
    for h in rows:
        h.label = " ".join(x for x in (labels.get(h.place_id, ""), h.door) if x)
    return rows


# --- teams ---------------------------------------------------------------------

def teams(scope, community: Place):
    return (Team.objects.filter(scope.q(VIEW), community_id=community.id)
            .select_related("leader", "area").annotate(n=Count("memberships")).order_by("name", "id"))


def get_team(scope, pk) -> Team:
    """A team: for staff in scope, and for its own members (leader included)."""
    pk = _pk(pk)
    team = Team.objects.select_related("leader", "area", "community_place").filter(pk=pk).first()
    if team is None:
        raise NotFound()
    if not can_see_team(scope, team):
        raise NotFound()
    return team


def team_members(team: Team):
    return (Volunteer.objects.filter(team_memberships__team=team)
            .select_related("household__place").order_by("name", "id"))


def get_team_member(team: Team, pk) -> Volunteer:
    """A member of the team (for its leader); NotFound for anyone else."""
    v = team_members(team).filter(pk=_pk(pk)).first()
    if v is None:
        raise NotFound()
    return v


def my_teams(v: Volunteer):
    return Team.objects.filter(memberships__volunteer=v).select_related("leader").order_by("name")


# --- calls ---------------------------------------------------------------------

def calls(scope, community: Place | None = None):
    qs = Call.objects.filter(scope.q(VIEW)).select_related("place", "team")
    if community is not None:
        qs = qs.filter(community_id=community.id)
    return qs.order_by("-starts_at", "-id")


def calls_by_gap(scope, community: Place, now=None, limit=50) -> list[Call]:
    """The community's calls of today and to come (not over, not cancelled), each with
    `short` (places not filled) and `not_arrived` (confirmed people not checked in, once the
    call has begun; 0 before): the calls short of people first, then by start. The staff's
    landing panel (`panels.place_panel`)."""
    now = now or timezone.now()
    qs = (calls(scope, community).filter(ends_at__gt=now).exclude(status=Call.Status.CANCELLED)
          .annotate(out=Count("assignments", filter=Q(assignments__status=Assignment.Status.CONFIRMED,
                                                      assignments__check_in_at__isnull=True)))
          .order_by("starts_at", "id")[:limit])
    rows = list(qs)
    for c in rows:
        c.short = max(0, c.slots - c.confirmed)
        c.not_arrived = c.out if c.starts_at <= now else 0
    rows.sort(key=lambda c: (not (c.short or c.not_arrived), c.starts_at, c.id))
    return rows


TODAY_AHEAD = datetime.timedelta(hours=24)  # a leader's "today": under way, or starting within a day


def _today(rows: Q, now=None) -> list[Call]:
    """The calls not over and starting within `TODAY_AHEAD` (not cancelled) with confirmed
    places among `rows` (a filter over Assignment), each with `due` (those places),
    `arrived` (checked in) and `missing` (not arrived, once the call has begun), by start.
    Two queries."""
    now = now or timezone.now()
    per = {r["call_id"]: r for r in Assignment.objects.filter(
        rows, status=Assignment.Status.CONFIRMED, ends_at__gt=now, starts_at__lt=now + TODAY_AHEAD)
        .exclude(call__status=Call.Status.CANCELLED).values("call_id")
        .annotate(due=Count("id"), arrived=Count("id", filter=Q(check_in_at__isnull=False))).order_by()}
    out = list(Call.objects.filter(pk__in=list(per)).select_related("place").order_by("starts_at", "id"))
    for c in out:
        c.due, c.arrived = per[c.id]["due"], per[c.id]["arrived"]
        c.missing = c.due - c.arrived if c.starts_at <= now else 0
    return out


def led_today(me: Volunteer, now=None) -> list[Call] | None:
    """A team leader's work today (her home's "本队今日任务"): every call with places whose
    attendance she confirms (`access.led_q`: her team's call, her members on any call of the
    community), with `due`/`arrived`/`missing` (`_today`); None when she leads no team."""
    if not Team.objects.filter(leader=me).exists():
        return None
    return _today(led_q(me), now)


def team_today(team: Team, now=None) -> list[Call]:
    """The same for one team (its page): its calls and its members' places on any call."""
    from django.db.models import Exists, OuterRef

    members = Exists(TeamMember.objects.filter(team_id=team.id, volunteer_id=OuterRef("volunteer_id")))
    return _today(Q(call__team_id=team.id) | members, now)


def kept_home_ids(people) -> set[int]:
    """Which of `people` (volunteers) must stay home now (`zones.queries.kept_home`: their
    home's zone keeps its people in, or their health code is not green). One query."""
    from fangkong.zones.queries import kept_home

    return set(Volunteer.objects.filter(pk__in=[v.pk for v in people]).filter(kept_home())
               .values_list("id", flat=True))


def open_calls_for(v: Volunteer):
    """Calls the volunteer may answer now: accepting, in their audience."""
    now = timezone.now()
    lent = Loan.objects.filter(volunteer=v, until__gt=now, ended_at=None).values("to_community_id")
    qs = (Call.objects.filter(Q(community_id=v.community_id) | Q(community_id__in=lent))
          .filter(status__in=[Call.Status.OPEN, Call.Status.FULL], deadline__gt=now)
          .select_related("place", "team", "audience_place").order_by("starts_at", "id"))
    return [c for c in qs[:100] if in_audience(c, v)]


def get_call(scope, pk) -> Call:
    """A call: for staff in scope; for a volunteer in its audience or holding a place on it;
    for the leader of its team."""
    pk = _pk(pk)
    call = Call.objects.select_related("place", "team", "community_place", "audience_place").filter(pk=pk).first()
    if call is None:
        raise NotFound()
    if not can_see_call(scope, call):
        raise NotFound()
    return call


def get_call_to_read(scope, pk) -> Call:
    """A call's page: as `get_call`; and for a volunteer of its community outside its
    audience (a forwarded link, `access.reads_call_outside`), the call with `.outside`, why
    they cannot answer it (`access.why_not_called`). Anyone else: NotFound."""
    pk = _pk(pk)
    call = Call.objects.select_related("place", "team", "community_place", "audience_place").filter(pk=pk).first()
    if call is None:
        raise NotFound()
    call.outside = ""
    if can_see_call(scope, call):
        return call
    v = reads_call_outside(scope, call)
    if v is None:
        raise NotFound()
    call.outside = why_not_called(call, v)
    return call


def get_call_by_token(scope, token) -> Call:
    """The call a QR opens, for those who may see it (`can_see_call`: a volunteer with a
    place on it or in its audience, its leaders, staff in scope); for anyone else it is
    missing (NotFound), its title, place and time not shown."""
    call = Call.objects.select_related("place", "team").filter(token=str(token or "")[:40]).first()
    if call is None or not can_see_call(scope, call):
        raise NotFound()
    return call


def get_assignable(scope, call: Call, pk) -> Volunteer:
    """The volunteer to assign to `call`: for its team's leader (who does not manage the
    community), one of the team's members; for staff, anyone they may see. Pages and the
    API both resolve the person here."""
    if leads_call(scope, call) and not can_manage(scope, call):
        return get_team_member(call.team, pk)
    return get_volunteer(scope, pk)


def roster(call: Call, only: Q | None = None) -> dict:
    """Who answered a call: {"confirmed": [...], "waitlisted": [...], "cancelled": [...]};
    `only`: those rows alone. The confirmed ones who have not arrived come first (the
    people to phone), then those at work, then those checked out; each part in the order
    they got their place."""
    out = defaultdict(list)
    qs = Assignment.objects.filter(call=call)
    if only is not None:
        qs = qs.filter(only)
    for a in qs.select_related("volunteer").order_by("status", "position", "confirmed_at", "id"):
        out[a.status].append(a)
    out["confirmed"].sort(key=lambda a: (a.check_in_at is not None, a.check_out_at is not None,
                                         a.confirmed_at or a.signed_at, a.id))
    return {k: out.get(k, []) for k in ("confirmed", "waitlisted", "cancelled")}


def arrivals(confirmed: list[Assignment]) -> dict:
    """Of the confirmed places shown (a roster's, or a leader's part of it): `due` (all of
    them), `arrived` (checked in, out since or not) and `missing` (not checked in) — the
    call page's "已到 16 / 应到 20 · 未到 4" and the API's `checked_in`/`not_arrived`."""
    arrived = sum(1 for a in confirmed if a.check_in_at is not None)
    return {"due": len(confirmed), "arrived": arrived, "missing": len(confirmed) - arrived}


def roster_for(scope, call: Call) -> tuple[dict | None, bool]:
    """(the roster of a call the user may read, whether it is only their team's part): the
    whole of it for staff in scope and the leader of the call's team; for the leader of
    another team, the rows of their own team's members (`access.led_q`: those whose
    attendance they confirm); (None, False) for everyone else. The page and the API."""
    if scope.allows(VIEW, call) or leads_call(scope, call):
        return roster(call), False
    me = approved_volunteer(scope)
    if me is None:
        return None, False
    rows = roster(call, only=led_q(me))
    return (rows, True) if any(rows.values()) else (None, False)


def get_assignment(scope, pk) -> Assignment:
    """An assignment: for staff in scope, its volunteer, or the leader of a team involved."""
    pk = _pk(pk)
    a = Assignment.objects.select_related("call", "volunteer", "call__team").filter(pk=pk).first()
    if a is None:
        raise NotFound()
    if can_see_assignment(scope, a):
        return a
    raise NotFound()


def my_assignments(v: Volunteer, *, upcoming=None):
    qs = (Assignment.objects.filter(volunteer=v).exclude(status=Assignment.Status.CANCELLED)
          .select_related("call", "call__place"))
    now = timezone.now()
    if upcoming is True:  # still to do: not over, not checked out (a shift left early is done)
        qs = qs.filter(ends_at__gt=now, check_out_at=None).order_by("starts_at", "id")
    elif upcoming is False:
        qs = qs.filter(ends_at__lte=now).order_by("-starts_at", "-id")
    else:
        qs = qs.order_by("-starts_at", "-id")
    return qs


def history(v: Volunteer):
    return (Assignment.objects.filter(volunteer=v).select_related("call", "call__place")
            .order_by("-starts_at", "-id"))


# --- hours -----------------------------------------------------------------------

def with_hours(rows: list[Volunteer]) -> list[Volunteer]:
    """`rows` with their hours read in one query (`Volunteer.hours` then asks no more): the
    sum of each one's places' figures (`models.tenths`)."""
    per = dict(Assignment.objects.filter(volunteer_id__in=[v.pk for v in rows], minutes__gt=0)
               .values("volunteer_id").annotate(t=Sum(tenths_of())).order_by()
               .values_list("volunteer_id", "t"))
    for v in rows:
        v.hour_tenths = per.get(v.pk, 0)
    return rows


def roll_of_honour(community: Place, limit=20):
    """The community's volunteers with the most verified hours."""
    credited = Q(assignments__minutes__gt=0)
    return list(Volunteer.objects.filter(community_id=community.id, status=Volunteer.Status.APPROVED,
                                         minutes__gt=0)
                .annotate(n_calls=Count("assignments", filter=credited),
                          hour_tenths=Sum(tenths_of("assignments__minutes"), filter=credited))
                .order_by("-hour_tenths", "-minutes", "name", "id")[:limit])


def attendance(call: Call):
    """Confirmed people with lateness and no-shows, in check-in order."""
    rows = list(Assignment.objects.filter(call=call, status=Assignment.Status.CONFIRMED)
                .select_related("volunteer").order_by("check_in_at", "id"))
    return rows


def hours_by(scope, community: Place, dimension: str) -> list[tuple]:
    """[(group, name, phone, calls, hours)] of a community's volunteers, grouped by team,
    work unit or Party branch; only verified (credited) minutes count, each place's hours
    summed (`models.tenths`: the pages' figures)."""
    base = volunteers(scope).filter(community_id=community.id, status=Volunteer.Status.APPROVED)
    per = {r["volunteer_id"]: (r["n"], r["m"] or 0) for r in
           Assignment.objects.filter(volunteer__in=base, minutes__gt=0).values("volunteer_id")
           .annotate(n=Count("id"), m=Sum(tenths_of())).order_by()}
    people = list(base.order_by("name", "id"))
    groups = defaultdict(list)
    if dimension == "team":
        by_v = defaultdict(list)
        for tm in TeamMember.objects.filter(volunteer__in=base).select_related("team"):
            by_v[tm.volunteer_id].append(tm.team.name)
        for p in people:
            for name in by_v.get(p.id) or [""]:
                groups[name].append(p)
    elif dimension == "work_unit":
        for p in people:
            groups[p.work_unit].append(p)
    elif dimension == "party_branch":
        for p in people:
            if p.party_member:
                groups[p.party_branch].append(p)
    else:
        raise NotFound()
    out = []
    for g in sorted(groups, key=lambda k: (k == "", k)):
        for p in groups[g]:
            n, m = per.get(p.id, (0, 0))
            out.append((g, p, n, m / 10))
    return out


def home_label(community: Place, pk) -> list[Household]:
    """The chosen household, labelled as in `homes` (for re-showing the form)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return []
    return labelled_homes(list(Household.objects.filter(pk=pk, community_id=community.id)))


def waitlist_rank(a: Assignment) -> int:
    """1 for the first person on the waitlist."""
    if a.status != Assignment.Status.WAITLISTED:
        return 0
    return Assignment.objects.filter(call_id=a.call_id, status=Assignment.Status.WAITLISTED,
                                     position__lt=a.position).count() + 1


def kept_home_reason(v: Volunteer) -> str:
    """Why this volunteer must stay home now ("" if they need not): then no call goes to them
    and they carry no run (`zones.queries.kept_home`, said as `call_out_refusal` says it)."""
    from fangkong.zones.queries import call_out_refusal, kept_home

    if not Volunteer.objects.filter(pk=v.pk).filter(kept_home()).exists():
        return ""
    return call_out_refusal(v.household_id, v.id_hash) or _("You must stay home for now.")


def attendance_rows(scope, community: Place, *, call: Call | None = None, day=None) -> list[Assignment]:
    """Who served on the community's calls the user sees — one call, or the calls starting
    on a local day (`datetime.date`) — each confirmed place with its check-in, check-out,
    who confirmed them and its credited minutes (`Assignment.hours`: the call's page's
    figure), in the order of the call's page."""
    qs = Assignment.objects.filter(status=Assignment.Status.CONFIRMED, call__in=calls(scope, community))
    if call is not None:
        qs = qs.filter(call_id=call.id)
    if day is not None:
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        qs = qs.filter(call__starts_at__gte=start, call__starts_at__lt=start + datetime.timedelta(days=1))
    return list(qs.select_related("volunteer", "call", "check_in_by", "check_out_by")
                .order_by("call__starts_at", "call_id", "confirmed_at", "id")[:10000])


# --- after the shift: what staff settle (核定) -------------------------------------

def unsettled(scope, community: Place, *, call: Call | None = None, now=None, limit=500) -> list[Assignment]:
    """The "to settle" list (待核定) of a community's calls the user sees whose shift is
    over: confirmed places nobody checked in to, check-ins never checked out, and credits
    longer than the shift — none settled by staff since (`settled_at`) nor corrected. Each
    with `why` ("absent", "open", "long"), by the call's start then name. One query."""
    import datetime

    from django.db.models import DurationField, ExpressionWrapper, F

    now = now or timezone.now()
    shift = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    served = ExpressionWrapper(F("check_out_at") - F("check_in_at"), output_field=DurationField())
    qs = (Assignment.objects.filter(status=Assignment.Status.CONFIRMED, call__in=calls(scope, community),
                                    ends_at__lte=now, settled_at=None, corrected=False)
          .annotate(served=served, shift=shift)
          .filter(Q(check_in_at=None) | Q(check_out_at=None)
                  | Q(served__gte=F("shift") + datetime.timedelta(minutes=1))))
    if call is not None:
        qs = qs.filter(call_id=call.id)
    rows = list(qs.select_related("volunteer", "call", "call__place")
                .order_by("-call__starts_at", "call_id", "volunteer__name", "id")[:limit])
    for a in rows:
        a.why = "absent" if a.check_in_at is None else "open" if a.check_out_at is None else "long"
    return rows


def states_of(people: list[Volunteer], now=None) -> dict[int, dict[str, int]]:
    """{volunteer id: {`AttendanceState` value: places}} over their confirmed places on
    calls begun by now, and those corrected (`Assignment.state` counted in SQL): the hours
    export's status column. One grouped query."""
    from .models import AttendanceState as S

    now = now or timezone.now()
    fixed = Q(corrected=True)
    rows = (Assignment.objects.filter(Q(starts_at__lte=now) | fixed, volunteer_id__in=[v.pk for v in people],
                                      status=Assignment.Status.CONFIRMED).values("volunteer_id")
            .annotate(**{f"n_{S.CORRECTED}": Count("id", filter=fixed),
                         f"n_{S.OUT}": Count("id", filter=~fixed & Q(check_out_at__isnull=False)),
                         f"n_{S.IN}": Count("id", filter=~fixed & Q(check_out_at=None, check_in_at__isnull=False)),
                         f"n_{S.ABSENT}": Count("id", filter=~fixed & Q(check_in_at=None, ends_at__lt=now))})
            .order_by())
    return {r.pop("volunteer_id"): {k[2:]: n for k, n in r.items() if n} for r in rows}
