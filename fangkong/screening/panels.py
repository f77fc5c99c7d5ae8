"""The testing panel on a place's page: the running rounds that cover it, with how far
sampling has got there, one tap from the live page and the missing list."""

from django.db.models import Q
from django.template.loader import render_to_string

from fangkong.accounts.roles import Perm
from fangkong.core.tree import ancestor_ids, under

from . import figures, queries
from .access import round_q
from .models import Round, RoundStatus


def place_panel(request, place):
    scope = request.scope
    if not scope.allows(Perm.SCREENING_VIEW, place):
        return None
    covering = Q(place_id__in=ancestor_ids(place)) | under(place)
    rounds = list(Round.objects.filter(round_q(scope, Perm.SCREENING_VIEW), covering,
                                       status=RoundStatus.RUNNING)
                  .select_related("place").order_by("-starts_at")[:3])
    if not rounds:
        return None
    rows = [(r, figures.coverage(r, place)) for r in rounds]
    return render_to_string("screening/_place_panel.html", {"rows": rows, "place": place},
                            request=request)


def positive_alert(request, place):
    """At the top of a place's page (every level, a building leader's too): the people
    held by a positive pooled tube or antigen test that nobody has re-sampled yet, with
    who and where, until someone does; and below it, for a day, whoever's single re-test
    came back positive (a case). Polls itself every minute (htmx), so a result
    that arrives while the page is open shows without a reload. None for users who may
    not see testing there."""
    from fangkong.registry.models import LEVELS

    scope = request.scope
    if place.kind not in LEVELS or not scope.allows(Perm.SCREENING_VIEW, place):
        return None
    rows, total = queries.awaiting_positives(scope, place)
    groups = {}  # by the positive tube (an antigen positive is one person): who, where
    for f in rows:
        key = (f.round_id, f.tube_id or f"antigen-{f.id}")
        groups.setdefault(key, {"first": f, "people": []})["people"].append(f)
    return render_to_string("screening/_positive_alert.html",
                            {"groups": list(groups.values()), "shown": len(rows), "total": total,
                             "cases": queries.recent_cases(scope, place), "place": place},
                            request=request)
