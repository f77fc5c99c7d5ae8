"""What the supplier will send for an order, against what was ordered (found on the gate
walk: the supplier's manifest cut a quantity 3→2, dropped an item, changed a price 68→72
and swapped 蔬菜包（8种） for 蔬菜包（6种）, and the household's page and the API kept the old
order and total). The one reading, for the household's page, the API (`schemas.order_out`)
and the message the manifest's import sends (`actions.manifest`):

- an order in a batch reads its batch's manifest lines (`Line`) — what the supplier sends —
  and each differs from the order's own line of the same name: `quantity` (数量 3→2),
  `price` (改价 68→72), both; an ordered line the manifest has not is `removed` (已删除); a
  listed line the order has not replaces a removed one (`replaced`, 换成 …) or, none left,
  is `added`; its total is the manifest's (Σ quantity × price of the listed lines);
- an order in no batch (or one whose batch lists nothing of it) reads its own lines and total.

What was ordered is as the batch first listed it (`handoff.manifest_lines`): the order's
lines, then its typed medicine (no price yet). `with_arriving` reads on to the door: those
lines as the gate checked them (a substitute by its name, what came of a short line).
Never writes."""

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _

from .batch_queries import order_note
from .models import Line, OrderLine

CENT = Decimal("0.01")


def ordered_rows(order, own: list) -> list[tuple]:
    """[(name, quantity, price)] as the order was placed (`own`: its lines' triples)."""
    _note, typed = order_note(order, [n for n, _q, _p in own])
    return list(own) + ([(typed, 1, Decimal(0))] if typed else [])


def compare(ordered: list[tuple], sent: list[tuple]) -> list[dict]:
    """Each line the supplier sends (and each ordered one it dropped), with what changed."""
    left = list(ordered)
    rows, extra = [], []
    for name, qty, price in sent:
        was = next((t for t in left if t[0] == name), None)
        if was is None:
            extra.append((name, qty, price))
            continue
        left.remove(was)
        change = [c for c, same in (("quantity", was[1] == qty), ("price", Decimal(was[2]) == Decimal(price)))
                  if not same]
        rows.append(_row(name, qty, price, change, was))
    for name, qty, price in extra:
        if left and (name, qty, price) not in [(r[0], r[1], r[2]) for r in left]:
            was = left.pop(0)
            rows.append(_row(name, qty, price, ["replaced"], was))
        elif not Decimal(price) and not left and not ordered:
            rows.append(_row(name, qty, price, [], None))  # an order's placeholder line (its note)
        else:
            rows.append(_row(name, qty, price, ["added"], None))
    rows += [_row(n, q, p, ["removed"], (n, q, p)) for n, q, p in left]
    return rows


def _row(name, qty, price, change, was) -> dict:
    return {"name": name, "quantity": qty, "price": Decimal(price).quantize(CENT), "change": change,
            "was_name": was[0] if was else "", "was_quantity": was[1] if was else None,
            "was_price": Decimal(was[2]).quantize(CENT) if was else None}


def change_words(row: dict) -> str:
    """"数量 3→2；改价 68.00→72.00", "已删除", "蔬菜包（8种）换成蔬菜包（6种）" in the active language."""
    words = []
    for c in row["change"]:
        if c == "quantity":
            words.append(_("quantity %(was)d → %(now)d") % {"was": row["was_quantity"], "now": row["quantity"]})
        elif c == "price":
            words.append(_("price %(was)s → %(now)s") % {"was": row["was_price"], "now": row["price"]})
        elif c == "removed":
            words.append(_("removed by the supplier"))
        elif c == "replaced":
            words.append(_("%(was)s replaced by %(now)s") % {"was": row["was_name"], "now": row["name"]})
        elif c == "added":
            words.append(_("added by the supplier"))
    return _("; ").join(words)


def total_of(rows: list[dict]) -> Decimal:
    return sum((r["price"] * r["quantity"] for r in rows if "removed" not in r["change"]),
               Decimal(0)).quantize(CENT)


def with_sent(orders: list) -> list:
    """Each order with `.sent` (its rows, as `compare`, each with `.words`), `.changed` (any
    line changed) and `.sent_total` (what it comes to as listed; its `total` in no batch).
    Two queries."""
    orders = list(orders)
    ids = [o.id for o in orders]
    own, listed = defaultdict(list), defaultdict(list)
    for oid, name, qty, price in OrderLine.objects.filter(order_id__in=ids).order_by("id").values_list(
            "order_id", "name", "quantity", "price"):
        own[oid].append((name, qty, price))
    for oid, bid, name, qty, price in Line.objects.filter(order_id__in=ids).order_by("id").values_list(
            "order_id", "batch_id", "name", "quantity", "price"):
        listed[(oid, bid)].append((name, qty, price))
    for o in orders:
        ordered = ordered_rows(o, own[o.id])
        sent = listed.get((o.id, o.batch_id)) if o.batch_id else None
        if sent:
            rows = compare(ordered, sent)
            o.sent_total = total_of(rows)
        else:
            rows = [_row(n, q, p, [], (n, q, p)) for n, q, p in ordered]
            o.sent_total = Decimal(o.total).quantize(CENT)
        typed = ordered[len(own[o.id]):]
        # a typed medicine or a placeholder listed as ordered: said by the order's medicine and note
        rows = [r for r in rows if r["change"] or (r["was_name"] and (r["name"], r["quantity"], 0) not in
                                                   [(n, q, Decimal(p)) for n, q, p in typed])]
        for r in rows:
            r["words"] = change_words(r)
        o.sent, o.changed = rows, any(r["change"] for r in rows)
    return orders


def with_arriving(orders: list) -> list:
    """Each order with `.arriving`: its lines as they will reach the door — "still to come"
    on the registry's household panel (found on the gate walk: the panel listed 蔬菜包 × 3 as
    ordered while the manifest sent 2 and the gate had it substituted). Its lines as the
    supplier sends them (`with_sent`: its changes in `words`; one the manifest removed is
    not coming), each then as the gate checked it: a substitution under the substitute's
    name (`price_pending` while its price is not known: 价格待定), a short line what came, a
    damaged one nothing (`queries.with_gate_notes` says why). One query more."""
    orders = list(orders)
    if any(not hasattr(o, "sent") for o in orders):
        with_sent(orders)
    checked = defaultdict(list)
    for ln in Line.objects.filter(order_id__in=[o.id for o in orders if o.batch_id]).exclude(
            outcome=Line.Check.PENDING).order_by("id"):
        checked[(ln.order_id, ln.batch_id)].append(ln)
    for o in orders:
        left = checked.get((o.id, o.batch_id), [])
        rows = []
        for r in o.sent:
            if "removed" in r["change"]:
                continue
            row = {"name": r["name"], "quantity": r["quantity"], "price": r["price"], "words": r["words"],
                   "price_pending": False}
            ln = next((x for x in left if x.name == r["name"] and x.quantity == r["quantity"]), None)
            if ln is not None:
                left.remove(ln)
                if ln.outcome == Line.Check.SUBSTITUTED:
                    row.update(name=ln.substitute or r["name"], price=ln.substitute_price,
                               price_pending=ln.price_pending)
                elif ln.outcome in (Line.Check.SHORT, Line.Check.DAMAGED):
                    row["quantity"] = ln.received or 0
            if row["quantity"]:
                rows.append(row)
        o.arriving = rows
    return orders
