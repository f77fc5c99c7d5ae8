"""The testing panel on a place's page: the running rounds that cover it, with how far
sampling has got there, one tap from the live page and the missing list."""

from django.db.models import Q
from django.template.loader import render_to_string

from fangkong.accounts.roles import Perm
from fangkong.registry.models import LEVEL_FIELDS

from . import figures
from .actions import round_q
from .models import Round, RoundStatus


def place_panel(request, place):
    scope = request.scope
    if not scope.allows(Perm.SCREENING_VIEW, place):
        return None
    above = [getattr(place, f) for f in LEVEL_FIELDS if getattr(place, f)]
    covering = Q(place_id__in=above) | Q(**{f"{place.kind}_id": place.id})
    rounds = list(Round.objects.filter(round_q(scope, Perm.SCREENING_VIEW), covering,
                                       status=RoundStatus.RUNNING)
                  .select_related("place").order_by("-starts_at")[:3])
    if not rounds:
        return None
    rows = [(r, figures.coverage(r, place)) for r in rounds]
    return render_to_string("screening/_place_panel.html", {"rows": rows, "place": place},
                            request=request)
