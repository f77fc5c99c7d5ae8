"""A page that only takes a form (a POST) is never a blank page: opened by its address it
says what it is, and the language switch on a form's answer goes back to the form's page
(found walking the demo: a mistake on the round-planning form, then "English", showed the
browser's "HTTP ERROR 405")."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_form_only_address_opened_by_get_says_so_in_words(world):
    c = Client()
    c.force_login(world.users.staff)
    c.cookies["django_language"] = "zh-hans"
    r = c.get("/screening/plan/")
    html = r.content.decode()
    assert r.status_code == 405 and "这个地址只接收表单提交" in html and 'href="/"' in html
    assert "POST" in r["Allow"]
    api = c.get("/api/v1/screening/results")  # the API keeps its JSON shape
    assert api.status_code == 405 and api.json()["error"]["code"] == "method_not_allowed"


def test_the_language_switch_on_a_forms_answer_goes_back_to_the_forms_page(world):
    c = Client()
    c.force_login(world.users.staff)
    r = c.post("/screening/plan/", {"place": world.community.id, "name": ""},
               HTTP_REFERER="http://testserver/screening/?tab=plan")
    assert r.status_code == 200
    nxt = re.search(r'name="next" type="hidden" value="([^"]*)"', r.content.decode()).group(1)
    assert nxt.replace("&amp;", "&") == "/screening/?tab=plan"
    back = c.post("/i18n/setlang/", {"language": "en", "next": nxt})
    assert back.status_code == 302 and c.get(back["Location"]).status_code == 200
    # another site as referer: the start page, never away
    r = c.post("/screening/plan/", {"place": world.community.id, "name": ""},
               HTTP_REFERER="https://evil.example/x")
    assert 'name="next" type="hidden" value="/"' in r.content.decode()
