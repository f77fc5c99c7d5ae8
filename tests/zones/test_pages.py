"""The zone pages as a user drives them (the client, not a browser): draft → add places →
diff → notice → publish (asked first) or schedule; lifting; household history; the
checkpoint with a scanned code card and a typed ID; the map's GeoJSON."""

import datetime
import json
import uuid

from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.codes import code_payload
from fangkong.registry.models import Kind
from fangkong.zones import queries
from fangkong.zones.models import Adjustment, CheckpointEvent, Shape, ZoneType
from tests.conftest import IDS


def sealed(w):
    return ZoneType.objects.get(policy__is_active=True, code="sealed")


def test_draft_diff_publish_on_the_pages(world, presets, login):
    w = world
    c = login(w.users.staff)
    r = c.get(f"/zones/p/{w.community.id}/")
    assert r.status_code == 200 and f"zones/p/{w.community.id}/adjust/" in r.text
    r = c.post(f"/zones/p/{w.community.id}/adjust/", {"title": "第18号通告"})
    adj = Adjustment.objects.get()
    assert r.status_code == 302 and r.url == f"/zones/adjustments/{adj.id}/"
    c.post(f"/zones/adjustments/{adj.id}/items/", {"place": w.building.id, "zone_type": sealed(w).id})
    r = c.get(f"/zones/adjustments/{adj.id}/diff/")
    assert "3" in r.text and "4" in r.text and "封控区" in r.text
    r = c.post(f"/zones/adjustments/{adj.id}/publish/", follow=True)  # no notice yet: said, not asked
    assert "confirm-yes" not in r.text and "通告" in r.text
    r = c.post(f"/zones/adjustments/{adj.id}/publish/", {"confirm": "1"}, follow=True)
    assert queries.household_zone(w.hh101.id) is None  # refused: a notice is needed
    c.post(f"/zones/adjustments/{adj.id}/notice/", {
        "number": "第18号", "issued_by": "桥东街道指挥部", "title": "封控", "effective_at": "2022-04-18T05:00"})
    r = c.post(f"/zones/adjustments/{adj.id}/publish/")
    assert "confirm-yes" in r.text and "3 户" in r.text  # the confirmation says how many households
    c.post(f"/zones/adjustments/{adj.id}/publish/", {"confirm": "1"})
    assert queries.household_zone(w.hh101.id).zone_type.code == "sealed"
    r = c.get(f"/zones/households/{w.hh101.id}/")
    assert r.status_code == 200 and "封控区" in r.text
    r = c.get(f"/zones/p/{w.community.id}/lifting/")
    assert r.status_code == 200 and "1号楼" in r.text


def test_schedule_on_the_page_asks_then_schedules(world, presets, login):
    w = world
    c = login(w.users.staff)
    c.post(f"/zones/p/{w.community.id}/adjust/", {"title": "明早封控"})
    adj = Adjustment.objects.get()
    c.post(f"/zones/adjustments/{adj.id}/items/", {"place": w.unit1.id, "zone_type": sealed(w).id})
    c.post(f"/zones/adjustments/{adj.id}/notice/", {
        "number": "第19号", "issued_by": "指挥部", "title": "封控", "effective_at": "2022-04-18T05:00"})
    at = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=5, minute=0, second=0, microsecond=0)
    r = c.post(f"/zones/adjustments/{adj.id}/schedule/", {"at": at.strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 200 and "confirm" in r.text
    assert "通告写明" in r.text and "2022" in r.text  # the notice said another minute: said in red
    notice_at = Adjustment.objects.get().notice
    notice_at.effective_at = at
    notice_at.save()
    r = c.post(f"/zones/adjustments/{adj.id}/schedule/", {"at": at.strftime("%Y-%m-%dT%H:%M")})
    assert "confirm" in r.text and "通告写明" not in r.text  # the same minute as the notice: no warning
    c.post(f"/zones/adjustments/{adj.id}/schedule/", {"at": at.strftime("%Y-%m-%dT%H:%M"), "confirm": "1"})
    adj.refresh_from_db()
    assert adj.state == "scheduled" and adj.effective_at == at


def test_checkpoint_page_scans_a_card_and_a_typed_id(world, presets, login):
    w = world
    gate = reg.create_place(Actor.system(), w.compound, Kind.CHECKPOINT, "东门")
    c = login(w.users.grid)
    r = c.get(f"/zones/p/{w.compound.id}/gate/")
    assert r.status_code == 200 and "东门" in r.text
    r = c.post(f"/zones/p/{w.compound.id}/gate/", {"gate": gate.id, "person": "  " + code_payload(w.su) + "\r\n",
                                                   "direction": "out", "colour": "green", "temperature": "36.4",
                                                   "client_id": str(uuid.uuid4())})
    assert r.status_code == 200 and "苏霞" in r.text
    r = c.post(f"/zones/p/{w.compound.id}/gate/", {"gate": gate.id, "person": IDS["wang_xinyong"].lower(),
                                                   "direction": "in", "colour": "green",
                                                   "client_id": str(uuid.uuid4())})
    assert "王新勇" in r.text
    r = c.post(f"/zones/p/{w.compound.id}/gate/", {"gate": gate.id, "person": "123", "direction": "in",
                                                   "client_id": str(uuid.uuid4())})
    assert "身份证号" in r.text
    assert CheckpointEvent.objects.count() == 2
    r = c.get(f"/zones/p/{w.compound.id}/gate/log.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")


def test_map_geojson(world, presets, login):
    w = world
    c = login(w.users.staff)
    geo = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "1号楼"},
         "geometry": {"type": "Polygon", "coordinates": [[[112.55, 37.87], [112.551, 37.87], [112.551, 37.871],
                                                           [112.55, 37.87]]]}}]}
    bad = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "99号楼"},
                                                      "geometry": {"type": "Point", "coordinates": [1, 2]}}]}
    r = c.post(f"/zones/p/{w.community.id}/map/", {"geojson": json.dumps(bad)})
    assert "99号楼" in r.text and Shape.objects.count() == 0
    c.post(f"/zones/p/{w.community.id}/map/", {"geojson": json.dumps(geo)})
    data = c.get(f"/zones/p/{w.community.id}/map.geojson").json()
    assert [f["properties"]["name"] for f in data["features"]] == ["1号楼"]
    assert c.get(f"/zones/p/{w.community.id}/map/").status_code == 200
    assert login(w.users.other_staff).get(f"/zones/p/{w.community.id}/map.geojson").status_code == 404


def test_a_citys_health_code_file_all_or_nothing(world, presets, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fangkong.zones.models import HealthCodeObservation

    w = world
    c = login(w.users.grid)

    def send(text):
        f = SimpleUploadedFile("codes.csv", text.encode("utf-8-sig"), content_type="text/csv")
        return c.post(f"/zones/p/{w.compound.id}/codes/import/", {"file": f}, follow=True)

    bad = send(f"姓名,身份证号,健康码\n苏霞,{IDS['su_xia']},绿\n袁桂英,{IDS['b_person']},黄\n夏明,{IDS['xia_ming']},蓝\n")
    text = bad.content.decode()
    # a bad colour refuses the file, headline first; the other community's person is no error
    assert "蓝" in text and "未记录任何内容" in text and "这里没有持此身份证号的居民" not in text
    assert HealthCodeObservation.objects.count() == 0
    ok = send(f"姓名,身份证号,健康码\n苏霞,{IDS['su_xia']},绿\n夏明,{IDS['xia_ming'].lower()},黄码\n")
    assert "2" in ok.content.decode()
    assert {(o.resident.name, o.colour, o.source) for o in HealthCodeObservation.objects.all()} == {
        ("苏霞", "green", "import"), ("夏明", "yellow", "import")}
    assert queries.health_code(w.xia.id).colour == "yellow"


def test_zone_pages_of_a_place_that_is_not_a_level(world, presets, login):
    from fangkong.core.actor import Actor

    gate = reg.create_place(Actor.system(), world.compound, Kind.CHECKPOINT, "北门")
    c = login(world.users.staff)
    for url in (f"/zones/p/{gate.id}/", f"/zones/p/{gate.id}/lifting/", f"/zones/p/{gate.id}/notices/",
                f"/zones/p/{gate.id}/map/", f"/zones/p/{gate.id}/gate/"):
        assert c.get(url).status_code == 200, url


def test_crumbs_link_only_the_places_the_user_may_open(world, presets, login):
    """Community staff on a building's zones page: the district and street above are named
    as plain text (their pages answer "not found" to this user), the community and below
    are links; the grid worker may open neither the community nor above. The registry's
    pages use the same crumbs."""
    import re

    def crumbs(user, url):
        html = login(user).get(url).content.decode()
        nav = re.search(r'<nav class="crumbs"[^>]*>(.*?)</nav>', html, re.S).group(1)
        links = re.findall(r'<a href="/places/(\d+)/">([^<]+)</a>', nav)
        return [name for _pk, name in links], re.findall(r"<span>([^<]+)</span>", nav)

    url = f"/zones/p/{world.building.id}/"
    links, texts = crumbs(world.users.staff, url)
    assert texts == ["迎泽区", "桥东街道"] and links == ["光明社区", "第一网格", "光明小区"]
    links, texts = crumbs(world.users.grid, url)
    assert texts == ["迎泽区", "桥东街道", "光明社区"] and links == ["第一网格", "光明小区"]
    for pk in (world.district.id, world.street.id):  # the plain-text ones are indeed closed
        assert login(world.users.staff).get(f"/places/{pk}/").status_code == 404
    links, texts = crumbs(world.users.staff, f"/places/{world.building.id}/")
    assert texts == ["迎泽区", "桥东街道"] and "光明社区" in links


def test_a_drafts_places_read_in_the_trees_order(world, presets, login, system):
    """Units of several buildings added in any order read building by building, each with
    its building's name ("光明小区 1号楼 1单元"), 10号楼 after 2号楼."""
    import re

    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind

    w = world
    b2 = reg.create_place(system, w.compound, Kind.BUILDING, "2号楼")
    b10 = reg.create_place(system, w.compound, Kind.BUILDING, "10号楼")
    u = {(b.name, n): reg.create_place(system, b, Kind.UNIT, f"{n}单元") for b in (b2, b10) for n in (1, 2)}
    c = login(w.users.staff)
    c.post(f"/zones/p/{w.community.id}/adjust/", {"title": "第19号通告"})
    adj = Adjustment.objects.get()
    for place in (u[("10号楼", 1)], u[("2号楼", 2)], w.unit2, u[("2号楼", 1)], w.unit1, u[("10号楼", 2)]):
        c.post(f"/zones/adjustments/{adj.id}/items/", {"place": place.id, "zone_type": sealed(w).id})
    page = c.get(f"/zones/adjustments/{adj.id}/").content.decode()
    names = re.findall(r'<li class="row"><span class="grow"><strong>([^<]+)</strong>', page)
    assert names == ["光明小区 1号楼 1单元", "光明小区 1号楼 2单元", "光明小区 2号楼 1单元",
                     "光明小区 2号楼 2单元", "光明小区 10号楼 1单元", "光明小区 10号楼 2单元"], names


def test_the_draft_menu_has_no_default_that_lifts(world, presets, login):
    """Found walking the demo: the zone menu started on "Lift (no zone)", so a hurried "add"
    put a lift in the draft. It starts on "Choose…"; a lift is chosen by name."""
    w = world
    c = login(w.users.staff)
    c.post(f"/zones/p/{w.community.id}/adjust/", {"title": "第20号通告"})
    adj = Adjustment.objects.get()
    page = c.get(f"/zones/adjustments/{adj.id}/").content.decode()
    menu = page.split('id="f-type"')[1].split("</select>")[0]
    assert 'value="" disabled selected' in menu and 'value="lift"' in menu
    r = c.post(f"/zones/adjustments/{adj.id}/items/", {"place": w.building.id, "zone_type": ""}, follow=True)
    assert "请选择区域类型" in r.content.decode() and not adj.items.exists()
    r = c.post(f"/zones/adjustments/{adj.id}/items/", {"place": w.building.id, "zone_type": "lift"}, follow=True)
    assert "这里没有可解除的区域" in r.content.decode() and not adj.items.exists()
    c.post(f"/zones/adjustments/{adj.id}/items/", {"place": w.building.id, "zone_type": sealed(w).id})
    assert adj.items.get().zone_type == sealed(w)
