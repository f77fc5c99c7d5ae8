"""A number no row can have, in any page's address or in a list of ids, is "not found",
never a server error: SQLite cannot even take it ("Python int too large to convert to
SQLite INTEGER") and PostgreSQL refuses it as out of range (found walking the demo:
/services/runs/99999999999999999999/ answered 500)."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

HUGE = ("9223372036854775808", "99999999999999999999", "0" * 30 + "1")


def _id_routes():
    """Every page route with an `<id:…>` part, as a regex source to fill in."""
    out = []

    def walk(patterns, prefix=""):
        for p in patterns:
            here = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, here)
            elif isinstance(p, URLPattern) and "<id:" in here:
                out.append(here)

    walk(get_resolver().url_patterns)
    return out


def test_every_page_with_an_id_answers_404_for_a_number_no_row_can_have(client, world):
    routes = _id_routes()
    assert len(routes) > 100  # every app's pages (the ids all go through core.access.RowId)
    client.force_login(world.users.staff)
    wrong = []
    for route in routes:
        for huge in HUGE:
            url = "/" + re.sub(r"<id:\w+>", huge, route)
            url = re.sub(r"<(?:str|slug|path):\w+>", "x", url).replace("^", "").replace("$", "")
            r = client.get(url)
            if r.status_code != 404:
                wrong.append(f"{url}: {r.status_code}")
    assert not wrong, wrong


def test_a_list_of_ids_with_a_huge_one_is_not_found(client, world):
    client.force_login(world.users.staff)
    for huge in HUGE[:2]:
        page = client.get(f"/places/{world.community.id}/code-cards.pdf?hh={world.hh101.id}&hh={huge}")
        api = client.get(f"/api/v1/places/{world.community.id}/code-cards.pdf?household={huge}")
        assert (page.status_code, api.status_code) == (404, 404), (page.content, api.content)
