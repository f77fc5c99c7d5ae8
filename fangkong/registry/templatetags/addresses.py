"""`{% household_address hh %}`: a household's full address as its own page heads it
("光明小区 3号楼 3单元 301", `queries.address_labels` and the door), for a page about one
household that another app renders (its results, its antigen self-report). One query."""

from django import template

from fangkong.registry.queries import address_labels

register = template.Library()


@register.simple_tag
def household_address(hh) -> str:
    return f"{address_labels([hh]).get(hh.place_id, '')} {hh.door}".strip()
