"""A zone type's rule change takes effect from a stated time, audited: the rules in force
at T are those whose change's effective_from ≤ T; the worker (or recovery) writes a due
change into the type at its minute; a scheduled change may be withdrawn before it."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Invalid
from fangkong.zones import queries
from fangkong.zones.actions import policy
from fangkong.zones.models import RuleChange, ZoneType
from fangkong.zones.tasks import recover_publisher
from tests.conftest import actor_for


@pytest.fixture
def sealed(presets):
    return ZoneType.objects.get(policy__is_active=True, code="sealed")


def test_a_change_from_a_stated_time(world, sealed):
    district = actor_for(world.users.district)
    now = timezone.now()
    five = now + datetime.timedelta(hours=3)
    old = sealed.pool_size
    policy.update_type(district, sealed, {"pool_size": 5, "called_out": True}, effective_from=five.isoformat())
    sealed.refresh_from_db()
    assert sealed.pool_size == old  # not yet
    ch = RuleChange.objects.get(zone_type=sealed)
    assert ch.state == "scheduled" and ch.changes["pool_size"] == [old, 5]
    assert AuditEvent.objects.filter(action="zones.type.schedule").exists()
    # the rules in force at T: before the minute the old ones, from it the new ones
    assert queries.rules_at(sealed, five - datetime.timedelta(minutes=1))["pool_size"] == old
    assert queries.rules_at(sealed, five)["pool_size"] == 5 and queries.rules_at(sealed, five)["called_out"]
    assert policy.apply_due(five - datetime.timedelta(seconds=1)) == 0
    # a lost task: recovery applies it after the minute, once
    assert recover_publisher(SimpleNamespace(now=five + datetime.timedelta(minutes=1)))["zones_rules_applied"] == 1
    assert policy.apply_due(five + datetime.timedelta(minutes=2)) == 0
    sealed.refresh_from_db()
    assert sealed.pool_size == 5 and sealed.changed_at == five
    # written in, the history still answers for a time before the change
    assert queries.rules_at(sealed, now)["pool_size"] == old
    assert queries.rules_at(sealed, five)["pool_size"] == 5


def test_now_or_past_applies_at_once_and_bad_times_are_refused(world, sealed):
    district = actor_for(world.users.district)
    policy.update_type(district, sealed, {"pcr_per_week": 5})
    sealed.refresh_from_db()
    assert sealed.pcr_per_week == 5 and RuleChange.objects.get().state == "applied"
    with pytest.raises(Invalid) as e:
        policy.update_type(district, sealed, {"pcr_per_week": 4}, effective_from="tomorrow morning")
    assert "effective_from" in e.value.fields
    assert RuleChange.objects.count() == 1  # nothing half-written


def test_a_scheduled_change_is_withdrawn_before_its_minute(world, sealed):
    district = actor_for(world.users.district)
    later = timezone.now() + datetime.timedelta(days=1)
    policy.update_type(district, sealed, {"pool_size": 3}, effective_from=later)
    ch = RuleChange.objects.get()
    policy.cancel_change(district, ch)
    assert policy.cancel_change(district, ch).state == "cancelled"  # a retry
    assert policy.apply_due(later + datetime.timedelta(minutes=1)) == 0
    assert queries.rules_at(sealed, later)["pool_size"] == sealed.pool_size


def test_the_page_and_the_api_take_the_stated_time(world, sealed, client):
    client.force_login(world.users.district)
    later = timezone.localtime() + datetime.timedelta(days=1)
    r = client.post(f"/zones/types/{sealed.pk}/", {
        "pool_size": "4", "name_zh": sealed.name_zh, "effective_from": later.strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 302
    page = client.get(f"/zones/types/{sealed.pk}/").content.decode()
    assert "规则变更记录" in page and "已定时" in page
    sealed.refresh_from_db()
    assert sealed.pool_size != 4
    r = client.patch(f"/api/v1/zones/types/{sealed.pk}", data={
        "pool_size": 2, "effective_from": (timezone.now() + datetime.timedelta(days=2)).isoformat()},
        content_type="application/json")
    assert r.status_code == 200 and r.json()["pool_size"] == sealed.pool_size
    assert RuleChange.objects.filter(state="scheduled").count() == 2
