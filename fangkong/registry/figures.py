"""The registry's figures for dashboards and nightly reports (`core.figures`): residents
and households who count (`queries.counts`), for many nodes of one kind in one query. The
registry keeps no history of presence, so these are the roll as it stands when computed
(`Figure.roll`): the reports app stores each community's roll at its day's cut-off
(`reports.models.CutoffRoll`) and a report of a past day takes them from there. A roll
stored long after the cut-off (the worker down at that time, none taken until a late submit)
keeps the time it was read (`POPULATION_AT`, set by `reports.actions.roll`) and says so under
the figures (`population_note`) instead of passing it off as of the cut-off."""

import datetime

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.core.figures import Figure, Provider, Tally
from fangkong.core.when import short_time

from .models import LEVELS
from .queries import totals_by

GROUP = _("Population")  # the heading above "Residents" and "Households": not the same word twice


# The hint a report keeps when its roll was read long after its cut-off: [ISO times] (a
# roll-up joins its places' times).
POPULATION_AT = "_population_at"


def population_note(values: dict) -> str | None:
    """"居民、户数为 12-07 09:31 时的名册…" under the figures of a report counted after its
    cut-off (a past day's), or None."""
    times = sorted(str(t) for t in (values or {}).get(POPULATION_AT) or ())
    if not times:
        return None
    when = short_time(datetime.datetime.fromisoformat(times[-1]))
    return _("Residents and households are the roll as it stood at %(t)s, not at the cut-off: the "
             "registry keeps no history of who lived here.") % {"t": when}


def _residents_link(node, values=None):
    return reverse("resident_list", args=[node.id])


def compute(nodes, at=None, parent=None, after=None) -> dict:
    """{node id: {residents, households}}: one grouped query (`queries.totals_by`, as
    `with_counts`); with `parent`, its figures too (`core.figures.Tally`)."""
    nodes = [n for n in nodes if n.kind in LEVELS]
    if not nodes:
        return {}
    out = Tally(nodes, ("residents", "households"), parent)
    for row in totals_by(out.where, out.col):
        out.add(row[out.col], "residents", row["residents"])
        out.add(row[out.col], "households", row["households"])
    return out


PROVIDER = Provider("registry", (
    Figure("residents", _("Residents"), GROUP, link=_residents_link, note=population_note, roll=True),
    Figure("households", _("Households"), GROUP, link=_residents_link, roll=True),
), compute)
