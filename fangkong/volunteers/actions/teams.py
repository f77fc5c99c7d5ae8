"""Teams of a community's volunteers: create one, add and remove members, set its leader."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Invalid
from fangkong.registry.models import Kind, Place

from .. import checks
from ..access import MANAGE, require
from ..models import Team, TeamMember, Volunteer
from ..signals import member_joined


def create_team(actor, community: Place, name, *, area: Place | None = None,
                leader: Volunteer | None = None) -> Team:
    require(actor, MANAGE, community)
    if community.kind != Kind.COMMUNITY:
        raise Invalid(fields={"place": [_("Teams belong to a community.")]})
    name = checks.check_team_name(name)
    if area is not None and area.community_id != community.id:
        raise Invalid(fields={"area": [_("The area must be inside the community.")]})
    if leader is not None and (leader.community_id != community.id
                               or leader.status != Volunteer.Status.APPROVED):
        raise Invalid(fields={"leader": [_("The leader must be an approved volunteer of the community.")]})
    team = Team(community_place=community, name=name, area=area, leader=leader)
    team.copy_levels(community)
    with transaction.atomic():
        try:
            with transaction.atomic():
                team.save()
        except IntegrityError:
            raise Invalid(fields={"name": [_("There is already a team called “%(name)s”.")
                                           % {"name": name}]}) from None
        if leader is not None:
            TeamMember.objects.get_or_create(team=team, volunteer=leader)
        record(actor, "team.create", team, {"name": name, "leader": leader.name if leader else None})
    return team


def add_member(actor, team: Team, v: Volunteer) -> TeamMember:
    require(actor, MANAGE, team)
    if v.community_id != team.community_id or v.status != Volunteer.Status.APPROVED:
        raise Invalid(fields={"volunteer": [_("Only approved volunteers of the community can join.")]})
    with transaction.atomic():
        m, created = TeamMember.objects.get_or_create(team=team, volunteer=v)
        if created:
            record(actor, "team.add_member", team, {"volunteer": v.name})
            # the apps above tell her of the work already given to the team (services)
            member_joined.send_robust(sender=Team, team=team, volunteer=v, actor=actor)
    return m


def remove_member(actor, team: Team, v: Volunteer):
    require(actor, MANAGE, team)
    with transaction.atomic():
        n, _x = TeamMember.objects.filter(team=team, volunteer=v).delete()
        if team.leader_id == v.id:
            team.leader = None
            team.save(update_fields=["leader"])
        if n:
            record(actor, "team.remove_member", team, {"volunteer": v.name})


def set_leader(actor, team: Team, v: Volunteer | None) -> Team:
    require(actor, MANAGE, team)
    with transaction.atomic():
        if v is not None:
            add_member(actor, team, v)
        before = team.leader.name if team.leader_id else None
        team.leader = v
        team.save(update_fields=["leader"])
        record(actor, "team.leader", team, {"leader": [before, v.name if v else None]})
    return team
