"""The registry's figures for dashboards and nightly reports (`core.figures`): residents
and households who count (`queries.counts`), for many nodes of one kind in one query. The
registry keeps no history of presence, so these are the roll as it stands when computed
(a nightly report's figures are prepared at its cut-off)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.core.figures import Figure, Provider

from .models import LEVELS
from .queries import with_counts

GROUP = _("Residents")


def _residents_link(node, values=None):
    return reverse("resident_list", args=[node.id])


def compute(nodes, at=None) -> dict:
    """{node id: {residents, households}}: one grouped query (`queries.with_counts`)."""
    nodes = with_counts([n for n in nodes if n.kind in LEVELS])
    return {n.id: {"residents": n.n_residents, "households": n.n_households} for n in nodes}


PROVIDER = Provider("registry", (
    Figure("residents", _("Residents"), GROUP, link=_residents_link),
    Figure("households", _("Households"), GROUP, link=_residents_link),
), compute)
