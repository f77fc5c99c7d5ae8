"""The services panel on a place's page (FANGKONG_PLACE_PANELS): one tap to the place's
sealed-area services — its overview, the request queue, pets, disinfection, a building's
group orders — with what needs someone now (open exceptions, overdue requests, overdue
disinfection, feedings nobody was found for) and, for a district's command, the request
categories they set. Shown to whoever may see services there."""

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from fangkong.registry.models import LEVELS

from . import access, queries
from .models import Request


def place_panel(request, place):
    """On the pages of the upper levels (the registry shows panels there)."""
    return _panel(request, place)


def building_alert(request, place):
    """A compound's or building's page shows no panels (registry.views.PANEL_KINDS): the
    same card, its links only, comes at its top through FANGKONG_PLACE_ALERTS — a building
    leader's home, where their group orders start. The counts are on the services pages."""
    return _panel(request, place, counts=False) if place.kind in ("compound", "building") else None


def _panel(request, place, counts=True):
    """`counts`: with what is overdue or unassigned (four counts); without, the links
    alone (no query: a building's page keeps its query budget)."""
    scope = request.scope
    if place.kind not in LEVELS or place.kind == "unit" or not scope.allows(access.VIEW, place):
        return None
    if not counts:
        return render_to_string("services/_place_panel.html", {
            "place": place, "may_run": scope.allows(access.RUN, place),
            "sets_policy": access.sets_policy(scope)}, request=request)
    now = timezone.now()
    under = {f"{place.kind}_id": place.id}
    overdue = Request.objects.filter(access.requests_q(scope), **under, state__in=Request.OPEN) \
        .filter(Q(overdue=True) | Q(due_at__lt=now)).count()
    return render_to_string("services/_place_panel.html", {
        "place": place, "overdue": overdue, "may_run": scope.allows(access.RUN, place),
        "sets_policy": access.sets_policy(scope),
        "problems": queries.problems(scope, place=place).count(),
        "unassigned": queries.unassigned_feedings(scope, place=place).count(),
        "disinfection": queries.overdue_disinfections(scope, place).count()}, request=request)
