"""A medicine order as those who fill and carry it read it (found walking a sealed building's
vulnerable people at 2 a.m.: the prescription photo was stored and shown to nobody, the
volunteer read "降压药断了" with no drug, pharmacy or payer, and the typed medicine read ¥0.00).

- `get_prescription`: the photo's order, for `access.prescriptions_seen` (the pharmacy, staff
  and grid workers over the household, the household's own login, the volunteer delivering
  it), NotFound for everyone else; each opening is audited (`shown`).
- `with_medicine`: orders each with `.prescription_url` (only for a reader who may open it),
  `.payer_text` and `.medicine_unpriced` — the household's card, the batch page, the
  manifest, the request page and the run page read these.
Nothing here writes but the audit of a read."""

from collections import defaultdict

from django.urls import reverse

from fangkong.audit.actions import record
from fangkong.core.errors import NotFound

from . import access
from .batch_queries import order_note
from .models import Line, Order, OrderLine, Payer

READ = "services.order.prescription"


def get_prescription(scope, pk) -> Order:
    """The order whose prescription photo the user may open; NotFound otherwise (no photo,
    another community, a role with no need of it)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    o = Order.objects.filter(pk=pk).exclude(prescription="").first() if 1 <= pk <= 2 ** 62 else None
    if o is None:
        raise NotFound()
    access.require_prescription(scope, o)
    return o


def shown(actor, order: Order) -> None:
    """One audit event for each opening of a prescription photo (medical data)."""
    record(actor, READ, order.household, {"order": order.id}, levels_from=order)


def payer_text(order) -> str:
    return str(Payer(order.payer).label) if order.payer in Payer.values else ""


def url(order) -> str:
    return reverse("services_prescription", args=[order.id])


def with_medicine(scope, orders) -> list:
    """Each order with `.prescription_url` ("" unless it has one the reader may open),
    `.payer_text` and `.medicine_unpriced` (a typed medicine the pharmacy has not priced
    yet: its manifest line, if any, still 0 — "价格待药房填写", never ¥0.00). Two queries for
    the prices (none without a typed medicine), and `access.prescriptions_seen`'s two at
    most for a reader who is not the pharmacy, staff or the household (a volunteer)."""
    orders = [o for o in orders if o is not None]
    typed = [o for o in orders if o.medicine]
    priced, names = set(), defaultdict(list)
    if typed:
        ids = [o.id for o in typed]
        for oid, name in OrderLine.objects.filter(order_id__in=ids).values_list("order_id", "name"):
            names[oid].append(name)
        priced = set(Line.objects.filter(order_id__in=ids, price__gt=0).values_list("order_id", "name"))
    # without a reader (the API's order, read by whoever may): the link, which answers 404 to others
    seen = {o.id for o in orders if o.prescription} if scope is None else access.prescriptions_seen(scope, orders)
    for o in orders:
        o.payer_text = payer_text(o)
        o.prescription_url = url(o) if o.id in seen else ""
        line = order_note(o, names[o.id])[1] if o.medicine else ""  # its own line, not a catalogue item's dose
        o.medicine_unpriced = bool(line) and (o.id, line) not in priced
    return orders

