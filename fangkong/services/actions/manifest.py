"""A supplier's manifest file for a hand-off batch (the supplier's own login, or staff):
its rows replace the batch's manifest lines, all or nothing — every wrong row is named in
one answer and nothing is written. Allowed while the batch is expected (no line checked
yet). Each row names one of the supplier's orders: one already in this batch, or one still
waiting for a batch (it joins the batch); an order of the batch the file leaves out goes
back to waiting for the next delivery. Importing the same file again changes nothing. The
households whose order the file changed or left out are told, with their grid workers
(`manifest_news`); the orders it left out are named in its answer (`released_orders`) and
kept in its audit event, which the batch page reads back (`batch_queries.left_out`)."""

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, FileRejected, Invalid

from .. import access, checks
from ..batch_queries import order_note
from ..manifest import CENT, cell_text, money_of, read_rows
from ..models import Batch, Item, Line, Order, OrderLine
from . import manifest_news

MAX_ERRORS = 200
NAME_MAX = 200  # an item's name or an order's typed medicine, as `Line.name` and the order take it


def import_manifest(actor, batch: Batch, upload) -> dict:
    access.require_manifest(actor, batch)
    _still_open(batch)
    rows = read_rows(upload)
    if not rows:
        raise FileRejected(_("The manifest file has no lines below its header."))
    lines, errors = _check_rows(batch, rows)
    if errors:
        raise FileRejected(ngettext("%(n)d row of the manifest is not right; nothing was imported.",
                                    "%(n)d rows of the manifest are not right; nothing was imported.", len(errors))
                           % {"n": len(errors)}, rows=errors[:MAX_ERRORS])
    orders = {ln.order_id for ln in lines}
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        _still_open(locked)
        before = defaultdict(list)  # what the batch listed of each order: a change is told (`manifest_news`)
        for oid, name, qty, price in Line.objects.filter(batch=batch).order_by("id").values_list(
                "order_id", "name", "quantity", "price"):
            before[oid].append((name, qty, price))
        Line.objects.filter(batch=batch).delete()
        out = list(Order.objects.filter(batch=batch).exclude(id__in=orders).order_by("id")
                   .values_list("id", flat=True))
        released = Order.objects.filter(id__in=out).update(batch=None, state=Order.State.PLACED)
        Order.objects.filter(id__in=orders).update(batch=batch, state=Order.State.IN_BATCH)
        Line.objects.bulk_create(lines, batch_size=500)
        households = len({ln.household_id for ln in lines})
        event = record(actor, "services.manifest.import", batch,
                       {"lines": len(lines), "orders": len(orders), "released": released,
                        "released_orders": out[:500], "file": str(getattr(upload, "name", ""))[:100]},
                       levels_from=batch)
        listed = defaultdict(list)
        for ln in lines:
            listed[ln.order_id].append((ln.name, ln.quantity, ln.price))
        manifest_news.tell(actor, batch, listed, before, out, getattr(event, "id", None))
    return {"lines": len(lines), "households": households, "orders": len(orders), "released": released,
            "released_orders": out}


def _still_open(batch):
    if batch.state != Batch.State.EXPECTED or Line.objects.filter(batch=batch).exclude(
            outcome=Line.Check.PENDING).exists():
        raise Conflict(_("The check at the checkpoint has begun: the manifest can no longer be replaced."))


def _check_rows(batch, rows):
    """Manifest lines for the rows, and the row errors ({"row", "column", "message"}).

    Each line as the file says it — its item (an order's typed medicine too, up to 200
    characters as the order takes it), quantity and price — carrying its order's note
    (`batch_queries.order_note`: the household's words are the order's, the file's column is
    not read). The price: 单价 as written (¥, 元, thousands commas); left empty (or 0) with a
    金额, the amount over the quantity (a price written, the amount is not read: a supplier
    fills in the price and leaves the exported amount); left empty, the order's own line's,
    else the batch's line's of the same order and item (a typed medicine: as an earlier file
    priced it; its listed 0 is "no price yet", never a price), else the catalogue's; else the
    row is an error."""
    ids = {int(t) for r in rows if (t := cell_text(r.get("order"))).isdigit()}
    orders = {o.id: o for o in Order.objects.filter(
        id__in=ids, supplier_id=batch.supplier_id, community_id=batch.community_id).exclude(
        state=Order.State.CANCELLED).only("id", "household_id", "batch_id", "state", "note", "medicine")}
    ordered, names = {}, {}  # (order id, name) → price of the order's own line; order id → its items
    for oid, name, price in OrderLine.objects.filter(order_id__in=orders).values_list("order_id", "name", "price"):
        ordered.setdefault((oid, name), price)
        names.setdefault(oid, []).append(name)
    listed = {}  # (order id, name) → price of the batch's line now (a typed medicine's, an earlier file's)
    for oid, name, price in Line.objects.filter(batch=batch).values_list("order_id", "name", "price"):
        if price:  # a 0 is "no price yet" (`handoff.manifest_lines`: typed medicines, placeholders)
            listed.setdefault((oid, name), price)
    catalogue = dict(Item.objects.filter(supplier_id=batch.supplier_id, is_active=True)
                     .values_list("name", "price"))
    notes = {oid: order_note(o, names.get(oid, []))[0] for oid, o in orders.items()}
    lines, errors = [], []

    def bad(row, column, message):
        errors.append({"row": row, "column": column, "message": _("Row %(row)d: %(message)s")
                       % {"row": row, "message": message}})

    for r in rows:
        n = r["_row"]
        text = cell_text(r.get("order"))
        o = orders.get(int(text)) if text.isdigit() else None
        if o is None or not (o.batch_id == batch.id or (o.batch_id is None and o.state == Order.State.PLACED)):
            bad(n, "订单号", _("order %(order)s is not one of this supplier's orders waiting for this "
                            "delivery.") % {"order": text or "—"})
            continue
        hh = cell_text(r.get("household"))
        if hh and hh != str(o.household_id):
            bad(n, "户号", _("order %(order)s is for household %(real)s, not %(given)s.")
                % {"order": o.id, "real": o.household_id, "given": hh})
            continue
        name = cell_text(r.get("name"))
        if not name or len(name) > NAME_MAX:
            bad(n, "商品", _("write the item's name (at most 200 characters)."))
            continue
        try:
            qty = checks.quantity(cell_text(r.get("quantity")))
        except Invalid:
            bad(n, "数量", _("enter a quantity from 1 to 999."))
            continue
        try:
            price = money_of(r.get("price"))
        except ValueError:
            bad(n, "单价", _("enter a price such as 25.50."))
            continue
        try:
            amount = money_of(r.get("amount"))
        except ValueError:
            amount = None if price else False  # a formula or a word: read only when there is no price
        if amount is False:
            bad(n, "金额", _("enter an amount such as 25.50."))
            continue
        if not price and amount:  # the supplier wrote what the line costs, not each one's price
            price = (amount / qty).quantize(CENT)
            if price * qty != amount:
                bad(n, "金额", _("%(amount)s does not divide by the quantity %(n)d: enter the price.")
                    % {"amount": amount, "n": qty})
                continue
        if price is None:
            price = ordered.get((o.id, name), listed.get((o.id, name), catalogue.get(name)))
        if price is None:
            bad(n, "单价", _("“%(name)s” is not in the catalogue: enter its price.") % {"name": name})
            continue
        lines.append(Line(batch=batch, order_id=o.id, household_id=o.household_id, name=name,
                          quantity=qty, price=Decimal(price), order_note=notes[o.id]))
    return lines, errors
