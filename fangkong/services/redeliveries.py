"""Reads of 补送 (`actions.redelivery`, never writes): the follow-up orders an order, an
exception or a family's report asked for, and where each stands in words — "补送中" while it
comes, "已补送" once its door is delivered (`status`, the one wording: the household's page,
the request page, the place page and the API's `redeliveries`); the supplier's waiting
follow-ups, marked 补送 on its page."""

from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from fangkong.core.text import join_words

from . import checks
from .models import Batch, Line, Order, Problem, Request
from .report_queries import gate_problems

STATES = ("redelivering", "redelivered", "problem", "cancelled")
Check = Line.Check


def status(follow: Order) -> tuple[str, str]:
    """(code, words) of a follow-up: redelivering (补送中: waiting for or in a batch, on its
    way), redelivered (已补送: its door delivered), problem (its own delivery went wrong: the
    staff are on it), cancelled."""
    s = follow.state
    if s == Order.State.DELIVERED:
        return "redelivered", _("Re-delivered")
    if s == Order.State.PROBLEM:
        return "problem", _("Re-delivery not delivered: the community staff are dealing with it")
    if s == Order.State.CANCELLED:
        return "cancelled", _("Re-delivery cancelled")
    return "redelivering", _("Being re-delivered")


def described(follow: Order) -> Order:
    """The follow-up with `.status`, `.status_text` and `.what` ("大米 5kg × 1")."""
    follow.status, follow.status_text = status(follow)
    follow.what = join_words([f"{ln.name} × {ln.quantity}" for ln in follow.lines.all()]
                             + ([follow.medicine] if follow.medicine else []))
    return follow


def redeliveries_of(req: Request):
    """The follow-ups answering a family's report: made for it (no open exception then), or
    for the gate's exceptions of its door and line (`report_queries.gate_problems`) of its order."""
    if req.order_id is None:
        return Order.objects.none()
    return Order.objects.filter(Q(redelivery_request=req) | Q(
        redelivers_id=req.order_id, redelivery_problem__in=gate_problems(req).values("id"))).order_by("id")


def open_problems(req: Request):
    """The gate's exceptions still open that a family's report is about."""
    return gate_problems(req, open_only=True).order_by("id") if req.order_id else Problem.objects.none()


def with_redeliveries(orders: list) -> list:
    """Each order with `.follow_ups`: its follow-ups (补送), described. One query."""
    by_id = {o.id: o for o in orders}
    for o in orders:
        o.follow_ups = []
    if by_id:
        for f in Order.objects.filter(redelivers_id__in=list(by_id)).prefetch_related("lines").order_by("id"):
            by_id[f.redelivers_id].follow_ups.append(described(f))
    return orders


def for_requests(reqs: list) -> list:
    """Each report (物资问题 about an order) with `.follow_ups`, described."""
    for r in reqs:
        r.follow_ups = [described(f) for f in redeliveries_of(r).prefetch_related("lines")] if r.order_id else []
    return reqs


def for_problems(problems: list) -> list:
    """Each exception with `.follow_ups`: the orders 补送 made for it (ids and state)."""
    by_id = {p.id: p for p in problems}
    for p in problems:
        p.follow_ups = []
    if by_id:
        for f in Order.objects.filter(redelivery_problem_id__in=list(by_id)).prefetch_related("lines").order_by("id"):
            by_id[f.redelivery_problem_id].follow_ups.append(described(f))
    return problems


def may_redeliver(problem: Problem) -> bool:
    """Does "补送" make sense for this open exception (a line short or damaged, a door not
    delivered)? A substitute came: nothing is missing."""
    return problem.resolved_at is None and problem.kind != Problem.Kind.SUBSTITUTED


def waiting(supplier) -> list[Order]:
    """The supplier's follow-ups not yet delivered (waiting for a batch or in one), each with
    `.what` and `.label` (its door): the supplier's page lists them marked 补送."""
    from .queries import door_labels

    rows = list(Order.objects.filter(supplier=supplier, redelivers__isnull=False,
                                     state__in=(Order.State.PLACED, Order.State.IN_BATCH, Order.State.OUT))
                .select_related("household", "household__place", "batch__checkpoint").prefetch_related("lines")
                .order_by("placed_at", "id")[:100])
    labels = door_labels({o.household_id: o.household for o in rows}.values())
    for o in rows:
        described(o)
        o.label = labels.get(o.household_id, "")
    return rows


def problem_rows(problem: Problem) -> list[tuple[Order, list]]:
    """[(original order, [(name, quantity, price)])] an exception asks to send again: a line
    short, what did not come; damaged, all of it — at its listed price (the original was not
    charged for them); a door not delivered, what came through the gate for each of its orders
    still at a problem, as listed (nothing of it was charged: `queries.not_at_door`) — the
    lines short or damaged there have their own exceptions."""
    if problem.line_id is not None:
        ln = problem.line
        missing = ln.quantity - (ln.received or 0)
        return [(ln.order, [(ln.name, missing, ln.price)])] if missing > 0 else []
    out = []
    stuck = Order.objects.filter(batch_id=problem.batch_id, household_id=problem.household_id,
                                 state=Order.State.PROBLEM).order_by("id")
    for order in stuck:
        rows = [(ln.name, ln.quantity if ln.outcome == Check.SUBSTITUTED else ln.received, ln.price)
                for ln in Line.objects.filter(order=order, batch_id=problem.batch_id, received__gt=0).order_by("id")]
        if rows:
            out.append((order, rows))
    return out


def report_rows(req: Request, quantity=None) -> list:
    """What a report with no open exception asks to send again: its line (or every line of
    its order in its batch), at ¥0 for what the original was charged for (what came through
    the gate to a door delivered), at its price for what it was not (nothing came of it).
    `quantity` (a report on one line): how many, at most the line's."""
    lines = [req.order_line] if req.order_line_id else list(
        Line.objects.filter(order_id=req.order_id, batch_id=req.order.batch_id).order_by("id"))
    rows = []
    for ln in lines:
        charged = (ln.received or 0) > 0
        most = ln.received if charged else ln.quantity
        n = most
        if quantity not in (None, "") and req.order_line_id:
            n = checks.quantity(quantity, "quantity", low=1, high=most)
        rows.append((ln.name, n, Decimal("0") if charged else ln.price))  # as ordered, not a substitute
    return rows


def next_batch(original: Order, *, lock=False) -> Batch | None:
    """The supplier's next batch still expected at the gate (not yet being checked), the
    earliest due: a follow-up of `original` joins it; None, it waits for the next one made.
    `lock`: the batch row locked, for the action (a check beginning waits for it)."""
    qs = Batch.objects.select_for_update() if lock else Batch.objects.all()
    return (qs.filter(supplier_id=original.supplier_id, community_id=original.community_id,
                      state=Batch.State.EXPECTED).select_related("checkpoint").order_by("due_at", "id").first())


# an order whose goods have not reached the door, and may still: not delivered, not cancelled
NOT_COME = (Order.State.PLACED, Order.State.IN_BATCH, Order.State.OUT, Order.State.PROBLEM)


def goods_of(reqs: list) -> dict[int, Order]:
    """For each family's report (物资问题 about an order) among `reqs`, the order whose goods
    answer it: its latest follow-up (补送, `redeliveries_of`'s rule) not cancelled, else the
    order itself. {request id: order}. Two queries."""
    reports = [r for r in reqs if r.order_id]
    if not reports:
        return {}
    orders = {o.id: o for o in Order.objects.filter(id__in={r.order_id for r in reports})}
    follows = list(Order.objects.filter(Q(redelivery_request_id__in=[r.id for r in reports]) | Q(
        redelivers_id__in=list(orders), redelivery_problem__isnull=False)).exclude(state=Order.State.CANCELLED)
        .select_related("redelivery_problem").order_by("id"))
    out = {}
    for r in reports:
        mine = [f for f in follows if f.redelivery_request_id == r.id or (
            f.redelivers_id == r.order_id and f.redelivery_problem.household_id == r.household_id
            and (not r.order_line_id or f.redelivery_problem.line_id in (None, r.order_line_id)))]
        goods = mine[-1] if mine else orders.get(r.order_id)
        if goods is not None:
            out[r.id] = goods
    return out


def with_awaits_goods(reqs: list) -> list:
    """Each request with `.awaits_goods` (`awaits_goods`' rule, for a list at once)."""
    goods = goods_of([r for r in reqs if r.state == Request.State.DONE])
    for r in reqs:
        g = goods.get(r.id)
        r.awaits_goods = r.state == Request.State.DONE and g is not None and g.state in NOT_COME
    return reqs


def awaits_goods(req: Request) -> bool:
    """The one rule of a report answered on a promise (found walking a family's day: a grid
    worker marked "这单有问题" done with "明早9点前送到" and the family was asked to confirm it
    resolved while its order still read 已晚点): a family's report on an order, marked done,
    whose goods (`goods_of`: its follow-up, else its order) have neither reached the door nor
    been cancelled. Until they have, the family reads the answer ("社区答复：明早9点前送到")
    beside the order as it stands and is not asked to confirm (`requests.confirm` refuses it:
    409; the request page and the API's `awaits_goods`); it may still say it is not resolved.
    The goods delivered, the family is asked (`requests.goods_came`); resolved otherwise, the
    staff cancel the order (not charged) or resolve the gate's exception as not delivered,
    and it is asked at once."""
    if req.state != Request.State.DONE or not req.order_id:
        return False
    return with_awaits_goods([req])[0].awaits_goods
