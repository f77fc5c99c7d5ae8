"""补送: what a door did not get is ordered again (found on a lockdown day: staff closed the
gate's exception "大米：破损" with "明天随下一批补送", the family's report read as answered, and
nothing was ever ordered — the household never got its rice).

`redeliver` — the one action of the place page's "补送", the request page's and the API's —
takes a gate's exception (`Problem`: a line short or damaged, a door not delivered) or the
family's report (物资问题, `order_problem.report`) and makes a follow-up order for the same
household and supplier with what is missing (`Order.redelivers`, the original;
`redelivery_problem` / `redelivery_request`, what asked for it). It goes into the supplier's
next batch still expected at the gate (else it waits for the next one made, as any placed
order: `batch_queries.waiting_orders`), so it passes the same checkpoint check, hand-off and
door delivery as any order; the supplier is told, marked 补送 (`order_news.redelivery`).

Never charged twice. What the original was not charged for (a line short or damaged at the
gate: only what came is owed; a door not delivered: nothing) comes at its listed price and is
owed once, when it comes; what the original was charged for (the gate received it and the
door was delivered, but the family says it was damaged, wrong or missing) comes at ¥0.

An exception asks for one follow-up per order it concerns, a report for one: a retry, a double
tap or a second worker answers those already made (the problem or request row locked, and the
unique constraints `svc_redeliver_problem_once` / `svc_redeliver_request_once`). The exception
is resolved (`delivery.resolve_problem`, which answers the family's reports of it) and a report
without an open exception is done, each with the resolution's words; the original order and
the report then read "补送中" → "已补送" from the follow-up's state (`redeliveries`)."""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict
from fangkong.core.text import join_words

from .. import access, checks
from ..models import Line, Order, OrderLine, Problem, Request
from ..redeliveries import next_batch, problem_rows, redeliveries_of, report_rows
from ..report_queries import gate_problems
from . import order_news

REDELIVERABLE = (Problem.Kind.SHORT, Problem.Kind.DAMAGED, Problem.Kind.NOT_DELIVERED)


def redeliver(actor, target, *, resolution="", quantity=None) -> list[Order]:
    """补送 for `target`: a gate's exception (`Problem`) or the family's report (a 物资问题
    `Request` about an order). Staff and grid workers over it (RUN). `resolution`: what the
    household reads (default: what is re-delivered, and when); `quantity`: for a report on one
    line, how many to send again (default: the whole line). Returns the follow-up orders —
    those already made when asked again."""
    if isinstance(target, Problem):
        access.require(actor, access.RUN, target)
        return _for_problem(actor, target, resolution)
    if isinstance(target, Request):
        access.require_request(actor, target, manage=True)
        return _for_report(actor, target, resolution, quantity)
    raise TypeError(target)


def _for_problem(actor, problem: Problem, resolution: str) -> list[Order]:
    made = list(Order.objects.filter(redelivery_problem=problem).order_by("id"))
    if made:
        return made  # a retry
    typed = checks.text(resolution, "resolution", max_length=300, required=False)
    try:
        with transaction.atomic():
            locked = Problem.objects.select_for_update().get(pk=problem.pk)
            made = list(Order.objects.filter(redelivery_problem=locked).order_by("id"))
            if made:
                return made  # the first tap made them while this one waited
            if locked.resolved_at is not None:
                raise Conflict(_("This exception was already closed: %(how)s") % {"how": locked.resolution},
                               code="resolved")
            if locked.kind not in REDELIVERABLE:
                raise Conflict(_("A substitute came for it: there is nothing to re-deliver."),
                               code="not_redeliverable")
            wanted = problem_rows(locked)
            if not wanted:
                raise Conflict(_("Nothing of it came through the checkpoint to send again: close it instead."),
                               code="not_redeliverable")
            made = [_follow_up(actor, order, rows, problem=locked) for order, rows in wanted]
            from .delivery import resolve_problem

            resolve_problem(actor, locked, resolution=typed or _words(made), redelivery=[o.id for o in made])
    except IntegrityError:  # another worker's follow-up for the same exception came first
        made = list(Order.objects.filter(redelivery_problem=problem).order_by("id"))
        if not made:
            raise
    return made


def _for_report(actor, req: Request, resolution: str, quantity) -> list[Order]:
    if req.order_id is None:
        raise Conflict(_("Only a report of a problem with an order can be answered with a re-delivery."),
                       code="not_redeliverable")
    made = list(redeliveries_of(req))
    if made:
        return made  # a retry
    if req.state not in Request.OPEN:
        raise Conflict(_("This report was already answered."), code="answered")
    open_problems = [p for p in gate_problems(req, open_only=True).order_by("id") if p.kind in REDELIVERABLE]
    if open_problems:  # the gate's exceptions say what is missing: each re-delivered, answering the report
        for p in open_problems:
            access.require(actor, access.RUN, p)
        with transaction.atomic():
            return [o for p in open_problems for o in _for_problem(actor, p, resolution)]
    order = req.order
    if order.state != Order.State.DELIVERED:
        raise Conflict(_("This order has not been delivered to the door: settle the checkpoint's exception "
                       "first."), code="not_redeliverable")
    rows = report_rows(req, quantity)
    if not rows:
        raise Conflict(_("Nothing of this order came through the checkpoint to send again."),
                       code="not_redeliverable")
    typed = checks.text(resolution, "resolution", max_length=300, required=False)
    from .requests import finish

    try:
        with transaction.atomic():
            locked = Request.objects.select_for_update().get(pk=req.pk)
            made = list(Order.objects.filter(redelivery_request=locked))
            if made:
                return made
            if locked.state not in Request.OPEN:
                raise Conflict(_("This report was already answered."), code="answered")
            follow = _follow_up(actor, order, rows, request=locked)
            finish(actor, locked, typed or _words([follow]), audit={"redelivery": follow.id})
    except IntegrityError:
        made = list(Order.objects.filter(redelivery_request=req))
        if not made:
            raise
        return made
    return [follow]


def _follow_up(actor, original: Order, rows: list, *, problem=None, request=None) -> Order:
    """The follow-up order of `original` for `rows` [(name, quantity, price)], in the supplier's
    next batch still expected at the gate when there is one (its manifest lines added, as
    `handoff.create_batch` makes them), else waiting for the next one; audited, and the
    supplier (or, with no login, the staff) told."""
    from .handoff import manifest_lines

    items = {ol.name: ol.item_id for ol in original.lines.all()}
    lines, typed = [], ""
    for name, qty, price in rows:
        if len(name) <= OrderLine._meta.get_field("name").max_length:
            lines.append(OrderLine(item_id=items.get(name), name=name, quantity=qty, price=price))
        else:  # a typed medicine too long for a line: the order's medicine, as it was typed
            typed = name
    total = sum((ln.price * ln.quantity for ln in lines), Decimal("0"))
    user = actor.user if actor.user is not None and getattr(actor.user, "is_authenticated", False) else None
    follow = Order(household=original.household, supplier=original.supplier, is_medicine=original.is_medicine,
                   medicine=typed, note=original.note, total=total, placed_by=user, redelivers=original,
                   redelivery_problem=problem, redelivery_request=request)
    follow.copy_levels(original.household)
    follow.save()
    for ln in lines:
        ln.order = follow
    OrderLine.objects.bulk_create(lines)
    batch = next_batch(original, lock=True)
    if batch is not None:
        Line.objects.bulk_create(manifest_lines(batch, {follow.id: follow.household_id}))
        Order.objects.filter(pk=follow.pk).update(state=Order.State.IN_BATCH, batch=batch)
        follow.state, follow.batch = Order.State.IN_BATCH, batch
    record(actor, "services.order.redeliver", original.household,
           {"order": follow.id, "redelivers": original.id, "total": str(total),
            **({"problem": problem.id} if problem is not None else {}),
            **({"request": request.id} if request is not None else {}),
            **({"batch": batch.id} if follow.batch_id else {})})
    order_news.redelivery(actor, follow)
    return follow


def _words(made: list[Order]) -> str:
    """The resolution when staff typed none, kept as staff would type it (the site's
    language): "补送：大米 5kg × 1（补送单 #15），随下一批送达"."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = []
        for o in made:
            what = join_words([f"{ln.name} × {ln.quantity}" for ln in o.lines.all()] + (
                [o.medicine] if o.medicine else []))
            parts.append(_("%(what)s (re-delivery order #%(id)d)") % {"what": what, "id": o.id})
        return (_("Re-delivery with the next batch: %(what)s") % {"what": join_words(parts)})[:300]

