"""Testing figures of many nodes at once, as of a time, for dashboards and nightly reports
(`core.figures.Provider`, listed in settings.FANGKONG_FIGURE_PROVIDERS). Coverage is
`figures.counted_by` (the one definition of expected / done / exempt / households), per
round of the day, grouped by the nodes' level column; the rest are the follow-up and tube
states at that time. A bounded number of queries: one per round of the day, plus three (the rounds, held people, tubes).

A day's figures count what happened that day, never the same test on two days: the rounds
of a day are chosen by their planned window, not by their status (a round nobody ended
stayed "running" and was counted again the next day, walked 2026-12-07), and a round that
runs over midnight counts on its second day only the people not done before it.

"The day" is one rule with two starts. The live dashboard's day starts at midnight. A nightly
report's day is its window (`after`, the previous report's cut-off, `reports.queries.window_start`,
to `at`): the same window its header states for cases. A round is a report's when its planned
window overlaps the report's (begun by `at`, planned to end after the window's start), and a
test counts in the report whose window holds it — so a round 21:51 → 04:51 of the 12-06 night
counts its 22:00 and its 02:00 tests in the 12-07 report, and none in the 12-06 one (cut off at
20:00, before the round began). Counted from midnight, its tests before midnight were in no
report (walked 2026-12-07: 327 sampled, 159 reported).

| figure            | as of `at`                                                        |
|-------------------|-------------------------------------------------------------------|
| rounds of the day | begun, started by `at`, whose planned window reaches into `at`'s day — a report's: into its window (`rounds_of_day(since=)`) |
| coverage          | `figures` of each round of the day, summed over the rounds (a person counts once in each round; `_rounds` lists them, and the dashboard says so under "to be tested"); a round begun before the day (a report's: before its window) leaves out those done before it (`counted_by(since=)`) |
| cases             | people confirmed as cases that day by `at`, whatever the round: single re-tests positive and cases the health authority confirmed (reported by hand, `zones.ZoneCase`), a person found both ways once (`day_cases.counted`; the chart's bar of the day, `day_cases.by_day`); a nightly report's: since the previous day's cut-off (`after`), so that a case confirmed after 20:00 is in the next day's report |
| awaiting re-test  | held people (positive pool or antigen test) not re-sampled by `at`, whatever the round (`figures.awaiting_q`; the place's alert counts the same) |
| tubes not at lab  | tubes of the day's rounds sealed by `at` that the lab had not received by then, holding people of the node (`_tubes_not_at_lab`: a tube of two grids is in both grids' rows, once in the community's; a tube of two communities — a sampling point on their boundary — is in both communities' figures and once in the street's and the district's, summed or counted: distinct tubes, never the sum of the places', `core.figures.shared_hint`). People are summed: each is in one place |
"""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fangkong.core.figures import Chart, Figure, Provider, Tally, grouped, percent, shared_hint
from fangkong.core.tree import level_field, under
from fangkong.core.when import short_day
from fangkong.registry.models import LEVELS

from . import day_cases, figures
from .models import FollowUp, Round, RoundArea, RoundStatus, Sample, Tube

GROUP = _("Testing")
COVERAGE = ("expected", "sampled", "exempt", "missing", "to_sample", "households",
            "households_covered")
# figures' names here (a registry figure is called "households" already)
NAMES = dict(zip(COVERAGE, COVERAGE, strict=True)) | {"households": "test_households"}


def day_start(at: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(at)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def counting_start(at, after=None) -> datetime.datetime:
    """Where the day counted up to `at` starts: `at`'s midnight (the live dashboard), or just
    after `after` (a nightly report's window: the previous report counted that very moment)."""
    return day_start(at) if after is None else after + datetime.timedelta(microseconds=1)


def rounds_of_day(nodes, at, areas=False, since=None) -> list[Round]:
    """The rounds that may cover these nodes on `at`'s day up to `at`: begun (not planned),
    started by `at`, and whose planned window reaches into the day (ends after its start;
    `since`: the day's start, `at`'s midnight by default — a report's window start,
    `counting_start`). Its status says nothing of the day: a round still "running" past its
    planned end is not the next day's (`Round.overrun`). (`areas`: with their areas read in
    one query.)"""
    districts = {n.district_id for n in nodes if n.district_id}
    rounds = list(Round.objects.filter(district_id__in=districts, starts_at__lte=at,
                                       ends_at__gt=since or day_start(at))
                  .exclude(status=RoundStatus.PLANNED).order_by("starts_at", "id"))
    if areas and len(rounds) > 1:  # their areas in one query (`areas.area_keys` reads them once per round)
        keys = {r.id: [] for r in rounds}
        for rid, pid, kind in (RoundArea.objects.filter(round__in=rounds)
                               .values_list("round_id", "place_id", "place__kind")):
            keys[rid].append((kind, pid))
        for r in rounds:
            r._area_keys = keys[r.id]
    return rounds


def compute(nodes, at, parent=None, after=None) -> dict:
    """With `parent` (the nodes are its children), its figures too, from the same queries
    (`core.figures.Tally`). `after`: the day counted from just after then, not from
    midnight (a nightly report's window, `core.figures.in_day`): the rounds of the day, the
    tests and the cases alike."""
    nodes = [n for n in nodes if n.kind in LEVELS]
    if not nodes:
        return {}
    out = Tally(nodes, (*NAMES.values(), "cases", "awaiting_retest", "tubes_not_at_lab"), parent)
    col = out.col
    since = counting_start(at, after)
    rounds = rounds_of_day(nodes, at, areas=True, since=since)
    for rnd in rounds:
        people = figures.expected(rnd).filter(**out.where)
        for node_id, fig in figures.counted_by(rnd, people, [col], at=at, since=since).items():
            for k in COVERAGE:
                out.add(node_id, NAMES[k], fig[k])
            out.hint(node_id, "_round", rnd.id)
            out.hint_each(node_id, "_rounds", rnd.id)
    # the people held now, whatever the round they were held in (the round page's
    # `figures.awaiting_q`, as of `at`); the day's cases, both ways, each person once (`day_cases`)
    held = FollowUp.objects.filter(**out.where, created_at__lte=at).filter(
        Q(closed_at=None) | Q(closed_at__gte=since))  # held in the window, or closed in it
    grouped(held, col, out, awaiting_retest=Count("id", filter=figures.awaiting_q(at)))
    _cases(out, at, since)
    if rounds:
        _tubes_not_at_lab(out, rounds, at)
        first = rounds[0].id
        for row in out.values():
            row.setdefault("_round", first)
    return out


def _cases(out, at, since) -> None:
    """The day's positive cases of each node (and the parent: each person once), by the one
    definition (`day_cases.counted`)."""
    groups, people = day_cases.counted(Q(**out.where), out.col, at, since=since)
    parent = getattr(out.parent, "id", None)
    for group, n in groups.items():
        if group in out and group != parent:
            out[group]["cases"] = n
    if parent is not None:
        out[parent]["cases"] = people


def _tubes_not_at_lab(out, rounds, at) -> None:
    """Tubes sealed by `at` and not at the lab by then, under each node whose people are in
    them (their samples' level columns: a tube at a station holds people of several grids and
    has no grid of its own — they had all gone to "未分网格", and a grid's view showed none).
    A tube is counted once in each node, and once in the parent (not the sum of its
    children's: a tube of two grids is in both rows). Each node (and the parent) lists, in
    the hint `shared_hint("tubes_not_at_lab")`, the tubes it counts that also hold people
    outside it (a tube of two communities, sampled at a point on their boundary): a street's
    or district's sum of its communities' figures (dashboard snapshots, nightly reports,
    `reports.figures.total`) counts them once. One query (the samples of the tubes holding
    someone of the nodes, one row per tube and place: few)."""
    late = Tube.objects.filter(round__in=rounds, sealed_at__lte=at).filter(Q(at_lab_at=None) | Q(at_lab_at__gt=at))
    col, parent = out.col, out.parent
    pcol = level_field(parent) if parent is not None else col
    held = Sample.objects.filter(round__in=rounds, tube__in=late, **out.where).values("tube_id")
    rows = (Sample.objects.filter(round__in=rounds, tube_id__in=held)
            .values_list("tube_id", col, pcol).distinct().order_by())
    tubes, places, above = {}, {}, {}
    for tube_id, node_id, up in rows:
        places.setdefault(tube_id, set()).add(node_id)
        above.setdefault(tube_id, set()).add(up)
        inside = up == parent.id if parent is not None else node_id in out
        if inside:
            tubes.setdefault(node_id, set()).add(tube_id)
    hint = shared_hint("tubes_not_at_lab")
    for node_id, ids in tubes.items():
        if node_id in out and node_id != getattr(parent, "id", None):
            out[node_id]["tubes_not_at_lab"] = len(ids)
            shared = sorted(t for t in ids if places[t] != {node_id})
            if shared:
                out[node_id][hint] = shared
    if parent is not None:
        out[parent.id]["tubes_not_at_lab"] = len(places)  # every tube read holds someone under it
        shared = sorted(t for t, ups in above.items() if ups != {parent.id})
        if shared:
            out[parent.id][hint] = shared


def progress_chart(node, at, after=None) -> Chart | None:
    """Registrations (or antigen results) per hour of the day counted up to `at` — the
    dashboard's from midnight, a nightly report's over its window (`after`, its start:
    `counting_start`) —, the day's rounds together (`figures.progress_by_hour`): the bars add
    up to the day's "tested" (a report cut off at 20:00 had left out the tests of 20:00–24:00
    the evening before, counted in its figures). Hours in time order; with the day's date
    when the window holds the same hour twice. Not for a whole district (a GROUP BY over a
    million registrations in the request)."""
    if node.kind == "district":
        return None
    since = counting_start(at, after)
    counts = {}
    for rnd in rounds_of_day([node], at, since=since):
        # as `figures.counted_by` counts: a round begun before the day leaves out those done before it
        begun = since if rnd.starts_at < since else None
        for r in figures.progress_by_hour(rnd, node, until=at, since=begun):
            counts[r["hour"]] = counts.get(r["hour"], 0) + r["n"]
    hours = sorted(counts)
    dated = len({f"{h:%H}" for h in hours}) < len(hours)  # a window longer than a day
    return Chart("progress", gettext("Tests by hour"),
                 [(f"{short_day(h)} {h:%H}:00" if dated else f"{h:%H}:00", counts[h], str(counts[h])) for h in hours],
                 horizontal=False, headers=(gettext("Hour"), gettext("Tests")))


def cases_chart(node, at, days=7, after=None) -> Chart:
    """Positive cases confirmed per day (local dates) over the `days` days up to `at`'s day,
    under `node`, whatever the round, both ways, each person once (`day_cases.by_day`: two
    queries; `after`: not needed, each day is as its report says it)."""
    first = day_start(at) - datetime.timedelta(days=days - 1)
    rows = day_cases.by_day(under(node), first, at)  # the figure's one definition, day by day
    start = first.date()
    dates = [start + datetime.timedelta(days=i) for i in range(days)]
    return Chart("cases", gettext("Positive cases by day"),
                 [(short_day(d), rows.get(d, 0), str(rows.get(d, 0))) for d in dates],
                 horizontal=False, headers=(gettext("Day"), gettext("Positive cases")),
                 # a day's bar as that day's report says it (`core.figures.Chart.days`)
                 days=dates, keys=("cases",), say=str)


def rounds_note(values) -> str | None:
    """Under "to be tested" when the node's figures add up several rounds of the day (a PCR
    round and an antigen round): each person counts once in each round."""
    n = len(values.get("_rounds") or ())
    if n < 2:
        return None
    return ngettext("Today's testing figures include %(n)d round: each person is counted once in it.",
                    "Today's testing figures include %(n)d rounds: each person is counted once in every "
                    "round they are in, so one person can be counted more than once.",
                    n) % {"n": n}


def _round_link(name, **query):
    """The figure's list in the day's round; with several rounds added up, the rounds to
    choose from (one round's list would not add up to the figure: found walking the demo)."""
    def link(node, values):
        rnd = values.get("_round")
        if not rnd:
            return None
        if len(values.get("_rounds") or ()) > 1:
            return reverse("screening_home")
        url = reverse(name, args=[rnd])
        return f"{url}?place={node.id}" if query.get("place", True) else url
    return link


PROVIDER = Provider("screening", (
    Figure("expected", _("To be tested"), GROUP, link=_round_link("screening_round"), note=rounds_note),
    Figure("sampled", _("Tested"), GROUP, link=_round_link("screening_round")),
    Figure("exempt", _("Exempt"), GROUP, link=_round_link("screening_exemptions", place=False)),
    Figure("missing", _("Not yet tested"), GROUP, worse="high", short=_("Not tested"),
           link=_round_link("screening_missing")),
    Figure("to_sample", _("To sample (expected − exempt)"), GROUP),
    Figure("coverage", _("Coverage (people)"), GROUP, unit="percent", worse="low", short=_("People coverage"),
           derive=lambda v: percent(v.get("sampled", 0), v.get("to_sample", 0)),
           link=_round_link("screening_round")),
    Figure("test_households", _("Households to test"), GROUP),
    Figure("households_covered", _("Households covered"), GROUP),
    Figure("households_coverage", _("Coverage (households)"), GROUP, unit="percent", worse="low",
           short=_("Household coverage"),
           derive=lambda v: percent(v.get("households_covered", 0), v.get("test_households", 0)),
           link=_round_link("screening_round")),
    # no link: the day's cases count the health authority's reports by hand too (`day_cases`),
    # and a round's follow-ups list only its re-test positives ("阳性病例 3" opened a list of 1)
    Figure("cases", _("Positive cases"), GROUP, worse="high"),
    Figure("awaiting_retest", _("Positives awaiting re-test"), GROUP, worse="high", short=_("Re-test"),
           link=_round_link("screening_followups", place=False)),
    Figure("tubes_not_at_lab", _("Tubes not yet at the lab"), GROUP, worse="high", short=_("Tubes in transit"),
           link=_round_link("screening_boxes", place=False), additive=False),
), compute, charts=(progress_chart, cases_chart))
