"""A request asked for a neighbour is the neighbour's (found on a phone: 101 asked help for
the elderly man at 302 and it was filed under 101's door — the volunteer went to the wrong
door, and the queue weighed 101's vulnerable people, not 302's). "为邻居求助" takes their
room in the same building; the request is theirs, saying who asked."""

import uuid

from django.test import Client

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.services.models import Request
from tests.conftest import PASSWORD


def the_old_man(w):
    system = Actor.system()
    hh302 = reg.create_household(system, w.unit2, "302")
    reg.create_household(system, w.unit1, "302")  # the same door in the other unit
    reg.create_resident(system, hh302, {"name": "陈老汉", "phone": "", "relation": "户主", "tags": "独居老人"})
    return hh302


def test_a_resident_asks_for_the_old_man_at_302_and_it_is_his_request(world, svc):
    w = world
    hh302 = the_old_man(w)
    c = Client()
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    url = f"/services/households/{w.hh101.id}/"
    page = c.get(url).content.decode()
    assert "为邻居求助" in page and 'name="room"' in page
    ask = {"do": "request", "category": "check_in", "text": "302的陈大爷两天没开门了", "client_id": str(uuid.uuid4())}
    page = c.post(url, {**ask, "room": "302"}).content.decode()  # 302 is in both units
    assert "这栋楼有 2 户门牌都是 302：请写上单元，如 2单元302 或 2-302。" in page and "302的陈大爷两天没开门了" in page
    page = c.post(url, {**ask, "room": "909"}).content.decode()
    assert "这栋楼没有 909 这个门牌。" in page and not Request.objects.exists()
    page = c.post(url, {**ask, "room": "2单元302"}, follow=True).content.decode()
    r = Request.objects.get()
    assert (r.household_id, r.asked_from_id, r.vulnerable) == (hh302.id, w.hh101.id, 5)
    assert "已为 光明小区 1号楼 2单元 302 提交求助" in page
    event = AuditEvent.objects.get(action="services.request.raise")
    assert (event.target_id, event.changes["asked_from"]) == (hh302.id, w.hh101.id)
    staff = Client()
    staff.force_login(w.users.staff)
    page = staff.get(f"/services/requests/{r.id}/").content.decode()
    assert "光明小区 1号楼 2单元 302" in page and "代为求助的邻居" in page and "光明小区 1号楼 1单元 101" in page


def test_only_a_room_of_the_same_building_and_the_api_is_the_same_action(world, svc):
    w = world
    hh302 = the_old_man(w)
    c = Client()
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    body = {"household": w.hh101.id, "category": "check_in", "text": "陈大爷没开门"}
    other = c.post("/api/v1/services/requests", {**body, "room": "301"}, content_type="application/json")
    assert other.status_code == 400 and other.json()["error"]["fields"]["room"]  # 301 is another community's
    made = c.post("/api/v1/services/requests", {**body, "room": "2-302"}, content_type="application/json")
    assert made.status_code == 201 and (made.json()["household"], made.json()["asked_from"]) == (hh302.id, w.hh101.id)
    # staff on 101's page for 102 (a neighbour called the office)
    staff = Client()
    staff.force_login(w.users.staff)
    staff.post(f"/services/households/{w.hh101.id}/", {"do": "request", "category": "repair", "text": "水管漏水",
                                                        "room": "102", "client_id": str(uuid.uuid4())})
    assert Request.objects.get(text="水管漏水").household_id == w.hh102.id
