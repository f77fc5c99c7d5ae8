"""Services test helpers: a supplier with a catalogue, a gate, a delivery team with one
volunteer (made through the volunteers' actions), many households made through actions."""

import datetime
from types import SimpleNamespace

import pytest

from fangkong.core import pii
from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.services.actions import catalogue, requests
from fangkong.volunteers.actions import registration as va
from fangkong.volunteers.actions import teams


def volunteer(w, n, team=None):
    staff = Actor.system(w.users.staff)
    v = va.add_volunteer(staff, w.community, {
        "name": f"志愿者{n}", "phone": f"139{n:08d}",
        "id_number": pii.make_id_number("140106", datetime.date(1980, 1, 1) + datetime.timedelta(days=n), n),
        "household": w.hh201.id, "consent": "1", "days": ["mon"], "hours_from": "07:00",
        "hours_to": "19:00"})
    v = va.approve(staff, v)
    if team is not None:
        teams.add_member(staff, team, v)
    return v


def build_services(w):
    staff = Actor.system(w.users.staff)
    requests.install_categories()
    s = SimpleNamespace()
    s.supplier = catalogue.create_supplier(staff, w.community, {"name": "美特好超市", "kind": "supermarket"},
                                           users=[w.users.supplier])
    s.veg = catalogue.add_item(staff, s.supplier, {"name": "蔬菜包", "kind": "package", "price": "39.90"})
    s.rice = catalogue.add_item(staff, s.supplier, {"name": "大米 5kg", "price": "32.00"})
    s.eggs = catalogue.add_item(staff, s.supplier, {"name": "鸡蛋 30枚", "price": "25.50"})
    s.pills = catalogue.add_item(staff, s.supplier, {"name": "硝苯地平缓释片", "kind": "medicine", "price": "18.00"})
    s.gate = reg.create_place(Actor.system(), w.compound, Kind.CHECKPOINT, "东门")
    s.team = teams.create_team(staff, w.community, "封控五组")
    s.vol = volunteer(w, 7, s.team)
    s.vol_user = s.vol.user
    return s


@pytest.fixture
def svc(world):
    """Built once a process, then copied in (tests/world_snapshot.py)."""
    from tests import world_snapshot

    return world_snapshot.copied("svc", build_services, world, base=world)


def households(w, n, buildings=8):
    """n households spread over `buildings` buildings of the compound (2 units, 6 floors)."""
    system = Actor.system()
    out = []
    blds = [reg.create_place(system, w.compound, Kind.BUILDING, f"{b + 2}号楼") for b in range(buildings)]
    units = [[reg.create_place(system, b, Kind.UNIT, f"{u + 1}单元") for u in range(2)] for b in blds]
    for i in range(n):
        b = i % buildings
        u = (i // buildings) % 2
        floor = (i // (buildings * 2)) % 6 + 1
        door = f"{floor}0{(i // (buildings * 12)) + 1}"
        out.append(reg.create_household(system, units[b][u], door, phone=f"0351{i:07d}"))
    return out
