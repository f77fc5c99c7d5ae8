"""The volunteers panel on a community's page: people waiting for approval and the calls
still gathering people, one tap from each."""

from django.template.loader import render_to_string
from django.utils import timezone

from fangkong.accounts.roles import Perm
from fangkong.registry.models import Kind

from . import queries
from .models import Call

VIEW = Perm.VOLUNTEERS_VIEW


def place_panel(request, place):
    scope = request.scope
    if place.kind != Kind.COMMUNITY or not scope.allows(VIEW, place):
        return None
    now = timezone.now()
    calls = list(queries.calls(scope, place).filter(
        status__in=[Call.Status.OPEN, Call.Status.FULL], ends_at__gt=now)
        .order_by("starts_at")[:3])
    pending = queries.status_counts(scope, place).get("pending", 0)
    if not calls and not pending:
        return None
    return render_to_string("volunteers/_place_panel.html",
                            {"calls": calls, "pending": pending, "place": place},
                            request=request)
