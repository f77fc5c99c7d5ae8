"""The volunteers panel on a community's page: people waiting for approval and the calls
of today and to come, those short of people first — places not filled ("缺 6 人") or,
once a call has begun, people not arrived ("未到 4 人") — one tap from each."""

from django.template.loader import render_to_string

from fangkong.accounts.roles import Perm
from fangkong.registry.models import Kind

from . import queries

VIEW = Perm.VOLUNTEERS_VIEW
SHOWN = 4  # calls on the panel; the rest are one tap away (the community's calls)


def place_panel(request, place):
    scope = request.scope
    if place.kind != Kind.COMMUNITY or not scope.allows(VIEW, place):
        return None
    calls = queries.calls_by_gap(scope, place)
    pending = queries.status_counts(scope, place).get("pending", 0)
    if not calls and not pending:
        return None
    return render_to_string("volunteers/_place_panel.html",
                            {"calls": calls[:SHOWN], "more": len(calls) > SHOWN, "pending": pending,
                             "place": place}, request=request)
