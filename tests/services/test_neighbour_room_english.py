"""The neighbour's room in the reader's language (found on the family walk in English: the
placeholder read "302 / 2单元302", and "201" was answered "write the unit too, like 2单元201"
— Chinese to type on an English page; "Unit 2 201" was refused though "2-201" was accepted
and never said). English pages give English examples and the "2-201" form, Chinese pages
"2单元302"; "Unit 2 201" is read as unit 2, room 201."""

import re
import uuid

from django.test import Client

from fangkong.services.models import Request
from tests.conftest import PASSWORD
from tests.services.test_request_for_a_neighbour import the_old_man

HAN = re.compile(r"[\u4e00-\u9fff]")


def _client(w, lang):
    c = Client(headers={"accept-language": lang})
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    c.cookies["django_language"] = lang
    return c


def _room_field(page):
    return re.search(r'<input id="f-room"[^>]*>', page).group(0)


def _room_errors(page):
    return re.findall(r'<p class="error" role="alert">([^<]*)</p>', page)


def test_the_english_page_asks_for_the_room_in_english_and_names_the_2_201_form(world, svc):
    w = world
    hh302 = the_old_man(w)
    c = _client(w, "en")
    url = f"/services/households/{w.hh101.id}/"
    field = _room_field(c.get(url).content.decode())
    assert 'placeholder="302 / 2-302"' in field and not HAN.search(field)
    ask = {"do": "request", "category": "check_in", "text": "no answer at 302", "client_id": str(uuid.uuid4())}
    errors = _room_errors(c.post(url, {**ask, "room": "302"}).content.decode())
    assert errors == ["This building has 2 rooms 302: write the unit too, like 2-302 (unit 2, room 302)."]
    errors = _room_errors(c.post(url, {**ask, "room": "second unit 302"}).content.decode())
    assert errors == ["Write the room number, like 302, or the unit and the room, like 2-302 (unit 2, room 302)."]
    assert not Request.objects.exists()
    # "Unit 2 302", as the tester typed it, is unit 2, room 302
    c.post(url, {**ask, "room": "Unit 2 302"})
    assert Request.objects.get().household_id == hh302.id


def test_the_chinese_page_keeps_its_chinese_examples(world, svc):
    w = world
    the_old_man(w)
    c = _client(w, "zh-hans")
    url = f"/services/households/{w.hh101.id}/"
    assert 'placeholder="302 / 2单元302"' in _room_field(c.get(url).content.decode())
    ask = {"do": "request", "category": "check_in", "text": "302没人应门", "client_id": str(uuid.uuid4())}
    errors = _room_errors(c.post(url, {**ask, "room": "302"}).content.decode())
    assert errors == ["这栋楼有 2 户门牌都是 302：请写上单元，如 2单元302 或 2-302。"]
    errors = _room_errors(c.post(url, {**ask, "room": "二单元302"}).content.decode())
    assert errors == ["请写门牌号，如 302；或单元加门牌号，如 2单元302 或 2-302。"]


def test_the_api_says_it_in_the_callers_language(world, svc):
    w = world
    the_old_man(w)
    c = _client(w, "en")
    body = {"household": w.hh101.id, "category": "check_in", "text": "no answer", "room": "302"}
    r = c.post("/api/v1/services/requests", body, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["room"] == [
        "This building has 2 rooms 302: write the unit too, like 2-302 (unit 2, room 302)."]
