"""The map's editor and import: a building's outline or point drawn on the page is saved by
an action (permission on the place, audited, the ring closed, bad shapes refused in
Chinese); replacing or removing a drawing is asked first; a GeoJSON file imports all or
nothing within bounded memory, each bad feature named."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Forbidden, Invalid, NotFound
from fangkong.zones import queries
from fangkong.zones.actions import shapes
from fangkong.zones.models import Shape
from tests.conftest import actor_for
from tests.zones.test_rules import designate

OPEN_RING = [[112.55, 37.87], [112.5505, 37.87], [112.5505, 37.8704]]  # three taps


def poly(ring=OPEN_RING):
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def test_save_shape_closes_the_ring_and_is_audited(world, presets):
    w = world
    staff = actor_for(w.users.staff)
    shapes.save_shape(staff, w.building, poly())
    g = Shape.objects.get(place=w.building).geometry
    assert g["type"] == "Polygon" and g["coordinates"][0][0] == g["coordinates"][0][-1]
    assert len(g["coordinates"][0]) == 4
    ev = AuditEvent.objects.get(action="zones.shape")
    assert ev.target_id == w.building.id and ev.changes == {"type": "Polygon", "replaced": False}
    shapes.save_shape(staff, w.building, {"type": "Point", "coordinates": [112.5502, 37.8702]})
    assert Shape.objects.get(place=w.building).geometry["type"] == "Point"
    assert AuditEvent.objects.filter(action="zones.shape").latest("id").changes["replaced"] is True


@pytest.mark.parametrize("geometry, words", [
    ("", "请先在地图上点击"),
    (poly(OPEN_RING[:2]), "经度"),  # two taps are not an outline
    (json.dumps({"type": "Point", "coordinates": [500, 37]}), "经度"),
    (json.dumps({"type": "LineString", "coordinates": OPEN_RING}), "LineString"),
    (poly([[112.55 + i * 1e-6, 37.87] for i in range(2100)]), "角太多"),
])
def test_bad_drawings_are_refused_in_chinese(world, presets, geometry, words):
    with pytest.raises(Invalid) as e:
        shapes.save_shape(actor_for(world.users.staff), world.building, geometry)
    assert words in e.value.fields["geometry"][0]
    assert not Shape.objects.exists()


def test_who_may_draw(world, presets):
    w = world
    with pytest.raises(Forbidden):  # the grid worker sees the building, may not draw it
        shapes.save_shape(actor_for(w.users.grid), w.building, poly())
    with pytest.raises(NotFound):  # another community's staff do not see it at all
        shapes.save_shape(actor_for(w.users.other_staff), w.building, poly())
    with pytest.raises(Invalid):  # a unit is not drawn: its building is
        shapes.save_shape(actor_for(w.users.staff), w.unit1, poly())


def test_page_saves_asks_before_replacing_and_removing(world, presets, login):
    w = world
    c = login(w.users.staff)
    page = c.get(f"/zones/p/{w.community.id}/map/")
    assert "画楼栋或小区" in page.text and "开始画" in page.text and "撤销上一个点" in page.text
    url = f"/zones/p/{w.community.id}/map/shape/"
    r = c.post(url, {"place": w.building.id, "geometry": poly()}, follow=True)
    assert "1号楼的轮廓已保存" in r.text and Shape.objects.filter(place=w.building).exists()
    # drawn again: asked first, nothing replaced until confirmed
    point = json.dumps({"type": "Point", "coordinates": [112.5502, 37.8702]})
    r = c.post(url, {"place": w.building.id, "geometry": point})
    assert r.status_code == 200 and "替换1号楼的图形" in r.text
    assert Shape.objects.get(place=w.building).geometry["type"] == "Polygon"
    c.post(url, {"place": w.building.id, "geometry": point, "confirm": "1"})
    assert Shape.objects.get(place=w.building).geometry["type"] == "Point"
    # a place outside the map's place (another community) is refused, said in words
    r = c.post(url, {"place": w.other_building.id, "geometry": poly()}, follow=True)
    assert "请选择楼栋或小区" in r.text and not Shape.objects.filter(place=w.other_building).exists()
    # removing: asked first, then gone
    rm = f"/zones/p/{w.community.id}/map/shape/remove/"
    assert "从地图上删除1号楼" in c.post(rm, {"place": w.building.id}).text
    assert Shape.objects.filter(place=w.building).exists()
    r = c.post(rm, {"place": w.building.id, "confirm": "1"}, follow=True)
    assert "1号楼的图形已从地图上删除" in r.text and not Shape.objects.exists()
    assert AuditEvent.objects.filter(action="zones.shape.remove", target_id=w.building.id).count() == 1


def test_map_features_colour_and_count_by_zone(world, presets):
    w = world
    shapes.save_shape(actor_for(w.users.staff), w.building, poly())
    designate(w, w.unit1, "sealed")
    f = queries.map_features(w.community)["features"][0]["properties"]
    assert f["name"] == "1号楼" and f["counts"] and f["zone"] == "部分封控区" and f["colour"] == "#c0392b"
    sealed = next(c for c in f["counts"] if c["zone"] == "封控区")
    assert sealed["households"] >= 1 and sealed["people"] >= 1
    mappable = queries.mappable(actor_for(w.users.staff).scope, w.community)
    assert {m["place"].name: m["drawn"] for m in mappable}["1号楼"] is True
    designate(w, w.building, "controlled", number="第19号")  # the whole building controlled, unit 1 sealed
    f = queries.map_features(w.community)["features"][0]["properties"]
    assert f["zone"] == "部分封控区" and f["colour"] == "#c0392b"


def test_geojson_file_import_all_or_nothing(world, presets, login, settings):
    w = world
    c = login(w.users.staff)
    ring = OPEN_RING + [OPEN_RING[0]]
    good = {"type": "Feature", "properties": {"name": "1号楼"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    bad = {"type": "Feature", "properties": {"name": "光明小区"}, "geometry": {"type": "Polygon", "coordinates": [ring[:2]]}}
    unknown = {"type": "Feature", "properties": {"name": "99号楼"}, "geometry": good["geometry"]}

    def upload(features, name="buildings.geojson"):
        body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
        return c.post(f"/zones/p/{w.community.id}/map/", {"file": SimpleUploadedFile(name, body)}, follow=True)

    r = upload([good, bad, unknown])
    assert "未保存任何内容：2 个要素有错误" in r.text  # the headline, then each bad one named
    assert "第2个要素：光明小区：坐标不是" in r.text and "第3个要素：" in r.text and "99号楼" in r.text
    assert not Shape.objects.exists()  # all or nothing
    r = upload([good])
    assert Shape.objects.filter(place=w.building).exists()
    big = SimpleUploadedFile("big.geojson", b" " * (shapes.MAX_BYTES + 10))
    r = c.post(f"/zones/p/{w.community.id}/map/", {"file": big}, follow=True)
    assert "MB" in r.text and Shape.objects.count() == 1
    r = c.post(f"/zones/p/{w.community.id}/map/", {"file": SimpleUploadedFile("x.geojson", b"\xff\xfe{")})
    assert "UTF-8" in r.text


def test_api_draws_the_same_way(world, presets, client):
    w = world
    client.force_login(w.users.staff)
    url = f"/api/v1/zones/places/{w.building.id}/shape"
    r = client.put(url, data=json.dumps({"geometry": {"type": "Polygon", "coordinates": [OPEN_RING]}}),
                   content_type="application/json")
    assert r.status_code == 200 and r.json()["geometry"]["coordinates"][0][-1] == OPEN_RING[0]
    bad = client.put(url, data=json.dumps({"geometry": {"type": "Point", "coordinates": [1000, 1]}}),
                     content_type="application/json")
    assert bad.status_code == 400 and "经度" in bad.json()["error"]["fields"]["geometry"][0]
    data = client.get(f"/api/v1/zones/map?place={w.community.id}").json()
    assert [f["properties"]["name"] for f in data["features"]] == ["1号楼"]
    assert client.delete(url).json()["geometry"] is None and not Shape.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="zones.shape").count() == 2


def test_an_empty_map_opens_where_the_installation_is(world, presets, login):
    """FANGKONG_MAP_CENTER reaches the map element as data-center (zones-map.js opens a map
    without outlines there; no inline script), and the default is Taiyuan."""
    from django.test import override_settings

    c = login(world.users.staff)
    url = f"/zones/p/{world.community.id}/map/"
    assert 'data-center="37.87,112.55"' in c.get(url).content.decode()
    with override_settings(FANGKONG_MAP_CENTER=" 31.2304, 121.4737 "):  # Shanghai, spaces allowed
        page = c.get(url).content.decode()
    assert 'data-center="31.2304,121.4737"' in page and "<script>" not in page


@pytest.mark.parametrize("value", ["abc", "37.87", "95,112.55", "37.87,200", "nan,1", "37.87;112.55"])
def test_a_wrong_map_centre_fails_the_check(db, value):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.test import override_settings

    from fangkong.zones.map_center import check_map_center

    with override_settings(FANGKONG_MAP_CENTER=value):
        errors = check_map_center()
        assert [e.id for e in errors] == ["fangkong.E002"] and "FANGKONG_MAP_CENTER" in errors[0].msg
        with pytest.raises(SystemCheckError, match="fangkong.E002"):
            call_command("check")
    assert check_map_center() == []


def test_the_printed_table_leaves_out_a_milder_zone_a_stricter_one_above_replaced(world, presets):
    """Review (finding 6): 1号楼 designated 管控区, then its compound sealed: the building's own
    designation stays in force but holds nobody, and the table under the map printed
    "管控区 · 1号楼 · 0户" beside "封控区 · 光明小区"."""
    from fangkong.core.actor import Actor
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind
    from fangkong.zones.map_places import zone_places

    w = world
    empty = reg.create_place(Actor.system(), w.compound, Kind.BUILDING, "9号楼")  # nobody lives there
    designate(w, w.building, "controlled", "第18号")
    designate(w, empty, "controlled", "第19号")
    rows = {(r["place"].id, r["zone_type"].code): r["households"] for r in zone_places(w.community)}
    assert rows[(w.building.id, "controlled")] > 0 and rows[(empty.id, "controlled")] == 0  # still listed
    designate(w, w.compound, "sealed", "第20号")
    rows = {(r["place"].id, r["zone_type"].code): r["households"] for r in zone_places(w.community)}
    assert rows[(w.compound.id, "sealed")] > 0, rows
    assert (w.building.id, "controlled") not in rows and (empty.id, "controlled") not in rows, rows
