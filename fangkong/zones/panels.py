"""The zones' panel at the top of a household's page (FANGKONG_HOUSEHOLD_PANELS): the
household's zone now — its name, since when, the notice it came from (a link to the
notice's text when the reader may read it: the family may) and what it asks of them."""

from django.template.loader import render_to_string

from . import access, queries


def household_panel(request, household):
    """None outside any zone, or for a reader who may not see the household's zone."""
    if not request.scope.allows(access.VIEW, household):
        return None
    z = queries.zone_with_notice(request.scope, household.id)
    if z is None:
        return None
    return render_to_string("zones/_household_panel.html", {"z": z, "hh": household}, request=request)
