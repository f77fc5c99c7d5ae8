"""The one registry of figures for dashboards and nightly reports. Every figure comes from
its app's provider (`settings.FANGKONG_FIGURE_PROVIDERS`: registry.figures,
screening.node_figures — which reads screening.figures —, volunteers.figures; zones and
services add theirs); nothing is counted here. This module only asks the providers for many
nodes at once, derives the ratios, and sums children for roll-ups (`total`: a figure that
is not additive — tubes — counts each thing once at the level above, people are summed)."""

from collections import Counter
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from fangkong.core.figures import Figure, Provider, shared_hint
from fangkong.registry.models import LEVELS, Place


@cache
def providers() -> tuple[Provider, ...]:
    return tuple(import_string(path) for path in settings.FANGKONG_FIGURE_PROVIDERS)


def definitions(keys=None) -> list[Figure]:
    """Every figure in provider order (only `keys`, in provider order, if given)."""
    out = [f for p in providers() for f in p.figures]
    if keys:
        wanted = set(keys)
        out = [f for f in out if f.key in wanted]
    return out


def by_key() -> dict[str, Figure]:
    return {f.key: f for f in definitions()}


# Hints a report keeps beside its figures (never figures: not summed, not in the API or the
# sheets): the rounds a node's testing figures add up, so that the report says so too; and
# each figure that is not additive keeps the things it shares with other nodes
# (`core.figures.shared_hint`), so that the roll-up above counts them once.
# And the time the roll was read when that was long after the report's cut-off (its roll
# taken late, `models.CutoffRoll`; `registry.figures.POPULATION_AT`).
KEPT_HINTS = ("_rounds", "_population_at")


def shared_hints() -> dict[str, str]:
    """{hint: figure key} for the figures that are not additive (`Figure.additive`)."""
    return {shared_hint(f.key): f.key for f in definitions() if not f.additive}


def kept(key: str) -> bool:
    """Is `key` a hint a report keeps (`KEPT_HINTS`, `shared_hints`)?"""
    return key in KEPT_HINTS or key in shared_hints()


def stored(values: dict) -> dict:
    """The figures as a report keeps them: the counted ones and the kept hints."""
    return {k: v for k, v in values.items() if not k.startswith("_") or kept(k)}


def figures_only(values: dict) -> dict:
    """A report's figures without its hints (the API, exports)."""
    return {k: v for k, v in (values or {}).items() if not k.startswith("_")}


def derive(values: dict) -> dict:
    """Fill the derived figures (ratios) from the counted ones, in place."""
    for f in definitions():
        if f.derive is not None:
            values[f.key] = f.derive(values)
    return values


def compute(nodes: list[Place], at, parent: Place | None = None, after=None) -> dict[int, dict]:
    """{node id: {key: value}} for level nodes of ONE kind, as of `at`: each provider once
    (a bounded number of queries, whatever the number of nodes). With `parent` (the nodes
    are some or all of its children), the parent's figures too, counted by the same
    queries (`core.figures.Tally`: the same figures as `of(parent)`). Keys starting with
    "_" are the providers' hints for links (e.g. the round), not figures. `after`: what
    happened in the day (cases, doors, minutes) is counted from just after then instead of
    from midnight — a nightly report's window (`queries.window_start`)."""
    nodes = [n for n in nodes if n.kind in LEVELS]
    kinds = {n.kind for n in nodes}
    if len(kinds) > 1:
        raise ValueError("compute() takes nodes of one kind")
    if parent is not None and (not nodes or any(n.parent_id != parent.id for n in nodes)):
        raise ValueError("compute(parent=) takes some of the parent's children")
    out = {n.id: {} for n in nodes}
    if parent is not None:
        out[parent.id] = {}
    if not nodes:
        return out
    for p in providers():
        answer = p.compute(nodes, at, parent=parent, after=after)
        for node_id, values in answer.items():
            out[node_id].update(values)
    for values in out.values():
        derive(values)
    return out


def roll_keys() -> tuple[str, ...]:
    """The figures counted from the roll as it stands (`Figure.roll`): a report of a day whose
    cut-off has passed takes them from the roll stored at that cut-off (`models.CutoffRoll`)."""
    return tuple(f.key for f in definitions() if f.roll)


def roll(nodes: list[Place], at) -> dict[int, dict]:
    """{node id: {roll figure: value}} of communities as of `at` (the roll as it stands): only
    the providers declaring such figures are asked (`actions.roll.take`)."""
    keys = set(roll_keys())
    out = {n.id: {} for n in nodes}
    for p in providers():
        if nodes and any(f.key in keys for f in p.figures):
            for node_id, values in p.compute(nodes, at).items():
                if node_id in out:
                    out[node_id].update({k: v for k, v in values.items() if k in keys})
    return out


def of(node: Place, at, after=None) -> dict:
    return compute([node], at, after=after).get(node.id, {})


def total(rows: list[dict]) -> dict:
    """The sum of children's figures (counted figures summed, ratios derived again; the
    kept hints' lists joined) — the one roll-up of a street's or district's figures: its
    dashboard over its communities' snapshots (`live.board`) and its nightly report over
    its children's locked reports (`actions.nightly.rollup`), hence its page, API and
    exports. People and everything additive are summed (each person is in one place). A
    figure that is not additive counts things, not places: a tube holding people of two
    communities (sampled at a point on their boundary) is in both communities' figures and
    ONCE in the sum — each thing listed by several rows in the figure's
    `core.figures.shared_hint` is taken off all but once. The joined list goes on with the
    sum, so the district summing its streets counts it once as well."""
    derived = {f.key for f in definitions() if f.derive is not None}
    shared = shared_hints()
    out, hints = {}, {}
    for row in rows:
        for k, v in row.items():
            if (k in KEPT_HINTS or k in shared) and v:
                hints.setdefault(k, set()).update(v)
            if k.startswith("_") or k in derived or not isinstance(v, int):
                continue
            out[k] = out.get(k, 0) + v
    for hint, key in shared.items():
        seen = Counter(x for row in rows for x in set(row.get(hint) or ()))
        if key in out:
            out[key] = max(0, out[key] - sum(n - 1 for n in seen.values()))
    return derive(out) | {k: sorted(v) for k, v in hints.items()}


def rest(values: dict, children: list[dict]) -> dict:
    """What a node counts outside all its children (its figures less their sum; ratios
    derived again), or {} when the children hold all of it. A household right under the
    community (a compound in no grid), a sampling point's tubes or a call placed at the
    community itself are counted by the community and by no grid: the dashboard shows them
    in a row of their own, so the rows add up to the node. A figure that is not additive
    (`Figure.additive`: a tube of two grids is in both rows) has no such row."""
    summed = total(children)
    derived = {f.key for f in definitions() if f.derive is not None}
    shared = {f.key for f in definitions() if not f.additive}  # a node less its children's sum says nothing
    out = {k: max(0, v - summed.get(k, 0)) for k, v in values.items()
           if not k.startswith("_") and k not in derived | shared and isinstance(v, int)}
    if not any(out.values()):
        return {}
    return derive(out)


def worst_first(children: list[tuple[object, dict]], key: str | None = None) -> list:
    """Children (node, figures) sorted worst first: by `key` (default: the first figure with
    a direction, the people coverage), ties by name."""
    figs = by_key()
    if key is None or key not in figs or not figs[key].worse:
        key = next((f.key for f in definitions() if f.worse == "low"), None)
    if key is None:
        return list(children)
    sign = 1 if figs[key].worse == "low" else -1

    def order(c):
        value = c[1].get(key)  # None: nothing to count there (no round today): last
        return (value is None, sign * (value or 0), getattr(c[0], "name", ""))
    return sorted(children, key=order)
