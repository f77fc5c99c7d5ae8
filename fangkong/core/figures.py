"""Figure definitions: what a dashboard or a nightly report counts, declared once by the app
that owns the data. App-agnostic (core imports no app): each app describes its figures with
`Figure` and computes them in a `Provider`; `settings.FANGKONG_FIGURE_PROVIDERS` lists the
providers (the reports app reads them, so zones and services add theirs by adding a line,
as place panels do).

A provider computes its figures for many nodes of one kind at once, as of a time, in a
bounded number of queries (grouped by the level column, never one query per node):
`compute(nodes, at, parent=None, after=None) -> {node id: {key: int}}`. A figure of what
happened in the day (cases, doors delivered, minutes) counts from `at`'s midnight, or, with
`after`, from just after that moment (a nightly report: from the previous day's cut-off, which
that day's report counted, so that each event is in one day's report). With `parent` (the nodes are
its children), the same queries select every row under the parent and group them by the
children's column: the parent's figures are the sum of all the groups (rows under no listed
child — a household in no grid, a child the user may not see — count in the parent only), so
a dashboard counts a node and its children in one pass (`Tally`). Every stored value is an int (minutes, not
hours) so that roll-ups sum exactly; a figure with `derive` is computed from the others
(a percentage) after summing, never summed itself.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from .tree import level_field


@dataclass(frozen=True)
class Figure:
    key: str
    label: object  # a lazy translation
    group: object  # the section it is shown under (lazy)
    unit: str = ""  # "", "percent", "minutes" (shown as hours)
    derive: Callable[[dict], int | None] | None = None  # from the other (summed) figures
    worse: str = ""  # "low" or "high": which way is worse, to sort children worst first
    link: Callable | None = None  # (node) -> the URL of the list behind the figure, or None
    short: object = None  # a short label for narrow tables (the label if None)
    note: Callable[[dict], str | None] | None = None  # (values) -> a line under it, or None
    # False: one thing may count under several children (a tube holding people of two grids),
    # so the children's rows do not add up to the node, and no "the rest" row is made of it;
    # its provider gives the hint `shared_hint(key)` so that a roll-up counts each thing once
    additive: bool = True
    # True: counted from the roll as it stands (who lives where — the registry keeps no
    # history of it): a nightly report of a day whose cut-off has passed takes it from the
    # roll stored at that cut-off (`reports.models.CutoffRoll`), never from today's roll
    roll: bool = False
    # the label in a nightly report, counted as of its cut-off, where the dashboard's says "now"
    # ("On duty at the cut-off" beside the dashboard's "On duty now"); None: `label`
    report_label: object = None


def shared_hint(key: str) -> str:
    """The hint beside a figure that is not additive (`Figure.additive`): the ids of the
    things a node counts that another node of its level may count too — the tubes not at
    the lab holding people of this community and of another one (sampled at a point on
    their boundary). A roll-up that sums nodes' figures (a street's dashboard over its
    communities' snapshots, a street's nightly report over its communities' locked ones)
    counts each such thing once, not once per node (`reports.figures.total`): a tube is one
    tube at the level above, whatever the number of places whose people it holds. Only
    the shared ones are listed (few: a node's own things just add up); none: no hint."""
    return f"_shared_{key}"


@dataclass
class Chart:
    """A chart's data: rows of (label, value, shown text); drawn as SVG on pages and in
    PDFs, and always given as a table too."""

    key: str
    title: str
    rows: list = field(default_factory=list)
    unit: str = ""  # "%" for percentages
    top: int = 0  # the scale's end (0: the largest value)
    horizontal: bool = True  # bars (labels beside) or columns over time
    headers: tuple = ("", "")
    # stacked columns: for each row, its parts' values (summing to the row's value), and
    # the parts' (name, colour) for the legend — e.g. sealed and controlled people
    stacks: list = field(default_factory=list)
    legend: tuple = ()
    # a chart over days: each row's day, and the figures of the node's nightly report that
    # make the row (`keys`: one per stacked part, or the one value), with `say(*parts)` its
    # text. A day's bar is its figure as the day's submitted report says it: the reports app
    # puts that report's figures in the row (`reports.charts.as_reported`; a lower app
    # cannot read reports), and only a day with none is counted now (`counted`: per row)
    days: list = field(default_factory=list)
    keys: tuple = ()
    say: Callable | None = None
    counted: list = field(default_factory=list)

    def table(self) -> list[tuple]:
        """The rows as the text table shows them: (label, shown, counted now or None)."""
        marks = self.counted or [None] * len(self.rows)
        return [(label, shown, mark) for (label, _v, shown), mark in zip(self.rows, marks, strict=True)]


@dataclass(frozen=True)
class Provider:
    name: str
    figures: tuple[Figure, ...]
    compute: Callable  # (nodes: list[Place] of one kind, at, parent=None, after=None) -> {id: {key: int}}
    # each (node, at, after=None) -> Chart or None; `after`: a nightly report's window start
    # (the dashboard's day starts at midnight), as `compute`'s
    charts: tuple = ()


def day_start(at: datetime.datetime) -> datetime.datetime:
    """Midnight (the site's zone) of `at`'s day."""
    return timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0)


def in_day(field: str, at: datetime.datetime, after: datetime.datetime | None = None) -> Q:
    """`field` within the day's flow up to `at` (`Provider.compute`): from `at`'s midnight,
    or, with `after`, strictly after it (the previous report counted that very moment)."""
    start = Q(**{f"{field}__gt": after}) if after is not None else Q(**{f"{field}__gte": day_start(at)})
    return start & Q(**{f"{field}__lte": at})


def percent(a: int, b: int) -> int | None:
    """a ÷ b in whole percent; None when there is nothing to count (no one to test, no place
    asked for): a dashboard shows "–" there, never a green 100 % for a street with no round
    today. Sorted after every number (`reports.figures.worst_first`)."""
    return None if b <= 0 else min(100, int(a * 100 / b))


class Tally(dict):
    """A provider's answer {node id: {key: int}} for `nodes` of one level kind, and what to
    select: `col`, the nodes' level column to group by, and `where`, the filter of the rows
    to count (`{col}__in` the nodes; with `parent`, every row under the parent, grouped by
    the children's column). `add` puts a group's count in its node's row and, with a parent,
    in the parent's row too: the parent's figures are then the sum of all the groups, the
    same as counting it alone (each row has one value in each level column)."""

    def __init__(self, nodes, keys, parent=None):
        super().__init__({n.id: dict.fromkeys(keys, 0) for n in nodes})
        self.parent = parent
        self.col = level_field(nodes[0]) if nodes else None
        if parent is not None:
            self[parent.id] = dict.fromkeys(keys, 0)
            self.where = {level_field(parent): parent.id}
        else:
            self.where = {f"{self.col}__in": [n.id for n in nodes]}

    def _rows(self, group):
        if self.parent is not None and group != self.parent.id:
            yield self[self.parent.id]
        if group in self:
            yield self[group]

    def add(self, group, key, n) -> None:
        for row in self._rows(group):
            row[key] += n or 0

    def hint(self, group, key, value) -> None:
        """A link's hint ("_round"): the first one set for the group's node (and parent)."""
        for row in self._rows(group):
            row.setdefault(key, value)


    def hint_each(self, group, key, value) -> None:
        """A hint listing every value set for the group's node (and parent), once each
        ("_rounds": the rounds a node's figures add up)."""
        for row in self._rows(group):
            seen = row.setdefault(key, [])
            if value not in seen:
                seen.append(value)


def grouped(qs, col: str, out: dict, **aggs) -> None:
    """Several figures of one table in one grouped query: `out[node id][key]` set from
    `qs` grouped by the level column `col` (a provider's rows for all its nodes at once; a
    `Tally` adds them, to its parent's row too)."""
    for r in qs.values(col).annotate(**aggs).order_by():
        if isinstance(out, Tally):
            for key in aggs:
                out.add(r[col], key, r[key])
        elif r[col] in out:
            for key in aggs:
                out[r[col]][key] = r[key] or 0
