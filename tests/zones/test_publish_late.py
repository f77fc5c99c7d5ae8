"""A notice entered late ("controlled from 05:00 yesterday", published at 02:00 today) may
be published as from the notice's minute: the action (checked: not in the future, not more
than 7 days back, never before what the history already holds, retries unchanged), the
page's confirm step with its two choices, and the API's `from_notice`."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Invalid
from fangkong.zones import lifting, queries
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, Designation, HouseholdZone, ZoneType
from tests.conftest import actor_for
from tests.zones.conftest import approve_if_needed

Op = pub.Op
_NUMBERS = iter(range(100, 10_000))


def types():
    return {t.code: t for t in ZoneType.objects.filter(policy__is_active=True)}


def adjust(staff, w, items, at):
    n = pub.create_notice(staff, w.community, {
        "number": f"第{next(_NUMBERS)}号", "issued_by": "桥东街道疫情防控指挥部",
        "title": "关于划定管控区的通告", "effective_at": at.isoformat()})
    adj = pub.draft(staff, w.community, "通告", notice=n)
    for op, place, zt in items:
        pub.add_item(staff, adj, op, place, zt)
    return adj


def ago(**kw):
    return (timezone.now() - datetime.timedelta(**kw)).replace(second=0, microsecond=0)


def no_period_ends_before_it_begins():
    return not [z for z in HouseholdZone.objects.all() if z.until is not None and z.until < z.since]


def test_a_late_notice_counts_from_its_minute(world, presets):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    at = ago(days=2)
    adj = adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])], at)
    adj = pub.publish(staff, adj, from_notice=True)
    assert adj.state == "published" and adj.effective_at == at
    assert adj.published_at > at + datetime.timedelta(days=1)
    d = Designation.objects.get(place=w.compound)
    assert d.starts_at == d.clock_from == at
    z = queries.household_zone(w.hh101.id)
    assert z.since == at and z.zone_type.code == "controlled"
    rec = lifting.recommendations([d])[0]
    assert rec.day == (timezone.localdate() - timezone.localdate(at)).days == 2  # not day 0
    e = AuditEvent.objects.filter(action="zones.adjustment.publish").get()
    assert e.changes["at"] == at.isoformat() and e.changes["from_notice"] is True
    assert e.changes["published_at"] == adj.published_at.isoformat()
    # a later notice for a building under it counts from its own minute: a real period before
    unit = adjust(staff, w, [(Op.CREATE, w.unit1, t["sealed"])], ago(days=1))
    unit = pub.publish(staff, unit, from_notice=True)
    hist = queries.history(staff.scope, w.hh101)
    assert [(h.zone_type.code, h.since, h.until) for h in hist] == [
        ("sealed", unit.effective_at, None), ("controlled", at, unit.effective_at)]
    assert no_period_ends_before_it_begins()


def test_a_notice_more_than_7_days_back_is_refused_saying_from_when(world, presets):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    adj = adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])], ago(days=8))
    with pytest.raises(Invalid) as e:
        pub.publish(staff, adj, from_notice=True)
    assert e.value.code == "too_early" and "7" in str(e.value.message)
    earliest = timezone.localtime(timezone.now() - pub.MAX_BACK)
    assert f"{earliest:%H:%M}" in e.value.fields["from_notice"][0]
    adj.refresh_from_db()
    assert adj.state == "draft" and not Designation.objects.exists() and not HouseholdZone.objects.exists()
    assert pub.publish(staff, adj).effective_at > ago(minutes=2)  # from now: as always


def test_a_notice_still_to_come_is_not_published_as_from_it(world, presets):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    adj = adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])],
                 timezone.now() + datetime.timedelta(hours=2))
    with pytest.raises(Invalid) as e:
        pub.publish(staff, adj, from_notice=True)
    assert e.value.code == "notice_ahead" and "from_notice" in e.value.fields
    assert not Designation.objects.exists()


def test_never_before_a_later_change_already_written(world, presets):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    sealed = pub.publish(staff, adjust(staff, w, [(Op.CREATE, w.unit1, t["sealed"])], ago(hours=30)),
                         from_notice=True)
    # the compound's notice is older than the unit's seal: its households' history
    # would go back (the unit's period starts later)
    late = adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])], ago(days=2))
    with pytest.raises(Invalid) as e:
        pub.publish(staff, late, from_notice=True)
    msg = e.value.fields["from_notice"][0]
    assert e.value.code == "too_early" and "1单元" in msg
    assert f"{timezone.localtime(sealed.effective_at):%H:%M}" in msg  # from when at the earliest
    # lifting the seal as from before it began: it would end before it started
    lift = approve_if_needed(staff, adjust(staff, w, [(Op.LIFT, w.unit1, None)], ago(days=2)))
    with pytest.raises(Invalid):
        pub.publish(staff, lift, from_notice=True)
    lift = pub.publish(staff, approve_if_needed(staff, adjust(staff, w, [(Op.LIFT, w.unit1, None)], ago(hours=3))),
                       from_notice=True)
    # the unit's households' rows now end 3 hours ago: nothing may count from before that
    late2 = adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])], ago(hours=5))
    with pytest.raises(Invalid):
        pub.publish(staff, late2, from_notice=True)
    assert pub.publish(staff, adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])], lift.effective_at),
                       from_notice=True).households_changed == 3  # at the last change itself: allowed
    assert no_period_ends_before_it_begins()
    assert not Adjustment.objects.filter(pk__in=[late.pk, late2.pk]).exclude(state="draft").exists()


def test_a_retry_is_unchanged(world, presets):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    at = ago(hours=20)
    adj = adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])], at)
    first = pub.publish(staff, adj, from_notice=True)
    again = pub.publish(staff, adj, from_notice=True)  # a second tap
    assert (again.effective_at, again.published_at) == (first.effective_at, first.published_at) == (
        at, first.published_at)
    assert pub.publish(staff, adj).effective_at == at  # nor does a retry without the choice move it
    assert AuditEvent.objects.filter(action="zones.adjustment.publish").count() == 1
    assert HouseholdZone.objects.count() == 3
    # published from now, a retry "from the notice" is the same publication, not refused
    now_adj = adjust(staff, w, [(Op.CREATE, w.unit2, t["sealed"])], ago(hours=20))
    done = pub.publish(staff, now_adj)
    assert pub.publish(staff, now_adj, from_notice=True).effective_at == done.effective_at > at


# --- the page ------------------------------------------------------------------------

def test_the_confirm_step_offers_both_ways_and_says_what_each_means(world, presets, login):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    at = (timezone.localtime() - datetime.timedelta(days=1)).replace(hour=5, minute=0, second=0, microsecond=0)
    adj = adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])], at)
    c = login(w.users.staff)
    page = c.get(f"/zones/adjustments/{adj.id}/").content.decode()
    assert "通告已于" in page  # the publish section says the notice's minute has passed
    r = c.post(f"/zones/adjustments/{adj.id}/publish/")
    text = r.content.decode()
    shown = f"{timezone.localtime(at):%H:%M}"
    assert r.status_code == 200 and "confirm-yes" in text
    assert "按通告生效时间" in text and shown in text and "从现在起算" in text
    assert 'type="radio" name="from" value="notice" required' in text
    assert 'type="radio" name="from" value="now" required' in text
    assert "第 1 天" in text and "第 0 天" in text  # what each means for the lifting count
    assert "checked" not in text  # nothing chosen for the user
    # confirmed without a choice: asked again, nothing published
    r = c.post(f"/zones/adjustments/{adj.id}/publish/", {"confirm": "1"})
    assert r.status_code == 200 and "请选择从何时起算" in r.content.decode()
    assert not Designation.objects.exists()
    r = c.post(f"/zones/adjustments/{adj.id}/publish/", {"confirm": "1", "from": "notice"}, follow=True)
    assert "按通告生效时间" in r.content.decode() and "户" in r.content.decode()
    assert Designation.objects.get().starts_at == at and queries.household_zone(w.hh101.id).since == at
    assert "发布于" in r.content.decode()  # the page says both minutes


def test_from_now_on_the_page_and_a_notice_too_old_to_count_from(world, presets, login):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    c = login(w.users.staff)
    old = adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])], ago(days=9))
    r = c.post(f"/zones/adjustments/{old.id}/publish/")
    text = r.content.decode()
    assert 'name="from"' not in text and "最多只能从 7 天前起算" in text  # no choice: said why
    c.post(f"/zones/adjustments/{old.id}/publish/", {"confirm": "1"})
    old.refresh_from_db()
    assert old.state == "published" and old.effective_at > ago(minutes=2)
    adj = adjust(staff, w, [(Op.CREATE, w.unit1, t["sealed"])], ago(hours=6))
    r = c.post(f"/zones/adjustments/{adj.id}/publish/")
    text = r.content.decode()  # the compound's change just now: 6 hours ago would go back
    assert 'name="from"' not in text and "最早只能从" in text
    c.post(f"/zones/adjustments/{adj.id}/publish/", {"confirm": "1", "from": "now"})
    assert Designation.objects.get(place=w.unit1).starts_at > ago(minutes=2)


# --- the API -------------------------------------------------------------------------

def test_the_api_publishes_from_the_notice_when_asked(world, presets):
    w, t = world, types()
    staff = actor_for(w.users.staff)
    c = Client()
    c.force_login(w.users.staff)
    at = ago(days=1)
    adj = adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])], at)
    old = adjust(staff, w, [(Op.CREATE, w.unit1, t["sealed"])], ago(days=10))
    r = c.post(f"/api/v1/zones/adjustments/{old.id}/publish?from_notice=true")
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_early"
    assert "最多只能从 7 天前起算" in r.json()["error"]["fields"]["from_notice"][0]
    r = c.post(f"/api/v1/zones/adjustments/{adj.id}/publish?from_notice=true")
    assert r.status_code == 200
    assert datetime.datetime.fromisoformat(r.json()["effective_at"]) == at
    assert datetime.datetime.fromisoformat(r.json()["published_at"]) > at + datetime.timedelta(hours=23)
    # without it (an existing client: no body, or a body): from now, as before
    r = c.post(f"/api/v1/zones/adjustments/{old.id}/publish", {"anything": 1}, content_type="application/json")
    assert r.status_code == 200 and datetime.datetime.fromisoformat(r.json()["effective_at"]) > ago(minutes=2)
    params = c.get("/api/v1/openapi.json").json()["paths"]["/api/v1/zones/adjustments/{pk}/publish"]["post"][
        "parameters"]
    doc = next(p for p in params if p["name"] == "from_notice")
    assert doc["in"] == "query" and not doc["required"] and "7 days" in doc["description"]


def test_a_scheduled_seal_published_late_comes_after_a_change_written_meanwhile(world, presets):
    """The worker was down at a seal's minute; meanwhile staff put the whole compound under
    control. When the worker comes back, the seal still goes ahead, counting from the
    control's minute (not its own, which would end the households' controlled period before
    it began)."""
    w, t = world, types()
    staff = actor_for(w.users.staff)
    seal = adjust(staff, w, [(Op.CREATE, w.unit1, t["sealed"])], ago(minutes=-5))
    seal = pub.schedule(staff, seal, timezone.now() + datetime.timedelta(minutes=5))
    minute = ago(minutes=30)  # its minute passed while the worker was down
    Adjustment.objects.filter(pk=seal.pk).update(effective_at=minute)
    control = pub.publish(staff, adjust(staff, w, [(Op.CREATE, w.compound, t["controlled"])],
                                        ago(minutes=20)))
    assert pub.publish_due() == 1
    seal.refresh_from_db()
    assert seal.state == "published" and seal.effective_at == control.effective_at > minute
    hist = queries.history(staff.scope, w.hh101)
    assert [(h.zone_type.code, h.since) for h in hist][0] == ("sealed", control.effective_at)
    assert no_period_ends_before_it_begins()
