"""The registry over JSON: what each endpoint returns and changes.

Who may call what is in tests/api/test_security.py (one row per route); here are the happy
paths, the filters and pages, masking and its audit, bad input (field messages, nothing
written), the request's language, query counts on lists, and roster imports.
"""

import datetime
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import ApiToken
from fangkong.accounts.roles import ROLE_PERMS, Perm, Role
from fangkong.audit.models import AuditEvent
from fangkong.core import pii
from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Household, ImportJob, Kind, Place, Resident
from tests.conftest import IDS, make_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def counts():
    return {m.__name__: m.objects.count()
            for m in (Place, Household, Resident, ImportJob, ApiToken, AuditEvent)}


def session(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def bearer(user) -> dict:
    _tok, raw = account_actions.create_token(Actor.system(user, via="api"), "test device")
    return {"Authorization": f"Bearer {raw}"}


def post(client, url, body, **kw):
    return client.post(url, json.dumps(body), content_type="application/json", **kw)


def patch(client, url, body, **kw):
    return client.patch(url, json.dumps(body), content_type="application/json", **kw)


def new_id(seq, year=1970) -> str:
    return pii.make_id_number("140106", datetime.date(year, 1 + seq % 12, 1 + seq % 28), seq)


def fields(response) -> dict:
    return response.json()["error"]["fields"]


def add_residents(world, n, household=None, start=0):
    """n more residents, each in a new household of unit 2 or all in `household`."""
    system = Actor.system()
    for i in range(start, start + n):
        hh = household or reg.create_household(system, world.unit2, str(300 + i),
                                               phone=f"0351400{i:04d}")
        reg.create_resident(system, hh, {"name": f"居民{i}", "id_number": new_id(i),
                                         "phone": f"139{i:08d}", "tags": "慢病" if i % 2 else ""})


# --- places ----------------------------------------------------------------------

def test_places_without_parent_lists_my_own_top_nodes_with_counts(world):
    r = session(world.users.staff).get("/api/v1/places")
    assert r.status_code == 200
    assert [(p["id"], p["household_count"], p["resident_count"]) for p in r.json()] == [
        (world.community.id, 3, 4)]
    assert [p["id"] for p in session(world.users.street).get("/api/v1/places").json()] == [
        world.street.id]
    assert [p["id"] for p in session(world.users.leader).get("/api/v1/places").json()] == [
        world.building.id]
    for user in (world.users.resident, world.users.volunteer, world.users.lab):
        assert session(user).get("/api/v1/places").json() == []


def test_places_lists_the_children_of_a_place_with_counts(world):
    r = session(world.users.staff).get(f"/api/v1/places?parent={world.building.id}")
    assert r.status_code == 200
    assert [(p["name"], p["kind"], p["parent"], p["household_count"], p["resident_count"])
            for p in r.json()] == [("1单元", "unit", world.building.id, 2, 3),
                                   ("2单元", "unit", world.building.id, 1, 1)]


def test_place_detail_shows_counts_and_only_the_ancestors_i_may_see(world):
    r = session(world.users.staff).get(f"/api/v1/places/{world.building.id}")
    assert r.status_code == 200
    body = r.json()
    assert (body["name"], body["household_count"], body["resident_count"],
            body["vulnerable_count"]) == ("1号楼", 3, 4, 2)
    # District and street are above the staff member's community: not shown.
    assert [a["name"] for a in body["ancestors"]] == ["光明社区", "第一网格", "光明小区"]
    body = session(world.users.district).get(f"/api/v1/places/{world.building.id}").json()
    assert [a["name"] for a in body["ancestors"]] == [
        "迎泽区", "桥东街道", "光明社区", "第一网格", "光明小区"]


def test_staff_create_a_place_and_the_audit_says_it_came_from_the_api(world):
    client = session(world.users.staff)
    r = post(client, "/api/v1/places",
             {"parent": world.building.id, "kind": "unit", "name": " 3单元 ", "code": "U3"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["name"], body["kind"], body["parent"], body["code"]) == (
        "3单元", "unit", world.building.id, "U3")
    place = Place.objects.get(pk=body["id"])
    assert place.unit_id == place.id and place.building_id == world.building.id
    event = AuditEvent.objects.get(action="place.create", target_id=place.id)
    assert (event.actor, event.via) == (world.users.staff, "api")


def test_a_place_of_the_wrong_kind_or_without_a_name_is_refused_with_field_messages(world):
    client = session(world.users.staff)
    before = counts()
    r = post(client, "/api/v1/places", {"parent": world.community.id, "kind": "unit", "name": "x"})
    assert r.status_code == 400 and list(fields(r)) == ["kind"]
    r = post(client, "/api/v1/places", {"parent": world.building.id, "kind": "castle", "name": "x"})
    assert r.status_code == 400 and list(fields(r)) == ["kind"]
    r = post(client, "/api/v1/places", {"parent": world.building.id, "kind": "unit", "name": "  "})
    assert r.status_code == 400 and list(fields(r)) == ["name"]
    r = post(client, "/api/v1/places", {"parent": world.building.id, "kind": "unit", "name": "1单元"})
    assert r.status_code == 400 and list(fields(r)) == ["name"]  # already there
    r = post(client, "/api/v1/places", {"parent": "one", "kind": 3})
    assert r.status_code == 422 and set(fields(r)) == {"parent", "kind", "name"}
    assert counts() == before


def test_only_the_system_makes_root_places(world):
    r = post(session(world.users.district), "/api/v1/places", {"kind": "district", "name": "杏花岭区"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"


def test_staff_rename_a_place(world):
    client = session(world.users.staff)
    r = patch(client, f"/api/v1/places/{world.unit2.id}", {"name": "二单元"})
    assert r.status_code == 200 and r.json()["name"] == "二单元"
    world.unit2.refresh_from_db()
    assert world.unit2.name == "二单元"
    r = patch(client, f"/api/v1/places/{world.unit2.id}", {"name": "1单元"})
    assert r.status_code == 400 and list(fields(r)) == ["name"]
    world.unit2.refresh_from_db()
    assert world.unit2.name == "二单元"


def test_moving_a_place_moves_everything_under_it(world, system):
    building2 = reg.create_place(system, world.compound, Kind.BUILDING, "2号楼")
    client = session(world.users.staff)
    r = post(client, f"/api/v1/places/{world.unit2.id}/move", {"parent": building2.id})
    assert r.status_code == 200, r.content
    assert r.json()["parent"] == building2.id
    world.wang.refresh_from_db()
    assert world.wang.building_id == building2.id
    r = post(client, f"/api/v1/places/{building2.id}/move", {"parent": world.unit2.id})
    assert r.status_code == 400 and list(fields(r)) == ["parent"]
    # Into another community: its parent is invisible to this staff member, so 404.
    r = post(client, f"/api/v1/places/{world.unit2.id}/move", {"parent": world.other_building.id})
    assert r.status_code == 404
    world.unit2.refresh_from_db()
    assert world.unit2.parent_id == building2.id


# --- households ------------------------------------------------------------------

def test_households_page_through_a_place_in_address_order(world):
    add_residents(world, 5)
    client = session(world.users.staff)
    r = client.get(f"/api/v1/households?place={world.building.id}&page_size=3")
    assert r.status_code == 200
    body = r.json()
    assert (body["count"], body["page"], body["page_size"]) == (8, 1, 3)
    assert [h["door"] for h in body["results"]] == ["101", "102", "201"]
    first = body["results"][0]
    assert first["address"] == "光明小区 1号楼 1单元"
    assert (first["resident_count"], first["phone"], first["phone_masked"]) == (
        2, "03514001234", False)
    body = client.get(f"/api/v1/households?place={world.building.id}&page_size=3&page=3").json()
    assert [h["door"] for h in body["results"]] == ["303", "304"]
    body = client.get(f"/api/v1/households?place={world.building.id}&page=9").json()
    assert body["results"] == [] and body["count"] == 8


def test_households_q_matches_a_door_prefix_or_the_phone_tail(world):
    client = session(world.users.staff)
    assert [h["door"] for h in client.get(
        f"/api/v1/households?place={world.community.id}&q=10").json()["results"]] == ["101", "102"]
    assert [h["door"] for h in client.get(
        "/api/v1/households?q=1234").json()["results"]] == ["101"]


def test_page_size_and_page_are_checked(world, settings):
    settings.FANGKONG_API_MAX_PAGE = 20
    client = session(world.users.staff)
    r = client.get("/api/v1/households?page_size=21", headers={"Accept-Language": "en"})
    assert r.status_code == 400
    assert fields(r) == {"page_size": ["At most 20 rows a page."]}
    r = client.get("/api/v1/residents?page=0&page_size=0", headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert fields(r) == {"page": ["Enter a number of at least 1."],
                         "page_size": ["Enter a number of at least 1."]}


def test_a_resident_sees_their_own_household_only(world):
    client = session(world.users.resident)
    body = client.get("/api/v1/households").json()
    assert [h["id"] for h in body["results"]] == [world.hh101.id]
    r = client.get(f"/api/v1/households/{world.hh101.id}")
    assert r.status_code == 200
    assert sorted(p["name"] for p in r.json()["residents"]) == ["于海涛", "苏霞"]
    assert client.get(f"/api/v1/households/{world.hh102.id}").status_code == 404
    assert client.get(f"/api/v1/residents/{world.xia.id}").status_code == 404
    body = client.get("/api/v1/residents").json()
    assert sorted(p["name"] for p in body["results"]) == ["于海涛", "苏霞"]
    assert client.get(f"/api/v1/residents?place={world.unit1.id}").status_code == 404


def test_household_detail_lists_its_residents_masked(world):
    r = session(world.users.grid).get(f"/api/v1/households/{world.hh101.id}")
    assert r.status_code == 200
    body = r.json()
    assert (body["door"], body["resident_count"]) == ("101", 2)
    su = next(p for p in body["residents"] if p["name"] == "苏霞")
    assert su["id_number"] == "1401**********786X"
    assert IDS["su_xia"] not in r.content.decode()


def test_staff_create_and_update_a_household(world):
    client = session(world.users.staff)
    r = post(client, "/api/v1/households", {"place": world.unit1.id, "door": 103,
                                            "phone": "138 1234 5678", "notes": "新住户"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["door"], body["phone"], body["resident_count"]) == ("103", "13812345678", 0)
    r = patch(client, f"/api/v1/households/{body['id']}", {"door": "103室", "phone": ""})
    assert r.status_code == 200
    assert (r.json()["door"], r.json()["phone"], r.json()["notes"]) == ("103", "", "新住户")


def test_bad_household_input_is_refused_field_by_field_and_writes_nothing(world):
    client = session(world.users.staff)
    before = counts()
    r = post(client, "/api/v1/households", {"place": world.unit1.id, "door": " ", "phone": "12"})
    assert r.status_code == 400 and set(fields(r)) == {"door", "phone"}
    r = post(client, "/api/v1/households", {"place": world.unit1.id, "door": "101"})
    assert r.status_code == 400 and list(fields(r)) == ["door"]  # already there
    r = post(client, "/api/v1/households", {"place": world.building.id, "door": "1", "colour": 1})
    assert r.status_code == 422 and list(fields(r)) == ["colour"]
    r = post(client, "/api/v1/households", {"place": world.compound.id, "door": "1"})
    assert r.status_code == 400 and list(fields(r)) == ["place"]  # not a unit or building
    r = patch(client, f"/api/v1/households/{world.hh101.id}", {"door": "102", "phone": "x"})
    assert r.status_code == 400 and set(fields(r)) == {"phone"}
    r = patch(client, f"/api/v1/households/{world.hh101.id}", {"door": "102"})
    assert r.status_code == 400 and list(fields(r)) == ["door"]
    assert counts() == before
    world.hh101.refresh_from_db()
    assert (world.hh101.door, world.hh101.phone) == ("101", "03514001234")


# --- residents -------------------------------------------------------------------

def names(response):
    assert response.status_code == 200, response.content
    return [p["name"] for p in response.json()["results"]]


def test_residents_filter_by_tag_presence_and_search(world, system):
    reg.update_resident(system, world.wang, {"presence": "集中隔离"})
    client = session(world.users.staff)
    base = f"/api/v1/residents?place={world.community.id}"
    assert names(client.get(base)) == ["苏霞", "于海涛", "夏明", "王新勇"]
    assert names(client.get(base + "&tag=bedridden")) == ["夏明"]
    assert names(client.get(base + "&tag=独居老人")) == ["苏霞"]
    assert names(client.get(base + "&presence=quarantine")) == ["王新勇"]
    assert names(client.get(base + "&presence=集中隔离&tag=卧床")) == []
    # q: the search box's rules (name, pinyin, initials, phone tail, ID tail, address).
    assert names(client.get(base + "&q=夏")) == ["夏明"]
    assert names(client.get(base + "&q=海")) == ["于海涛"]
    assert names(client.get(base + "&q=yuhaitao")) == ["于海涛"]
    assert names(client.get(base + "&q=xm")) == ["夏明"]
    assert names(client.get(base + "&q=8731")) == ["王新勇"]  # phone tail
    assert names(client.get(base + "&q=786X")) == ["苏霞"]  # ID tail
    assert names(client.get(base + f"&q={IDS['xia_ming']}")) == ["夏明"]
    assert names(client.get(base + "&q=1-1-101")) == ["苏霞", "于海涛"]
    assert names(client.get(base + "&q=1号楼2单元201")) == ["王新勇"]
    assert names(client.get(base + "&q=夏&tag=bedridden")) == ["夏明"]
    # q stays inside the place and the scope.
    assert names(client.get(f"/api/v1/residents?place={world.unit2.id}&q=夏")) == []
    assert names(client.get("/api/v1/residents?q=袁桂英")) == []


def test_an_unknown_tag_or_presence_is_a_field_error(world):
    client = session(world.users.staff)
    r = client.get("/api/v1/residents?tag=vip&presence=mars", headers={"Accept-Language": "en"})
    assert r.status_code == 400
    assert set(fields(r)) == {"tag", "presence"}


def test_resident_output_masks_the_id_and_audits_phones_shown_in_clear(world):
    client = session(world.users.staff)
    before = AuditEvent.objects.filter(action="resident.view_phones").count()
    r = client.get(f"/api/v1/residents?place={world.unit1.id}")
    su = next(p for p in r.json()["results"] if p["name"] == "苏霞")
    assert su["id_number"] == "1401**********786X"
    assert (su["phone"], su["phone_masked"]) == ("17446416120", False)
    assert (su["age"], su["sex"], su["tags"]) == (
        su["age"], "F", ["elderly_alone", "limited_mobility"])
    assert "birth_date" not in su  # with the masked ID it would give the ID away
    events = AuditEvent.objects.filter(action="resident.view_phones").order_by("id")
    assert events.count() == before + 1  # once for the whole list
    event = events.last()
    assert (event.actor, event.via) == (world.users.staff, "api")
    assert sorted(event.changes["residents"]) == sorted([world.su.id, world.yu.id, world.xia.id])


def test_a_role_without_phone_rights_gets_masked_phones_and_no_audit(world, monkeypatch):
    monkeypatch.setitem(ROLE_PERMS, Role.LEADER, frozenset({Perm.VIEW_REGISTRY}))
    before = AuditEvent.objects.count()
    r = session(world.users.leader).get(f"/api/v1/residents/{world.su.id}")
    assert r.status_code == 200
    assert (r.json()["phone"], r.json()["phone_masked"]) == ("174****6120", True)
    body = session(world.users.leader).get(f"/api/v1/households/{world.hh101.id}").json()
    assert (body["phone"], body["phone_masked"]) == ("035****1234", True)
    assert AuditEvent.objects.count() == before


def test_staff_create_a_resident(world):
    client = session(world.users.staff)
    idn = new_id(7, 1990)
    r = post(client, "/api/v1/residents", {
        "household": world.hh102.id, "name": "夏 小明", "id_number": idn.lower(),
        "phone": "+86 139 0000 1111", "relation": "子女", "presence": "home",
        "has_smartphone": False, "tags": ["infant", "残疾"], "notes": "左耳听力差"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["id_number"] == idn[:4] + "*" * 10 + idn[-4:]
    assert (body["name"], body["phone"], body["relation"], body["tags"], body["has_smartphone"],
            body["door"]) == ("夏 小明", "13900001111", "child", ["infant", "disability"], False,
                              "102")
    r = Resident.objects.get(pk=body["id"])
    assert pii.decrypt(r.id_enc) == idn
    assert r.birth_date == pii.id_birth_date(idn)  # taken from the ID number
    assert AuditEvent.objects.get(action="resident.create", target_id=r.id).via == "api"


def test_bad_resident_input_names_every_wrong_field_and_writes_nothing(world):
    client = session(world.users.staff)
    before = counts()
    r = post(client, "/api/v1/residents", {
        "household": world.hh101.id, "name": "", "id_number": "140106194809047861",
        "phone": "123", "sex": "X", "birth_date": "1990-13-45", "tags": ["vip"]},
        headers={"Accept-Language": "en"})
    assert r.status_code == 400
    assert set(fields(r)) == {"name", "id_number", "phone", "sex", "birth_date", "tags"}
    assert all(isinstance(m, str) and m for ms in fields(r).values() for m in ms)
    # An ID number already registered (anywhere, even in another community).
    r = post(client, "/api/v1/residents", {"household": world.hh101.id, "name": "重复",
                                           "id_number": IDS["b_person"]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "duplicate"
    assert list(fields(r)) == ["id_number"]
    # JSON of the wrong types, or unknown fields: refused before any rule runs.
    r = post(client, "/api/v1/residents", {"household": world.hh101.id, "name": "甲",
                                           "tags": "卧床", "has_smartphone": "maybe",
                                           "id_number": 140106194809047860, "nmae": "x"})
    assert r.status_code == 422
    assert set(fields(r)) == {"tags", "has_smartphone", "id_number", "nmae"}
    r = client.post("/api/v1/residents", "{not json", content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["message"] == "请求内容不是有效的 JSON。"
    r = post(client, "/api/v1/residents", [1, 2])
    assert r.status_code == 422
    assert counts() == before


def test_patch_changes_only_the_fields_sent(world):
    client = session(world.users.staff)
    r = patch(client, f"/api/v1/residents/{world.su.id}", {"presence": "住院", "tags": []})
    assert r.status_code == 200, r.content
    assert (r.json()["presence"], r.json()["tags"], r.json()["name"]) == ("hospital", [], "苏霞")
    world.su.refresh_from_db()
    assert (world.su.presence, world.su.tags, world.su.phone) == ("hospital", "", "17446416120")
    event = AuditEvent.objects.filter(action="resident.update", target_id=world.su.id).latest("id")
    assert set(event.changes) == {"presence", "tags"}


def test_a_bad_patch_changes_nothing(world):
    client = session(world.users.staff)
    before = counts()
    r = patch(client, f"/api/v1/residents/{world.su.id}", {"name": "", "phone": "123",
                                                           "presence": "hospital"})
    assert r.status_code == 400 and set(fields(r)) == {"name", "phone"}
    r = patch(client, f"/api/v1/residents/{world.su.id}", {"household": world.hh102.id})
    assert r.status_code == 422 and list(fields(r)) == ["household"]  # moving is its own call
    assert counts() == before
    world.su.refresh_from_db()
    assert (world.su.name, world.su.presence) == ("苏霞", "home")


def test_staff_move_a_resident_to_another_household(world):
    r = post(session(world.users.staff), f"/api/v1/residents/{world.wang.id}/move",
             {"household": world.hh101.id})
    assert r.status_code == 200, r.content
    assert (r.json()["household"], r.json()["door"]) == (world.hh101.id, "101")
    world.wang.refresh_from_db()
    assert (world.wang.household_id, world.wang.unit_id) == (world.hh101.id, world.unit1.id)
    # Not into a household of another community.
    r = post(session(world.users.staff), f"/api/v1/residents/{world.wang.id}/move",
             {"household": world.other_hh.id})
    assert r.status_code == 404


def test_reveal_id_gives_the_number_in_clear_and_audits_it(world):
    r = post(session(world.users.grid), f"/api/v1/residents/{world.su.id}/reveal-id", {})
    assert r.status_code == 200
    assert r.json() == {"id_number": IDS["su_xia"]}
    event = AuditEvent.objects.get(action="resident.reveal_id", target_id=world.su.id)
    assert (event.actor, event.via) == (world.users.grid, "api")
    r = post(session(world.users.leader), f"/api/v1/residents/{world.su.id}/reveal-id", {})
    assert r.status_code == 403
    assert AuditEvent.objects.filter(action="resident.reveal_id").count() == 1


def test_writes_work_with_a_token_and_are_audited_as_api(world):
    client = Client(enforce_csrf_checks=True)
    r = patch(client, f"/api/v1/residents/{world.xia.id}", {"notes": "需要轮椅"},
              headers=bearer(world.users.grid))
    assert r.status_code == 200, r.content
    event = AuditEvent.objects.get(action="resident.update", target_id=world.xia.id)
    assert (event.actor, event.via) == (world.users.grid, "api")


# --- the request's language --------------------------------------------------------

def test_messages_are_chinese_by_default_and_english_on_request(world):
    client = session(world.users.staff)
    body = {"household": world.hh101.id, "name": "", "colour": "red"}
    zh = post(client, "/api/v1/residents", body).json()["error"]
    en = post(client, "/api/v1/residents", body, headers={"Accept-Language": "en"}).json()["error"]
    assert (zh["message"], en["message"]) == ("此处没有这个字段：colour。", "This field is not known here: colour.")
    assert zh["fields"] == {"colour": ["未知字段。"]}
    assert en["fields"] == {"colour": ["Unknown field."]}
    # Messages from the registry's own rules follow the language too.
    zh = post(client, "/api/v1/residents", {"household": world.hh101.id, "name": ""}).json()
    en = post(client, "/api/v1/residents", {"household": world.hh101.id, "name": ""},
              headers={"Accept-Language": "en"}).json()
    assert en["error"]["fields"]["name"] == ["Name is required."]
    assert zh["error"]["fields"]["name"] != en["error"]["fields"]["name"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["error"]["fields"]["name"][0])
    # 404 and 403 too.
    assert client.get("/api/v1/residents/0").json()["error"]["message"] == "未找到。"
    assert client.get("/api/v1/residents/0", headers={"Accept-Language": "en"}).json()[
        "error"]["message"] == "Not found."
    r = post(session(world.users.leader), f"/api/v1/residents/{world.su.id}/reveal-id", {},
             headers={"Accept-Language": "en"})
    assert r.json()["error"]["message"] == "Your role does not allow this."


# --- query counts: lists never do a query per row ------------------------------------

def queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries), r


@pytest.mark.parametrize("auth", ["session", "token"])
def test_resident_list_of_50_does_not_query_per_row(world, auth, django_assert_max_num_queries):
    user = world.users.staff
    client, headers = (session(user), {}) if auth == "session" else (Client(), bearer(user))
    url = f"/api/v1/residents?place={world.community.id}&page_size=100"
    client.get(url, headers=headers)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, headers=headers).status_code == 200
    add_residents(world, 50)
    with django_assert_max_num_queries(10):
        r = client.get(url, headers=headers)
    assert r.json()["count"] == 54 and len(r.json()["results"]) == 54
    with CaptureQueriesContext(connection) as large:
        client.get(url, headers=headers)
    assert len(large) == len(small)


def test_household_and_place_lists_do_not_query_per_row(world, django_assert_max_num_queries):
    client = session(world.users.staff)
    urls = [f"/api/v1/households?place={world.community.id}&page_size=100",
            f"/api/v1/places?parent={world.compound.id}", "/api/v1/places",
            f"/api/v1/households/{world.hh101.id}"]
    small = {url: queries_for(client, url)[0] for url in urls}
    system = Actor.system()
    for i in range(10):
        reg.create_place(system, world.compound, Kind.BUILDING, f"{i + 2}号楼")
    add_residents(world, 50)
    add_residents(world, 10, household=world.hh101, start=50)
    for url in urls:
        with django_assert_max_num_queries(11):  # with the audit's Named rows of the phones shown
            n, _r = queries_for(client, url)
        assert n == small[url], url


# --- imports -----------------------------------------------------------------------

HEADER = ["序号", "姓名", "性别", "身份证号", "联系电话", "小区", "楼栋", "单元", "门牌号",
          "与户主关系", "人员状态", "重点人群", "备注"]


def roster(rows) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["光明社区居民花名册"])
    ws.append(HEADER)
    for i, row in enumerate(rows, 1):
        ws.append([i, *row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def person(name, idn, door, unit="2单元", relation="户主"):
    return [name, "", idn, "13900002222", "光明小区", "1号楼", unit, door, relation, "在家", "", ""]


def upload(client, place, content, name="roster.xlsx", **kw):
    return client.post("/api/v1/imports", {
        "place": place.id, "file": SimpleUploadedFile(name, content, content_type=XLSX)}, **kw)


def test_staff_import_a_roster_and_read_its_report(world):
    client = session(world.users.staff)
    r = upload(client, world.community, roster([person("郭建华", new_id(1), "202"),
                                                person("郭小华", new_id(2, 2015), "202", relation="子女")]))
    assert r.status_code == 201, r.content
    job = r.json()  # checked: nothing written until it is confirmed
    assert (job["status"], job["finished"], job["total_rows"]) == ("checked", False, 2)
    assert job["summary"]["counts"]["created"] == 2 and not Resident.objects.filter(
        household__door="202", unit_id=world.unit2.id).exists()
    r = client.post(job["confirm"], {"digest": job["summary"]["digest"]})
    assert r.status_code == 200, r.content
    job = r.json()
    assert (job["status"], job["finished"], job["percent"], job["total_rows"]) == (
        "done", True, 100, 2)
    assert job["counts"] == {"created": 2, "updated": 0, "unchanged": 0,
                             "households_created": 1, "places_created": 0, "joined": 0, "kept": 0}
    assert Resident.objects.filter(household__door="202", unit_id=world.unit2.id).count() == 2
    r = client.get(f"/api/v1/imports/{job['id']}")
    assert r.status_code == 200 and r.json()["status"] == "done"


def test_a_roster_with_row_errors_answers_422_with_the_rows_and_imports_nothing(world):
    client = session(world.users.staff)
    before = {m: c for m, c in counts().items() if m not in ("ImportJob", "AuditEvent")}
    r = upload(client, world.community, roster([
        person("郭建华", new_id(1), "202"),
        person("", "140106194809047861", "203"),
        person("马丽", "12345", "204")]), headers={"Accept-Language": "en"})
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["code"] == "import_rejected" and error["fields"] == {}
    job_id = error["job"]
    assert r["Location"] == f"/api/v1/imports/{job_id}"
    assert {(e["row"], e["column"]) for e in error["rows"]} >= {(4, "姓名"), (4, "身份证号"),
                                                                (5, "身份证号")}
    assert all(e["message"] for e in error["rows"])
    assert "140106194809047861" not in r.content.decode()  # the importer masks what it echoes
    after = {m: c for m, c in counts().items() if m not in ("ImportJob", "AuditEvent")}
    assert after == before
    report = client.get(f"/api/v1/imports/{job_id}").json()
    assert (report["status"], report["error_count"]) == ("rejected", len(error["rows"]))


def test_a_file_that_is_not_a_roster_is_refused_with_a_field_message(world):
    client = session(world.users.staff)
    r = upload(client, world.community, b"", headers={"Accept-Language": "en"})
    assert r.status_code == 422 and list(fields(r)) == ["file"]  # arrived, cannot be used
    assert r.json()["error"]["code"] == "invalid_file"
    assert r.json()["error"]["message"] == "The file is empty."
    r = client.post("/api/v1/imports", {"place": world.community.id})
    assert r.status_code == 422 and list(fields(r)) == ["file"]
    r = upload(client, world.community, b"\x00not excel", name="roster.xlsx")
    assert r.status_code == 422 and list(fields(r)) == ["file"]
    assert Resident.objects.count() == 5


def test_a_big_roster_is_queued_and_answers_202(world, settings):
    settings.FANGKONG_IMPORT_INLINE_ROWS = 1
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    r = upload(session(world.users.staff), world.community,
               roster([person("郭建华", new_id(1), "202"), person("郭小华", new_id(2), "203")]))
    assert r.status_code == 202, r.content
    assert (r.json()["status"], r.json()["finished"]) == ("queued", False)


def test_an_import_that_fails_inside_answers_500_and_imports_nothing(world, monkeypatch):
    from fangkong.registry import importer

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importer.job, "_plan", broken)
    r = upload(session(world.users.staff), world.community,
               roster([person("郭建华", new_id(1), "202")]))
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "import_failed" and r.json()["error"]["job"]
    assert Resident.objects.count() == 5


def test_import_reports_are_for_their_uploader_and_those_who_may_import_there(world, system):
    r = upload(session(world.users.staff), world.community,
               roster([person("郭建华", new_id(1), "202")]))
    job_id = r.json()["id"]
    url = f"/api/v1/imports/{job_id}"
    colleague = make_user(system, "staff_a2", Role.STAFF, world.community)
    assert session(colleague).get(url).status_code == 200
    for user in (world.users.grid, world.users.street, world.users.other_staff,
                 world.users.volunteer, world.users.resident):
        assert session(user).get(url).status_code == 404, user
    # The uploader keeps seeing their own report even after losing the role.
    world.users.staff.memberships.update(is_active=False)
    assert session(world.users.staff).get(url).status_code == 200


def test_imports_work_with_a_token_without_csrf(world):
    client = Client(enforce_csrf_checks=True)
    r = upload(client, world.community, roster([person("郭建华", new_id(1), "202")]),
               headers=bearer(world.users.staff))
    assert r.status_code == 201, r.content


def test_household_phones_shown_in_clear_are_audited(world, login):
    """The household's own phone (a landline) is personal data like the residents'."""
    client = session(world.users.staff)
    r = client.get(f"/api/v1/households?place={world.unit1.id}")
    hh = next(h for h in r.json()["results"] if h["id"] == world.hh101.id)
    assert (hh["phone"], hh["phone_masked"]) == ("03514001234", False)
    event = AuditEvent.objects.filter(action="resident.view_phones").latest("id")
    assert event.changes["households"] == [world.hh101.id] and event.changes["count"] == 0
    assert event.community_id == world.community.id

    page = login(world.users.grid).get(f"/households/{world.hh101.id}/")
    assert "03514001234" in page.content.decode()
    event = AuditEvent.objects.filter(action="resident.view_phones").latest("id")
    assert event.actor == world.users.grid
    assert event.changes["households"] == [world.hh101.id]
    assert sorted(event.changes["residents"]) == sorted([world.su.id, world.yu.id])


def test_id_reveals_are_limited_per_hour(world, settings, login):
    settings.FANGKONG_REVEALS_PER_HOUR = 2
    client = session(world.users.staff)
    url = f"/api/v1/residents/{world.su.id}/reveal-id"
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200
    r = client.post(url, headers={"Accept-Language": "zh-hans"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert "2" in r.json()["error"]["message"]
    assert AuditEvent.objects.filter(action="resident.reveal_id").count() == 2  # refused: no reveal
    page = login(world.users.staff).post(f"/residents/{world.su.id}/reveal-id/",
                                         headers={"HX-Request": "true"})
    assert page.status_code == 200 and "14010619480904786X" not in page.content.decode()
    assert 'role="alert"' in page.content.decode()
    # another user has their own allowance
    assert session(world.users.grid).post(url).json()["id_number"] == "14010619480904786X"
