"""Roles and what each may do. One enum, one table: change access here, nowhere else."""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COMMAND = "command", _("Command (district / street)")
    STAFF = "staff", _("Community staff")
    GRID = "grid", _("Grid worker")
    LEADER = "leader", _("Building / team leader")
    VOLUNTEER = "volunteer", _("Volunteer")
    LAB = "lab", _("Lab operator")
    SUPPLIER = "supplier", _("Supplier")
    RESIDENT = "resident", _("Resident")


class Perm(StrEnum):
    VIEW_REGISTRY = "registry.view"  # households and residents, identifiers masked
    VIEW_PHONE = "registry.view_phone"  # phone numbers in clear
    REVEAL_ID = "registry.reveal_id"  # one ID number in clear, on request, audited
    EDIT_REGISTRY = "registry.edit"  # create / update / move households and residents
    EDIT_PLACES = "registry.edit_places"  # create and rename places below the node
    IMPORT = "registry.import"
    EXPORT = "registry.export"
    MANAGE_USERS = "accounts.manage"  # memberships below the node
    VIEW_AUDIT = "audit.view"
    MANAGE_NOTIFY = "notify.manage"  # group channels; see and retry outbound messages
    VOLUNTEERS_VIEW = "volunteers.view"  # volunteer records (phones in clear), calls, hours
    VOLUNTEERS_MANAGE = "volunteers.manage"  # approve, teams, calls, assign, correct hours
    SCREENING_VIEW = "screening.view"  # rounds, coverage, missing lists, tubes
    SCREENING_RUN = "screening.run"  # plan rounds, exemptions, home visits, boxes, follow-up
    # Register samples. Volunteers do not hold it by role: a Sampler assignment grants it
    # inside that one round (screening.access.can_sample).
    SCREENING_SAMPLE = "screening.sample"
    SCREENING_LAB = "screening.lab"  # enter lab results for tubes of rounds under the node
    # correct a positive antigen result (asked first, with a reason, audited): the community's
    # staff — the family is told "only the community staff can change a positive result"
    SCREENING_CORRECT = "screening.correct"
    ZONES_VIEW = "zones.view"  # zones, notices, adjustments, households' zones, the map
    ZONES_MANAGE = "zones.manage"  # notices, draft / publish / schedule adjustments, cases
    ZONES_GATE = "zones.gate"  # checkpoint entries and exits, health-code observations
    ZONES_POLICY = "zones.policy"  # pick and edit the zone policy (a district's command)
    # approve or return the lifting or stepping down of a zone whose type needs the level
    # above (a 封控区 by default: `ZoneType.lift_approval`) — the street's or district's command
    ZONES_APPROVE = "zones.approve"
    REPORTS_VIEW = "reports.view"  # dashboards and nightly reports (figures, no personal data)
    REPORTS_SUBMIT = "reports.submit"  # the nightly report of the node the grant is on
    REPORTS_APPROVE = "reports.approve"  # approve / return the reports of communities below
    SERVICES_VIEW = "services.view"  # orders, batches, runs, requests, pets, disinfection
    SERVICES_ORDER = "services.order"  # order supplies and raise requests for a household
    SERVICES_RUN = "services.run"  # batches, runs, assign and escalate requests, disinfection
    # set request categories' priority and response time (the installation's; a district's command)
    SERVICES_POLICY = "services.policy"


P = Perm
ROLE_PERMS: dict[str, frozenset[Perm]] = {
    # Command sets up what is below it: the accounts (accounts.access.GIVES says which
    # roles) and the places (a new community under the street, its grids…).
    Role.COMMAND: frozenset({P.VIEW_REGISTRY, P.VIEW_PHONE, P.EXPORT, P.VIEW_AUDIT, P.SCREENING_VIEW,
                             P.MANAGE_USERS, P.EDIT_PLACES,
                             P.VOLUNTEERS_VIEW, P.MANAGE_NOTIFY,
                             P.ZONES_VIEW, P.ZONES_MANAGE, P.ZONES_POLICY, P.ZONES_APPROVE,
                             P.SERVICES_VIEW, P.SERVICES_POLICY,
                             P.REPORTS_VIEW, P.REPORTS_SUBMIT, P.REPORTS_APPROVE}),
    Role.STAFF: frozenset({
        P.VIEW_REGISTRY, P.VIEW_PHONE, P.REVEAL_ID, P.EDIT_REGISTRY, P.EDIT_PLACES,
        P.IMPORT, P.EXPORT, P.MANAGE_USERS, P.VIEW_AUDIT, P.MANAGE_NOTIFY,
        P.VOLUNTEERS_VIEW, P.VOLUNTEERS_MANAGE,
        P.SCREENING_VIEW, P.SCREENING_RUN, P.SCREENING_SAMPLE, P.SCREENING_CORRECT,
        P.ZONES_VIEW, P.ZONES_MANAGE, P.ZONES_GATE, P.REPORTS_VIEW, P.REPORTS_SUBMIT,
        P.SERVICES_VIEW, P.SERVICES_ORDER, P.SERVICES_RUN,
    }),
    Role.GRID: frozenset({P.VIEW_REGISTRY, P.VIEW_PHONE, P.REVEAL_ID, P.EDIT_REGISTRY, P.EXPORT,
                          P.SCREENING_VIEW, P.SCREENING_RUN, P.SCREENING_SAMPLE,
                          P.ZONES_VIEW, P.ZONES_GATE, P.REPORTS_VIEW,
                          P.SERVICES_VIEW, P.SERVICES_ORDER, P.SERVICES_RUN}),
    Role.LEADER: frozenset({P.VIEW_REGISTRY, P.VIEW_PHONE, P.SCREENING_VIEW, P.ZONES_VIEW,
                            P.SERVICES_VIEW, P.SERVICES_ORDER}),
    # Volunteers see personal data only through the tasks they hold (later issues).
    Role.VOLUNTEER: frozenset(),
    Role.LAB: frozenset({P.SCREENING_LAB}),  # tubes and results only, no personal data
    Role.SUPPLIER: frozenset(),
    # A resident sees their own household (the membership names it), phones included.
    Role.RESIDENT: frozenset({P.VIEW_REGISTRY, P.VIEW_PHONE, P.ZONES_VIEW, P.SERVICES_VIEW,
                              P.SERVICES_ORDER}),
}
