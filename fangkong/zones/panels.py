"""The zones' panel at the top of a household's page (FANGKONG_HOUSEHOLD_PANELS): the
household's zone now — its name, since when, the notice it came from (a link to the
notice's text when the reader may read it: the family may), what it asks of them, and
in one plain sentence what they may do now and what comes next — when it could end or step
down and to what zone (`family_words`, from the staff's lifting count).

And at the top of a place's page (FANGKONG_PLACE_ALERTS), on the zones page's drafts: an
escalation drafted after a case and still not published past
FANGKONG_ESCALATION_WAIT_HOURS, in red with how long it has waited — at once, first, when it
re-seals a place lifted on wrong facts (`Adjustment.urgent`); and, for the level above,
the lifts awaiting its approval (`awaiting_approval`)."""

import datetime

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.registry.models import Kind

from . import access, family_words, foretell, queries
from .models import Adjustment


def household_panel(request, household):
    """None outside any zone, or for a reader who may not see the household's zone."""
    if not request.scope.allows(access.VIEW, household):
        return None
    z = queries.zone_with_notice(request.scope, household.id)
    coming = foretell.coming(household)  # a scheduled change over it: said before it happens
    if z is None and not coming:
        return None
    means, lifting_words = "", []
    if z is not None:  # what it means for them now, and what comes next (the staff's count)
        means = family_words.means_now(z.zone_type, z.designation.place.name)
        lifting_words = family_words.next_steps(z, household)
        family_words.late_boxes(z)
    return render_to_string("zones/_household_panel.html", {"z": z, "hh": household, "coming": coming,
                                                            "means": means, "lifting": lifting_words},
                            request=request)

FILED_AT = (Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY)


def escalation_wait(adj, now=None) -> str:
    """"A case's escalation draft, waiting 12 days unpublished" for an escalation draft
    older than FANGKONG_ESCALATION_WAIT_HOURS; "" for any other adjustment."""
    if adj.state != Adjustment.State.DRAFT or adj.reason != Adjustment.Reason.ESCALATION:
        return ""
    if adj.urgent:  # a place lifted on wrong facts: red at once, whatever the hours
        return _("Urgent: it re-seals a place lifted on wrong facts (a case confirmed before the lift). "
                 "Publish it now.")
    waited = (now or timezone.now()) - adj.created_at
    hours = int(waited.total_seconds() // 3600)
    if hours < settings.FANGKONG_ESCALATION_WAIT_HOURS:
        return ""
    if waited.days >= 1:
        return ngettext("Escalation drafted after a case, waiting %(n)d day unpublished",
                        "Escalation drafted after a case, waiting %(n)d days unpublished", waited.days) % {
            "n": waited.days}
    return ngettext("Escalation drafted after a case, waiting %(n)d hour unpublished",
                    "Escalation drafted after a case, waiting %(n)d hours unpublished", hours) % {"n": hours}


def waiting_escalations(request, place):
    """At the top of a place's page (a community's: the staff's home): the escalation drafts
    for it or under it waiting past their hours, each a link to its draft. None for users
    who may not draft zones there, or when none waits."""
    scope = request.scope
    if place.kind not in FILED_AT or not scope.allows(access.MANAGE, place):
        return None  # an adjustment is filed at a community or above (a building's page asks nothing)
    now = timezone.now()
    old = now - datetime.timedelta(hours=settings.FANGKONG_ESCALATION_WAIT_HOURS)
    rows = list(queries.adjustments(scope, [Adjustment.State.DRAFT]).filter(
        queries.for_place_q(place), Q(created_at__lte=old) | Q(urgent=True), reason=Adjustment.Reason.ESCALATION)
        .order_by("-urgent", "created_at")[:20])
    if not rows:
        return None
    for a in rows:
        a.wait = escalation_wait(a, now)
    return render_to_string("zones/_waiting_escalations.html", {"rows": rows}, request=request)


def awaiting_approval(request, place):
    """At the top of a place's page (the street's command's home): the lifts of zones under it
    waiting for its approval, each a link to the draft. None for a user who may not approve
    there, or when none waits."""
    scope = request.scope
    if place.kind not in FILED_AT or not scope.allows(access.APPROVE, place):
        return None
    rows = list(queries.adjustments(scope, [Adjustment.State.AWAITING]).filter(
        queries.for_place_q(place)).select_related("submitted_by").order_by("submitted_at", "id")[:20])
    if not rows:
        return None
    return render_to_string("zones/_awaiting_approval.html", {"rows": rows}, request=request)


def failed_publications(request, place):
    """At the top of a place's page (the community's and the street's): the timed
    publications the worker refused, back to draft, until someone publishes, schedules or
    cancels them — each a link to its draft with why, in the reader's language."""
    scope = request.scope
    if place.kind not in FILED_AT or not scope.allows(access.MANAGE, place):
        return None
    rows = list(queries.adjustments(scope, [Adjustment.State.DRAFT]).filter(
        queries.for_place_q(place)).exclude(failure="").order_by("-effective_at", "-id")[:20])
    if not rows:
        return None
    return render_to_string("zones/_failed_publications.html", {"rows": rows}, request=request)
