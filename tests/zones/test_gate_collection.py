"""A controlled area's exit at its own gate is for collecting goods (walk "zone", item 5): the
guard is told where to, that the person may not leave the area and by when to be back
("仅限到东门取物点取物，不得离开光明小区，18:00 前返回"); an exit outside the collection hours
is refused with the reason and when collecting opens again. The place and hours are the zone
type's rules, edited on its page and by the API like the others (checked, audited, from a
stated time), and shown on the policy page and the checkpoint page. One person per household
every 2 days still reads right."""

import datetime
import uuid

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones import gate_rules
from fangkong.zones.actions import gate
from fangkong.zones.actions import policy as policy_actions
from fangkong.zones.models import RuleChange, ZoneType
from tests.conftest import IDS, actor_for
from tests.zones.test_rules import designate


@pytest.fixture
def east_gate(world):
    return reg.create_place(Actor.system(), world.compound, Kind.CHECKPOINT, "东门")


@pytest.fixture
def controlled(presets):
    return ZoneType.objects.get(policy__is_active=True, code="controlled")


def set_hours(w, zt, start="07:00", end="18:00", place="东门取物点"):
    policy_actions.update_type(actor_for(w.users.district), zt, {
        "collect_place_zh": place, "collect_place_en": "East gate pick-up point" if place else "",
        "collect_from": start, "collect_until": end})
    zt.refresh_from_db()
    return zt


def today_at(hour, minute=0, days=0):
    local = timezone.localtime() + datetime.timedelta(days=days)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def out(w, g, person, at, **kw):
    return gate.pass_gate(actor_for(w.users.grid), g, direction="out", resident=person, colour="green",
                          temperature="36.5", client_id=uuid.uuid4(), at=at, **kw)


def test_the_collector_is_told_where_and_until_when_and_refused_outside_the_hours(world, controlled, east_gate):
    w = world
    set_hours(w, controlled)
    designate(w, w.compound, "controlled")
    ev = out(w, east_gate, w.su, today_at(10))
    assert ev.allowed and ev.terms == "仅限到东门取物点取物，不得离开光明小区，18:00 前返回。"
    # the same household two hours later: one person every 2 days, said with the next turn
    second = out(w, east_gate, w.yu, today_at(12))
    assert not second.allowed and not second.terms
    assert second.reason.startswith("每户每 2 天限 1 人：苏霞 已于 ") and "下次可于" in second.reason
    # outside the hours: refused, saying when collecting opens again
    early = out(w, east_gate, w.xia, today_at(6, 30))
    assert not early.allowed and early.reason == (
        "管控区：取物时间为 07:00–18:00，现在不在取物时间内，不得放行。请于 07:00 起再来。")
    late = out(w, east_gate, w.xia, today_at(18, 30))
    assert not late.allowed and "取物时间为 07:00–18:00" in late.reason and "07:00 起再来" in late.reason
    assert out(w, east_gate, w.xia, today_at(17, 59)).allowed  # within the hours: let through
    # coming back in is never refused, at any hour
    assert gate.pass_gate(actor_for(w.users.grid), east_gate, direction="in", resident=w.xia, colour="green",
                          client_id=uuid.uuid4(), at=today_at(22)).allowed


def test_without_hours_or_place_the_gate_s_own_point_and_come_straight_back(world, controlled, east_gate):
    w = world
    designate(w, w.compound, "controlled")
    ev = out(w, east_gate, w.su, today_at(22))  # no hours set: any hour
    assert ev.allowed and ev.terms == "仅限到东门取物点取物，不得离开光明小区，取物后立即返回。"


def test_the_next_turn_moves_to_the_opening_of_the_hours(world, controlled):
    zt = set_hours(world, controlled, "07:00", "12:00")
    assert gate_rules.next_open(zt, today_at(17, 50)) == today_at(7, days=1)
    assert gate_rules.next_open(zt, today_at(6)) == today_at(7)
    assert gate_rules.next_open(zt, today_at(9)) == today_at(9)


def test_other_zones_say_as_before(world, controlled, east_gate):
    w = world
    set_hours(w, controlled)
    designate(w, w.building, "controlled")  # the gate is outside the building's area
    ev = out(w, east_gate, w.su, today_at(10))
    assert not ev.allowed and "不得离开本区域" in ev.reason and not ev.terms
    designate(w, w.unit2, "sealed", number="第19号")
    ev = out(w, east_gate, w.wang, today_at(10))
    assert not ev.allowed and "本户任何人不得外出" in ev.reason and not ev.terms


def test_the_type_page_edits_the_place_and_hours_and_the_pages_show_them(world, controlled, east_gate, login):
    w = world
    c = login(w.users.district)
    data = {k: getattr(controlled, k) for k in ("name_zh", "name_en", "movement_zh", "movement_en")}
    data.update(pool_size=controlled.pool_size, pcr_per_week=controlled.pcr_per_week,
                antigen_per_week=controlled.antigen_per_week, collect_every_days="2", may_leave_home="on",
                called_out="on", escalate_to="sealed", escalate_scope=controlled.escalate_scope,
                collect_place_zh="东门取物点", collect_place_en="East gate pick-up point",
                collect_from="7:00", collect_until="18:00")
    r = c.post(f"/zones/types/{controlled.pk}/", {**data, "collect_until": "25:00"})
    assert r.status_code == 400 and "如 08:00" in r.text
    r = c.post(f"/zones/types/{controlled.pk}/", {**data, "collect_until": ""})
    assert r.status_code == 400 and "同时填写开始和结束" in r.text
    r = c.post(f"/zones/types/{controlled.pk}/", {**data, "collect_until": "06:00"})
    assert r.status_code == 400 and "须晚于开始时间" in r.text
    r = c.post(f"/zones/types/{controlled.pk}/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    controlled.refresh_from_db()
    assert (controlled.collect_place_zh, controlled.collect_from, controlled.collect_until) == \
        ("东门取物点", "07:00", "18:00")
    ch = RuleChange.objects.filter(zone_type=controlled).latest("id")
    assert ch.changes["collect_from"] == ["", "07:00"]
    words = "每户每 2 天 1 人，东门取物点，07:00–18:00"
    page = c.get(f"/zones/types/{controlled.pk}/").content.decode()
    assert words in page and "取物时间：自" in page and "东门取物点 → " not in page
    assert words in c.get("/zones/policy/").content.decode()
    guard = login(w.users.grid).get(f"/zones/p/{w.compound.id}/gate/").content.decode()
    assert 'id="collect-rules"' in guard and words in guard[guard.index('id="collect-rules"'):]


def test_the_gate_page_says_the_terms_in_the_verdict(world, controlled, east_gate, login):
    if timezone.localtime().time() >= datetime.time(23, 58):
        pytest.skip("the collection hours below end at 23:59")
    w = world
    set_hours(w, controlled, "00:00", "23:59")
    designate(w, w.compound, "controlled")
    c = login(w.users.grid)
    r = c.post(f"/zones/p/{w.compound.id}/gate/", {"gate": east_gate.id, "person": IDS["xia_ming"],
                                                   "direction": "out", "colour": "green",
                                                   "client_id": str(uuid.uuid4())})
    verdict = r.text[r.text.index('id="verdict"'):r.text.index("</div>", r.text.index('id="verdict"'))]
    assert "放行" in verdict and 'id="terms"' in verdict
    assert "仅限到东门取物点取物，不得离开光明小区，23:59 前返回。" in verdict


def test_the_api_takes_and_says_the_hours(world, controlled, east_gate, login):
    w = world
    c = login(w.users.district)
    url = f"/api/v1/zones/types/{controlled.pk}"
    r = c.patch(url, {"collect_from": "08:00"}, content_type="application/json")
    assert r.status_code == 400 and "collect_from" in str(r.json())
    r = c.patch(url, {"collect_from": "08:00", "collect_until": "17:30", "collect_place_zh": "东门取物点"},
                content_type="application/json")
    assert r.status_code == 200, r.content
    assert (r.json()["collect_from"], r.json()["collect_until"], r.json()["collect_place"]) == \
        ("08:00", "17:30", "东门取物点")
    designate(w, w.compound, "controlled")
    g = login(w.users.grid)
    ev = g.post(f"/api/v1/zones/checkpoints/{east_gate.id}/events", {
        "direction": "out", "client_id": str(uuid.uuid4()), "resident": w.su.id, "colour": "green",
        "at": today_at(9).isoformat()}, content_type="application/json").json()
    assert ev["allowed"] is True and ev["terms"] == "仅限到东门取物点取物，不得离开光明小区，17:30 前返回。"
    ev = g.post(f"/api/v1/zones/checkpoints/{east_gate.id}/events", {
        "direction": "out", "client_id": str(uuid.uuid4()), "resident": w.xia.id, "colour": "green",
        "at": today_at(17, 45).isoformat()}, content_type="application/json").json()
    assert ev["allowed"] is False and "取物时间为 08:00–17:30" in ev["reason"] and ev["terms"] == ""
