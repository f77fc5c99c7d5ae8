"""Who has reported (上报情况) is one rule for the page and the API (`access.require_completeness`):
a street's or district's, whose places report to it; a community has no place reporting to it
(its grids send no report), so both answer 404 there (walked 2026-12-07: the page was 404 for a
community's staff while the API answered 200 with no rows)."""

import pytest

from tests.conftest import client_of as _client

pytestmark = pytest.mark.django_db



@pytest.mark.parametrize("who,where,answer", [
    ("staff", "community", 404),  # their own community: nothing reports to it
    ("street", "community", 404),
    ("street", "grid", 404),
    ("street", "street", 200),
    ("district", "district", 200),
    ("district", "street", 200),
])
def test_the_page_and_the_api_answer_alike(world, who, where, answer):
    c = _client(getattr(world.users, who))
    place = getattr(world, where)
    page = c.get(f"/reports/places/{place.id}/completeness/")
    api = c.get(f"/api/v1/reports/places/{place.id}/completeness")
    assert (page.status_code, api.status_code) == (answer, answer), (who, where)
    if answer == 404:  # as a missing place answers
        assert api.json() == c.get("/api/v1/reports/places/999999999/completeness").json()
