"""Reads of dashboards and nightly reports, scoped by `access` (forbidden = missing)."""

import datetime

from django.db.models import Min, Q
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


def state(first_submitted, due_at, returned=False) -> str:
    """on_time / late / missing (`is_late`), or returned: sent back and not submitted again
    since (`returned_pending`) — outstanding like a missing one, whenever it was first sent
    (walked 2026-12-07: a returned report was counted "按时" on the completeness page, its
    remind button hidden, while the report above said it was not counted). The completeness
    page and its API, the reminder, the district's line, a roll-up's rows (`children_now`)."""
    if returned:
        return "returned"
    if first_submitted is None:
        return "missing"
    return "late" if is_late(first_submitted, due_at) else "on_time"


# The states still to be reported: reminded, counted as "not reported / to report again".
OUTSTANDING = ("missing", "returned")


def _pending(rows) -> dict[int, tuple]:
    """{place id: its returned version (id, version, decided_at, return_reason)} from rows
    (place_id, id, version, status, decided_at, return_reason) of a day's versions: the
    places whose latest version sent up (submitted, approved or returned) was returned."""
    last = {}
    for pid, rid, version, status, decided, reason in rows:
        if status != S.DRAFT and (pid not in last or version > last[pid][1]):
            last[pid] = (rid, version, status, decided, reason)
    return {pid: (rid, v, decided, reason) for pid, (rid, v, status, decided, reason) in last.items()
            if status == S.RETURNED}


_VERSION_FIELDS = ("place_id", "id", "version", "status", "decided_at", "return_reason")


def returned_pending(place_ids, day) -> dict[int, tuple]:
    """{place id: (report id, version, returned at, reason)} of the places whose report of
    `day` was returned and not submitted again since (a correction begun is a draft: still
    outstanding). One query."""
    return _pending(DailyReport.objects.filter(place_id__in=list(place_ids), day=day)
                    .values_list(*_VERSION_FIELDS))


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


def node_states(kids: list[Place], day: datetime.date) -> list[dict]:
    """Each node's report for `day` (nodes of one level, in their order): {"place", "report"
    (current version or None), "state" (`state`: on_time / late / missing, or returned),
    "first" (first submission), "due", "returned" (`returned_pending`'s (report id, version,
    returned at, reason), or None)}. The one reading of who still owes a report
    (`OUTSTANDING`): the completeness page and its API, a person's reminder and the
    scheduled job's (which reads every node of a level at once). Four queries, whatever the
    number of nodes."""
    if not kids:
        return []
    ids = [k.id for k in kids]
    reports, firsts = current_reports(ids, day), first_submissions(ids, day)
    back = returned_pending(ids, day)
    due = definition(kids[0].kind).due_on(day)
    rows = []
    for k in kids:
        first, r = firsts.get(k.id), reports.get(k.id)
        when = r.due_at if r is not None else due  # as the report keeps it (`is_late`)
        rows.append({"place": k, "report": r, "state": state(first, when, k.id in back), "first": first,
                     "due": when, "returned": back.get(k.id)})
    return rows


def completeness(parent: Place, day: datetime.date) -> list[dict]:
    """Each child's report for `day` (`node_states`), with the counts below a roll-up
    (`_below_counts`). Eight queries at most; missing first, then returned."""
    kids = report_children(parent)
    if not kids:
        return []
    rows = node_states(kids, day)
    below = _below_counts(parent, kids, day)
    for row in rows:
        row["below"] = below.get(row["place"].id)
    order = {"missing": 0, "returned": 1, "late": 2, "on_time": 3}
    return sorted(rows, key=lambda r: (order[r["state"]], r["place"].sort_key, r["place"].id))


def _below_counts(parent: Place, kids: list[Place], day) -> dict[int, dict]:
    """{street id: `completeness_counts` of its communities} when `kids` are roll-ups (a
    district's streets), else {}: the district sees which street is held up by which
    community before the street submits (walked 2026-12-07: "未报" was a dead end); a
    returned community counts with the outstanding ones ("2 个中 1 个未报/待重报"). Four
    queries, whatever the number of streets."""
    kind = CHILD_KIND.get(kids[0].kind) if kids else None
    if kind is None:
        return {}
    field = level_field(kids[0].kind)
    grand = list(Place.objects.filter(under(parent), kind=kind).values_list("id", field))
    ids = [g for g, _p in grand]
    firsts = first_submissions(ids, day)
    back = returned_pending(ids, day)
    dues = {r.place_id: r.due_at for r in DailyReport.objects.filter(place_id__in=ids, day=day, current=True)
            .only("place_id", "due_at")}
    due = definition(kind).due_on(day)
    states = {k.id: [] for k in kids}
    for g, p in grand:
        if p in states:
            states[p].append({"state": state(firsts.get(g), dues.get(g, due), g in back)})
    return {p: completeness_counts(rows) for p, rows in states.items()}


def completeness_counts(rows) -> dict:
    """{on_time, late, missing, returned, total, outstanding, awaiting}: outstanding = missing +
    returned (`OUTSTANDING`: still to be reported, reminded); awaiting = submitted and not yet
    approved or returned (the reviewers' work: a row's current `report` submitted — walked
    2026-12-07, a report waiting for approval was only "迟报 · 已上报")."""
    out = {"on_time": 0, "late": 0, "missing": 0, "returned": 0, "total": len(rows), "awaiting": 0}
    for r in rows:
        out[r["state"]] += 1
        report = r.get("report")
        if report is not None and report.status == S.SUBMITTED and r["state"] not in OUTSTANDING:
            out["awaiting"] += 1
    out["outstanding"] = sum(out[s] for s in OUTSTANDING)
    return out


def reviewers(r) -> list[int]:
    """The users who approve or return this report (`access.REVIEWED_AT`): the active accounts
    with `reports.approve` on the nearest place above it that has any (a community's: its
    street's command; none there, its district's). One query a level tried."""
    roles = [role for role, perms in ROLE_PERMS.items() if Perm.REPORTS_APPROVE in perms]
    for kind in access.REVIEWED_AT.get(r.level, ()):
        pid = getattr(r.place, level_field(kind), None)
        if not pid:
            continue
        users = list(Membership.objects.filter(place_id=pid, role__in=roles, is_active=True, user__is_active=True,
                                               household=None).values_list("user_id", flat=True)
                     .distinct().order_by("user_id"))
        if users:
            return users
    return []


def submitters(place: Place) -> list[int]:
    """The users who submit this node's report (a grant with `reports.submit` on it)."""
    return submitters_of([place])[place.id]


def submitters_of(places) -> dict[int, list[int]]:
    """{place id: `submitters`} of many nodes (the scheduled job's whole level). One query."""
    roles = [r for r, perms in ROLE_PERMS.items() if Perm.REPORTS_SUBMIT in perms]
    out = {p.id: [] for p in places}
    for pid, uid in (Membership.objects.filter(place_id__in=list(out), role__in=roles, is_active=True,
                                               user__is_active=True, household=None)
                     .values_list("place_id", "user_id").distinct().order_by("place_id", "user_id")):
        out[pid].append(uid)
    return out


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


def children_now(r) -> list[dict]:
    """The places below a street's or district's report as they stand now: each row of its
    `children` (kept when it was summed) and
    - `summed`: its figures are in this report's (the row's `included` as it was summed);
    - `status`: its report's status now (a version summed may have been returned since);
    - `included`: counted as accepted — summed, and that report still submitted or approved;
    - `state`: as summed (on time / late / missing), or "returned" while the place's report
      is returned and not submitted again (`state`, `returned_pending`);
    - `returned_at`, `return_reason`: a version summed and returned since.
    The one rule of what a roll-up counts as accepted, read by its page and PDF, its API
    (`included`) and its exports (`present.not_counted`): the flags stored at the sum had
    kept a community returned afterwards "按时" and `included: true` (walked 2026-12-07).
    One query (none without places below); kept on the report object while its children are."""
    kids = getattr(r, "children", None) or []
    kept = getattr(r, "_children_now", None)
    if kept is not None and kept[0] is kids:
        return kept[1]
    places = [c["place"] for c in kids if c.get("place")]
    rows = list(DailyReport.objects.filter(place_id__in=places, day=r.day).values_list(*_VERSION_FIELDS)) \
        if places else []
    back = _pending(rows)
    by_id = {rid: (status, decided, reason) for _p, rid, _v, status, decided, reason in rows}
    out = []
    for c in kids:
        status, decided, reason = by_id.get(c.get("report"), (c.get("status"), None, ""))
        summed = bool(c.get("included"))
        row = dict(c, summed=summed, status=status, included=summed and status in COUNTED)
        if c.get("place") in back:
            row["state"] = "returned"
        if summed and status == S.RETURNED:
            row |= {"returned_at": decided, "return_reason": reason or ""}
        out.append(row)
    r._children_now = (kids, out)
    return out


def summed_by(r) -> DailyReport | None:
    """The report above, submitted or approved, that adds up this very version of `r` (a
    community's in its street's, a street's in its district's), else None. Returning `r`
    leaves that report holding figures no longer accepted (`changed_below` kind "returned"):
    the return step says so (walked 2026-12-07: nothing warned). One query."""
    kind = PARENT_KIND.get(r.level)
    parent_id = getattr(r.place, level_field(kind), None) if kind and r.pk else None
    if not parent_id:
        return None
    above = (DailyReport.objects.select_related("place").filter(place_id=parent_id, day=r.day, current=True)
             .first())
    if above is None or above.status not in COUNTED:
        return None
    if any(c.get("report") == r.id and c.get("included") for c in above.children or []):
        return above
    return None


def changed_below(r: DailyReport) -> list[dict]:
    """The places below a street's or district's report whose counted report is no longer
    the one it summed: a newer version submitted since (a correction: `kind` "corrected",
    with the figures that changed), a first report submitted after it left the place out
    ("late"), or the very version summed returned since and not submitted again ("returned":
    the figures still hold it; `returned_at`, `return_reason`). A district's also names the
    communities returned since below a street's report it sums (kind "returned", `via` the
    street's name), while that street has not corrected its report. Each {place, name, kind,
    report, version, counted_version, submitted_at, changes: [(figure key, counted value,
    new value)], figures (the newer report's), reason (its reason for the correction)}. The
    report itself never changes (it is locked, or a draft counted again when shown): the
    page, its PDF and .xlsx, and the API say so, and the node's submitters are told once
    (`actions.nightly.tell_above`, `actions.review.return_report`). One query; a district's
    two more."""
    rows = [c for c in (r.children or []) if c.get("place")]
    if not rows or r.level not in CHILD_KIND:
        return []
    summed = [c["report"] for c in rows if c.get("included") and c.get("report")]
    found = list(DailyReport.objects.filter(
        Q(place_id__in=[c["place"] for c in rows], day=r.day, current=True, status__in=COUNTED)
        | Q(id__in=summed, status=S.RETURNED)))
    now = {x.place_id: x for x in found if x.current and x.status in COUNTED}
    back = {x.id: x for x in found if x.status == S.RETURNED}
    defs = [f for f in figures.definitions()]
    out, walk = [], []
    for c in rows:
        x = now.get(c["place"])
        if x is None and c["included"] and c["report"] in back:
            out.append(_returned_entry(c, back[c["report"]]))
            continue
        if x is None or (c["included"] and c["report"] == x.id):
            if c["included"] and c.get("report") and CHILD_KIND[r.level] in CHILD_KIND:
                walk.append(c)  # a street summed by a district: its communities returned since
            continue
        old = c["figures"] if c["included"] else {}
        changes = [(f.key, old.get(f.key), x.figures.get(f.key)) for f in defs
                   if c["included"] and old.get(f.key) != x.figures.get(f.key)]
        out.append({"place": c["place"], "name": c["name"], "kind": "corrected" if c["included"] else "late",
                    "report": x.id, "version": x.version, "counted_version": c["version"] if c["included"] else None,
                    "submitted_at": x.submitted_at, "changes": changes, "figures": x.figures or {},
                    "reason": x.reason or ""})
    return out + _returned_below(walk)


def _returned_entry(c: dict, x: DailyReport, via: dict | None = None) -> dict:
    out = {"place": c["place"], "name": c["name"], "kind": "returned", "report": x.id, "version": x.version,
           "counted_version": c.get("version"), "submitted_at": x.submitted_at, "returned_at": x.decided_at,
           "return_reason": x.return_reason or "", "changes": [], "figures": {}, "reason": ""}
    if via is not None:
        out |= {"via": via["name"], "via_place": via["place"]}
    return out


def _returned_below(streets: list[dict]) -> list[dict]:
    """The communities whose version summed by these street reports (rows of a district's
    `children`) was returned since and not replaced: two queries."""
    if not streets:
        return []
    kept = dict(DailyReport.objects.filter(id__in=[c["report"] for c in streets]).values_list("id", "children"))
    pairs = [(c, k) for c in streets for k in (kept.get(c["report"]) or [])
             if k.get("included") and k.get("report") and k.get("place")]
    if not pairs:
        return []
    back = {x.id: x for x in DailyReport.objects.filter(id__in=[k["report"] for _c, k in pairs],
                                                        status=S.RETURNED)}
    return [_returned_entry(k, back[k["report"]], via=c) for c, k in pairs if k["report"] in back]


def summed_below(r) -> dict:
    """What the reports a roll-up sums leave out themselves, two or more levels below it (a
    district's report summing a street's report that is only a partial sum): {"missing": the
    places left out of a report summed here — {place, name, status (as that report kept it:
    missing, draft, returned), version, via (the name of the report's place that left it
    out), via_place} —, "counted", "total": the places of the lowest level counted and in
    all under the reports summed}. Their figures are in neither that report nor this one:
    the roll-up is a partial sum too (`present.partial`, `present.left_out`; walked
    2026-12-07: the district's report said 3972 residents, complete, over 迎泽街道's partial
    sum with 青年路社区 missing). Read from the very versions summed (`children[].report`),
    as `_returned_below` reads a returned grandchild. One query a level below the children
    (none for a street's report); kept on the report object while its children are."""
    kids = getattr(r, "children", None) or []
    kept = getattr(r, "_summed_below", None)
    if kept is not None and kept[0] is kids:
        return kept[1]
    out = {"missing": [], "counted": 0, "total": 0}
    kind = CHILD_KIND.get(getattr(r, "level", None))
    level = [c for c in kids if c.get("included") and c.get("report")] if kind in CHILD_KIND else []
    while level:
        stored = dict(DailyReport.objects.filter(id__in=[c["report"] for c in level]).values_list("id", "children"))
        below, out["counted"], out["total"] = [], 0, 0
        for c in level:
            for k in stored.get(c["report"]) or []:
                out["total"] += 1
                if k.get("included") and k.get("report"):
                    out["counted"] += 1
                    below.append(k)
                elif not k.get("included"):
                    out["missing"].append({"place": k.get("place"), "name": k.get("name", ""),
                                           "status": k.get("status") or "missing", "version": k.get("version"),
                                           "via": c.get("name", ""), "via_place": c.get("place")})
        kind = CHILD_KIND.get(kind)
        level = below if kind in CHILD_KIND else []
    try:
        r._summed_below = (kids, out)
    except AttributeError:  # an object that keeps nothing
        pass
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
