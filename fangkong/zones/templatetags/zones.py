"""`{% zone_tag household_id %}`: the household's zone as a coloured tag with its name (text
too, so it reads without colour); nothing outside any zone. One indexed row per call; a
list passes `zones` (from `queries.zones_of`) to `{% zone_tag household_id zones %}`."""

from django import template

from fangkong.zones import queries

register = template.Library()


@register.inclusion_tag("zones/_zone_tag.html")
def zone_tag(household_id, zones=None):
    z = zones.get(household_id) if zones is not None else queries.household_zone(household_id)
    return {"z": z}


@register.inclusion_tag("zones/_sealed_mark.html")
def sealed_mark(place):
    """A call's (or any task's) place inside an area whose people stay home: marked, with
    what that means for the volunteers going there."""
    return {"d": queries.sealed_over(place) if place is not None else None}
