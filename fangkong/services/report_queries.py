"""Reads for "这单有问题" (`actions.order_problem`) and for a sealed place's supplies: each
order with the lines a family may name and the reports already made on it; each exception
with the family's reports it answers; the sealed households with no order coming (read
through the registry's zone hook, `registry.queries.zone_q`, as the registry's lists do)."""

import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from fangkong.registry.models import Household, Place
from fangkong.registry.queries import zone_q

from . import access
from .models import Line, Order, Problem, Request

COMING = (Order.State.PLACED, Order.State.IN_BATCH, Order.State.OUT)
# an order delivered, or on its way (in a batch, out to the door, stuck at a problem)
REPORTABLE = (Order.State.IN_BATCH, Order.State.OUT, Order.State.DELIVERED, Order.State.PROBLEM)


def reportable(order: Order) -> bool:
    """The family may say "这单有问题" (`actions.order_problem.report`)."""
    return order.state in REPORTABLE and order.batch_id is not None


def gate_problems(req: Request, open_only=False):
    """The gate's (or the door's) exceptions a report is about: of its order's batch and
    household, of its line (a report on the whole order: any of them; an exception of no
    line — a door not delivered — goes with any report)."""
    if req.order_id is None or req.order.batch_id is None:
        return Problem.objects.none()
    qs = Problem.objects.filter(batch_id=req.order.batch_id, household_id=req.household_id)
    if req.order_line_id:
        qs = qs.filter(Q(line_id=req.order_line_id) | Q(line=None))
    if open_only:
        qs = qs.filter(resolved_at=None)
    return qs


def reports_of(problem: Problem, *, open_only=True):
    """The family's reports an exception answers (the converse of `gate_problems`)."""
    qs = Request.objects.filter(order__batch_id=problem.batch_id, household_id=problem.household_id)
    if problem.line_id:
        qs = qs.filter(Q(order_line_id=problem.line_id) | Q(order_line=None))
    if open_only:
        qs = qs.filter(state__in=Request.OPEN)
    return qs



def with_reports(orders: list) -> list:
    """Each order with `.reportable` (the family may say "这单有问题"), `.report_lines` (its
    manifest lines, as the gate checked them) and `.reports` (the requests made on it, latest
    first). Two queries."""
    by_id = {o.id: o for o in orders}
    for o in orders:
        o.reportable, o.report_lines, o.reports = reportable(o), [], []
    if not by_id:
        return orders
    for ln in Line.objects.filter(order_id__in=list(by_id)).order_by("id"):
        by_id[ln.order_id].report_lines.append(ln)
    for r in Request.objects.filter(order_id__in=list(by_id)).select_related("category").order_by("-raised_at", "-id"):
        by_id[r.order_id].reports.append(r)
    return orders


def problem_reports(problems: list) -> list:
    """Each exception with `.reports`: the family's open or done reports of its door and
    line (`order_problem.reports_of`'s rule), in one query."""
    for p in problems:
        p.reports = []
    if not problems:
        return problems
    rows = Request.objects.filter(order__batch_id__in={p.batch_id for p in problems},
                                  household_id__in={p.household_id for p in problems}) \
        .exclude(state=Request.State.CANCELLED).select_related("order", "category").order_by("raised_at", "id")
    for r in rows:
        for p in problems:
            if (p.batch_id, p.household_id) == (r.order.batch_id, r.household_id) and (
                    not p.line_id or r.order_line_id in (None, p.line_id)):
                p.reports.append(r)
    return problems


def sealed_without_orders(scope, place: Place, *, now=None, limit=100) -> dict:
    """The households under `place` sealed in now (封控区, through the registry's zone hook
    `zone_q`, as the registry's lists read it) with no order coming — placed or on its way —
    and none delivered since yesterday's start: those with someone watched over first (独居老人,
    卧床…: `marks` weight), then in address order. {"sealed": how many sealed households the
    user sees there, "n": how many have nothing coming, "rows": up to `limit` of them, each
    with `.weight`, `.door_label`, `.tags` (its people's tags in words)}. Staff arrange their
    supplies (found on a lockdown day: 4号楼 sealed at 18:43, 28 households, many elderly
    living alone, and its services page said only "还没有到货批次")."""
    from fangkong.registry.models import Resident
    from fangkong.registry.queries import place_order

    from .marks import household_weight
    from .queries import door_labels

    empty = {"sealed": 0, "n": 0, "rows": []}
    if place.kind not in ("district", "street", "community", "compound", "building", "unit"):
        return empty
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) - datetime.timedelta(days=1)
    sealed = Household.objects.filter(access.levels_q(scope, access.VIEW), **{f"{place.kind}_id": place.id}) \
        .filter(zone_q("sealed", "id"))
    total = sealed.count()
    if not total:
        return empty
    coming = Order.objects.filter(household_id=OuterRef("pk")).filter(
        Q(state__in=COMING) | Q(state=Order.State.DELIVERED, placed_at__gte=start))
    without = sealed.filter(~Exists(coming)).annotate(weight=household_weight("pk"))
    n = without.count()
    rows = list(without.order_by("-weight", *place_order(), "sort_key", "id")[:limit]) if limit else []
    labels = door_labels(rows)
    tags = {}
    for r in Resident.objects.filter(household_id__in=[h.id for h in rows]).exclude(tags="").order_by("id"):
        for t in r.tag_labels():
            if t not in tags.setdefault(r.household_id, []):
                tags[r.household_id].append(t)
    for h in rows:
        h.door_label, h.tags = labels.get(h.id, ""), tags.get(h.id, [])
    return {"sealed": total, "n": n, "rows": rows}
