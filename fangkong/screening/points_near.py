"""The sampling point a family is sent to (found on the family walk: "请带上…到采样点采样"
named no point, though the round has points). Of a round's sampling points
(`SamplingPoint`), those nearest the household in the place tree: the ones sharing the
deepest level with it — 光明小区's own point for a door of 光明小区, the grid's or the
community's when its compound has none; several at that depth are all named ("光明小区核酸
采样点或东门采样点"). A round with no point yet names none (the family reads "采样点"). Read
by the household page's lines (`status.household_now`, `coming_lines`) and the families'
message when a round is planned (`actions.round_news.tell_families`). One query."""

from django.utils.translation import pgettext

from fangkong.core.tree import LEVEL_FIELDS

from .models import SamplingPoint


def points_of(round_ids) -> dict[int, list]:
    """{round id: [its sampling points' places]}, in name order. One query."""
    out: dict[int, list] = {}
    ids = list(round_ids)
    if not ids:
        return out
    for p in SamplingPoint.objects.filter(round_id__in=ids).select_related("place").order_by("place__name", "id"):
        out.setdefault(p.round_id, []).append(p.place)
    return out


def _shared(place, household) -> int:
    """How many levels of the tree, from the top, `place` and `household` share."""
    n = 0
    for f in LEVEL_FIELDS:
        mine = getattr(household, f, None)
        if mine is None or getattr(place, f, None) != mine:
            break
        n += 1
    return n


def nearest(places, household) -> list[str]:
    """The names of those of `places` (a round's points) nearest `household`."""
    if not places:
        return []
    depth = {p.id: _shared(p, household) for p in places}
    best = max(depth.values())
    return [p.name for p in places if depth[p.id] == best]


def point_words(names) -> str:
    """The points to go to, in running text: one name, or any of several ("…或…")."""
    return pgettext("any one of the sampling points", " or ").join(names)


def for_household(rounds, household) -> dict[int, str]:
    """{round id: the words for its points nearest `household`} ("" for a round without a
    point yet). One query for all the rounds."""
    found = points_of(r.id for r in rounds)
    return {r.id: point_words(nearest(found.get(r.id, []), household)) for r in rounds}
