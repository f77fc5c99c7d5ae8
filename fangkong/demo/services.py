"""Services in the demo: life in 光明小区's sealed building 3. A supermarket and a pharmacy
serve 光明社区 (the demo supplier's login sees the supermarket's orders); every household
of building 3 has ordered the vegetable package, an elderly woman her blood-pressure
medicine; today's 15:30 batch waits at 光明小区东门卡口 for the 封控五组 team on duty; a
broken door lock and a medicine request are in the queue; a cat is registered; the
morning's check-ins are made; building 3 has a routine disinfection this evening, and a
routine (例行消杀) at 08:00 and 16:00 every day while it is sealed.

After zones (building 3 is sealed by then); everything through the actions as the system
actor."""

import datetime

from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.core.actor import Actor
from fangkong.registry.models import Household, Kind, Place, Resident
from fangkong.services.actions import care, catalogue, handoff, orders, requests, routines
from fangkong.services.actions import disinfection as dis
from fangkong.services.models import Category, Supplier

from .context import Demo

COMPOUND = "光明小区"
BUILDING = "3号楼"
GATE = "光明小区东门卡口"


def build(demo: Demo):
    add_services(demo.district)


def add_services(district: Place) -> dict:
    actor = Actor.system(via="cli")
    requests.install_categories()
    compound = Place.objects.filter(kind=Kind.COMPOUND, name=COMPOUND, district_id=district.id).first()
    if compound is None:
        return {}
    community = Place.objects.get(pk=compound.community_id)
    building = Place.objects.filter(kind=Kind.BUILDING, compound_id=compound.id, name=BUILDING).first()
    gate = Place.objects.filter(kind=Kind.CHECKPOINT, name=GATE, compound_id=compound.id).first() or \
        Place.objects.filter(kind=Kind.CHECKPOINT, parent_id=compound.id).first()
    users = list(User.objects.filter(username="supplier_demo"))
    shop = catalogue.create_supplier(actor, community, {"name": "美特好超市（光明店）", "kind": "supermarket",
                                                        "phone": "03514088000"}, users=users)
    veg = catalogue.add_item(actor, shop, {"name": "蔬菜包（8种）", "kind": "package", "price": "39.90",
                                           "contents": "土豆、洋葱、白菜、胡萝卜、西红柿、黄瓜、青椒、茄子"})
    catalogue.add_item(actor, shop, {"name": "肉蛋包", "kind": "package", "price": "68.00",
                                     "contents": "猪肉1斤、鸡蛋30枚、鸡腿4只"})
    rice = catalogue.add_item(actor, shop, {"name": "大米 5kg", "price": "32.00"})
    pharmacy = catalogue.create_supplier(actor, community, {"name": "老百姓大药房", "kind": "pharmacy"})
    pills = catalogue.add_item(actor, pharmacy, {"name": "硝苯地平缓释片 30片", "kind": "medicine",
                                                 "price": "18.50"})
    out = {"suppliers": 2}
    if building is None or gate is None:
        return out
    households = list(Household.objects.filter(building_id=building.id).order_by("sort_key", "id"))
    for n, h in enumerate(households):
        lines = [(veg.id, 1)] + ([(rice.id, 1)] if n % 4 == 0 else [])
        orders.place_order(actor, h, shop, lines)
    elderly = Resident.objects.filter(building_id=building.id, tags__contains=",elderly_alone,").first()
    if elderly is not None:
        orders.place_order(actor, elderly.household, pharmacy, [(pills.id, 2)],
                           deadline=timezone.now() + datetime.timedelta(hours=8))
        requests.raise_request(actor, elderly.household, Category.objects.get(code="medicine"),
                               "降压药只剩一天的量，请帮忙购买硝苯地平缓释片。")
    if households:
        requests.raise_request(actor, households[-1], Category.objects.get(code="repair"),
                               "单元门门锁坏了，关不上。")
        care.add_pet(actor, households[0], {"name": "咪咪", "species": "猫",
                                            "care": "每天早晚各一次猫粮，换清水，清理猫砂。"})
    from fangkong.volunteers.models import Team

    team = Team.objects.filter(community_id=community.id).order_by("id").first()
    today = timezone.localtime().replace(hour=15, minute=30, second=0, microsecond=0)
    batch = handoff.create_batch(actor, shop, gate, due_at=today, team=team)
    out.update(orders=len(households), batch=batch.id, check_ins=care.check_ins_today())
    dis.schedule(actor, building, due_at=timezone.localtime().replace(hour=19, minute=0, second=0,
                                                                      microsecond=0), allow_past=True)
    # its corridors, lift and refuse point at 08:00 and 16:00 for as long as it is sealed
    out["routine"] = routines.create(actor, building, times=["08:00", "16:00"], team=team,
                                     while_sealed=routines.sealed(building) is not None).id
    return out


def flush():
    """The suppliers' logins (a many-to-many row the registry's reset does not reach)."""
    Supplier.users.through.objects.all().delete()
