"""The zones' figures for dashboards and nightly reports (`core.figures`): households and
people in each kind of zone (sealed, controlled, precaution) under many nodes of one kind,
as of a time — read from the households' zone history (a zone in force at `at`: begun by
then, not yet ended), in two grouped queries. People are the residents who count as the
roll stands (the registry keeps no history of presence: `Figure.roll`, so a past day's nightly
report takes them from the roll stored at its cut-off, `reports.models.CutoffRoll`)."""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fangkong.core.figures import Chart, Figure, Provider, Tally
from fangkong.core.tree import level_field
from fangkong.core.when import short_day
from fangkong.registry.models import Resident
from fangkong.registry.queries import counts as counting

from .models import ZoneKind

GROUP = _("Risk zones")
SEALED_COLOUR, CONTROLLED_COLOUR = "#b3261e", "#e67e22"  # as the zone badges (app.css)
KINDS = [ZoneKind.SEALED, ZoneKind.CONTROLLED, ZoneKind.PRECAUTION]


def _list_of(kind, what):
    """A figure's link: the list behind it — the resident list under the node filtered to the
    zone's kind, people or households (`?by=household`), read with the same rule (a zone in
    force now; someone who counts), so the list is as long as the figure."""
    def link(node, values=None):
        by = "&by=household" if what == "households" else ""
        return f"{reverse('resident_list', args=[node.id])}?zone={kind}{by}"
    return link


def compute(nodes, at=None, parent=None, after=None) -> dict:
    """{node id: {<kind>_households, <kind>_people}} for nodes of one level kind (with
    `parent`, its figures too: `core.figures.Tally`)."""
    at = at or timezone.now()
    keys = [f"{k}_{w}" for k in KINDS for w in ("households", "people")]
    if not nodes or level_field(nodes[0]) is None:
        return {n.id: dict.fromkeys(keys, 0) for n in nodes}
    out = Tally(nodes, keys, parent)
    field = out.col
    # the people of the zone rows in force (found from the rows under the nodes, by their
    # level columns: never every resident of the nodes), and their households — counted as
    # the registry and the zones page count them: a household with someone who counts (an
    # emptied flat in a controlled building had made a street's report say 284 where the
    # zones page said 281, more than the community's households)
    prefix = "household__zones__"
    people_q = Q(**{f"{prefix}since__lte": at}) & (Q(**{f"{prefix}until": None}) | Q(**{f"{prefix}until__gt": at}))
    where = {f"{prefix}{k}": v for k, v in out.where.items()}
    for row in (Resident.objects.filter(counting(), people_q, **where).order_by()
                .values(f"{prefix}{field}", f"{prefix}kind")
                .annotate(n=Count("id"), hh=Count("household_id", distinct=True))):
        kind = row[f"{prefix}kind"]
        if kind in KINDS:
            out.add(row[f"{prefix}{field}"], f"{kind}_people", row["n"])
            out.add(row[f"{prefix}{field}"], f"{kind}_households", row["hh"])
    return out


def people_by_day(node, at, days=7) -> list[tuple[datetime.date, int, int]]:
    """(day, sealed people, controlled people) at the end of each of the `days` days up to
    `at`'s day (today: as of `at`), under `node`, from the households' zone history: one
    query grouped by each zone row's (since, until, kind) — a published area gives its
    households the same times —, the days counted from those groups."""
    field = level_field(node)
    if field is None:
        return []
    at = at or timezone.now()
    today = timezone.localdate(at)
    dates = [today - datetime.timedelta(days=days - 1 - i) for i in range(days)]
    tz = timezone.get_current_timezone()
    ends = [min(at, datetime.datetime.combine(d + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz))
            for d in dates]
    p = "household__zones__"
    seen = (Q(**{f"{p}kind__in": [ZoneKind.SEALED, ZoneKind.CONTROLLED], f"{p}since__lte": ends[-1]})
            & (Q(**{f"{p}until": None}) | Q(**{f"{p}until__gt": ends[0]})))
    groups = list(Resident.objects.filter(counting(), seen, **{f"{p}{field}": node.id}).order_by()
                  .values_list(f"{p}since", f"{p}until", f"{p}kind").annotate(n=Count("id")))
    out = []
    for d, end in zip(dates, ends, strict=True):
        counts = {ZoneKind.SEALED: 0, ZoneKind.CONTROLLED: 0}
        for since, until, kind, n in groups:
            if since <= end and (until is None or until > end):  # in force at `end`, as compute()
                counts[kind] += n
        out.append((d, counts[ZoneKind.SEALED], counts[ZoneKind.CONTROLLED]))
    return out


def zones_chart(node, at, days=7, after=None) -> Chart | None:
    """Zones over days: people in sealed and controlled areas at each day's end (`after`, a
    report's window: not needed, each day is as its report says it)."""
    rows = people_by_day(node, at, days)
    if not rows:
        return None
    return Chart("zones", gettext("People in sealed and controlled areas by day"),
                 [(short_day(d), s + c, _say_zones(s, c)) for d, s, c in rows],
                 horizontal=False, headers=(gettext("Day"), gettext("People (sealed · controlled)")),
                 stacks=[(s, c) for _d, s, c in rows],
                 legend=((ZoneKind.SEALED.label, SEALED_COLOUR), (ZoneKind.CONTROLLED.label, CONTROLLED_COLOUR)),
                 # a day's bar as that day's report says it (`core.figures.Chart.days`)
                 days=[d for d, _s, _c in rows], keys=("sealed_people", "controlled_people"), say=_say_zones)


def _say_zones(sealed, controlled) -> str:
    return gettext("%(sealed)d sealed · %(controlled)d controlled") % {"sealed": sealed, "controlled": controlled}


PROVIDER = Provider("zones", (
    Figure("sealed_households", _("Sealed households"), GROUP, worse="high", link=_list_of("sealed", "households"), roll=True),
    Figure("sealed_people", _("People in sealed areas"), GROUP, worse="high", link=_list_of("sealed", "people"), roll=True),
    Figure("controlled_households", _("Controlled households"), GROUP, worse="high", link=_list_of("controlled", "households"), roll=True),
    Figure("controlled_people", _("People in controlled areas"), GROUP, worse="high", link=_list_of("controlled", "people"), roll=True),
    Figure("precaution_households", _("Precaution households"), GROUP, link=_list_of("precaution", "households"), roll=True),
    Figure("precaution_people", _("People in precaution areas"), GROUP, link=_list_of("precaution", "people"), roll=True),
), compute, charts=(zones_chart,))
