"""Figure definitions: what a dashboard or a nightly report counts, declared once by the app
that owns the data. App-agnostic (core imports no app): each app describes its figures with
`Figure` and computes them in a `Provider`; `settings.FANGKONG_FIGURE_PROVIDERS` lists the
providers (the reports app reads them, so zones and services add theirs by adding a line,
as place panels do).

A provider computes its figures for many nodes of one kind at once, as of a time, in a
bounded number of queries (grouped by the level column, never one query per node):
`compute(nodes, at) -> {node id: {key: int}}`. Every stored value is an int (minutes, not
hours) so that roll-ups sum exactly; a figure with `derive` is computed from the others
(a percentage) after summing, never summed itself.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    key: str
    label: object  # a lazy translation
    group: object  # the section it is shown under (lazy)
    unit: str = ""  # "", "percent", "minutes" (shown as hours)
    derive: Callable[[dict], int] | None = None  # from the other (summed) figures
    worse: str = ""  # "low" or "high": which way is worse, to sort children worst first
    link: Callable | None = None  # (node) -> the URL of the list behind the figure, or None
    short: object = None  # a short label for narrow tables (the label if None)


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


@dataclass(frozen=True)
class Provider:
    name: str
    figures: tuple[Figure, ...]
    compute: Callable  # (nodes: list[Place] of one kind, at: datetime) -> {id: {key: int}}
    charts: tuple = ()  # each (node, at) -> Chart or None


def percent(a: int, b: int) -> int:
    """a ÷ b in whole percent (100 when there is nothing to do), as screening.figures.pct."""
    return 100 if b <= 0 else min(100, int(a * 100 / b))


def grouped(qs, col: str, out: dict, **aggs) -> None:
    """Several figures of one table in one grouped query: `out[node id][key]` set from
    `qs` grouped by the level column `col` (a provider's rows for all its nodes at once)."""
    for r in qs.values(col).annotate(**aggs).order_by():
        if r[col] in out:
            for key in aggs:
                out[r[col]][key] = r[key] or 0
