"""A lift notice says the zone the place falls back to (found on a re-walk: 3号楼's seal
lifted by 19号 while 光明小区 stays 管控区; the adjustment page and the resident's home said
"→ 管控区（随光明小区）", but the notice's page — the one printed and posted — said "封控区 →
无区域", telling a controlled building it was free; the API's notice places said nothing)."""

import datetime

from django.utils import timezone

from fangkong.zones.actions import publish as pub
from tests.conftest import actor_for
from tests.zones.test_lift_home import _adjust


def _row(page, label):
    i = page.index('id="notice-items"') if 'id="notice-items"' in page else page.index("<ul class=\"rows\">")
    row = page[i:]
    row = row[row.index(label):]
    return row[:row.index("</li>")]


def test_a_lift_notice_says_the_compounds_zone_on_the_page_and_the_api(world, presets, client):
    w = world
    street, staff = actor_for(w.users.street), actor_for(w.users.staff)
    now = timezone.now().replace(second=0, microsecond=0)
    _adjust(street, w.street, w.compound, "controlled", "第17号", now - datetime.timedelta(hours=20),
            from_notice=True)
    _adjust(street, w.street, w.building, "sealed", "第18号", now - datetime.timedelta(hours=19),
            from_notice=True)
    lift = _adjust(staff, w.community, w.building, None, "第19号", now, op=pub.Op.LIFT)
    client.force_login(w.users.staff)
    page = client.get(f"/zones/notices/{lift.notice_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    row = _row(page, "1号楼")
    assert "无区域" not in row, row
    assert "管控区</span>（随光明小区）" in row, row
    # the adjustment's page says the same, from the same rule
    adj_page = client.get(f"/zones/adjustments/{lift.id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "管控区</span>（随光明小区）" in adj_page
    places = client.get(f"/api/v1/zones/notices/{lift.notice_id}").json()["places"]
    (it,) = [p for p in places if p["op"] == "lift"]
    assert it["after"] == {"zone_type": "controlled", "zone_name": it["after"]["zone_name"],
                           "place": w.compound.id, "place_name": "光明小区"}, it


def test_a_lift_with_nothing_above_says_no_zone(world, presets, client):
    w = world
    street, staff = actor_for(w.users.street), actor_for(w.users.staff)
    now = timezone.now().replace(second=0, microsecond=0)
    _adjust(street, w.street, w.building, "sealed", "第18号", now - datetime.timedelta(hours=19),
            from_notice=True)
    lift = _adjust(staff, w.community, w.building, None, "第19号", now, op=pub.Op.LIFT)
    client.force_login(w.users.staff)
    page = client.get(f"/zones/notices/{lift.notice_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "封控区</span> → 无区域" in _row(page, "1号楼")
    (it,) = client.get(f"/api/v1/zones/notices/{lift.notice_id}").json()["places"]
    assert it["after"] is None
