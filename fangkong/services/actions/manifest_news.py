"""The households a supplier's manifest changed told, with their grid workers (found on the
gate walk: the file cut a quantity 3→2, dropped an item, swapped 蔬菜包（8种） for 6种 and
left a sealed family's order out — back to waiting for the next batch — and nobody heard):

- an order whose lines the import changed (against what the batch listed before, or what
  was ordered when it joins the batch): each changed line as the household's page says it
  (`order_changes`) and the new total; once per import that changed it (the key is what
  is listed now: importing the same file again tells nobody);
- an order the file left out: it is not in this delivery and waits for the next batch;
  once per import.

In each reader's language (`notify`), with a link to the household's orders. Called inside
the import's transaction, which checked its permission."""

import hashlib
from collections import defaultdict

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .. import access
from ..models import Order, OrderLine
from ..order_changes import change_words, compare, ordered_rows, total_of
from .told import family_accounts


def _who(actor, order) -> set[int]:
    me = getattr(actor.user, "id", None) if actor.user is not None else None
    return (family_accounts(order.household_id) | access.answerer_ids(order, staff=False)) - {me}


def _digest(rows) -> str:
    text = "|".join(f"{n}×{q}@{p}" for n, q, p in sorted((n, q, str(p)) for n, q, p in rows))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]  # a change fingerprint, not security


def tell(actor, batch, listed: dict, before: dict, released: list, event_id) -> int:
    """`listed`: {order id: [(name, quantity, price)]} now; `before`: the same as the batch
    listed them before the import; `released`: the orders the file left out."""
    from fangkong.notify.actions import notify

    ids = set(listed) | set(released)
    if not ids:
        return 0
    own = defaultdict(list)
    for oid, name, qty, price in OrderLine.objects.filter(order_id__in=ids).order_by("id").values_list(
            "order_id", "name", "quantity", "price"):
        own[oid].append((name, qty, price))
    n = 0
    words = {"supplier": batch.supplier.name}
    for o in Order.objects.filter(id__in=ids).select_related("household__place").order_by("id"):
        url = reverse("services_household", args=[o.household_id]) + "#orders"
        ordered = ordered_rows(o, own[o.id])
        if o.id in released:
            users = _who(actor, o)
            if users:
                n += notify(actor, users, kind="services.order", url=url, place=o.household.place,
                            title=lambda: _("Your order from %(supplier)s is not in today's delivery") % words,
                            body=lambda: _("The supplier's delivery list left it out: it goes back to waiting "
                                           "for the next delivery."),
                            key=f"services.manifest.{batch.id}.{o.id}.released.{event_id}")
            continue
        now, was = listed[o.id], before.get(o.id) or ordered
        if sorted((a, b, str(c)) for a, b, c in now) == sorted((a, b, str(c)) for a, b, c in was):
            continue
        rows = [r for r in compare(ordered, now) if r["change"]]
        total = total_of(compare(ordered, now))
        users = _who(actor, o)
        if not users:
            continue

        def body(rows=rows, total=total):
            said = [f"{r['was_name'] or r['name']}{pgettext('a label and what it says', ': ')}{change_words(r)}" for r in rows]
            if not said:
                return _("It is back to what was ordered. Total ¥%(total)s.") % {"total": total}
            return _("%(changes)s. Total now ¥%(total)s.") % {"changes": _("; ").join(said), "total": total}

        n += notify(actor, users, kind="services.order", url=url, place=o.household.place,
                    title=lambda: _("The supplier changed your order from %(supplier)s") % words, body=body,
                    key=f"services.manifest.{batch.id}.{o.id}.{_digest(now)}")
    return n
