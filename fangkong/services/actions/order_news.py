"""Whoever must act on an order is told of it (found walking a sealed family's day: a
medicine order "已下单" with a need-by of 10:00 told nobody, the pharmacy had no login, and
the need-by passed with no alarm while an overdue request raised one):

- placed (`placed`): the supplier's logins; a supplier without any — a pharmacy the
  community buys from by hand — has the household's grid workers and its community's staff
  told instead, who make the hand-off (`handoff.create_batch`, RUN). A group order's
  households are told of once for the entry (`group_entered`), not once a door.
- its need-by passed and not delivered (`escalate_late_orders`, the worker's pass with
  `requests.escalate_overdue`): the supplier's logins and the grid workers and staff, as an
  overdue request; claimed once an order (`core.once.claim` on `late_told_at`), so retries
  and two workers at once never tell twice.

Messages are rendered in each reader's language (`notify`). Called inside the action's
transaction, which checked its permission."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.once import claim
from fangkong.core.when import short_time

from .. import access
from ..models import Order

# not delivered yet, and still coming (queries.COMING): what a passed need-by is late for
LATE_STATES = (Order.State.PLACED, Order.State.IN_BATCH, Order.State.OUT, Order.State.PROBLEM)
LATE_AT_ONCE = 200  # orders told of a pass (the rest on the next)


def supplier_users(supplier) -> set[int]:
    return set(supplier.users.filter(is_active=True).values_list("id", flat=True))


def handlers(order: Order) -> set[int]:
    """Who acts on a household's order besides its supplier: its grid workers and its
    community's staff (`access.answerer_ids`, as an urgent or overdue request)."""
    return access.answerer_ids(order, staff=True)


def _where(household) -> str:
    from fangkong.registry.queries import address_labels

    return f"{address_labels([household]).get(household.place_id, '')} {household.door}".strip()


def _what(order: Order) -> str:
    """The order's contents as typed and listed (item names and the medicine are data)."""
    parts = [f"{ln.name} × {ln.quantity}" for ln in order.lines.all()]
    if order.medicine:
        parts.append(order.medicine)
    return "、".join(parts)


def _by(order: Order) -> str:
    """The need-by in the active language: called when the message is rendered (the reader's)."""
    return short_time(order.deadline) if order.deadline else ""


def _tell(actor, order: Order, title, body, step: str, *, everyone: bool) -> int:
    """The supplier's logins (to its supplier page) and — when it has none, or `everyone` —
    the grid workers and staff (to the household's services page). Not whoever did it."""
    from fangkong.notify.actions import notify

    me = actor.user.id if actor.user is not None and getattr(actor.user, "is_authenticated", False) else None
    h = order.household
    sup = supplier_users(order.supplier) - {me}
    staff = (handlers(order) - {me} - sup) if (everyone or not supplier_users(order.supplier)) else set()
    n = 0
    if sup:
        n += notify(actor, sup, kind="services.order", title=title, body=body, url=reverse("supplier_home"),
                    place=h.place, key=f"services.order.{order.id}.{step}")
    if staff:
        n += notify(actor, staff, kind="services.order", title=title, body=body,
                    url=reverse("services_household", args=[h.id]) + "#orders", place=h.place,
                    key=f"services.order.{order.id}.{step}")
    return n


def placed(actor, order: Order) -> int:
    """A new order (not of a group order): what, for which door, needed by when."""
    if order.group_id is not None:
        return 0
    words = {"supplier": order.supplier.name, "where": _where(order.household), "what": _what(order)}

    def title():
        if order.is_medicine:
            return _("New medicine order for %(where)s, %(supplier)s") % words
        return _("New order for %(where)s, %(supplier)s") % words

    def body():
        if order.deadline:
            return _("%(what)s. Needed by %(by)s.") % dict(words, by=_by(order))
        return _("%(what)s.") % words

    return _tell(actor, order, title, body, "placed", everyone=False)


def redelivery(actor, order: Order) -> int:
    """A follow-up of 补送 (`redelivery.redeliver`): marked so, with the order it makes good and
    the batch it goes in (or that it waits for the next one) — once a follow-up."""
    batch = order.batch if order.batch_id else None
    words = {"supplier": order.supplier.name, "where": _where(order.household), "what": _what(order),
             "was": order.redelivers_id}

    def body():
        if batch is not None:
            return _("%(what)s, making good order #%(was)d: added to the hand-off at %(gate)s, %(time)s.") % dict(
                words, gate=batch.checkpoint.name, time=short_time(batch.due_at))
        return _("%(what)s, making good order #%(was)d: it goes with the next hand-off.") % words

    return _tell(actor, order, lambda: _("Re-delivery for %(where)s, %(supplier)s") % words, body,
                 "redelivery", everyone=False)


def group_entered(actor, group, orders: list, event_id) -> int:
    """A building's group order entered: its supplier (or the staff) told once an entry."""
    from fangkong.notify.actions import notify

    if not orders:
        return 0
    words = {"title": group.title, "supplier": group.supplier.name, "n": len(orders)}
    users = supplier_users(group.supplier) or access.answerer_ids(group, staff=True)
    me = actor.user.id if actor.user is not None and getattr(actor.user, "is_authenticated", False) else None
    users -= {me}
    if not users:
        return 0
    return notify(actor, users, kind="services.order",
                  title=lambda: _("Group order %(title)s, %(supplier)s: orders entered, households: %(n)d") % words,
                  url=reverse("services_group", args=[group.id]), place=group.place,
                  key=f"services.group_order.{group.id}.entered.{event_id}")


def escalate_late_orders(now=None) -> int:
    """(the worker's pass) Orders whose need-by has passed and that are not delivered:
    an audit event and a message each, once (claimed on `late_told_at`)."""
    from fangkong.core.actor import Actor

    now = now or timezone.now()
    system = Actor.system(via="task")
    qs = (Order.objects.filter(state__in=LATE_STATES, deadline__isnull=False, deadline__lt=now)
          .select_related("supplier", "household", "household__place", "batch").prefetch_related("lines"))
    with transaction.atomic():
        late = claim(qs, "late_told_at", now, order=("deadline", "id"), limit=LATE_AT_ONCE)
        for o in late:
            record(system, "services.order.late", o.household,
                   {"order": o.id, "supplier": o.supplier_id, "state": o.state, "due_at": o.deadline.isoformat()})
            words = {"supplier": o.supplier.name, "where": _where(o.household), "what": _what(o), "state": o.state}

            def title(o=o, words=words):
                return _("Not delivered by its need-by %(by)s: order for %(where)s, %(supplier)s") % dict(
                    words, by=_by(o))

            def body(o=o, words=words):
                return _("%(what)s. Now: %(state)s.") % dict(words, state=progress_words(o))

            _tell(system, o, title, body, "late", everyone=True)
    return len(late)


def progress_words(o: Order) -> str:
    return o.progress[1]
