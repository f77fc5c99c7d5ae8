"""A notice is read by everyone it zones, not only by whoever filed it (found walking the
demo: 光明社区's staff saw building 5 as "封控区 · 迎泽防控〔2022〕19号" but 19号 was on no list
they could open; 双塔社区's staff, zoned 防范区 by the street's 21号, had an empty notices list,
page and API, and nothing under "已发布"). The rule is one (`zones.access.notice_q`): filed in
the reader's area, or zoning a place of it or above it; anything else is missing (404)."""

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones import queries
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import ZoneType
from tests.conftest import actor_for


def _type(code):
    return ZoneType.objects.get(policy__is_active=True, code=code)


def street_notice(w, number, items, title="通告"):
    """The street's command files a notice at the street and publishes its adjustment."""
    street = actor_for(w.users.street)
    n = pub.create_notice(street, w.street, {"number": number, "issued_by": "桥东街道疫情防控指挥部",
                                             "title": title, "text": f"{number}全文",
                                             "effective_at": timezone.now().isoformat()})
    adj = pub.draft(street, w.street, title, notice=n)
    for place, code in items:
        pub.add_item(street, adj, pub.Op.CREATE, place, _type(code))
    pub.publish(street, adj)
    return n


@pytest.fixture
def sealed_by_street(world, presets):
    """The street seals building 1 of 光明社区 and building 5 of 惠泽苑社区 under one notice."""
    w = world
    w.n19 = street_notice(w, "迎泽防控〔2022〕19号", [(w.building, "sealed"), (w.other_building, "sealed")],
                          title="关于将两栋楼划为封控区的通告")
    return w


def test_community_staff_read_the_streets_notice_that_seals_their_building(sealed_by_street, client):
    w = sealed_by_street
    client.force_login(w.users.staff)
    listing = client.get(f"/zones/p/{w.community.id}/notices/").content.decode()
    assert "迎泽防控〔2022〕19号" in listing and f'href="/zones/notices/{w.n19.id}/"' in listing
    page = client.get(f"/zones/notices/{w.n19.id}/").content.decode()
    assert "19号全文" in page and "光明小区 1号楼" in page
    assert "惠泽苑" not in page  # the other community's building is not theirs to read about
    api = client.get(f"/api/v1/zones/notices?place={w.community.id}").json()
    assert [n["number"] for n in api] == ["迎泽防控〔2022〕19号"]
    one = client.get(f"/api/v1/zones/notices/{w.n19.id}").json()
    assert [p["place_name"] for p in one["places"]] == ["光明小区 1号楼"]
    assert one["places"][0]["zone_type"] == "sealed" and one["places"][0]["state"] == "published"
    # the zones page's "published" list names it, linking to the notice they may read
    zones = client.get(f"/zones/p/{w.community.id}/").content.decode()
    assert f'href="/zones/notices/{w.n19.id}/"' in zones and "关于将两栋楼划为封控区的通告" in zones
    # and the building's own page too
    assert f'href="/zones/notices/{w.n19.id}/"' in client.get(f"/zones/p/{w.building.id}/").content.decode()


def test_everyone_it_zones_reads_it_and_nobody_else(sealed_by_street, client):
    w = sealed_by_street
    for user in (w.users.grid, w.users.leader, w.users.resident, w.users.other_staff, w.users.street):
        client.force_login(user)
        assert client.get(f"/zones/notices/{w.n19.id}/").status_code == 200, user
    client.force_login(w.users.resident)  # the family of 101 reads what it says for them
    page = client.get(f"/zones/notices/{w.n19.id}/").content.decode()
    assert "光明小区 1号楼" in page and "5号楼" not in page
    client.force_login(w.users.other_staff)
    page = client.get(f"/zones/notices/{w.n19.id}/").content.decode()
    assert "惠泽苑小区 5号楼" in page and "光明小区" not in page
    # a notice that zones nothing of theirs is missing, as one that does not exist
    other_only = street_notice(w, "迎泽防控〔2022〕20号", [(w.other_compound, "controlled")])
    for user in (w.users.staff, w.users.grid, w.users.leader, w.users.resident):
        client.force_login(user)
        missing = client.get("/zones/notices/987654321/")
        got = client.get(f"/zones/notices/{other_only.id}/")
        assert got.status_code == missing.status_code == 404 and "20号" not in got.content.decode()
        assert client.get(f"/api/v1/zones/notices/{other_only.id}").status_code == 404
    client.force_login(w.users.staff)
    assert "20号" not in client.get(f"/zones/p/{w.community.id}/notices/").content.decode()
    for user in (w.users.volunteer, w.users.lab, w.users.supplier):
        client.force_login(user)
        assert client.get(f"/zones/notices/{w.n19.id}/").status_code == 404


def test_a_notice_zoning_the_whole_street_is_read_by_each_community(world, presets, client):
    """双塔社区's case: the street's 21号 makes the whole street a precaution area."""
    w = world
    n21 = street_notice(w, "迎泽防控〔2022〕21号", [(w.street, "precaution")])
    client.force_login(w.users.other_staff)
    assert "21号" in client.get(f"/zones/p/{w.other.id}/notices/").content.decode()
    assert [n["number"] for n in client.get(f"/api/v1/zones/notices?place={w.other.id}").json()] == [n21.number]
    page = client.get(f"/zones/notices/{n21.id}/").content.decode()
    assert "桥东街道" in page and "防范区" in page
    assert f'href="/zones/notices/{n21.id}/"' in client.get(f"/zones/p/{w.other.id}/").content.decode()
    client.force_login(w.users.resident)
    assert client.get(f"/zones/notices/{n21.id}/").status_code == 200


def test_read_is_not_managed_a_streets_notice_is_not_attached_by_community_staff(sealed_by_street, client):
    """Staff may read the street's notice, not file their draft under it: 403 (seen), not 404."""
    w = sealed_by_street
    draft = pub.draft(actor_for(w.users.staff), w.community, "草稿")
    client.force_login(w.users.staff)
    r = client.post(f"/api/v1/zones/adjustments/{draft.id}/notice", {"notice": w.n19.id},
                    content_type="application/json")
    assert r.status_code == 403
    from fangkong.core.errors import Forbidden
    from fangkong.zones import access

    with pytest.raises(Forbidden):
        queries.get_notice(actor_for(w.users.staff).scope, w.n19.id, access.MANAGE)
    # and the draft's page offers only the notices they may file under
    assert "19号" not in client.get(f"/zones/adjustments/{draft.id}/").content.decode()


def test_a_residents_notices_are_those_over_their_household(world, presets):
    """A family's notices: those zoning its unit, building, compound … or street — never the
    neighbours' unit."""
    w = world
    unit2 = street_notice(w, "第22号", [(w.unit2, "sealed")])
    shop = reg.create_place(Actor.system(), w.compound, Kind.SHOP, "便民超市")
    store = street_notice(w, "第23号", [(shop, "controlled")])
    own = street_notice(w, "第24号", [(w.unit1, "sealed")])
    scope = actor_for(w.users.resident).scope
    assert set(queries.notices(scope)) == {own}
    assert unit2 not in queries.notices(scope) and store not in queries.notices(scope)
