"""Every link a role is shown on the testing-round pages opens for it: a crawl from the
rounds list through the round, the missing list and what they link to, as each role, with a
round in progress. A link that answers 403/404 to the person it was shown to is a defect
(found this way: the pooling advisor shown to volunteers, the round page to lab operators,
the exemptions and the .xlsx export to building leaders)."""

import re
from collections import deque

import pytest
from django.urls import reverse

from fangkong.core.actor import Actor
from fangkong.screening.actions import planning, station

from .conftest import cid

ROLES = ["district", "street", "staff", "grid", "leader", "volunteer", "lab", "resident"]
HREF = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/logout", "/i18n", "/static", "/media", "/admin", "/api/")


@pytest.mark.parametrize("who", ROLES)
def test_every_link_on_the_round_pages_opens_for_whom_it_is_shown(world, rnd, client, who):
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, "T0001")
    station.scan(staff, rnd, client_id=cid(), barcode="T0001", person=world.su.token)
    planning.assign_sampler(staff, rnd, world.point, world.users.volunteer)
    client.force_login(getattr(world.users, who))
    start = reverse("screening_home")
    if client.get(start).status_code == 404:  # no testing rounds for this role at all
        return
    seen, todo, broken = set(), deque([(start, "")]), []
    while todo and len(seen) < 60:
        url, came_from = todo.popleft()
        url = url.replace("&amp;", "&")
        if url in seen or url.startswith(SKIP) or "export" in url or ".xlsx" in url or ".pdf" in url:
            continue
        seen.add(url)
        r = client.get(url)
        if r.status_code in (301, 302):
            todo.append((r["Location"], url))
            continue
        if r.status_code != 200:
            broken.append((url, r.status_code, came_from))
            continue
        if url.startswith("/screening") and "html" in r.get("Content-Type", ""):
            todo.extend((h, url) for h in HREF.findall(r.content.decode()) if h not in seen)
    assert not broken, f"{who}: links that do not open: {broken}"
    # and the export link, where shown, answers the file
    for url in [u for u in seen if "/missing/" in u]:
        body = client.get(url).content.decode()
        for href in re.findall(r'href="([^"]*missing\.xlsx[^"]*)"', body):
            assert client.get(href.replace("&amp;", "&")).status_code == 200, (who, href)
