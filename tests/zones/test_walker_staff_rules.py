"""A community staff walk (staff_guangming on the demo data): a lift against the lifting rule
over the API is asked like on the web (409 `against_rule` unless `confirm`) and shown as such
afterwards; a notice's page and API say when each of its zones ended and by which notice; staff
read the same earliest end date as the family; a draft giving a building the zone its compound
already has says to lift it instead."""

import datetime

from django.utils import timezone
from django.utils.formats import date_format

from fangkong.zones import family_words, lifting
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, Designation, HouseholdZone, ZoneType
from tests.conftest import actor_for
from tests.zones.conftest import approve_if_needed
from tests.zones.test_lift_home import _adjust


def _type(code):
    return ZoneType.objects.get(policy__is_active=True, code=code)


def _sealed(w):
    street = actor_for(w.users.street)
    _adjust(street, w.street, w.building, "sealed", "第18号", timezone.now() - datetime.timedelta(minutes=5),
            from_notice=True)
    return Designation.objects.get(place=w.building, ends_at=None)


def _family(w):
    hz = HouseholdZone.objects.select_related("designation__place").get(household=w.hh101, until=None)
    return family_words.next_steps(hz, w.hh101)


def _lift_draft(w, number="第21号"):
    staff = actor_for(w.users.staff)
    n = pub.create_notice(staff, w.community, {"number": number, "issued_by": "指挥部", "title": "解封",
                                               "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.community, "解封1号楼", notice=n)
    pub.add_item(staff, adj, pub.Op.LIFT, w.building)
    return approve_if_needed(staff, adj)  # a 封控区's lift: approved by the street


# --- 3. the earliest end date, for staff as for the family -------------------------------------

def test_staff_read_the_earliest_end_the_family_reads(world, presets, login):
    w = world
    d = _sealed(w)
    rec = lifting.recommendations([d])[0]
    need = rec.rule.clean_days
    day = timezone.localdate() + datetime.timedelta(days=need)
    assert rec.earliest == day
    words = date_format(day, "MONTH_DAY_FORMAT")
    assert any(words in x for x in _family(w))
    c = login(w.users.staff)
    page = c.get(f"/zones/p/{w.building.id}/lifting/").content.decode()
    assert 'class="earliest"' in page and words in page.split('class="earliest"')[1][:80]
    [one] = [x for x in c.get(f"/api/v1/zones/lifting?place={w.building.id}").json() if x["designation"] == d.id]
    assert one["earliest"] == day.isoformat()


# --- 2. a notice's zones ended by a later notice ------------------------------------------------

def test_a_notice_says_when_its_zone_ended_and_by_which_notice(world, presets, login):
    w = world
    d = _sealed(w)
    lift = pub.publish(actor_for(w.users.staff), _lift_draft(w))
    d.refresh_from_db()
    assert d.ends_at == lift.effective_at
    c = login(w.users.staff)
    page = c.get(f"/zones/notices/{d.notice_id}/").content.decode()
    row = page[page.index('class="ended"'):]
    at = date_format(timezone.localtime(d.ends_at), "DATETIME_FORMAT")
    assert f"至 {at}，由第21号解除" in row[:200], row[:200]
    [one] = c.get(f"/api/v1/zones/notices/{d.notice_id}").json()["places"]
    assert one["ended"]["notice_number"] == "第21号" and one["ended"]["op"] == "lift"
    assert one["ended"]["notice"] == lift.notice_id and one["ended"]["zone_type"] is None
    # the lift's own notice says the lift, nothing ended
    [two] = c.get(f"/api/v1/zones/notices/{lift.notice_id}").json()["places"]
    assert two["op"] == "lift" and two["ended"] is None


def test_a_zone_changed_later_says_to_what(world, presets, login):
    w = world
    d = _sealed(w)
    staff = actor_for(w.users.staff)
    n = pub.create_notice(staff, w.community, {"number": "第22号", "issued_by": "指挥部", "title": "降级",
                                               "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.community, "降级", notice=n)
    pub.add_item(staff, adj, pub.Op.CHANGE, w.building, _type("controlled"))
    pub.publish(staff, approve_if_needed(staff, adj))
    c = login(w.users.staff)
    page = c.get(f"/zones/notices/{d.notice_id}/").content.decode()
    assert "由第22号改为管控区" in page[page.index('class="ended"'):][:200]
    [one] = c.get(f"/api/v1/zones/notices/{d.notice_id}").json()["places"]
    assert one["ended"]["op"] == "change" and one["ended"]["zone_type"] == "controlled"


# --- 4. a building given the zone its compound already has -------------------------------------

def test_a_building_set_to_its_compounds_zone_is_told_to_lift(world, presets, login, system):
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind
    from fangkong.zones import overlaps

    w = world
    street = actor_for(w.users.street)
    past = timezone.now() - datetime.timedelta(minutes=10)
    _adjust(street, w.street, w.compound, "controlled", "第17号", past, from_notice=True)
    _adjust(street, w.street, w.building, "sealed", "第18号", past + datetime.timedelta(minutes=1),
            from_notice=True)
    staff = actor_for(w.users.staff)
    adj = pub.draft(staff, w.community, "更正")
    c = login(w.users.staff)
    r = c.post(f"/zones/adjustments/{adj.id}/items/", {"place": w.building.id, "zone_type": _type("controlled").id},
               follow=True)
    page = r.content.decode()
    assert "将随" in page and "为管控区：请选“解除”" in page, page[:3000]
    [said] = [x for x in overlaps.overlaps(adj) if x.get("code") == "same_above"]
    assert said["place"] == w.building.id
    # lifting it instead: nothing said (it goes with the compound)
    pub.add_item(staff, adj, pub.Op.LIFT, w.building)
    assert not [x for x in overlaps.overlaps(adj) if x.get("code") == "same_above"]
    # a building with no zone of its own, drafted as the compound's zone
    six = reg.create_place(system, w.compound, Kind.BUILDING, "6号楼")
    other = pub.draft(staff, w.community, "6号楼")
    pub.add_item(staff, other, pub.Op.CREATE, six, _type("controlled"))
    [said] = [x for x in overlaps.overlaps(other) if x.get("code") == "same_above"]
    assert "移出草稿" in said["sentence"]


# --- 1. a lift against the rule over the API: asked first, shown afterwards -------------------

def test_the_api_asks_before_lifting_against_the_rule(world, presets, login):
    w = world
    d = _sealed(w)
    adj = _lift_draft(w)
    c = login(w.users.staff)
    r = c.post(f"/api/v1/zones/adjustments/{adj.id}/publish")  # no body, as clients always sent
    assert r.status_code == 409, r.content
    err = r.json()["error"]
    assert err["code"] == "against_rule" and "规则未满足" in err["message"]
    [one] = err["places"]
    assert one["place"] == w.building.id and one["zone_type"] == "sealed"
    assert any("无新增" in u or "0/" in u for u in one["unmet"]), one
    d.refresh_from_db()
    assert d.ends_at is None  # nothing written
    assert Adjustment.objects.get(pk=adj.pk).state == Adjustment.State.DRAFT
    r = c.post(f"/api/v1/zones/adjustments/{adj.id}/publish", {"confirm": False}, content_type="application/json")
    assert r.status_code == 409
    r = c.post(f"/api/v1/zones/adjustments/{adj.id}/publish", {"confirm": True}, content_type="application/json")
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["state"] == "published" and out["against_rule"]["said"] == "不符合解除规则发布"
    assert [p["place"] for p in out["against_rule"]["places"]] == [w.building.id]
    d.refresh_from_db()
    assert d.ends_at is not None
    assert c.get(f"/api/v1/zones/adjustments/{adj.id}").json()["against_rule"]["places"][0]["unmet"]
    page = c.get(f"/zones/adjustments/{adj.id}/").content.decode()
    assert 'id="against-rule"' in page and "不符合解除规则发布" in page and "规则未满足" in page


def test_scheduling_a_lift_against_the_rule_is_asked_too(world, presets, login):
    w = world
    _sealed(w)
    adj = _lift_draft(w)
    c = login(w.users.staff)
    at = (timezone.now() + datetime.timedelta(hours=2)).isoformat()
    r = c.post(f"/api/v1/zones/adjustments/{adj.id}/schedule", {"at": at}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "against_rule", r.content
    assert Adjustment.objects.get(pk=adj.pk).state == Adjustment.State.DRAFT
    r = c.post(f"/api/v1/zones/adjustments/{adj.id}/schedule", {"at": at, "confirm": True},
               content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "scheduled"
    assert pub.publish_due(timezone.now() + datetime.timedelta(hours=3)) == 1
    out = c.get(f"/api/v1/zones/adjustments/{adj.id}").json()
    assert out["state"] == "published" and out["against_rule"]["said"] == "不符合解除规则发布"


def test_a_lift_within_the_rule_needs_no_confirm(world, presets, login):
    """A step up (no rule to meet) publishes over the API as before, and says nothing against."""
    w = world
    staff = actor_for(w.users.staff)
    n = pub.create_notice(staff, w.community, {"number": "第30号", "issued_by": "指挥部", "title": "封控",
                                               "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.community, "封控", notice=n)
    pub.add_item(staff, adj, pub.Op.CREATE, w.building, _type("sealed"))
    c = login(w.users.staff)
    r = c.post(f"/api/v1/zones/adjustments/{adj.id}/publish")
    assert r.status_code == 200 and r.json()["against_rule"] is None, r.content
    page = c.get(f"/zones/adjustments/{adj.id}/").content.decode()
    assert 'id="against-rule"' not in page


def test_kept_past_its_day_says_what_is_unmet_instead_of_a_past_date(world, presets, login):
    """Review (finding 5): a zone whose clean days were reached but whose final round is
    missing showed "最早 <a date already past> 可以解除" beside "Keep"."""
    w = world
    d = _sealed(w)
    rule = lifting.rule_for(d)
    back = timezone.now() - datetime.timedelta(days=rule.clean_days + 3)
    Designation.objects.filter(pk=d.pk).update(starts_at=back, clock_from=back)
    d.refresh_from_db()
    rec = lifting.recommendations([d])[0]
    assert rec.action == lifting.KEEP and rec.day == rule.clean_days + 3
    assert rec.earliest is None and rec.overdue
    assert rec.earliest_words == "满足以下条件后即可解除：末轮核酸未完成。", rec.earliest_words
    family = _family(w)  # the family reads what they can do, not the rule's words
    assert rec.earliest_words not in family and any("全家按时做下一轮核酸" in x for x in family), family
    past = date_format(timezone.localdate(back) + datetime.timedelta(days=rule.clean_days), "MONTH_DAY_FORMAT")
    c = login(w.users.staff)
    page = c.get(f"/zones/p/{w.building.id}/lifting/").content.decode()
    shown = page.split('class="earliest"')[1][:120]
    assert "末轮核酸未完成" in shown and past not in shown, shown
    [one] = [x for x in c.get(f"/api/v1/zones/lifting?place={w.building.id}").json() if x["designation"] == d.id]
    assert one["earliest"] is None


def test_the_earliest_day_waits_for_the_final_rounds_day(world, presets):
    w = world
    d = _sealed(w)
    rule = lifting.rule_for(d)
    rule.round_day = rule.clean_days + 2  # a rule whose round comes after its clean days
    rule.save(update_fields=["round_day"])
    rec = lifting.recommendations([d])[0]
    assert rec.earliest == timezone.localdate() + datetime.timedelta(days=rule.clean_days + 2)
