"""A building inside its compound's 管控区 (found walking a lockdown day as 3号楼's leader: the
zones page said "当前 管控区 24 户 · 38 人" right above "生效中的区域：目前没有生效的区域", and the
lifting page only "目前没有生效的区域" — nothing said when the building can be lifted, though the
family's own page did). The zone over it from above that holds its households is listed with
its lifting advice ("随光明小区"), pages and API, as the map's table does."""

import datetime

from django.utils import timezone

from fangkong.zones.models import Designation
from tests.conftest import actor_for
from tests.zones.test_lift_home import _adjust


def _controlled_compound(w):
    street = actor_for(w.users.street)
    _adjust(street, w.street, w.compound, "controlled", "第17号", timezone.now() - datetime.timedelta(days=2),
            from_notice=True)
    return Designation.objects.get(place=w.compound, ends_at=None)


def _rows(page, heading):
    """The list under `heading` (the zones page's "生效中的区域", the lifting page's "解封建议")."""
    part = page[page.index(heading):]
    part = part[part.index('<ul class="rows">'):]
    return part[:part.index("</ul>")]


def test_a_building_lists_the_compounds_zone_with_its_lifting_advice(world, presets, login):
    w = world
    d = _controlled_compound(w)
    for user in (w.users.leader, w.users.staff):
        c = login(user)
        for path, heading in ((f"/zones/p/{w.building.id}/", "生效中的区域"),
                              (f"/zones/p/{w.building.id}/lifting/", "解封建议")):
            rows = _rows(c.get(path).content.decode(), heading)
            assert "目前没有生效的区域" not in rows, (user, path)
            assert "随光明小区：" in rows and "管控区" in rows and "第17号" in rows, rows[:800]
            assert "本处 3 户" in rows and "今日建议" in rows, rows[:800]
            assert "无新增" in rows  # the compound's count, day by day
    # the leader reads it; only who manages the compound may draft its change
    c = login(w.users.leader)
    assert f"/zones/designations/{d.id}/lift/" not in c.get(f"/zones/p/{w.building.id}/lifting/").content.decode()
    # the API says the same
    c = login(w.users.staff)
    api = c.get(f"/api/v1/zones/lifting?place={w.building.id}").json()
    [one] = api
    assert one["designation"] == d.id and one["above"] is True and one["households_here"] == 3
    assert one["earliest"] is not None
    c = login(w.users.leader)
    r = c.get(f"/api/v1/zones/lifting?place={w.building.id}")
    assert r.status_code == 200 and [x["designation"] for x in r.json()] == [d.id]


def test_a_stricter_zone_on_the_building_holds_it_and_the_compound_is_not_listed(world, presets, login):
    w = world
    _controlled_compound(w)
    street = actor_for(w.users.street)
    _adjust(street, w.street, w.building, "sealed", "第18号", timezone.now() - datetime.timedelta(days=1),
            from_notice=True)
    c = login(w.users.staff)
    api = c.get(f"/api/v1/zones/lifting?place={w.building.id}").json()
    assert [(x["place_name"], x["above"]) for x in api] == [("1号楼", False)]
    # a unit of the building: the building's seal is listed from above
    api = c.get(f"/api/v1/zones/lifting?place={w.unit1.id}").json()
    assert [(x["place_name"], x["above"], x["households_here"]) for x in api] == [("1号楼", True, 2)]


def test_another_community_and_other_roles_get_404(world, presets, login):
    w = world
    _controlled_compound(w)
    for user in (w.users.other_staff, w.users.volunteer, w.users.supplier):
        c = login(user)
        assert c.get(f"/zones/p/{w.building.id}/lifting/").status_code == 404
        assert c.get(f"/api/v1/zones/lifting?place={w.building.id}").status_code == 404
