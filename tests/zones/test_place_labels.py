"""Place lists tell places apart by their parents (registry.queries.place_labels, the one
helper): a street's draft listed "网格 · 第一网格" twice with no community, the map's drawing
list "1号楼" four times with no compound, the people page a resident's place as "居民 ·
1单元"."""

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.registry.queries import place_labels
from fangkong.zones.models import Adjustment


def test_a_streets_draft_names_each_grid_with_its_community(world, presets, client):
    w = world
    reg.create_place(Actor.system(), w.other, Kind.GRID, "第一网格")
    client.force_login(w.users.street)
    client.post(f"/zones/p/{w.street.id}/adjust/", {"title": "街道调整"})
    adj = Adjustment.objects.get()
    page = client.get(f"/zones/adjustments/{adj.id}/").content.decode()
    assert ">网格 · 光明社区 第一网格</option>" in page and ">网格 · 惠泽苑社区 第一网格</option>" in page
    assert ">网格 · 第一网格</option>" not in page
    assert ">楼栋 · 光明小区 1号楼</option>" in page and ">单元 · 光明小区 1号楼 1单元</option>" in page
    # the draft's own list of places says the same
    client.post(f"/zones/adjustments/{adj.id}/items/", {"place": w.grid.id, "zone_type": _controlled().id})
    assert "<strong>光明社区 第一网格</strong>" in client.get(f"/zones/adjustments/{adj.id}/").content.decode()


def _controlled():
    from fangkong.zones.models import ZoneType

    return ZoneType.objects.get(policy__is_active=True, code="controlled")


def test_the_maps_drawing_list_names_each_building_with_its_compound(world, client):
    w = world
    second = reg.create_place(Actor.system(), w.grid, Kind.COMPOUND, "东城小区")
    reg.create_place(Actor.system(), second, Kind.BUILDING, "1号楼")
    gate = reg.create_place(Actor.system(), w.compound, Kind.CHECKPOINT, "光明小区东门卡口")
    client.force_login(w.users.staff)
    page = client.get(f"/zones/p/{w.community.id}/map/").content.decode()
    assert ">光明小区 1号楼</option>" in page and ">东城小区 1号楼</option>" in page
    assert ">1号楼</option>" not in page
    assert ">光明小区东门卡口</option>" in page  # its name says its compound already: not twice
    assert place_labels([gate, w.grid, w.community]) == {
        gate.id: "光明小区东门卡口", w.grid.id: "光明社区 第一网格", w.community.id: "光明社区"}


def test_the_people_page_names_a_residents_place_with_its_building(world, client):
    w = world
    client.force_login(w.users.staff)
    page = client.get("/people/").content.decode()
    assert "居民 · 光明小区 1号楼 1单元</small>" in page, page
    assert "居民 · 1单元</small>" not in page
    assert "网格员 · 光明社区 第一网格</small>" in page
