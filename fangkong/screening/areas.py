"""A round's area: the places it covers (`RoundArea`), and who and what is inside it.

`area_keys(rnd)` is read once per round object (the station's round query fills it in
one go on PostgreSQL, `queries._round_for_station`); `area_q(rnd, prefix)` filters any
row carrying level columns; `in_round(rnd, obj)` tests one row.
"""

from django.db.models import Q

from fangkong.core.tree import level_field, under_any

from .models import Round, RoundArea


def area_keys(rnd: Round) -> list[tuple[str, int]]:
    """[(kind, place id)] of the round's areas."""
    cached = getattr(rnd, "_area_keys", None)
    if cached is None:
        cached = [(k, pid) for pid, k in RoundArea.objects.filter(round=rnd)
                  .values_list("place_id", "place__kind")]
        rnd._area_keys = cached
    return cached


def area_q(rnd: Round, prefix="") -> Q:
    return under_any(area_keys(rnd), prefix)


def in_round(rnd: Round, obj) -> bool:
    """Is this row (resident, household, place: anything with level columns) in the
    round's area?"""
    return any(getattr(obj, level_field(kind)) == pid for kind, pid in area_keys(rnd))
