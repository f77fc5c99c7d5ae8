"""Each preset's lifting rule on scripted day-by-day timelines (cases and rounds), with the
expected recommendation each day; step-downs keep counting; escalation names the case."""

import datetime

import pytest
from django.utils import timezone

from fangkong.zones import evidence, lifting, queries
from fangkong.zones.actions import escalate
from fangkong.zones.actions import lift as lift_actions
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, Designation, ZoneType
from tests.conftest import actor_for

from .conftest import approve_if_needed, use_policy

Op = pub.Op


class Rounds:
    """A scripted round source: place id → [(day offset, all negative, finished)]."""

    def __init__(self):
        self.by_place, self.t0 = {}, None

    def add(self, place, day, negative=True, finished=True):
        self.by_place.setdefault(place.id, []).append((day, negative, finished))

    def __call__(self, place, since):
        return [evidence.RoundEvidence(day=timezone.localdate(self.t0) + datetime.timedelta(days=d),
                                       name=f"第{d}天核酸", finished=f, all_negative=n and f)
                for d, n, f in self.by_place.get(place.id, [])]


@pytest.fixture
def rounds():
    r = Rounds()
    evidence.register_rounds(r)
    yield r
    evidence.unregister_rounds(r)


def t0():
    """05:00 tomorrow: the timelines start at a scheduled publication."""
    return (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=5, minute=0, second=0,
                                                                       microsecond=0)


def designate(w, staff, place, code, at, op=Op.CREATE):
    zt = ZoneType.objects.get(policy__is_active=True, code=code)
    n = pub.create_notice(staff, w.community, {"number": f"第{code}号", "issued_by": "指挥部",
                                               "title": "通告", "effective_at": at.isoformat()})
    adj = pub.draft(staff, w.community, "调整", notice=n)
    pub.add_item(staff, adj, op, place, zt)
    pub.schedule(staff, adj, at)
    assert pub.publish_due(at) == 1
    return Designation.objects.get(place=place, ends_at=None)


def timeline(d, start, days):
    """The recommendation on each day 1..days, as 'keep' / 'lift' / 'step_down:<code>'."""
    out = []
    for n in range(1, days + 1):
        rec = lifting.recommendations([d], timezone.localdate(start) + datetime.timedelta(days=n))[0]
        out.append(rec.action + (f":{rec.to.code}" if rec.to else ""))
    return out


def test_national_early_2022_14_days_and_a_round_in_the_last_2(world, presets, rounds):
    use_policy("national-2022-early")
    w, staff = world, actor_for(world.users.staff)
    start = rounds.t0 = t0()
    d = designate(w, staff, w.building, "sealed", start)
    for day in range(1, 15, 2):  # a round every other day: 1, 3, …, 13
        rounds.add(w.building, day)
    assert timeline(d, start, 15) == ["keep"] * 13 + ["lift", "lift"]
    rec = lifting.recommendations([d], timezone.localdate(start) + datetime.timedelta(days=10))[0]
    assert any("4" in r for r in rec.reasons)  # "day 10 of 14: 4 more to go"


def test_national_a_case_restarts_the_count(world, presets, rounds):
    use_policy("national-2022-early")
    w, staff = world, actor_for(world.users.staff)
    start = rounds.t0 = t0()
    d = designate(w, staff, w.building, "sealed", start)
    escalate.case_confirmed(staff, w.yu, confirmed_at=start + datetime.timedelta(days=5), source="复核阳性")
    for day in range(1, 21):
        rounds.add(w.building, day)
    got = timeline(d, start, 20)
    assert got == ["keep"] * 18 + ["lift", "lift"]  # 14 days after the case on day 5


def test_shanghai_sealed_needs_the_round_on_day_13(world, presets, rounds):
    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    start = rounds.t0 = t0()
    d = designate(w, staff, w.building, "sealed", start)
    for day in range(1, 13):
        rounds.add(w.building, day)
    rounds.add(w.building, 13, negative=False)  # day 13's round found a positive tube
    assert timeline(d, start, 14) == ["keep"] * 14
    rec = lifting.recommendations([d], timezone.localdate(start) + datetime.timedelta(days=14))[0]
    assert any("不是全部阴性" in r or "not all negative" in r for r in rec.reasons)
    rounds.add(w.building, 14)  # a round on day 14 is on or after day 13
    assert timeline(d, start, 14)[-1] == "lift"


def test_shanghai_controlled_7_days_round_on_day_6(world, presets, rounds):
    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    start = rounds.t0 = t0()
    d = designate(w, staff, w.compound, "controlled", start)
    rounds.add(w.compound, 3)
    assert timeline(d, start, 8) == ["keep"] * 8  # no round on day 6 or later
    rounds.add(w.compound, 6, finished=False)
    assert timeline(d, start, 8) == ["keep"] * 8  # results not in
    rounds.add(w.compound, 7)
    assert timeline(d, start, 8) == ["keep"] * 6 + ["lift", "lift"]


def test_shanghai_a_case_keeps_only_its_own_building_sealed(world, presets, rounds):
    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    start = rounds.t0 = t0()
    comp = designate(w, staff, w.compound, "sealed", start)
    case, proposal = escalate.case_confirmed(staff, w.yu, confirmed_at=start + datetime.timedelta(days=4),
                                             source="单管复核阳性", source_ref="t:1")
    assert proposal is not None and proposal.reason == Adjustment.Reason.ESCALATION
    assert "于海涛" in proposal.why and proposal.case == case
    [item] = queries.items(proposal)
    assert (item.op, item.place, item.zone_type.code) == (Op.CREATE, w.building, "sealed")
    assert escalate.case_confirmed(staff, w.yu, source="x", source_ref="t:1") == (case, proposal)  # once
    pub.set_notice(staff, proposal, pub.create_notice(staff, w.community, {
        "number": "第20号", "issued_by": "指挥部", "title": "1号楼封控", "effective_at": start.isoformat()}))
    pub.publish(staff, proposal)
    bld = Designation.objects.get(place=w.building, ends_at=None)
    for day in range(1, 20):
        rounds.add(w.compound, day)
        rounds.add(w.building, day)
    # the compound's count goes on from day 0; the building's restarts at the case (day 4)
    assert timeline(comp, start, 14)[-1] == "lift"
    rec = lifting.recommendations([bld], timezone.localdate(start) + datetime.timedelta(days=14))[0]
    assert rec.action == "keep" and rec.last_case == case


def test_ninth_edition_high_steps_down_to_medium_then_low(world, presets, rounds):
    use_policy("nhc-2022-06-9th")
    w, staff = world, actor_for(world.users.staff)
    start = rounds.t0 = t0()
    d = designate(w, staff, w.building, "high", start)
    rounds.add(w.building, 7)
    assert timeline(d, start, 8) == ["keep"] * 6 + ["step_down:medium"] * 2
    # one tap drafts the step-down; published, the medium zone keeps counting from day 0
    adj = lift_actions.draft_from(staff, d, timezone.localdate(start) + datetime.timedelta(days=7))
    assert lift_actions.draft_from(staff, d, timezone.localdate(start) + datetime.timedelta(days=7)) == adj
    pub.set_notice(staff, adj, pub.create_notice(staff, w.community, {
        "number": "第30号", "issued_by": "指挥部", "title": "降级", "effective_at": start.isoformat()}))
    pub.publish(staff, approve_if_needed(staff, adj))  # a 高风险区 steps down with the street's approval
    medium = Designation.objects.get(place=w.building, ends_at=None)
    assert medium.zone_type.code == "medium" and medium.stepped_from.code == "high"
    assert queries.household_zone(w.hh101.id).zone_type.code == "medium"
    assert timeline(medium, start, 11) == ["keep"] * 9 + ["step_down:low"] * 2  # 3 more days


def test_ninth_edition_medium_on_its_own_needs_7_days_and_a_round(world, presets, rounds):
    use_policy("nhc-2022-06-9th")
    w, staff = world, actor_for(world.users.staff)
    start = rounds.t0 = t0()
    d = designate(w, staff, w.compound, "medium", start)
    assert timeline(d, start, 10) == ["keep"] * 10
    rounds.add(w.compound, 8)
    assert timeline(d, start, 10) == ["keep"] * 7 + ["step_down:low"] * 3
    with pytest.raises(Exception):  # noqa: B017 - keep: nothing to draft
        lift_actions.draft_from(staff, d, timezone.localdate(start) + datetime.timedelta(days=3))


def test_escalation_from_controlled_to_sealed_names_the_case(world, presets):
    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    d = designate(w, staff, w.compound, "controlled", t0())
    assert d.zone_type.code == "controlled"
    _case, proposal = escalate.case_confirmed(actor_for(w.users.lab), w.xia, source="单管复核阳性",
                                              source_ref="screening.followup:9")
    assert proposal.state == Adjustment.State.DRAFT and "夏明" in proposal.why
    [item] = queries.items(proposal)
    assert (item.place, item.zone_type.code) == (w.building, "sealed")
    d2 = queries.diff(proposal)
    assert d2["households"] == 3 and d2["transitions"][0]["to"].code == "sealed"


def test_a_case_confirmed_by_the_lab_drafts_the_escalation_and_tells_staff(world, presets):
    from fangkong.notify.models import Notification
    from fangkong.screening.actions import followup, lab
    from fangkong.screening.models import FollowUp
    from tests.api.test_security import ROUTES  # noqa: F401 - loads the tables in their order
    from tests.screening.security_routes import received_tube

    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    designate(w, staff, w.compound, "controlled", t0())
    received_tube(w)  # 于海涛 in tube T0001, at the lab
    lab.record_results(actor_for(w.users.lab), [{"barcode": "T0001", "result": "positive"}])
    fu = FollowUp.objects.get(round=w.round, resident=w.yu)
    followup.record_retest(staff, fu, "R0001")
    lab.record_results(actor_for(w.users.lab), [{"barcode": "R0001", "result": "positive"}])
    proposal = Adjustment.objects.get(reason="escalation")
    assert "于海涛" in proposal.why and queries.items(proposal)[0].place == w.building
    note = Notification.objects.filter(user=w.users.staff, kind="screening.case").get()
    assert f"/zones/adjustments/{proposal.id}/" in note.url
