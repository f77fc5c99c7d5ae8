"""The registry's figures for dashboards and nightly reports (`core.figures`): residents
and households who count (`queries.counts`), for many nodes of one kind in one query. The
registry keeps no history of presence, so these are the roll as it stands when computed
(a nightly report's figures are prepared at its cut-off)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.core.figures import Figure, Provider, Tally

from .models import LEVELS
from .queries import totals_by

GROUP = _("Population")  # the heading above "Residents" and "Households": not the same word twice


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
    Figure("residents", _("Residents"), GROUP, link=_residents_link),
    Figure("households", _("Households"), GROUP, link=_residents_link),
), compute)
