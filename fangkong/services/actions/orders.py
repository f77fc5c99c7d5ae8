"""Orders for a household: placed by the household's own login, a leader, a grid worker or
staff over it, or a volunteer assigned to it. Medicine orders carry the medicine, an
optional prescription photo and a deadline, and come first everywhere. Retries with the
same client id answer the order already placed."""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fangkong.audit.actions import record
from fangkong.core.errors import Invalid
from fangkong.core.uploads import check_image
from fangkong.core.when import short_time

from .. import access, checks
from ..models import Batch, GroupOrder, Item, Line, Order, OrderLine, Payer, Supplier
from . import order_news


def place_order(actor, household, supplier: Supplier, lines, *, medicine="", deadline=None,
                prescription=None, note="", client_id=None, group: GroupOrder | None = None,
                payer="") -> Order:
    """`lines`: [(item id, quantity)]. A medicine order may instead name the medicine only.
    `payer`: who pays for a medicine order (`Payer`: the household at the door, online,
    the community, insurance), said to the pharmacy and the volunteer at the door; blank
    when not said, refused on an order with no medicine."""
    access.require_household(actor, household, order=True)
    cid = checks.client_id(client_id)
    if cid is not None:
        found = Order.objects.filter(client_id=cid).first()
        if found is not None:
            if found.household_id != household.id:
                raise Invalid(fields={"client_id": [_("This client id was used for another order.")]})
            return found
    if supplier.community_id != household.community_id or not supplier.is_active:
        raise Invalid(fields={"supplier": [_("This supplier does not serve this household.")]})
    medicine = checks.text(medicine, "medicine", max_length=200, required=False)
    items = {i.id: i for i in Item.objects.filter(supplier=supplier, is_active=True,
                                                  id__in=[_id(x[0]) for x in lines or []])}
    rows, errors = [], []
    for n, (item_id, qty) in enumerate(lines or []):
        item = items.get(_id(item_id))
        if item is None:
            errors.append(_("Line %(n)d: this item is not in the supplier's catalogue.") % {"n": n + 1})
            continue
        try:
            rows.append(OrderLine(item=item, name=item.name, quantity=checks.quantity(qty), price=item.price))
        except Invalid:
            errors.append(_("%(name)s: enter a quantity from 1 to 999.") % {"name": item.name})
    if errors:
        raise Invalid(fields={"lines": errors})
    if not rows and not medicine:
        raise Invalid(fields={"lines": [_("Choose at least one item, or name the medicine.")]})
    is_medicine = bool(medicine) or any(r.item.kind == Item.Kind.MEDICINE for r in rows)
    deadline = checks.when(deadline, "deadline")
    if deadline is not None and deadline < timezone.now():
        raise Invalid(fields={"deadline": [_("The deadline has already passed.")]})
    ext = check_image(prescription, field="prescription") if prescription else None
    payer = checks.choice(payer, "payer", Payer.choices) if (payer or "").strip() else ""
    if payer and not is_medicine:
        payer = ""  # the medicine fields' choice sent with a supermarket's order: not said there
    if group is not None and (group.supplier_id != supplier.id or group.place_id != household.building_id):
        raise Invalid(fields={"group": [_("This group order is for another building or supplier.")]})
    order = Order(household=household, supplier=supplier, group=group, is_medicine=is_medicine,
                  medicine=medicine, deadline=deadline, client_id=cid, placed_by=_user(actor), payer=payer,
                  note=checks.text(note, "note", max_length=200, required=False),
                  total=sum((r.price * r.quantity for r in rows), Decimal("0")))
    order.copy_levels(household)
    try:
        with transaction.atomic():
            if ext:
                order.prescription.save(f"rx.{ext}", prescription, save=False)
            order.save()
            for r in rows:
                r.order = order
            OrderLine.objects.bulk_create(rows)
            record(actor, "services.order.place", household,
                   {"order": order.id, "supplier": supplier.id, "total": str(order.total),
                    "medicine": is_medicine, **({"payer": payer} if payer else {}),
                    **({"prescription": True} if ext else {})})
            order_news.placed(actor, order)  # whoever must act on it (the supplier, or the staff)
    except IntegrityError:
        if cid is None:
            raise
        return Order.objects.get(client_id=cid)
    return order


def cancel_order(actor, order: Order, why: str = Order.Why.BY_HAND) -> Order:
    """Cancel an order not yet on its way; when and why are kept (the household reads them).
    Not yet on its way: placed, or in a batch not yet at the checkpoint (`Order.cancel_refused`:
    not said to have arrived, not being checked — once the goods are on the gate's table they
    are counted and carried, and the family refuses them at the door) — it then leaves the
    batch, its manifest lines and so what is owed for them (found on the sealed-area evening:
    a batch still expected refused every cancellation)."""
    access.require_order(actor, order, manage=True)
    if order.state == Order.State.CANCELLED:
        return order  # a retry
    refused = order.cancel_refused()
    if refused:
        raise Invalid(refused)
    with transaction.atomic():
        batch_id = order.batch_id if order.state == Order.State.IN_BATCH else None
        if batch_id is not None:
            why = Order.Why.OUT_OF_BATCH if why == Order.Why.BY_HAND else why
            # the batch locked: a signature at the gate waits for this (or this for it)
            locked = Batch.objects.select_for_update().filter(pk=batch_id).first()
            order.batch = locked
            refused = order.cancel_refused()  # read again under the lock: arrived or checked meanwhile
            if refused:
                raise Invalid(refused)
            n = Order.objects.filter(pk=order.pk, state=Order.State.IN_BATCH, batch_id=batch_id).update(
                state=Order.State.CANCELLED, cancelled_at=timezone.now(), batch=None, cancelled_why=why)
            if n:
                Line.objects.filter(order_id=order.pk, batch_id=batch_id).delete()  # its exceptions with them
        else:
            n = Order.objects.filter(pk=order.pk, state=Order.State.PLACED).update(
                state=Order.State.CANCELLED, cancelled_at=timezone.now(), cancelled_why=why)
        if n:
            record(actor, "services.order.cancel", order.household,
                   {"order": order.id, "why": why, **({"batch": batch_id} if batch_id else {})})
    order.refresh_from_db()
    return order


def default_close():
    """When a group order closes unless said: the next 12:00 (the form's default too)."""
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon > timezone.localtime() else noon + datetime.timedelta(days=1)


def create_group_order(actor, building, supplier: Supplier, *, title, closes_at) -> GroupOrder:
    """社区集单: a building's leader (or staff) opens a group order for the building."""
    access.require(actor, access.ORDER, building)
    if building.kind != "building":
        raise Invalid(fields={"place": [_("A group order is for one building.")]})
    closes = checks.when(closes_at, "closes_at") or default_close()
    if closes <= timezone.now():
        raise Invalid(fields={"closes_at": [_("This closing time has passed: choose a later one, "
                                              "so that households can still be entered.")]})
    g = GroupOrder(place=building, supplier=supplier, title=checks.text(title, "title", max_length=80),
                   closes_at=closes, created_by=_user(actor))
    g.copy_levels(building)
    g.building_id = building.id
    with transaction.atomic():
        g.save()
        record(actor, "services.group_order.create", building, {"group": g.id, "supplier": supplier.id})
    return g


def place_group_orders(actor, group: GroupOrder, entries) -> list[Order]:
    """A building leader enters many households' items of a group order in one go: each
    entry {"household": id, "lines": [(item id, quantity)], "client_id": …} becomes that
    household's order in the group. All or nothing: one wrong entry (a household of another
    building, an item not in the catalogue, a quantity out of range) is named with its door
    and nothing is placed. Entries without lines are skipped; a retry (same client ids)
    places nothing more."""
    from fangkong.registry.models import Household
    from fangkong.registry.queries import address_labels

    access.require(actor, access.ORDER, group)
    if group.closes_at < timezone.now():
        raise Invalid(_("This group order closed at %(t)s; start a new one.")
                      % {"t": short_time(group.closes_at)})
    # A household already in the group is changed, not ordered twice: its placed orders
    # give way to the new lines (none: it is taken out); the same lines change nothing.
    before = {}
    for o in Order.objects.filter(group=group).exclude(state=Order.State.CANCELLED).prefetch_related("lines"):
        before.setdefault(o.household_id, []).append(o)
    entries = [e for e in entries or [] if e.get("lines") or before.get(_id(e.get("household")))]
    if not entries:
        raise Invalid(fields={"entries": [_("Enter a quantity for at least one household.")]})
    if len(entries) > 500:
        raise Invalid(fields={"entries": [_("At most 500 households at a time.")]})
    ids = [_id(e.get("household")) for e in entries]
    households = {h.id: h for h in Household.objects.filter(id__in=[i for i in ids if i], building_id=group.place_id)}
    labels = address_labels(households.values())
    supplier = group.supplier
    placed, errors, rows = [], [], []
    with transaction.atomic():
        for n, (e, hid) in enumerate(zip(entries, ids, strict=True), start=1):
            h = households.get(hid)
            if h is None:
                errors.append(_("Household %(id)s is not in this building.") % {"id": e.get("household")})
                rows.append({"row": n, "household": e.get("household"), "message": errors[-1]})
                continue
            try:
                with transaction.atomic():
                    had = before.get(h.id, [])
                    if had and _same(had, e["lines"]):
                        continue  # as it was: nothing to change
                    if any(o.state != Order.State.PLACED for o in had):
                        raise Invalid(_("its order is already on its way and cannot be changed."))
                    why = Order.Why.GROUP_CHANGED if e["lines"] else Order.Why.GROUP_EMPTIED
                    for o in had:
                        cancel_order(actor, o, why)
                    if e["lines"]:
                        placed.append(place_order(actor, h, supplier, e["lines"],
                                                  client_id=e.get("client_id"), group=group))
            except Invalid as err:
                door = f"{labels.get(h.place_id, '')} {h.door}".strip()
                for ms in (err.fields or {"": [err.message]}).values():
                    errors.extend(f"{door}{pgettext('a label and what it says', ': ')}{m}" for m in ms)
                    rows.extend({"row": n, "household": h.id, "message": str(m)} for m in ms)
        if errors:  # raised inside the transaction: every order of this entry rolled back
            raise Invalid(_("Nothing was saved: correct these households first."), fields={"entries": errors},
                          rows=rows)  # each entry's own errors, for the sheet to show at its door
        event = record(actor, "services.group_order.enter", group, {"group": group.id, "orders": len(placed)},
                       levels_from=group)
        order_news.group_entered(actor, group, placed, event.id)
    return placed


def _same(orders, lines) -> bool:
    """Do these orders hold exactly these (item id, quantity) lines?"""
    have = {}
    for o in orders:
        for ln in o.lines.all():
            have[ln.item_id] = have.get(ln.item_id, 0) + ln.quantity
    want = {}
    for item, qty in lines:
        try:
            want[int(item)] = want.get(int(item), 0) + int(str(qty).strip())
        except (TypeError, ValueError):
            return False  # not a number: place_order says what is wrong
    return have == want


def _id(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _user(actor):
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None
