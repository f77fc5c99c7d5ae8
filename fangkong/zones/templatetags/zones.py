"""`{% zone_tag household_id %}`: the household's zone as a coloured tag with its name (text
too, so it reads without colour); nothing outside any zone. One indexed row per call; a
list looks up the zones of its page's households in ONE query with
`{% page_zones rows "household_id" as zones %}` (`nested=True` for [(label, rows)] groups;
the path may go through attributes: "resident.household_id") and passes them to
`{% zone_tag household_id zones %}` (no query per row)."""

from django import template

from fangkong.zones import queries

register = template.Library()


@register.inclusion_tag("zones/_zone_tag.html")
def zone_tag(household_id, zones=None):
    z = zones.get(household_id) if zones is not None else queries.household_zone(household_id)
    return {"z": z}


@register.simple_tag
def escalation_wait(adj):
    """"Escalation drafted after a case, waiting 12 days unpublished", or "" (`panels`)."""
    from fangkong.zones.panels import escalation_wait as wait

    return wait(adj)


@register.inclusion_tag("zones/_sealed_mark.html")
def sealed_mark(place):
    """A call's (or any task's) place inside an area whose people stay home: marked, with
    what that means for the volunteers going there."""
    return {"d": queries.sealed_over(place) if place is not None else None}


def _dig(obj, path):
    for name in path.split("."):
        obj = getattr(obj, name, None) if not isinstance(obj, dict) else obj.get(name)
        if obj is None:
            return None
    return obj


@register.simple_tag
def page_zones(rows, path="household_id", nested=False):
    """{household id: its current zone} for the rows of a page, one query."""
    if rows is None:
        return {}
    items = [x for _label, group in rows for x in group] if nested else list(rows)
    return queries.zones_of(_dig(x, path) for x in items)
