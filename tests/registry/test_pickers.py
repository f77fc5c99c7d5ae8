"""A list to pick a place from tells its places apart (found walking the demo: the zone
draft offered "单元 · 1单元" ten times, the call form "楼栋 · 9号楼" three times)."""

from django.test import Client

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones.actions import publish
from tests.conftest import actor_for


def test_units_and_buildings_are_named_with_their_compound_and_building(world):
    other_compound = reg.create_place(Actor.system(), world.grid, Kind.COMPOUND, "幸福小区")
    b = reg.create_place(Actor.system(), other_compound, Kind.BUILDING, "1号楼")
    reg.create_place(Actor.system(), b, Kind.UNIT, "1单元")
    c = Client()
    c.force_login(world.users.staff)
    adj = publish.draft(actor_for(world.users.staff), world.community, "封1号楼")
    page = c.get(f"/zones/adjustments/{adj.id}/").content.decode()
    assert "单元 · 光明小区 1号楼 1单元" in page and "单元 · 幸福小区 1号楼 1单元" in page
    assert "楼栋 · 光明小区 1号楼" in page and "楼栋 · 幸福小区 1号楼" in page
    form = c.get(f"/volunteers/c/{world.community.id}/calls/new/").content.decode()
    assert form.count("楼栋 · 光明小区 1号楼") == 2 and form.count("楼栋 · 幸福小区 1号楼") == 2  # place, audience
