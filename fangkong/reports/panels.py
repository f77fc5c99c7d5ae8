"""The reports panel on a place's page: the way to its dashboard and, for a community,
street or district, how tonight's report stands (one query)."""

from django.template.loader import render_to_string
from django.utils import timezone

from . import access, queries


def place_panel(request, place):
    if not access.can_view(request.scope, place):
        return None
    report = queries.report_for(place, timezone.localdate()) if place.kind in access.LEVEL_KINDS else None
    return render_to_string("reports/_place_panel.html", {
        "place": place, "report": report, "reports": place.kind in access.LEVEL_KINDS,
        "can_submit": access.can_submit(request.scope, place), "today": timezone.localdate()},
        request=request)
