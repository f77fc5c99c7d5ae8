"""The JSON API's resident and household lists filter by zone as the pages do (found
integrating a district's tool: `/api/v1/residents?zone=sealed` was refused as an unknown
parameter, so the 封控区 people could only be had from the page or the export). The same
`?zone=` — sealed, controlled, precaution, none — by the same rule (`registry.queries.zone_q`),
as long as the dashboard's figure; an unknown value is a 422 naming it; documented."""

import pytest
from django.test import Client

from tests.zones.test_zone_lists import zoned  # noqa: F401 (the fixture)


@pytest.fixture
def staff(zoned):  # noqa: F811
    c = Client()
    c.force_login(zoned.users.staff)
    return c


def names(r) -> set[str]:
    assert r.status_code == 200, r.content
    return {x["name"] for x in r.json()["results"]}


def test_the_resident_list_filters_by_zone_as_the_page_does(zoned, staff):  # noqa: F811
    w = zoned
    base = f"/api/v1/residents?place={w.community.id}"
    assert names(staff.get(f"{base}&zone=sealed")) == {"苏霞", "于海涛", "夏明"}
    assert names(staff.get(f"{base}&zone=controlled")) == {"王新勇"}
    assert names(staff.get(f"{base}&zone=none")) == set()
    assert names(staff.get(f"{base}&zone=sealed&tag=bedridden")) == {"夏明"}
    assert names(staff.get("/api/v1/residents?zone=sealed&q=苏霞")) == {"苏霞"}
    # as long as the page's list (and so the dashboard's figure)
    page = staff.get(f"/places/{w.community.id}/residents/?zone=sealed").content.decode()
    assert f"data-count>{staff.get(f'{base}&zone=sealed').json()['count']}<" in page
    r = staff.get(f"{base}&zone=bogus", headers={"Accept-Language": "en"})
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["zone"]


def test_the_household_list_filters_by_zone_as_the_page_does(zoned, staff):  # noqa: F811
    w = zoned
    base = f"/api/v1/households?place={w.community.id}"
    got = staff.get(f"{base}&zone=sealed").json()
    assert {h["door"] for h in got["results"]} == {"101", "102", "103"}  # 103: only a moved-out person
    counted = staff.get(f"{base}&zone=sealed&counted=true").json()
    assert {h["door"] for h in counted["results"]} == {"101", "102"}  # the dashboard's 封控区户数
    assert {h["door"] for h in staff.get(f"{base}&zone=controlled").json()["results"]} == {"201"}
    assert staff.get(f"{base}&zone=none").json()["count"] == 0


def test_the_zone_filter_is_documented(world):
    schema = Client().get("/api/v1/openapi.json", headers={"Accept-Language": "en"}).json()
    for path in ("/api/v1/residents", "/api/v1/households"):
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert "zone" in params, path
        zone = params["zone"]
        text = str(zone)
        for value in ("sealed", "controlled", "precaution", "none"):
            assert value in text, (path, value)
        assert "zone" in zone.get("description", "").lower()
