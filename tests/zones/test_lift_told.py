"""A lift is told as a lift (found walking the zones: after 3号楼 was lifted while its
compound stayed controlled, the family read "您所在的光明社区 光明小区…为管控区" — never that
3号楼 was lifted — and the building leader "光明小区为管控区（24 户）", as if the compound had
just been zoned; a street's seal lifted by the community's only staff member told nobody,
not even the street command that sealed it)."""

import datetime

from django.utils import timezone

from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, ZoneType
from fangkong.zones.telling import rules
from tests.conftest import actor_for
from tests.zones.conftest import approve_if_needed
from tests.zones.test_published_told import told


def _type(code):
    return ZoneType.objects.get(policy__is_active=True, code=code)


def _adjust(by, root, place, code, number, op=pub.Op.CREATE):
    n = pub.create_notice(by, root, {"number": number, "issued_by": "指挥部", "title": "调整",
                                     "effective_at": timezone.now().isoformat()})
    adj = pub.draft(by, root, "调整", notice=n)
    pub.add_item(by, adj, op, place, _type(code) if code else None)
    return pub.publish(by, approve_if_needed(by, adj))


def test_a_lifted_building_under_a_controlled_compound_is_told_as_lifted(world, presets):
    w = world
    street, staff = actor_for(w.users.street), actor_for(w.users.staff)
    _adjust(street, w.street, w.compound, "controlled", "第18号")
    _adjust(street, w.street, w.building, "sealed", "第19号")
    already = len(told(w.users.staff))
    _adjust(staff, w.community, w.building, None, "第20号", op=pub.Op.LIFT)
    family = told(w.users.resident)[-1]
    assert family.title.startswith("光明小区 1号楼解除封控区") and "现为管控区（随光明小区，" in family.title, \
        family.title
    assert family.body.startswith("您所在的光明小区 1号楼自") and "起解除封控区，现为管控区（随光明小区，第20号）" \
        in family.body, family.body
    assert rules(_type("controlled")) in family.body  # the rules of the zone it keeps
    assert "通告" not in family.body  # published at the notice's minute: one time, said once
    leader = told(w.users.leader)[-1]
    assert "光明小区 1号楼 封控区 → 管控区（随光明小区），3 户" in leader.body, leader.body
    assert "光明小区为管控区" not in leader.body
    # the street command that sealed it hears what became of its seal
    (street_told,) = told(w.users.street)
    assert street_told.title == "第20号调整了第19号划定的区域", street_told.title
    assert "光明小区 1号楼 封控区 → 管控区（随光明小区），3 户" in street_told.body
    assert len(told(w.users.staff)) == already  # who published knows


def test_a_street_seal_lifted_by_the_only_staff_member_tells_the_street(world, presets):
    w = world
    street = actor_for(w.users.street)
    _adjust(street, w.street, w.other_building, "sealed", "第19号")
    other = actor_for(w.users.other_staff)
    before = len(told(w.users.street))
    _adjust(other, w.other, w.other_building, None, "第20号", op=pub.Op.LIFT)
    (m,) = told(w.users.street)[before:]
    assert "惠泽苑小区 5号楼 封控区 → 无区域，1 户" in m.body, m.body
    assert [m.title for m in told(w.users.other_staff)] == ["区域调整已发布：第19号"]  # not its own lift
    assert told(w.users.staff) == []


def test_a_zone_changed_in_place_says_from_what_to_what(world, presets):
    w = world
    staff = actor_for(w.users.staff)
    _adjust(staff, w.community, w.building, "controlled", "第18号")
    _adjust(staff, w.community, w.building, "sealed", "第19号", op=pub.Op.CHANGE)
    family = told(w.users.resident)[-1]
    assert "由管控区调整为封控区（第19号）" in family.body, family.body
    assert "光明小区 1号楼 管控区 → 封控区，3 户" in told(w.users.leader)[-1].body


def test_the_lift_draft_says_the_zone_the_place_keeps(world, presets, client):
    """The place line said "解除: 封控区 → 无区域" while the table under it said 封控区 → 管控区:
    the compound above still zones the building."""
    w = world
    street, staff = actor_for(w.users.street), actor_for(w.users.staff)
    _adjust(street, w.street, w.compound, "controlled", "第18号")
    _adjust(street, w.street, w.building, "sealed", "第19号")
    adj = pub.draft(staff, w.community, "解除")
    pub.add_item(staff, adj, pub.Op.LIFT, w.building, None)
    client.force_login(w.users.staff)
    page = client.get(f"/zones/adjustments/{adj.id}/").content.decode()
    line = page[page.index('id="items"'):page.index("</ul>", page.index('id="items"'))]
    assert '<span class="zone zone-controlled">管控区</span>（随光明小区）' in line, line
    assert "无区域" not in line
    # a place with nothing above it: no zone
    lift = pub.draft(street, w.street, "解除")
    pub.add_item(street, lift, pub.Op.LIFT, w.compound, None)
    client.force_login(w.users.street)
    page = client.get(f"/zones/adjustments/{lift.id}/").content.decode()
    assert "管控区</span> → 无区域" in page[page.index('id="items"'):page.index("</ul>", page.index('id="items"'))]
    pub.cancel(street, lift)
    client.force_login(w.users.staff)
    # once published, the line says what it became from then on
    n = pub.create_notice(staff, w.community, {"number": "第20号", "issued_by": "社区", "title": "解除",
                                               "effective_at": timezone.now().isoformat()})
    pub.set_notice(staff, adj, n)
    pub.publish(staff, approve_if_needed(staff, adj))
    _adjust(street, w.street, w.compound, None, "第21号", op=pub.Op.LIFT)  # later: nothing left
    page = client.get(f"/zones/adjustments/{adj.id}/").content.decode()
    line = page[page.index('id="items"'):page.index("</ul>", page.index('id="items"'))]
    assert "管控区</span>（随光明小区）" in line, line


def test_a_seal_published_before_the_notices_time_says_both_times(world, presets, client):
    """Published "now" at 23:28 under a notice stating 05:00 tomorrow: the family's page said
    "封控区 自 23:28 起" beside a link to a notice saying 05:00 — now both, in words."""
    w = world
    staff = actor_for(w.users.staff)
    five = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=5, minute=0, second=0, microsecond=0)
    n = pub.create_notice(staff, w.community, {"number": "第19号", "issued_by": "社区", "title": "封控",
                                               "effective_at": five.isoformat()})
    adj = pub.draft(staff, w.community, "封控", notice=n)
    pub.add_item(staff, adj, pub.Op.CREATE, w.building, _type("sealed"))
    adj = pub.publish(staff, adj)
    since = timezone.localtime(adj.effective_at)
    now_words = f"{since.month}月{since.day}日 {since:%H:%M}"
    (m,) = told(w.users.resident)
    assert m.body.endswith(f"（自{now_words}发布时起执行，通告第19号写明{five.month}月{five.day}日 05:00起。）"), m.body
    client.force_login(w.users.resident)
    page = client.get(f"/households/{w.hh101.id}/").content.decode()
    assert f"按封控区管理（通告写明{five.year}年{five.month}月{five.day}日 05:00起）" in page, page


def test_a_case_escalation_left_unpublished_stands_out(world, presets, client, settings):
    """A 12-day-old "升级：…划为封控区" draft sat as an ordinary draft row while the same
    page recommended lifting: past its hours it is red, with how long it has waited, on the
    zones page and at the top of the community's page (the staff's home)."""
    from fangkong.zones.actions import escalate

    w = world
    settings.FANGKONG_ESCALATION_WAIT_HOURS = 4
    _adjust(actor_for(w.users.staff), w.community, w.compound, "controlled", "第18号")
    _case, proposal = escalate.case_confirmed(actor_for(w.users.lab), w.xia, source="单管复核阳性",
                                              source_ref="screening.followup:9")
    assert proposal.state == Adjustment.State.DRAFT
    client.force_login(w.users.staff)
    page = client.get(f"/zones/p/{w.community.id}/").content.decode()
    assert "已等待" not in page  # fresh: an ordinary draft
    assert "waiting-escalations" not in client.get(f"/places/{w.community.id}/").content.decode()
    Adjustment.objects.filter(pk=proposal.pk).update(created_at=timezone.now() - datetime.timedelta(days=12))
    page = client.get(f"/zones/p/{w.community.id}/").content.decode()
    assert "病例触发的升级草稿，已等待 12 天未发布" in page, page
    home = client.get(f"/places/{w.community.id}/").content.decode()
    assert 'id="waiting-escalations"' in home and "病例触发的升级草稿，已等待 12 天未发布" in home
    assert f"/zones/adjustments/{proposal.id}/" in home
    # a few hours: said in hours; a grid worker (who may not draft zones) is not asked
    Adjustment.objects.filter(pk=proposal.pk).update(created_at=timezone.now() - datetime.timedelta(hours=5))
    assert "已等待 5 小时未发布" in client.get(f"/zones/p/{w.community.id}/").content.decode()
    client.force_login(w.users.grid)
    assert "waiting-escalations" not in client.get(f"/places/{w.grid.id}/").content.decode()
    # published: nothing waits
    client.force_login(w.users.staff)
    n = pub.create_notice(actor_for(w.users.staff), w.community, {
        "number": "第19号", "issued_by": "社区", "title": "升级", "effective_at": timezone.now().isoformat()})
    pub.set_notice(actor_for(w.users.staff), proposal, n)
    pub.publish(actor_for(w.users.staff), Adjustment.objects.get(pk=proposal.pk))
    assert "已等待" not in client.get(f"/zones/p/{w.community.id}/").content.decode()
    assert "waiting-escalations" not in client.get(f"/places/{w.community.id}/").content.decode()
