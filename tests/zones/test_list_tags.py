"""Zone tags on the long lists (the registry's household board and resident list, the
missing list, the home-sampling list): a coloured tag with the zone's name on each row of
a household in a zone, the page's zones read in ONE query (none per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.screening.actions import followup
from tests.conftest import actor_for
from tests.screening.conftest import rnd  # noqa: F401 - the running round over community A
from tests.zones.test_rules import designate

TAG = '<span class="zone zone-sealed"'


def get(client, url):
    with CaptureQueriesContext(connection) as q:
        r = client.get(url)
    assert r.status_code == 200, url
    zone_reads = [x for x in q.captured_queries if "zones_householdzone" in x["sql"]]
    return r.content.decode(), len(zone_reads)


@pytest.fixture
def sealed_unit(world, presets):
    designate(world, world.unit1, "sealed")  # households 101 and 102: 苏霞, 于海涛, 夏明
    return world.unit1


def test_registry_lists_tag_each_household_one_query(world, sealed_unit, client):
    client.force_login(world.users.staff)
    page, n = get(client, f"/places/{world.building.id}/")
    assert page.count(TAG) == 2 and "封控区" in page and n == 1  # doors 101 and 102, not 201
    page, n = get(client, f"/places/{world.community.id}/residents/")
    assert page.count(TAG) == 3 and n == 1  # 苏霞, 于海涛, 夏明; 王新勇 untagged


def test_missing_and_home_lists_tag_each_row_one_query(world, sealed_unit, rnd, client):  # noqa: F811
    client.force_login(world.users.staff)
    page, n = get(client, f"/screening/rounds/{rnd.id}/missing/?place={world.community.id}")
    assert page.count(TAG) == 3 and n == 1
    staff = actor_for(world.users.staff)
    for person in (world.xia, world.wang):
        followup.add_home_visit(staff, rnd, person)
    page, n = get(client, f"/screening/rounds/{rnd.id}/home/")
    from fangkong.screening.models import HomeVisit

    sealed_rows = HomeVisit.objects.filter(round=rnd, resident__household__place=world.unit1).count()
    assert sealed_rows >= 1 and page.count(TAG) == sealed_rows and "王新勇" in page and n == 1
