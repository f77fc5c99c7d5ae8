"""Reads for a supplier's own login (never writes): its home (orders waiting for a batch,
its open hand-offs by checkpoint and time, line-check results, amounts owed) and a batch's
manifest in carrying order. Only the suppliers the login belongs to (`Supplier.users`);
another supplier's rows are never read here."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum

from fangkong.core.errors import NotFound

from . import access, redeliveries
from .batch_queries import waiting_figures, waiting_orders
from .delivery_queries import with_outcome
from .models import Batch, Item, Line, Order, OrderLine, Stop, Supplier
from .queries import AMOUNT, CENT, MANIFEST_ORDER, door_labels, doors, not_at_door

OPEN_BATCH = [Batch.State.EXPECTED, Batch.State.CHECKING, Batch.State.SIGNED, Batch.State.SPLIT]
PROBLEM_CHECKS = [Line.Check.SHORT, Line.Check.DAMAGED, Line.Check.SUBSTITUTED]


def own_suppliers(scope) -> list[Supplier]:
    return list(Supplier.objects.filter(id__in=access.supplier_ids(scope)).order_by("name"))


def supplier_home(scope, *, recent=10) -> list[dict]:
    """One dict per supplier of the login: `waiting` (placed orders not yet in a batch:
    counts and item totals, medicine first), `open` (batches not yet delivered, by due
    time), `recent` (the last delivered ones); each batch with its check figures, its
    problem lines and its amount owed (the one definition: `queries.AMOUNT`)."""
    out = []
    for s in own_suppliers(scope):
        waiting = waiting_orders(s).order_by()
        summary = waiting_figures(s)
        items = list(OrderLine.objects.filter(order__in=waiting).values("name")
                     .annotate(n=Sum("quantity")).order_by("-n", "name")[:50])
        medicines = list(waiting.filter(is_medicine=True).exclude(medicine="")
                         .order_by("deadline", "id").values_list("medicine", "deadline")[:50])
        open_ = list(Batch.objects.filter(supplier=s, state__in=OPEN_BATCH)
                     .select_related("checkpoint").order_by("due_at", "id")[:50])
        done = list(Batch.objects.filter(supplier=s, state=Batch.State.DONE)
                    .select_related("checkpoint").order_by("-due_at", "-id")[:recent])
        _figures(open_ + done)
        with_outcome(open_ + done)  # "配送结束，1 户未送达", not "已送达" (delivery_queries)
        for b in open_:  # every line checked, the supplier's side not signed: its turn
            b.to_sign = (b.state in (Batch.State.EXPECTED, Batch.State.CHECKING) and b.supplier_signed_at is None
                         and b.lines_n and not b.counts[Line.Check.PENDING])
        out.append({"supplier": s, "waiting": summary, "may_batch": scope.allows(access.RUN, s), "items": items, "medicines": medicines,
                    "open": open_, "recent": done,
                    # 补送: follow-ups still to bring, marked so (`redeliveries.waiting`)
                    "redeliveries": redeliveries.waiting(s)})
    return out


def _figures(batches: list[Batch]) -> None:
    """Each batch gets .counts {outcome: n}, .households, .owed (the doors reached),
    .not_delivered (what came back from doors refused or not delivered) and .problem_lines."""
    ids = [b.id for b in batches]
    counts = defaultdict(dict)
    for bid, outcome, n in Line.objects.filter(batch_id__in=ids).values_list("batch_id", "outcome") \
            .annotate(n=Count("id")).order_by():
        counts[bid][outcome] = n
    hh = dict(Line.objects.filter(batch_id__in=ids).values("batch_id")
              .annotate(n=Count("household_id", distinct=True)).order_by().values_list("batch_id", "n"))
    back = not_at_door(ids)  # the doors refused or not delivered owe nothing (queries.owed)
    owed, not_delivered = defaultdict(Decimal), defaultdict(Decimal)
    for bid, hid, a in (Line.objects.filter(batch_id__in=ids).exclude(outcome=Line.Check.PENDING)
                        .values("batch_id", "household_id").annotate(a=Sum(AMOUNT)).order_by()
                        .values_list("batch_id", "household_id", "a")):
        (not_delivered if (bid, hid) in back else owed)[bid] += Decimal(a or 0).quantize(CENT)
    problems = defaultdict(list)
    plines = list(Line.objects.filter(batch_id__in=ids, outcome__in=PROBLEM_CHECKS)
                  .select_related("household").order_by("batch_id", "id")[:500])
    labels = door_labels({ln.household_id: ln.household for ln in plines}.values())
    for ln in plines:
        ln.label = labels.get(ln.household_id, "")
        problems[ln.batch_id].append(ln)
    for b in batches:
        c = counts.get(b.id, {})
        b.counts = {k: c.get(k, 0) for k in Line.Check.values}
        b.lines_n = sum(c.values())
        b.households = hh.get(b.id, 0)
        b.owed = owed.get(b.id, Decimal(0)).quantize(CENT)
        b.not_delivered = not_delivered.get(b.id, Decimal(0)).quantize(CENT)
        b.problem_lines = problems.get(b.id, [])


def manifest(batch: Batch) -> list[dict]:
    """The batch's manifest by household in carrying order (building, unit, floor, door):
    [{household, label, order ids, redelivered ([(follow-up id, the order it makes good)]: 补送),
    lines, total (listed), owed (as checked, if its door was
    reached), not_delivered (as checked, a door refused or not delivered), reason, door
    ("delivered", "not_delivered", or "" while not confirmed) and door_words, the door's
    outcome in words ("未送达：拒收") — the page, its .xlsx and the API's lines alike}]."""
    lines = list(Line.objects.filter(batch=batch).select_related("household").order_by(*MANIFEST_ORDER))
    labels = door_labels({ln.household_id: ln.household for ln in lines}.values())
    back = not_at_door([batch.id])
    confirmed = doors([batch.id])
    # 补送: the follow-ups among its orders, each with the order it makes good ("补送 #15（原订单 #12）")
    again = dict(Order.objects.filter(batch=batch, redelivers__isnull=False).values_list("id", "redelivers_id"))
    # a medicine order's line with no price yet (its typed medicine): "价格待药房填写", never ¥0.00
    medicine = set(Order.objects.filter(batch=batch, is_medicine=True).values_list("id", flat=True))
    out, by_hh = [], {}
    for ln in lines:
        row = by_hh.get(ln.household_id)
        if row is None:
            row = by_hh[ln.household_id] = {"household": ln.household, "label": labels.get(ln.household_id, ""),
                                            "orders": [], "lines": [], "total": Decimal("0"),
                                            "owed": Decimal("0"), "not_delivered": Decimal("0"),
                                            "reason": back.get((batch.id, ln.household_id)), "redelivered": [],
                                            **door_outcome(confirmed.get((batch.id, ln.household_id)))}
            out.append(row)
        if ln.order_id not in row["orders"]:
            row["orders"].append(ln.order_id)
            if ln.order_id in again:
                row["redelivered"].append((ln.order_id, again[ln.order_id]))
        ln.amount = (ln.price * ln.quantity).quantize(CENT)
        ln.medicine_unpriced = not ln.price and ln.order_id in medicine
        row["lines"].append(ln)
        row["total"] += ln.amount
        if ln.outcome != Line.Check.PENDING:
            row["not_delivered" if (batch.id, ln.household_id) in back else "owed"] += \
                ((ln.charged_price or Decimal(0)) * (ln.received or 0)).quantize(CENT)  # a substitute's price; 价格待定: 0
    return out


def door_outcome(found) -> dict:
    """A door's outcome (`queries.doors`' value, None while not confirmed) as the manifest
    says it: {"door": "delivered" / "not_delivered" / "", "door_words": "已送达" / "未送达：拒收"}."""
    from django.utils.translation import pgettext

    if found is None:
        return {"door": "", "door_words": ""}
    delivered, reason = found
    if delivered:
        return {"door": "delivered", "door_words": str(Stop.State.DELIVERED.label)}
    words = str(Stop.State.FAILED.label)
    if reason:
        words += pgettext("a label and what it says", ": ") + reason
    return {"door": "not_delivered", "door_words": words}


# --- catalogues (the catalogue page: the supplier's own logins and staff over it) -----

def managed_supplier(scope, pk) -> Supplier:
    """A supplier whose catalogue the user may change (its own login, staff over it);
    NotFound for anyone who does not see it, Forbidden for one who only reads it."""
    s = Supplier.objects.filter(pk=pk).first()
    if s is None:
        raise NotFound()
    access.require_supplier(scope, s, manage=True)
    return s


def catalogue_item(scope, pk) -> Item:
    """One line of a managed catalogue, on sale or taken off sale."""
    item = Item.objects.filter(pk=pk).select_related("supplier").first()
    if item is None:
        raise NotFound()
    access.require_supplier(scope, item.supplier, manage=True)
    return item


def catalogue(supplier: Supplier) -> dict:
    """The whole catalogue: on sale (packages, items, medicines) then off sale."""
    items = list(Item.objects.filter(supplier=supplier).order_by("-is_active", "kind", "name", "id")[:1000])
    return {"on_sale": [i for i in items if i.is_active], "off_sale": [i for i in items if not i.is_active]}


def manifest_amounts(rows: list[dict]) -> dict:
    """What the manifest page prints above its lines, from `manifest`'s rows (the page and
    the batch's API alike): listed (清单金额), owed as checked (核对后应付), not delivered or
    refused (未送达/拒收, not owed), and the substituted lines whose price is not known (价格待定)."""
    return {"manifest_amount": sum((r["total"] for r in rows), Decimal(0)).quantize(CENT),
            "owed_amount": sum((r["owed"] for r in rows), Decimal(0)).quantize(CENT),
            "undelivered_amount": sum((r["not_delivered"] for r in rows), Decimal(0)).quantize(CENT),
            "price_pending": sum(1 for r in rows for ln in r["lines"] if ln.price_pending)}
