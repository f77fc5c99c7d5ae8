"""What a tester walking a zone's two weeks found: a sealed building recommended for lifting
after one of its people was tested (the round must test everyone in the zone who had to be
tested); a lift against the rule published without a word (the confirm step says what is
unmet, the record says it went against the rule); a compound's count moving on when the
case's own building is sealed after the case (the case counts where it was confirmed)."""

import datetime
import uuid

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.screening.actions import lab, station
from fangkong.screening.models import Tube
from fangkong.zones import lifting
from fangkong.zones.actions import escalate
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Designation, ZoneType
from tests.conftest import actor_for
from tests.screening.conftest import to_lab
from tests.screening.security_routes import make_round

from .conftest import approve_if_needed, use_policy

Op = pub.Op


def seal(w, staff, place, code, days_ago=0):
    """Publish `code` over `place` now, its count started `days_ago` days back."""
    zt = ZoneType.objects.get(policy__is_active=True, code=code)
    n = pub.create_notice(staff, w.community, {"number": f"第{place.id}{code}号", "issued_by": "指挥部",
                                               "title": "通告", "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.community, "调整", notice=n)
    pub.add_item(staff, adj, Op.CREATE, place, zt)
    pub.publish(staff, adj)
    d = Designation.objects.get(place=place, ends_at=None)
    if days_ago:
        back = d.clock_from - datetime.timedelta(days=days_ago)
        Designation.objects.filter(pk=d.pk).update(clock_from=back, starts_at=back)
        d.refresh_from_db()
    return d


def swab(w, people, barcode):
    """`people` swabbed in the running round, each in their own tube (a sealed zone's rule)
    `barcode`-1, -2, …, sealed and found negative."""
    staff = Actor.system(w.users.staff)
    for i, p in enumerate(people, 1):
        code = f"{barcode}{i}"
        station.open_tube(staff, w.round, code, capacity=1)
        station.scan(staff, w.round, client_id=str(uuid.uuid4()), barcode=code, person=p.token)
        station.seal_tube(staff, Tube.objects.get(round=w.round, barcode=code))
        to_lab(w, w.round, code)
        lab.record_results(Actor.system(w.users.lab), [{"barcode": code, "result": "negative"}])


def test_a_round_that_tested_one_of_the_building_is_not_its_all_negative_round(world, presets, login):
    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    d = seal(w, staff, w.building, "sealed", days_ago=14)
    make_round(w)
    swab(w, [w.yu], "T0001")  # one of the building's 4 people, negative
    rec = lifting.recommendations([d])[0]
    assert rec.day == 14 and rec.action == lifting.KEEP
    assert rec.round.sampled == 1 and rec.round.to_sample == 4 and rec.round.missing == 3
    assert not rec.round.all_negative
    said = " ".join(rec.reasons)
    assert "全部阴性" not in said and "已检 1/应检 4" in said and "3 人未检" in said
    c = login(w.users.staff)
    page = c.get(f"/zones/p/{w.building.id}/lifting/").content.decode()
    assert "解除" not in page.split("今日建议")[1][:40] and "已检 1/应检 4" in page
    assert f"/screening/rounds/{w.round.id}/missing/?place={w.building.id}" in page
    api = c.get(f"/api/v1/zones/lifting?place={w.building.id}").json()
    [one] = [x for x in api if x["designation"] == d.id]
    assert one["action"] == "keep"
    assert (one["final_round"]["sampled"], one["final_round"]["to_sample"], one["final_round"]["missing"]) == (1, 4, 3)
    # the other three tested, all negative: now it is the building's round
    swab(w, [w.su, w.xia], "T0002")
    swab(w, [w.wang], "T0003")
    rec = lifting.recommendations([d])[0]
    assert rec.action == lifting.LIFT and rec.round.all_negative
    assert any("全部阴性" in r for r in rec.reasons) and any("已检 4/应检 4" in r for r in rec.reasons)


def test_the_building_tested_does_not_make_the_compound_round(world, presets):
    """The same samples under a compound with people in another building: short of them."""
    from fangkong.registry import actions as reg

    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    b2 = reg.create_place(Actor.system(), w.compound, "building", "2号楼")
    hh = reg.create_household(Actor.system(), b2, "101")
    reg.create_resident(Actor.system(), hh, {"name": "李青", "id_number": "140106199001011234"})
    d = seal(w, staff, w.compound, "controlled", days_ago=7)
    make_round(w)
    swab(w, [w.su, w.yu, w.xia], "T0001")
    swab(w, [w.wang], "T0002")
    rec = lifting.recommendations([d])[0]
    assert rec.action == lifting.KEEP and (rec.round.sampled, rec.round.to_sample) == (4, 5)


def test_a_lift_against_the_rule_says_so_before_and_in_the_record(world, presets, login):
    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    d = seal(w, staff, w.building, "sealed")
    n = pub.create_notice(staff, w.community, {"number": "第9号", "issued_by": "指挥部",
                                               "title": "解除1号楼封控",
                                               "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.community, "解除1号楼封控", notice=n)
    pub.add_item(staff, adj, Op.LIFT, w.building, None)
    approve_if_needed(staff, adj)  # the street approves lifting a 封控区; the rule is asked at publishing
    c = login(w.users.staff)
    text = c.post(f"/zones/adjustments/{adj.id}/publish/").content.decode()
    assert "confirm-yes" in text and "规则未满足" in text
    assert "1号楼" in text and "无新增第0/14天" in text and "末轮核酸" in text
    c.post(f"/zones/adjustments/{adj.id}/publish/", {"confirm": "1", "from": "now"})
    adj.refresh_from_db()
    assert adj.state == "published"
    d.refresh_from_db()
    assert d.ends_at is not None
    e = AuditEvent.objects.filter(action="zones.adjustment.publish").latest("id")
    assert e.changes["against_rule"] == ["1号楼"]
    # a lift the rule allows: no warning, nothing in the record
    first = AuditEvent.objects.filter(action="zones.adjustment.publish").order_by("id").first()
    assert "against_rule" not in first.changes


def test_a_case_counts_for_the_compound_it_was_confirmed_in_when_its_building_is_sealed_after(
        world, presets):
    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    comp = seal(w, staff, w.compound, "controlled", days_ago=3)
    assert lifting.recommendations([comp])[0].day == 3
    case, proposal = escalate.case_confirmed(staff, w.yu, source="单管复核阳性", source_ref="t:7")
    assert lifting.recommendations([comp])[0].day == 0  # before the building is sealed
    pub.set_notice(staff, proposal, pub.create_notice(staff, w.community, {
        "number": "第21号", "issued_by": "指挥部", "title": "1号楼封控",
        "effective_at": timezone.now().isoformat()}))
    pub.publish(staff, proposal)
    assert Designation.objects.get(place=w.building, ends_at=None).zone_type.code == "sealed"
    rec = lifting.recommendations([comp])[0]
    assert rec.day == 0 and rec.last_case == case
    assert any("最近" in r or "Last new case" in r for r in rec.reasons)
