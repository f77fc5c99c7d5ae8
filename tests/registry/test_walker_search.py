"""The name search as people type names (found by an English-UI walker): ü as lv, lü, lyu
or plain lu; tone marks; the given name first ("Baoguo Wang") or alone ("baoguo"); and a
hint when nobody is found. The household edit page names the whole address."""

import pytest
from django.urls import reverse

from fangkong.core.text import given_key, search_keys
from fangkong.registry import actions, queries
from fangkong.registry.models import Resident


@pytest.fixture
def people(world, system):
    hh = actions.create_household(system, world.unit2, "202")
    return {name: actions.create_resident(system, hh, {"name": name})
            for name in ("吕保国", "卢芳", "张伟", "女娲")}


def _found(world, query):
    scope = world.users.staff
    from fangkong.accounts.scope import Scope

    _kind, rows = queries.search(Scope.for_user(scope), query)
    return {r.name for r in rows}


@pytest.mark.parametrize("query,expected", [
    ("lv", {"吕保国"}),
    ("lü", {"吕保国"}),
    ("Lǚ", {"吕保国"}),
    ("Lyu", {"吕保国"}),
    ("lu", {"吕保国", "卢芳"}),  # lu is 卢 and, typed without the ü, 吕
    ("Lü Baoguo", {"吕保国"}),
    ("lu baoguo", {"吕保国"}),
    ("Lyu Baoguo", {"吕保国"}),
    ("Baoguo Lyu", {"吕保国"}),  # given name first
    ("baoguo", {"吕保国"}),  # the given name alone
    ("zhāng", {"张伟"}),  # tone marks
    ("Zhang Wei", {"张伟"}),
    ("wei zhang", {"张伟"}),
    ("nu", {"女娲"}),
    ("lbg", {"吕保国"}),  # initials still
])
def test_pinyin_spellings_find_the_person(world, people, query, expected):
    assert _found(world, query) == expected


def test_the_keys_are_stored_and_prefix_looked_up():
    assert given_key("吕保国") == "baoguolv" and given_key("吕") == ""
    assert search_keys("Lü  Baoguo") == ["lvbaoguo"]
    assert search_keys("lu") == ["lu", "lv"]
    assert search_keys("吕") is None and search_keys("1-1") is None
    assert Resident._meta.get_field("pinyin_given").db_index


def test_upper_case_u_umlaut_is_pinyin_too():
    assert search_keys("LÜ") == search_keys("lü") == ["lv"]
    assert search_keys("LÜ BAOGUO") == ["lvbaoguo"]


def test_nobody_found_hints_at_lv(login, world, people):
    c = login(world.users.staff)
    c.cookies["django_language"] = "en"
    html = c.get(reverse("search"), {"q": "xyzq"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Nobody found" in html and "try lv for ü" in html
    c.cookies["django_language"] = "zh-hans"
    html = c.get(reverse("search"), {"q": "xyzq"}, HTTP_HX_REQUEST="true").content.decode()
    assert "试试 lv 表示 ü" in html
    html = c.get(reverse("search"), {"q": "吕国保"}, HTTP_HX_REQUEST="true").content.decode()
    assert "试试" not in html  # not a pinyin query: no pinyin hint


def test_the_household_edit_heading_names_the_whole_address(login, world):
    c = login(world.users.staff)
    html = c.get(reverse("household_edit", args=[world.hh102.id])).content.decode()
    heading = html.split("<h1>")[1].split("</h1>")[0]
    assert "光明小区 1号楼 1单元 102" in heading, heading
