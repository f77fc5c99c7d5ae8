"""Text input hygiene (core/clean.py): NUL, control and bidi characters are cleaned from
every request in one place, and text longer than its field is refused with the limit named,
never cut. On PostgreSQL a NUL used to answer 500 (DataError) on a dozen endpoints."""

import json

import pytest

from fangkong.core import clean
from fangkong.core.errors import Invalid
from fangkong.registry import actions as reg
from fangkong.registry.models import Household, Resident
from fangkong.volunteers.models import Call

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "苏霞\u202eabc" shows as "苏霞cba"


# --- the cleaning function -----------------------------------------------------------

def test_controls_and_bidi_are_removed_and_names_of_every_people_stay_whole():
    assert clean.clean("a\x00b\x07c\x1b[31m") == "abc[31m"
    assert clean.clean(f"苏{RLO}霞\u2066\u2069\u200e\u200b") == "苏霞"
    assert clean.clean("\ufeff张三\x85") == "张三"
    for kept in ("阿卜杜拉·买买提", "才让卓玛", "O'Brien-Łukasz", "第一行\n第二行\t缩进",
                 "👨‍👩‍👧 一家", "𠀋𡈼"):  # · of minority names, ZWJ emoji, rare CJK
        assert clean.clean(kept) == kept


def test_a_json_body_is_walked_only_when_it_may_hold_such_a_character():
    plain = {"events": [{"person": "Ab12", "barcode": "T1"}] * 3}
    raw = json.dumps(plain).encode()
    assert clean.clean_body(raw, plain) is plain  # not walked
    nul = {"name": "a\x00b", "tags": ["x\u202ey"], "n": 1, "k\x00": None}
    for body in (json.dumps(nul).encode(), json.dumps(nul, ensure_ascii=False).encode()):
        assert clean.clean_body(body, nul) == {"name": "ab", "tags": ["xy"], "n": 1, "k": None}


# (every API route with NUL in every string it is sent: tests/api/test_security.py, on
# the matrix's shared world)


@pytest.mark.parametrize("path", [
    "/api/v1/residents?place={unit}&q=%E8%8B%8F%00",
    "/api/v1/households?place={unit}&q=1%000",
    "/api/v1/volunteers/people?community={community}&q=a%00b",
])
def test_searches_with_nul_answer_as_without_it(world, login, path):
    client = login(world.users.staff)
    url = path.format(unit=world.unit1.id, community=world.community.id)
    r = client.get(url)
    assert r.status_code == 200, r.content
    assert r.json() == client.get(url.replace("%00", "")).json()


@pytest.mark.parametrize("path", ["/search/?q=a%00b", "/search/?q=%E8%8B%8F%00%E9%9C%9E",
                                  "/volunteers/c/{community}/people/?q=%00",
                                  "/residents/{su}/move/?q=10%001"])
def test_pages_with_nul_in_the_query_answer(world, login, path):
    client = login(world.users.staff)
    r = client.get(path.format(community=world.community.id, su=world.su.id))
    assert r.status_code == 200


def test_a_nul_in_the_path_or_a_cookie_is_no_error(world, client):
    assert client.get("/residents/%00/edit/").status_code == 404
    assert client.get("/api/v1/residents/1%00").status_code == 401  # anonymous: 401 first
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    client.cookies["csrftoken"] = "\x00"
    r = client.get("/search/?q=x")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_a_name_with_a_right_to_left_override_is_stored_without_it(world, login):
    client = login(world.users.staff)
    r = client.post("/api/v1/residents", {"household": world.hh102.id,
                                          "name": f"阿卜杜拉{RLO}·买买提\x00"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    assert Resident.objects.get(pk=r.json()["id"]).name == "阿卜杜拉·买买提"
    # The same through the page's form.
    r = client.post(f"/households/{world.hh102.id}/residents/new/",
                    {"name": f"古丽{RLO}娜尔\x07", "relation": "子女", "presence": "home"})
    assert r.status_code == 302
    assert Resident.objects.filter(household=world.hh102, name="古丽娜尔").exists()


# --- over-long text: refused with the limit named, never cut ---------------------------

def test_a_ten_thousand_character_call_title_is_refused_with_the_limit(world, login):
    from tests.volunteers.security_routes import call_body

    client = login(world.users.staff)
    before = Call.objects.count()
    r = client.post("/api/v1/volunteers/calls", dict(call_body(world), title="召" * 10_000),
                    content_type="application/json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"]["title"] == ["最多填写 100 个字（现在有 10000 个）。"]
    assert Call.objects.count() == before
    r = client.post("/api/v1/volunteers/calls", dict(call_body(world), title="召" * 100),
                    content_type="application/json")
    assert r.status_code == 201 and r.json()["title"] == "召" * 100


@pytest.mark.parametrize("url, body, field, limit", [
    ("/api/v1/tokens", {"name": "手机" * 41}, "name", 80),
    ("/api/v1/households", {"place": "unit1", "door": "909", "notes": "注" * 501}, "notes", 500),
    ("/api/v1/households/hh101", {"notes": "注" * 501}, "notes", 500),
    ("/api/v1/places", {"parent": "building", "kind": "unit", "name": "9单元", "code": "9" * 41},
     "code", 40),
    ("/api/v1/volunteers/people/pending/reject", {"reason": "因" * 301}, "reason", 300),
])
def test_over_long_text_is_refused_not_cut(world, login, url, body, field, limit):
    from tests.volunteers.security_routes import setup

    setup(world)
    names = {"unit1": world.unit1.id, "hh101": world.hh101.id, "building": world.building.id,
             "pending": world.pending.id}
    url = "/".join(str(names.get(part, part)) for part in url.split("/"))
    body = {k: names.get(v, v) for k, v in body.items()}
    client = login(world.users.staff)
    method = "patch" if url.endswith(str(world.hh101.id)) else "post"
    r = getattr(client, method)(url, body, content_type="application/json")
    assert r.status_code == 400, r.content
    message = r.json()["error"]["fields"][field][0]
    assert f"最多填写 {limit} 个字" in message


def test_the_household_page_says_the_limit_and_keeps_what_was_typed(world, login):
    client = login(world.users.staff)
    long_notes = "钥匙在邻居家。" * 80  # 560 characters
    r = client.post(f"/households/{world.hh101.id}/edit/",
                    {"door": "101", "phone": "", "notes": long_notes})
    assert r.status_code == 200
    page = r.content.decode()
    assert "最多填写 500 个字（现在有 560 个）。" in page
    assert long_notes in page  # nothing typed is lost
    world.hh101.refresh_from_db()
    assert world.hh101.notes == ""


def test_anything_saved_past_its_limit_is_refused_at_the_last_line(world, system):
    hh = Household.objects.get(pk=world.hh101.pk)
    hh.notes = "x" * 501
    with pytest.raises(Invalid) as e:
        hh.save()
    assert "500" in e.value.fields["notes"][0]
    hh.notes = "a\x00b"
    hh.save()
    hh.refresh_from_db()
    assert hh.notes == "ab"
    r = reg.create_resident(system, world.hh102, {"name": "马" * 50})
    assert r.name == "马" * 50
