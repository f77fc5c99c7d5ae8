"""Suppliers and their catalogues (packages, items, medicines, prices)."""

from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Invalid, NotFound
from fangkong.registry.models import Place

from .. import access, checks
from ..models import Item, Supplier


def create_supplier(actor, place: Place, data: dict, users=()) -> Supplier:
    access.require(actor, access.RUN, place)
    kind = checks.choice(data.get("kind") or Supplier.Kind.SUPERMARKET, "kind", Supplier.Kind.choices)
    s = Supplier(place=place, name=checks.text(data.get("name"), "name", max_length=80), kind=kind,
                 phone=checks.text(data.get("phone"), "phone", max_length=20, required=False))
    s.copy_levels(place)
    if place.kind in ("district", "street", "community", "grid", "compound", "building", "unit"):
        setattr(s, f"{place.kind}_id", place.id)
    with transaction.atomic():
        s.save()
        if users:
            s.users.set(users)
        record(actor, "services.supplier.create", s, {"name": s.name}, levels_from=s)
    return s


def add_item(actor, supplier: Supplier, data: dict) -> Item:
    access.require_supplier(actor, supplier, manage=True)
    item = Item(supplier=supplier, name=checks.text(data.get("name"), "name", max_length=80),
                kind=checks.choice(data.get("kind") or Item.Kind.ITEM, "kind", Item.Kind.choices),
                unit=checks.text(data.get("unit") or "份", "unit", max_length=20),
                price=checks.money(data.get("price")),
                contents=checks.text(data.get("contents"), "contents", max_length=300, required=False))
    with transaction.atomic():
        item.save()
        record(actor, "services.item.create", supplier, {"item": item.name, "price": str(item.price)},
               levels_from=supplier)
    return item


def update_item(actor, item: Item, data: dict) -> Item:
    access.require_supplier(actor, item.supplier, manage=True)
    changes = {}
    if "price" in data:
        item.price = checks.money(data["price"])
        changes["price"] = str(item.price)
    if "name" in data:
        item.name = checks.text(data["name"], "name", max_length=80)
        changes["name"] = item.name
    if "is_active" in data:
        item.is_active = bool(data["is_active"])
        changes["is_active"] = item.is_active
    if not changes:
        raise Invalid(fields={"price": [_("Nothing to change.")]})
    with transaction.atomic():
        item.save()
        record(actor, "services.item.update", item.supplier, changes, levels_from=item.supplier)
    return item


def get_item(supplier: Supplier, item_id) -> Item:
    item = Item.objects.filter(supplier=supplier, pk=item_id, is_active=True).first()
    if item is None:
        raise NotFound()
    return item
