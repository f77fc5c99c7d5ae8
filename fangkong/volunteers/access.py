"""Who may do what on volunteers, teams, calls and assignments: the only home of the
volunteers app's permission rules, imported by actions, queries, pages and the API alike.

Staff act under their grants (`scope.allows(perm, obj)`); outside the actor's scope an
object looks missing (NotFound), inside it without the permission it is Forbidden. A
volunteer acts on their own record through their account (`volunteer_of`,
`approved_volunteer`) — a record that counts only while it is approved AND the account
holds the volunteer role on its community now (`counts`): with the role taken away their
teams (and team members' phones), calls, places and leadership are gone at once, as if
never given (NotFound), even in a session opened before; a call is
answered by its audience (`audience`, `in_audience`); staff see the volunteers under their
grants and, while a loan lasts, those lent to a community they run (`seen_q`,
`in_community_q`, `lent_to_q`, `lent_here`: seen, assigned and phoned there, never managed — approving,
withdrawing, lending stay with the home community); a team's phones are shown by
`team_phone_seen`, a call roster's to a team leader by `roster_phone_seen`; a team leader confirms attendance
for their team (`leads`, `leads_volunteer`, `led_q`, `leads_team_of`, `leads_call`).
"""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm, Role
from fangkong.core import access as core_access
from fangkong.core.errors import Forbidden
from fangkong.core.tree import is_level, under
from fangkong.registry.models import Presence, Resident

from .models import Assignment, Audience, Call, Loan, Team, TeamMember, Volunteer

MANAGE, VIEW = Perm.VOLUNTEERS_MANAGE, Perm.VOLUNTEERS_VIEW
NOT_CALLED_OUT = [Presence.QUARANTINE, Presence.HOSPITAL, Presence.MOVED_OUT]


def require(actor, perm, obj):
    """core.access.require with the volunteers' reading permission: NotFound if the actor
    cannot see obj at all (VOLUNTEERS_VIEW), Forbidden if they see it but lack perm."""
    core_access.require(actor, perm, obj, seen=VIEW)


VOLUNTEER_ROLE = frozenset({Role.VOLUNTEER})


def counts(scope, v: Volunteer | None) -> bool:
    """Is `v` the user's own volunteer record as it counts now: approved, and the account
    holding the volunteer role on its community (or above) — in memory, no query."""
    return (v is not None and scope.user is not None and v.user_id == scope.user.id
            and v.status == Volunteer.Status.APPROVED and scope.works_at(v, VOLUNTEER_ROLE))


def volunteer_of(actor) -> Volunteer:
    """The acting account's volunteer record as it counts now (`counts`); Forbidden without
    one."""
    user = actor.user
    v = None
    if user is not None and getattr(user, "is_authenticated", False):
        v = approved_volunteer(actor.scope)
    if v is None:
        raise Forbidden(_("Only approved volunteers can do this."))
    return v


def approved_volunteer(scope) -> Volunteer | None:
    """The user's volunteer record as it counts now (`counts`), if any."""
    if scope.user is None or not scope.has_role(Role.VOLUNTEER):
        return None
    v = Volunteer.objects.filter(user_id=scope.user.id, status=Volunteer.Status.APPROVED).first()
    return v if counts(scope, v) else None


def loan_now_q(now=None) -> Q:
    """Loans that hold now (over `Loan`): not ended, not past their date."""
    return Q(ended_at=None, until__gt=now or timezone.now())


def lent_to_q(community_id, now=None) -> Q:
    """Volunteers (approved) lent now to one community, as a filter over `Volunteer`."""
    return Q(status=Volunteer.Status.APPROVED) & Exists(Loan.objects.filter(
        loan_now_q(now), volunteer_id=OuterRef("pk"), to_community_id=community_id))


def in_community_q(community_id, now=None) -> Q:
    """A community's own volunteers and those lent to it now (`lent_to_q`)."""
    return Q(community_id=community_id) | lent_to_q(community_id, now)


def seen_q(scope, now=None) -> Q:
    """The volunteers a user sees as staff (people list, a person's page, the assign list,
    the roster's phones): those under their grants (VOLUNTEERS_VIEW), and, for the length
    of the loan, approved volunteers lent to a community under them. Managing a lent person
    (approve, withdraw, lend) stays with their home community: `require(…, MANAGE, v)`
    goes by the person's own levels."""
    from fangkong.registry.models import Kind, Place

    comms = Place.objects.filter(scope.place_q(VIEW), kind=Kind.COMMUNITY).values("id")
    return scope.q(VIEW) | (Q(status=Volunteer.Status.APPROVED) & Exists(Loan.objects.filter(
        loan_now_q(now), volunteer_id=OuterRef("pk"), to_community_id__in=comms)))


def lent_here(scope, v: Volunteer) -> list[Loan]:
    """The loans that hold now of `v` to communities the user runs, when the user sees `v`
    only through them (`seen_q`: staff of the borrowing community); [] for the home
    community's staff."""
    if scope.allows(VIEW, v):
        return []
    return [loan for loan in Loan.objects.filter(loan_now_q(), volunteer=v).select_related("to_community")
            .order_by("until") if scope.allows(VIEW, loan.to_community)]


def can_see_team(scope, team: Team) -> bool:
    """A team: staff in scope, and its own members (leader included)."""
    if scope.allows(VIEW, team):
        return True
    v = approved_volunteer(scope)
    return v is not None and TeamMember.objects.filter(team=team, volunteer=v).exists()


def can_see_call(scope, call: Call) -> bool:
    """A call: staff in scope; a volunteer holding a place on it or in its audience; the
    leader of its team, or of a team one of whose members answered it (`led_q`)."""
    if scope.allows(VIEW, call):
        return True
    v = approved_volunteer(scope)
    if v is None:
        return False
    if Assignment.objects.filter(call=call, volunteer=v).exists():
        return True
    if call.team_id and call.team.leader_id == v.id:
        return True
    if Assignment.objects.filter(led_q(v), call=call).exists():  # their team's people are on it
        return True
    return in_audience(call, v)


def can_see_assignment(scope, a: Assignment) -> bool:
    """An assignment: staff in scope, its volunteer, or the leader of a team involved."""
    if scope.allows(VIEW, a):
        return True
    v = approved_volunteer(scope)
    return v is not None and (a.volunteer_id == v.id or leads_volunteer(v, a))


def team_phone_seen(scope, team: Team):
    """Whose phone the user sees on a team's page, as a test of one member: every member's
    for staff who manage the team and for its leader; the leader's alone for the team's
    other members (to call her); nobody's for anyone else (staff who only read, people
    outside the team). Two queries at most, whatever the number of members."""
    if can_manage(scope, team):
        return lambda v: True
    me = approved_volunteer(scope)
    if me is None:
        return lambda v: False
    if team.leader_id == me.id:
        return lambda v: True
    if team.leader_id and TeamMember.objects.filter(team=team, volunteer=me).exists():
        return lambda v: v.id == team.leader_id
    return lambda v: False


def roster_phone_seen(scope, call: Call):
    """Whose phone a team leader sees on a call's roster, as a test of one volunteer: of
    the places whose attendance she confirms (`led_q`: everyone on a call for her team,
    her own members on any other call of the community), so that she can phone whoever
    has not come; nobody's for anyone else (staff see the roster's phones by `seen_q`).
    One query."""
    me = approved_volunteer(scope)
    if me is None:
        return lambda v: False
    ids = set(Assignment.objects.filter(led_q(me), call=call).values_list("volunteer_id", flat=True))
    return lambda v: v.id in ids


def can_manage(scope, obj) -> bool:
    """May the user manage obj (approve people, run calls and teams)?"""
    return scope.allows(MANAGE, obj)


# --- who a call is for ------------------------------------------------------------

def audience(call: Call, now=None):
    """The approved volunteers a call goes to: its community's (and those lent to it),
    narrowed by the audience rule and the required skills; only those whose account holds
    the volunteer role now (`role_now`); never people in quarantine, in hospital or moved
    out (by their registry record)."""
    now = now or timezone.now()
    qs = Volunteer.objects.filter(status=Volunteer.Status.APPROVED).filter(
        in_community_q(call.community_id, now)).filter(role_now())
    if call.audience == Audience.TEAM:
        qs = qs.filter(id__in=TeamMember.objects.filter(team_id=call.team_id).values("volunteer_id"))
    elif call.audience == Audience.PARTY:
        qs = qs.filter(party_member=True)
    elif call.audience == Audience.SKILL:
        qs = qs.filter(skills__contains=f",{call.audience_skill},")
    elif call.audience == Audience.BUILDING:
        ap = call.audience_place
        qs = qs.filter(under(ap) if is_level(ap) else Q(building_id=ap.id))
    for s in call.skill_list:
        qs = qs.filter(skills__contains=f",{s},")
    # One index probe per person (id_hash is unique on residents), never a scan of them all.
    away = Resident.objects.filter(id_hash=OuterRef("id_hash"), presence__in=NOT_CALLED_OUT)
    from fangkong.zones.queries import kept_home

    return qs.exclude(Exists(away)).exclude(kept_home()) \
        .exclude(kept_in_area(call.community_id))  # sealed in, a code not green, lent from a 管控区


def kept_in_area(community_id) -> Q:
    """Volunteers lent in from another community whose home is now in a zone its people may
    not leave (管控区: 人不出区; 封控区), as a filter over `Volunteer`: the borrowing
    community `community_id` neither calls nor assigns them while it holds (their own
    community still may, inside the area, if their zone lets them out at all: `kept_home`).
    One index probe per person, on the household's current zone."""
    from fangkong.zones.models import HouseholdZone

    zone = HouseholdZone.objects.filter(household_id=OuterRef("household_id"), until=None).filter(
        Q(zone_type__may_leave_area=False) | Q(zone_type__called_out=False))
    return ~Q(community_id=community_id) & Exists(zone)


def area_refusal(v: Volunteer) -> str:
    """Why `v` may not work outside their own community now ("" if they may): their home's
    zone keeps its people inside the area or at home (`household_zone`, the zone their own
    page shows). The lend step refuses with it, a borrowing community's call page says it."""
    from fangkong.zones.queries import household_zone

    z = household_zone(v.household_id) if v.household_id else None
    if z is None or (z.zone_type.may_leave_area and z.zone_type.called_out):
        return ""
    return _("%(name)s lives in a %(zone)s (%(rule)s): they may not work in another community "
             "while it holds.") % {"name": v.name, "zone": z.zone_type.name, "rule": z.zone_type.movement}


def role_now():
    """Volunteers whose account holds the volunteer role on their community (or above) now
    (`counts`, as a filter: one index probe per person)."""
    from fangkong.accounts.models import Membership

    return Exists(Membership.objects.filter(
        Q(place_id=OuterRef("community_id")) | Q(place_id=OuterRef("street_id"))
        | Q(place_id=OuterRef("district_id")),
        user_id=OuterRef("user_id"), role=Role.VOLUNTEER, is_active=True))


def in_audience(call: Call, v: Volunteer) -> bool:
    return audience(call).filter(pk=v.pk).exists()


def reads_call_outside(scope, call: Call) -> Volunteer | None:
    """A volunteer of the call's community (or lent to it now) who may not see the call by
    `can_see_call` — outside its audience — may still open its page (a link forwarded in the
    community's group) and be told why they cannot answer (`why_not_called`): their record
    (one that counts), or None for anyone else (outside the community: a plain 404)."""
    v = approved_volunteer(scope)
    if v is None:
        return None
    if v.community_id == call.community_id or Loan.objects.filter(
            loan_now_q(), volunteer=v, to_community_id=call.community_id).exists():
        return v
    return None


def why_not_called(call: Call, v: Volunteer) -> str:
    """Why a call does not go to `v` (one of its community's volunteers), in the reader's
    words and with what they can do: what keeps them home, the audience (a team, Party
    members, a skill, a building) or the required skills they lack — `audience`'s rules in
    its order. "" when it does go to them."""
    from fangkong.core.text import join_words
    from fangkong.zones.queries import call_out_refusal

    from .models import Skill

    if in_audience(call, v):
        return ""
    kept = call_out_refusal(v.household_id, v.id_hash)
    if kept:
        return kept
    if v.community_id != call.community_id:
        kept = area_refusal(v)
        if kept:
            return kept
    if Resident.objects.filter(id_hash=v.id_hash, presence__in=NOT_CALLED_OUT).exists():
        return _("Calls do not go to people in quarantine, in hospital or moved out, as the registry "
                 "records you. If that is no longer so, tell the community staff.")
    labels = dict(Skill.choices)
    if call.audience == Audience.TEAM and call.team_id and not TeamMember.objects.filter(
            team_id=call.team_id, volunteer=v).exists():
        return _("This call is for the members of %(team)s only.") % {"team": call.team.name}
    if call.audience == Audience.PARTY and not v.party_member:
        return _("This call is for Party members only.")
    if call.audience == Audience.SKILL and call.audience_skill not in v.skill_list:
        return _("This call is for volunteers with %(skill)s; your registration does not list it. If you "
                 "have it, ask the community staff to add it.") % {
            "skill": str(labels.get(call.audience_skill, call.audience_skill))}
    if call.audience == Audience.BUILDING and call.audience_place_id:
        return _("This call is for volunteers living in %(place)s.") % {"place": call.audience_place.name}
    lacks = call.lacks(v)
    if lacks:
        return _("This call needs %(skills)s; your registration does not list it. If you have it, ask the "
                 "community staff to add it.") % {"skills": join_words([str(labels.get(s, s)) for s in lacks])}
    return _("This call is for other volunteers (%(who)s).") % {"who": call.get_audience_display()}


# --- team leaders ---------------------------------------------------------------

def leads_team_of(actor, call: Call) -> bool:
    """Is the actor the leader of the team the call is for (as their record counts now)?"""
    me = approved_volunteer(actor.scope) if call.team_id else None
    return bool(me and Team.objects.filter(pk=call.team_id, leader=me).exists())


def leads(actor, a: Assignment) -> bool:
    """Is the actor the leader of the call's team, or of a team the volunteer is in?"""
    return leads_volunteer(approved_volunteer(actor.scope), a)


def leads_volunteer(me: Volunteer | None, a: Assignment) -> bool:
    """Does volunteer record `me` (one that counts: `approved_volunteer`) lead the call's
    team, or a team the assignment's volunteer is in? (`led_q` for one row)"""
    if me is None:
        return False
    return Assignment.objects.filter(led_q(me), pk=a.pk).exists()


def led_q(me: Volunteer) -> Q:
    """The assignments whose attendance team leader `me` (a record that counts) confirms,
    as a filter: those on a call for a team they lead, and those of the members of a team
    they lead (on any call of that team's community: a community-wide call too). The one
    rule behind `leads`, the roster a leader reads on a call page and the API's, and who
    sees such a call."""
    return (Exists(Team.objects.filter(leader_id=me.id, community_id=OuterRef("community_id"),
                                       id=OuterRef("call__team_id")))
            | Exists(TeamMember.objects.filter(team__leader_id=me.id, team__community_id=OuterRef("community_id"),
                                               volunteer_id=OuterRef("volunteer_id"))))


def leads_call(scope, call: Call) -> bool:
    """Does the user lead the team the call is for? (read side: by scope)"""
    v = approved_volunteer(scope)
    return bool(v and call.team_id and call.team.leader_id == v.id)
