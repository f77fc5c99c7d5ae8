"""Reads of dashboards and nightly reports, scoped by `access` (forbidden = missing)."""

import datetime

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import ROLE_PERMS, Perm
from fangkong.core.errors import NotFound
from fangkong.core.tree import level_field, under
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import Kind, Place

from . import access, figures
from .models import CutoffRoll, DailyReport, ReportDefinition

S = DailyReport.Status
# The statuses a roll-up counts (a draft, a returned or a missing report adds nothing).
COUNTED = (S.SUBMITTED, S.APPROVED)
# Each level an hour after the one below: communities at 20:00, streets 21:00, district 22:00.
DEFAULT_CUTOFFS = {Kind.COMMUNITY: datetime.time(20), Kind.STREET: datetime.time(21),
                   Kind.DISTRICT: datetime.time(22)}
CHILD_KIND = {Kind.STREET: Kind.COMMUNITY, Kind.DISTRICT: Kind.STREET}
KID_KIND = {Kind.DISTRICT: Kind.STREET, Kind.STREET: Kind.COMMUNITY, Kind.COMMUNITY: Kind.GRID,
            Kind.GRID: Kind.COMPOUND, Kind.COMPOUND: Kind.BUILDING, Kind.BUILDING: Kind.UNIT}


def window_start(level: str, day: datetime.date) -> datetime.datetime:
    """Where a day's report starts counting what happened (cases, doors, minutes): the
    previous day's cut-off of the level that counts them (a community; a street or district
    sums its communities' reports), strictly after it. Each case is then in exactly one
    day's report (counted from midnight, one confirmed at 23:27 was in none: walked
    2026-12-06)."""
    while level in CHILD_KIND:
        level = CHILD_KIND[level]
    return definition(level).cutoff_on(day - datetime.timedelta(days=1))


def window_starts(places, day: datetime.date) -> dict[int, datetime.datetime]:
    """{place id: where its report of `day` starts counting} for places of the counting level
    (communities): the cut-off of the previous day's report as it was stored (a cut-off changed
    since does not move a past day's window: walked 2026-12-07, the 12-06 reports read "新增：
    12-05 02:30 至 12-06 20:00" after the cut-off became 02:30), the level's definition when
    that day has no report (`window_start`); or, when the previous day's submitted report was
    counted earlier (submitted before its cut-off, its figures locked then: its `figures_at`),
    that time — what happened between then and the cut-off had been in no report (walked
    2026-12-07: a report submitted at 00:55 left 00:55–20:00 out). One query."""
    places = list(places)
    if not places:
        return {}
    cutoff = window_start(places[0].kind, day)
    out = {p.id: cutoff for p in places}
    for pid, cut, at, status in DailyReport.objects.filter(
            place__in=places, day=day - datetime.timedelta(days=1), current=True) \
            .values_list("place_id", "cutoff_at", "computed_at", "status"):
        out[pid] = cut
        if status in COUNTED and at is not None and at < cut:
            out[pid] = at
    return out


def place_window_start(place, day: datetime.date) -> datetime.datetime:
    """`window_starts` of one place; a street or district (its communities' sum): the earliest
    cut-off of its communities' reports of the previous day (the level's when none). One query."""
    if place.kind in CHILD_KIND:
        level = place.kind
        while level in CHILD_KIND:
            level = CHILD_KIND[level]
        kept = DailyReport.objects.filter(under(place), level=level, day=day - datetime.timedelta(days=1),
                                          current=True).aggregate(t=Min("cutoff_at"))["t"]
        return kept or window_start(place.kind, day)
    return window_starts([place], day)[place.id]


def _int(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None


def definition(level: str) -> ReportDefinition:
    """The level's definition (the defaults when an administrator has not set one). Its name
    as shown is `title` (the built-in name in the reader's language, unless the administrator
    gave one of their own)."""
    d = ReportDefinition.objects.filter(level=level).first()
    return d or ReportDefinition(level=level, name="", cutoff=DEFAULT_CUTOFFS.get(level, datetime.time(20)))


def get_node(scope, pk) -> Place:
    """A level node the user may see reports of (NotFound otherwise)."""
    try:
        place = Place.objects.get(pk=_int(pk))
    except Place.DoesNotExist:
        raise NotFound() from None
    access.require_view(scope, place)
    return place


def get_report(scope, pk) -> DailyReport:
    try:
        r = DailyReport.objects.select_related("place", "submitted_by", "decided_by").get(pk=_int(pk))
    except DailyReport.DoesNotExist:
        raise NotFound() from None
    access.require_view(scope, r.place)
    return r


def report_for(place: Place, day: datetime.date) -> DailyReport | None:
    return (DailyReport.objects.select_related("place", "submitted_by", "decided_by")
            .filter(place=place, day=day, current=True).first())


def cutoff_rolls(place_ids, day: datetime.date) -> dict[int, CutoffRoll]:
    """{community id: its roll stored at `day`'s cut-off} (`models.CutoffRoll`). One query."""
    return {r.place_id: r for r in CutoffRoll.objects.filter(place_id__in=list(place_ids), day=day)}


def reported_figures(place: Place, days) -> dict[datetime.date, dict]:
    """{day: figures} of the node's current reports of these days that were submitted or
    approved (as a roll-up counts them): what each day's report said, for the charts over
    days (`charts.as_reported`). One query."""
    return dict(DailyReport.objects.filter(place=place, day__in=list(days), current=True, status__in=COUNTED)
                .values_list("day", "figures"))


def versions(report: DailyReport) -> list[DailyReport]:
    return list(DailyReport.objects.filter(place_id=report.place_id, day=report.day)
                .select_related("submitted_by", "decided_by").order_by("version"))


def history(place: Place, limit=60) -> list[DailyReport]:
    """The node's current reports, newest day first."""
    return list(DailyReport.objects.filter(place=place, current=True).order_by("-day")[:limit])


def current_reports(place_ids, day) -> dict[int, DailyReport]:
    return {r.place_id: r for r in DailyReport.objects.filter(place_id__in=list(place_ids), day=day,
                                                              current=True)}


def first_submissions(place_ids, day) -> dict[int, datetime.datetime]:
    """When each node first submitted its report for `day` (any version): on time or late
    is decided by the first submission, a later correction does not make it late."""
    return dict(DailyReport.objects.filter(place_id__in=list(place_ids), day=day,
                                           submitted_at__isnull=False)
                .values("place_id").annotate(t=Min("submitted_at")).order_by()
                .values_list("place_id", "t"))


def is_late(first_submitted, due_at) -> bool:
    """The one rule of lateness: a report is late when the node's FIRST submission of the day
    (any version) came after its due time; a later correction never makes it late."""
    return first_submitted is not None and first_submitted > due_at


def state(first_submitted, due_at) -> str:
    """on_time / late / missing (`is_late`): the completeness page, a roll-up's rows."""
    if first_submitted is None:
        return "missing"
    return "late" if is_late(first_submitted, due_at) else "on_time"


def would_be_late(r, now=None) -> bool:
    """Would submitting this report now be recorded late (`is_late`): by the node's first
    submission of the day when there was one (a correction of an on-time report is on time),
    else by now. The report page and its submit question ask this (walked 2026-12-07: a
    correction at 03:02 of a report sent 02:47 was announced as late, recorded on time)."""
    first = first_submissions([r.place.id], r.day).get(r.place.id)
    return is_late(first or now or timezone.now(), r.due_at)


def report_children(parent: Place) -> list[Place]:
    kind = CHILD_KIND.get(parent.kind)
    if kind is None:
        return []
    return list(Place.objects.filter(under(parent), kind=kind)
                .order_by("sort_key", "id"))


def completeness(parent: Place, day: datetime.date) -> list[dict]:
    """Each child's report for `day`: state on_time / late / missing (by its first
    submission against the due time), status, version. Three queries; missing first."""
    kids = report_children(parent)
    if not kids:
        return []
    ids = [k.id for k in kids]
    reports, firsts = current_reports(ids, day), first_submissions(ids, day)
    due = definition(kids[0].kind).due_on(day)
    rows = []
    for k in kids:
        first, r = firsts.get(k.id), reports.get(k.id)
        when = r.due_at if r is not None else due  # as the report keeps it (`is_late`)
        rows.append({"place": k, "report": r, "state": state(first, when), "first": first, "due": when})
    below = _below_counts(parent, kids, day)
    for row in rows:
        row["below"] = below.get(row["place"].id)
    order = {"missing": 0, "late": 1, "on_time": 2}
    return sorted(rows, key=lambda r: (order[r["state"]], r["place"].sort_key, r["place"].id))


def _below_counts(parent: Place, kids: list[Place], day) -> dict[int, dict]:
    """{street id: `completeness_counts` of its communities} when `kids` are roll-ups (a
    district's streets), else {}: the district sees which street is held up by which
    community before the street submits (walked 2026-12-07: "未报" was a dead end). Three
    queries, whatever the number of streets."""
    kind = CHILD_KIND.get(kids[0].kind) if kids else None
    if kind is None:
        return {}
    field = level_field(kids[0].kind)
    grand = list(Place.objects.filter(under(parent), kind=kind).values_list("id", field))
    ids = [g for g, _p in grand]
    firsts = first_submissions(ids, day)
    dues = {r.place_id: r.due_at for r in DailyReport.objects.filter(place_id__in=ids, day=day, current=True)
            .only("place_id", "due_at")}
    due = definition(kind).due_on(day)
    out = {k.id: {"on_time": 0, "late": 0, "missing": 0, "total": 0} for k in kids}
    for g, p in grand:
        if p in out:
            out[p][state(firsts.get(g), dues.get(g, due))] += 1
            out[p]["total"] += 1
    return out


def completeness_counts(rows) -> dict:
    out = {"on_time": 0, "late": 0, "missing": 0, "total": len(rows)}
    for r in rows:
        out[r["state"]] += 1
    return out


def submitters(place: Place) -> list[int]:
    """The users who submit this node's report (a grant with `reports.submit` on it)."""
    roles = [r for r, perms in ROLE_PERMS.items() if Perm.REPORTS_SUBMIT in perms]
    return list(Membership.objects.filter(place=place, role__in=roles, is_active=True,
                                          user__is_active=True, household=None)
                .values_list("user_id", flat=True).distinct())


def nodes(scope) -> list[Place]:
    """The level nodes the user's report grants are on (their dashboards' entry points)."""
    return [p for p in scope.roots(Perm.REPORTS_VIEW) if access.can_view(scope, p)]


def dashboard(scope, place: Place, at) -> dict:
    """The node's live figures and its children's, worst first, as of `at`: one provider
    pass for the node and all its children together (its rows grouped by the children's
    column: bounded queries, none per child)."""
    kind = KID_KIND.get(place.kind)
    kids = list(reg_queries.places(scope, Perm.REPORTS_VIEW).filter(parent=place, kind=kind)
                .order_by("sort_key", "id")) if kind else []
    if kids:
        kid_values = figures.compute(kids, at, parent=place)
        values = kid_values.pop(place.id)
    else:
        values, kid_values = figures.of(place, at), {}
    return {"values": values, "children": ranked_children(kids, kid_values, values)}


def ranked_children(kids: list[Place], kid_values: dict, values: dict) -> list:
    """The rows under a node, for its dashboard and its report's PDF alike: its children
    (`kids`, figures `kid_values` by id) worst first, then the row of what the node
    (figures `values`) counts outside all of them ("未分网格": people in no grid)."""
    children = figures.worst_first([(k, kid_values.get(k.id, {})) for k in kids])
    rest = figures.rest(values, [kid_values.get(k.id, {}) for k in kids])
    if kids and rest:  # e.g. a compound right under the community: in no grid, yet counted
        children.append((Remainder(REST_LABEL.get(kids[0].kind, REST_LABEL[None])), rest))
    return children


class Remainder:
    """The row of what a node holds outside all its children (no page of its own)."""

    id = None

    def __init__(self, name):
        self.name = str(name)


REST_LABEL = {Kind.GRID: gettext_lazy("Not in a grid"), Kind.COMPOUND: gettext_lazy("Not in a compound"),
              Kind.BUILDING: gettext_lazy("Not in a building"), Kind.UNIT: gettext_lazy("Not in a unit"),
              None: gettext_lazy("Not in any of these")}


def period_reports(node: Place, first: datetime.date, last: datetime.date, limit=40_000) -> list[DailyReport]:
    """The current reports of the node and of every report level below it, from `first` to
    `last` (exports): one query."""
    return list(DailyReport.objects.filter(under(node), current=True,
                                           day__gte=first, day__lte=last)
                .select_related("place", "submitted_by").order_by("day", "place__sort_key", "place_id")[:limit])


def changed_below(r: DailyReport) -> list[dict]:
    """The places below a street's or district's report whose counted report is no longer
    the one it summed: a newer version submitted since (a correction: `kind` "corrected",
    with the figures that changed) or a first report submitted after it left the place out
    ("late"). Each {place, name, kind, report, version, counted_version, submitted_at,
    changes: [(figure key, counted value, new value)], figures (the newer report's), reason
    (its reason for the correction)}. The report itself never changes (it
    is locked, or a draft counted again when shown): the page, its PDF and .xlsx, and the API
    say so, and the node's submitters are told once (`actions.nightly`). One query."""
    rows = [c for c in (r.children or []) if c.get("place")]
    if not rows or r.level not in CHILD_KIND:
        return []
    now = {x.place_id: x for x in DailyReport.objects.filter(
        place_id__in=[c["place"] for c in rows], day=r.day, current=True, status__in=COUNTED)}
    defs = [f for f in figures.definitions()]
    out = []
    for c in rows:
        x = now.get(c["place"])
        if x is None or (c["included"] and c["report"] == x.id):
            continue
        old = c["figures"] if c["included"] else {}
        changes = [(f.key, old.get(f.key), x.figures.get(f.key)) for f in defs
                   if c["included"] and old.get(f.key) != x.figures.get(f.key)]
        out.append({"place": c["place"], "name": c["name"], "kind": "corrected" if c["included"] else "late",
                    "report": x.id, "version": x.version, "counted_version": c["version"] if c["included"] else None,
                    "submitted_at": x.submitted_at, "changes": changes, "figures": x.figures or {},
                    "reason": x.reason or ""})
    return out


PARENT_KIND = {kid: kind for kind, kid in CHILD_KIND.items()}


def counted_above(r: DailyReport) -> dict | None:
    """A correction of a community's (or street's) report while the report above, locked,
    still adds up an earlier version of it: {"above" (that report), "counted_version",
    "changes": [(figure key, counted value, this version's value)]}, else None (nothing
    above, a draft above counts it when shown or submitted, or it counts this one). The
    correcting place reads it on the draft and once submitted (`present.above_lines`); the
    place above gets the same changes (`changed_below`). One query."""
    kind = PARENT_KIND.get(r.level)
    parent_id = getattr(r.place, level_field(kind), None) if kind and r.version > 1 else None
    if not parent_id or not r.current:
        return None
    above = (DailyReport.objects.select_related("place").filter(place_id=parent_id, day=r.day, current=True)
             .first())
    if above is None or not above.locked:
        return None
    entry = next((c for c in above.children or [] if c.get("place") == r.place_id and c.get("included")), None)
    if entry is None or entry.get("report") == r.id:
        return None
    old, new = entry.get("figures") or {}, r.figures or {}
    changes = [(f.key, old.get(f.key), new.get(f.key)) for f in figures.definitions()
               if f.key in new and old.get(f.key) != new.get(f.key)]
    return {"above": above, "counted_version": entry.get("version"), "changes": changes}
