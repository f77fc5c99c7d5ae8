"""A zone type's escalation and lifting rule are changed like its other rules (from a stated
time, audited, listed); the testing cadence is said from its numbers; a past time is refused;
whoever may not edit the policy reads the rules without a form."""

import datetime

import pytest
from django.utils import timezone, translation

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Invalid
from fangkong.zones import queries, telling
from fangkong.zones.actions import policy
from fangkong.zones.models import LiftRule, RuleChange, ZoneType
from fangkong.zones.rule_words import cadence_words
from tests.conftest import actor_for


def _type(code):
    return ZoneType.objects.get(policy__is_active=True, code=code)


@pytest.fixture
def sealed(presets):
    return _type("sealed")


def test_the_lifting_rule_changes_from_a_stated_time_and_the_pages_say_the_new_days(world, sealed, client):
    district = actor_for(world.users.district)
    rule = LiftRule.objects.get(zone_type=sealed, after=None)
    assert (rule.clean_days, rule.round_day) == (14, 13)
    later = timezone.now() + datetime.timedelta(hours=2)
    policy.update_type(district, sealed, {"lift_clean_days": 10, "lift_round_day": 9}, effective_from=later)
    ch = RuleChange.objects.get(zone_type=sealed)
    assert ch.state == "scheduled" and ch.changes["lift_clean_days"] == [14, 10]
    assert AuditEvent.objects.filter(action="zones.type.schedule").exists()
    rule.refresh_from_db()
    assert rule.clean_days == 14  # not yet
    assert queries.rules_at(sealed, later)["lift_clean_days"] == 10
    assert queries.rules_at(sealed, later - datetime.timedelta(minutes=1))["lift_clean_days"] == 14
    assert policy.apply_due(later) == 1
    rule.refresh_from_db()
    assert (rule.clean_days, rule.round_day) == (10, 9)
    # the note read out with a lifting recommendation says the new numbers too
    assert rule.note_zh.startswith("连续10天无新增感染者") and rule.note_en.startswith("10 days without")
    client.force_login(world.users.district)
    for url in ("/zones/policy/", f"/zones/types/{sealed.pk}/"):
        page = client.get(url).content.decode()
        assert "连续10天无新增感染者" in page and "第9天" in page, url
    assert "连续无新增天数：14 → 10" in page  # the change listed by the rule's name


def test_escalation_and_lifting_through_the_api(world, presets, client):
    controlled, precaution = _type("controlled"), _type("precaution")
    client.force_login(world.users.district)
    r = client.patch(f"/api/v1/zones/types/{controlled.pk}", data={
        "escalate_to": "controlled", "escalate_scope": "unit", "lift_outcome": "step_down",
        "lift_to": "precaution", "lift_clean_days": 5, "lift_round_day": None}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["escalate_to"] == "controlled" and body["escalate_scope"] == "unit"
    own = [x for x in body["lift_rules"] if x["after"] is None][0]
    assert own["clean_days"] == 5 and own["outcome"] == "step_down" and own["to"] == "precaution"
    assert own["round_day"] is None
    controlled.refresh_from_db()
    assert controlled.escalate_to_id == controlled.pk
    # refused, each with its reason in Chinese, nothing written
    n = RuleChange.objects.count()
    for data, field, words in [
        ({"lift_clean_days": 0}, "lift_clean_days", "1至60天"),
        ({"lift_clean_days": 61}, "lift_clean_days", "1至60天"),
        ({"escalate_to": "precaution"}, "escalate_to", "更严格"),
        ({"escalate_to": "nowhere"}, "escalate_to", "本政策"),
        ({"escalate_scope": "city"}, "escalate_scope", "楼栋"),
        ({"lift_to": "sealed"}, "lift_to", "较宽松"),
        ({"lift_round_day": 9}, "lift_round_day", "第0天"),
    ]:
        r = client.patch(f"/api/v1/zones/types/{controlled.pk}", data=data, content_type="application/json")
        assert r.status_code == 400, (data, r.content)
        assert words in " ".join(r.json()["error"]["fields"][field]), (data, r.json())
    # a type may not become less strict than one that escalates to it
    with pytest.raises(Invalid) as e:
        policy.update_type(actor_for(world.users.district), _type("sealed"), {"severity": 5})
    assert "severity" in e.value.fields
    assert RuleChange.objects.count() == n
    assert precaution.escalate_to.code == "sealed"


def test_the_cadence_is_said_from_the_numbers_everywhere(world, sealed, client):
    policy.update_type(actor_for(world.users.district), sealed, {"pcr_per_week": 5, "antigen_per_week": 1})
    sealed.refresh_from_db()
    # the free-text note described the old numbers: cleared in the same change, which keeps it
    assert sealed.cadence_zh == "" and sealed.cadence_en == "" and sealed.cadence_note == ""
    assert RuleChange.objects.get(zone_type=sealed).changes["cadence_zh"] == ["每日1次核酸", ""]
    with translation.override("zh-hans"):
        assert sealed.cadence == "每周5次核酸，每周1次抗原"
        assert "每周5次核酸" in telling.rules(sealed) and "每日1次" not in telling.rules(sealed)
    with translation.override("en"):
        assert sealed.cadence == "PCR 5 times a week, antigen test once a week"
        assert cadence_words(7, 0) == "PCR every day"
        assert cadence_words(1, 14) == "PCR once a week, antigen test 2 times a day"
        assert cadence_words(0, 3) == "antigen test 3 times a week"
        assert cadence_words(0, 0) == ""
    client.force_login(world.users.staff)
    page = client.get("/zones/policy/").content.decode()
    assert "每周5次核酸，每周1次抗原" in page and "每日1次核酸" not in page


def test_a_past_time_is_refused_and_the_message_tells_of_this_change(world, sealed, client):
    client.force_login(world.users.district)
    later = timezone.localtime() + datetime.timedelta(days=1)
    client.post(f"/zones/types/{sealed.pk}/", {"pool_size": "4", "effective_from": later.strftime("%Y-%m-%dT%H:%M")})
    assert RuleChange.objects.filter(state="scheduled").count() == 1
    past = timezone.localtime() - datetime.timedelta(days=3)
    r = client.post(f"/zones/types/{sealed.pk}/", {"pool_size": "3", "effective_from": past.strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 400 and "所填时间已过" in r.content.decode()
    assert RuleChange.objects.count() == 1
    sealed.refresh_from_db()
    assert sealed.pool_size == 1
    # applied now while another change is still scheduled: the message says now, not "at the time"
    r = client.post(f"/zones/types/{sealed.pk}/", {"pool_size": "2"}, follow=True)
    page = r.content.decode()
    assert "从现在起生效" in page and "将在" not in page
    sealed.refresh_from_db()
    assert sealed.pool_size == 2


def test_staff_read_the_rules_without_a_form(world, sealed, client):
    later = timezone.now() + datetime.timedelta(days=1)
    policy.update_type(actor_for(world.users.district), sealed, {"pool_size": 3}, effective_from=later)
    client.force_login(world.users.staff)
    page = client.get(f"/zones/types/{sealed.pk}/").content.decode()
    assert "规则变更记录" in page and "连续14天无新增感染者" in page
    assert 'name="cancel"' not in page and 'name="pool_size"' not in page and "撤销" not in page
    client.force_login(world.users.district)
    page = client.get(f"/zones/types/{sealed.pk}/").content.decode()
    assert 'name="cancel"' in page and 'name="lift_clean_days"' in page and 'name="escalate_to"' in page
