"""The areas of a round planned from the page: the planning form carries them ("12,13",
from the zones' "plan this round" link: a sealed building, not its whole community), shows
them by name ("Covers: 3号楼") and hands them to `actions.planning.plan_round`, as the API
does. Reads only."""

from fangkong.accounts.roles import Perm
from fangkong.core.access import ids
from fangkong.core.errors import NotFound
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import Place

MAX_AREAS = 50


def parse(raw) -> list[int]:
    """The ids of "12,13" (the form's one field), in order, each once; NotFound for one no
    row can have."""
    parts = [x.strip() for x in str(raw or "").split(",") if x.strip()][:MAX_AREAS + 1]
    if len(parts) > MAX_AREAS:
        raise NotFound()
    ids(parts)
    return list(dict.fromkeys(int(x) for x in parts))


def areas(scope, raw) -> list[Place]:
    """The places of the form's areas, each one the user may plan on (`SCREENING_RUN`):
    NotFound for any other, as for a place that is not there. None given: [] (the round
    covers its place)."""
    wanted = parse(raw)
    if not wanted:
        return []
    found = {p.id: p for p in reg_queries.places(scope, Perm.SCREENING_RUN).filter(id__in=wanted)}
    if len(found) != len(wanted):
        raise NotFound()
    return [found[i] for i in wanted]


def shown(scope, raw) -> list[Place]:
    """The areas for the form to show; nothing when they cannot be read (the form then
    plans over its place, as before)."""
    try:
        return areas(scope, raw)
    except NotFound:
        return []
