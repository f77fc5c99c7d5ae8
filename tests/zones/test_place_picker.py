"""The adjustment's place picker (walked 2026-12-07, command_yingze on a district's
adjustment): one flat list of 150+ places ordered by depth, "惠泽苑小区 1号楼, 康乐苑 1号楼,
金兴小区 1号楼 … 惠泽苑小区 2号楼 …", cut silently at 2,000. The places read in the tree's
order, grouped by compound (optgroups: a building follows its compound, a unit its
building, 10号楼 after 2号楼), and a list that would be cut says so and offers to list one
community's or compound's places."""

import html as htmllib
import re

import pytest

from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones import place_picker
from fangkong.zones.models import Adjustment, ZoneType


def _menu(page):
    menu = page.split('id="f-place"')[1].split("</select>")[0]
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', menu, re.S)
    return [(htmllib.unescape(g), [htmllib.unescape(o) for o in re.findall(r"<option value=\"\d+\">([^<]*)</option>", body)])
            for g, body in groups]


@pytest.fixture
def district_draft(world, presets, login, system):
    w = world
    for name in ("2号楼", "10号楼"):
        reg.create_place(system, w.compound, Kind.BUILDING, name)
    reg.create_place(system, w.other_compound, Kind.BUILDING, "1号楼")
    c = login(w.users.district)
    r = c.post(f"/zones/p/{w.district.id}/adjust/", {"title": "第19号通告"})
    assert r.status_code == 302, r
    return w, c, Adjustment.objects.get()


def test_the_places_are_grouped_by_compound_in_the_trees_order(district_draft):
    w, c, adj = district_draft
    page = c.get(f"/zones/adjustments/{adj.id}/").content.decode()
    menu = _menu(page)
    assert [g for g, _o in menu] == ["光明社区", "光明社区 · 光明小区", "惠泽苑社区", "惠泽苑社区 · 惠泽苑小区"], menu
    groups = dict(menu)
    assert groups["光明社区 · 光明小区"] == [
        "小区 · 光明社区 光明小区", "楼栋 · 光明小区 1号楼", "单元 · 光明小区 1号楼 1单元",
        "单元 · 光明小区 1号楼 2单元", "楼栋 · 光明小区 2号楼", "楼栋 · 光明小区 10号楼"], groups
    assert groups["惠泽苑社区 · 惠泽苑小区"] == [
        "小区 · 惠泽苑社区 惠泽苑小区", "楼栋 · 惠泽苑小区 1号楼", "楼栋 · 惠泽苑小区 5号楼",
        "单元 · 惠泽苑小区 5号楼 1单元"], groups
    assert groups["光明社区"][0] == "社区 · 光明社区"
    assert "只列出" not in page  # nothing cut


def test_a_list_too_long_says_so_and_lists_one_compound_in_full(district_draft, monkeypatch):
    w, c, adj = district_draft
    monkeypatch.setattr(place_picker, "LIMIT", 6)
    page = c.get(f"/zones/adjustments/{adj.id}/").content.decode()
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "共 13 个地点，只列出其中较大的 5 个" in said, said
    # whole levels, the larger first: communities, grids, compounds (the 5 buildings would not fit)
    listed = [o for _g, opts in _menu(page) for o in opts]
    assert len(listed) == 5 and all(o.split(" · ")[0] in ("社区", "网格", "小区") for o in listed), listed
    # the narrowing menu: a community or a compound, then all of its places
    narrow = page.split('id="f-within"')[1].split("</select>")[0]
    assert f'value="{w.other_compound.id}"' in narrow and f'value="{w.community.id}"' in narrow
    page = c.get(f"/zones/adjustments/{adj.id}/", {"within": w.other_compound.id}).content.decode()
    assert _menu(page) == [("惠泽苑社区 · 惠泽苑小区", [
        "小区 · 惠泽苑社区 惠泽苑小区", "楼栋 · 惠泽苑小区 1号楼", "楼栋 · 惠泽苑小区 5号楼",
        "单元 · 惠泽苑小区 5号楼 1单元"])]
    assert "只列出其中" not in page
    # adding a place keeps the list it was chosen from
    sealed = ZoneType.objects.get(policy__is_active=True, code="sealed")
    r = c.post(f"/zones/adjustments/{adj.id}/items/",
               {"place": w.other_unit.id, "zone_type": sealed.id, "within": w.other_compound.id})
    assert r.url == f"/zones/adjustments/{adj.id}/?within={w.other_compound.id}#items"
    assert adj.items.get().place_id == w.other_unit.id
    # a place outside the adjustment's area is not found
    assert c.get(f"/zones/adjustments/{adj.id}/", {"within": 999999}).status_code == 404
