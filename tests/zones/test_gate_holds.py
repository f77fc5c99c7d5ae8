"""The gate keeps in whoever must stay in, whatever their code and zone (walk "zone", item 1):
a case just reported (the escalation still a draft, the building still controlled or in no
zone at all), the case's housemates, and someone held by a positive pooled tube or antigen
test awaiting the re-test. Refused in red with the reason, page and API alike; the community's
staff and grid worker told once (a day), however often the person tries; everyone else as
before. The scan stays a bounded number of queries."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.core.errors import NotFound
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones import gate_rules
from fangkong.zones.actions import escalate, gate
from fangkong.zones.models import Adjustment, CheckpointEvent
from tests.conftest import IDS, actor_for
from tests.zones.test_rules import designate


@pytest.fixture
def east_gate(world):
    return reg.create_place(Actor.system(), world.compound, Kind.CHECKPOINT, "东门")


def through(w, g, person, direction="out", colour="green", **kw):
    return gate.pass_gate(actor_for(w.users.grid), g, direction=direction, resident=person, colour=colour,
                          temperature="36.5", client_id=kw.pop("cid", uuid.uuid4()), **kw)


def report_case(w, person, hours_ago=3):
    case, _proposal = escalate.record_case(actor_for(w.users.staff), person, source="市卫健委通报",
                                           confirmed_at=timezone.now() - datetime.timedelta(hours=hours_ago))
    return case


def told(w, kind="zones.gate_held"):
    return Notification.objects.filter(kind=kind)


def test_a_reported_case_and_the_housemates_are_kept_in_while_the_escalation_waits(world, presets, east_gate):
    w = world
    designate(w, w.compound, "controlled")  # the whole compound controlled, the gate inside it
    report_case(w, w.su)
    assert Adjustment.objects.filter(case__resident=w.su, state="draft").exists()  # not published
    ev = through(w, east_gate, w.su)
    assert not ev.allowed and ev.hold == "case" and ev.zone_kind == "controlled"
    assert ev.reason.startswith("不得放行：本人为确诊病例") and not ev.terms
    mate = through(w, east_gate, w.yu)  # the same household: a close contact
    assert not mate.allowed and mate.hold == "contact" and "同户有确诊病例" in mate.reason
    # coming home is never refused
    assert through(w, east_gate, w.su, direction="in").allowed
    # another household goes to collect, as before, on its terms
    other = through(w, east_gate, w.xia)
    assert other.allowed and not other.hold and "取物" in other.terms
    # staff and grid worker told once each per person, however often they try
    through(w, east_gate, w.su)
    users = {w.users.staff.id, w.users.grid.id}
    su = told(w).filter(key__startswith=f"zones.gate_held.{w.su.id}.")
    assert set(su.values_list("user_id", flat=True)) == users and su.count() == 2
    row = su.get(user=w.users.staff)
    assert "苏霞" in row.title and "东门" in row.body and "确诊病例" in row.body
    assert told(w).filter(key__startswith=f"zones.gate_held.{w.yu.id}.").count() == 2
    assert not told(w).filter(user=w.users.other_staff).exists()


def test_a_case_in_no_zone_at_all_is_kept_in(world, presets, east_gate):
    w = world
    report_case(w, w.wang)
    ev = through(w, east_gate, w.wang)
    assert not ev.allowed and ev.hold == "case" and ev.zone_kind == ""


def test_a_case_past_its_open_days_no_longer_keeps_anyone_in(world, presets, east_gate):
    w = world
    report_case(w, w.wang, hours_ago=24 * 15)
    assert through(w, east_gate, w.wang).allowed


def test_a_positive_pool_and_a_positive_antigen_keep_the_person_in(world, presets, east_gate):
    from tests.screening.security_routes import antigen_positive
    from tests.screening.test_alert import positive_pool

    w = world
    antigen_positive(w)  # 苏霞's antigen test positive, awaiting the PCR re-test
    ev = through(w, east_gate, w.su)
    assert not ev.allowed and ev.hold == "held_antigen" and "抗原阳性" in ev.reason
    assert through(w, east_gate, w.yu).allowed  # her husband is not held by her antigen test
    rnd = _pcr_round(w)
    positive_pool(w, rnd, barcode="T0009", people=(w.wang,))
    ev = through(w, east_gate, w.wang)
    assert not ev.allowed and ev.hold == "held" and "混管阳性" in ev.reason
    assert told(w).filter(key__startswith=f"zones.gate_held.{w.wang.id}.", user=w.users.staff).exists()


def test_the_gate_and_the_missing_list_read_one_rule_of_the_hold(world, presets, login, east_gate):
    """`screening.status.held_kinds` is the one rule of "held" / "held_antigen": the gate
    (`gate_hold.held`, one query a person) and the round's missing list (`held_codes`) say
    the same for someone with two open follow-ups, the newest whatever the rows' order."""
    from fangkong.screening import gate_hold
    from fangkong.screening.models import FollowUp
    from tests.screening.security_routes import antigen_positive
    from tests.screening.test_alert import positive_pool

    w = world
    antigen_positive(w)  # 苏霞's antigen test positive: held, awaiting the PCR re-test
    rnd = _pcr_round(w)
    positive_pool(w, rnd, barcode="T0009", people=(w.wang,))  # 王新勇's pooled tube positive
    antigen = FollowUp.objects.get(resident=w.su)
    pooled = FollowUp.objects.get(resident=w.wang)
    assert pooled.id > antigen.id and pooled.tube_id and not antigen.tube_id
    # her pooled follow-up, written later (a higher id) but older than her antigen one
    FollowUp.objects.filter(pk=pooled.pk).update(
        resident=w.su, household_id=w.su.household_id, created_at=antigen.created_at - datetime.timedelta(hours=2))
    ev = through(w, east_gate, w.su)
    assert not ev.allowed and ev.hold == "held_antigen" and "抗原阳性" in ev.reason
    rows = login(w.users.staff).get(f"/api/v1/screening/rounds/{rnd.id}/missing").json()["results"]
    mark = next(r for r in rows if r["id"] == w.su.id)
    assert (mark["held"], mark["held_label"]) == ("held_antigen", "抗原阳性，等待核酸复核")
    # the antigen hold settled: the pooled tube's holds her, at the gate and on the list alike
    FollowUp.objects.filter(pk=antigen.pk).update(status=FollowUp.Status.RELEASED)
    assert through(w, east_gate, w.su).hold == "held"
    rows = login(w.users.staff).get(f"/api/v1/screening/rounds/{rnd.id}/missing").json()["results"]
    assert next(r for r in rows if r["id"] == w.su.id)["held"] == "held"
    # the gate asks it in one query a person
    with CaptureQueriesContext(connection) as q:
        assert gate_hold.held(w.su.id) == "held" and gate_hold.held(w.xia.id) == ""
    assert len(q.captured_queries) == 2, [x["sql"] for x in q.captured_queries]


def _pcr_round(w):
    from fangkong.screening.actions import planning

    system = Actor.system()
    point = reg.create_place(system, w.community, Kind.SAMPLING_POINT, "光明广场采样点")
    now = timezone.now()
    rnd = planning.plan_round(system, w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=6), "pool_size": 3}, points=[(point, 2)])
    planning.set_status(system, rnd, "running")
    return rnd


def test_without_screening_s_hook_the_cases_still_keep_people_in(world, presets, east_gate, settings):
    settings.FANGKONG_GATE_HOLD = ""
    w = world
    report_case(w, w.su)
    assert through(w, east_gate, w.yu).hold == "contact"
    assert gate_rules.holds(w.xia, timezone.now()) == ""


def test_the_scan_costs_a_bounded_number_of_queries(world, presets, east_gate):
    w = world
    designate(w, w.compound, "controlled")
    through(w, east_gate, w.xia)  # warm up (content types, the policy)
    with CaptureQueriesContext(connection) as plain:
        assert through(w, east_gate, w.wang).allowed
    report_case(w, w.su)
    with CaptureQueriesContext(connection) as case:
        assert not through(w, east_gate, w.yu).allowed
    # the hold costs two reads on an ordinary exit (the household's cases, screening's hold);
    # a refused one adds the telling (members, the community, the notifications)
    assert len(plain.captured_queries) <= 17, [q["sql"] for q in plain.captured_queries]
    assert len(case.captured_queries) <= len(plain.captured_queries) + 8
    holds = [q["sql"] for q in plain.captured_queries if "zones_zonecase" in q["sql"]
             or "screening_followup" in q["sql"]]
    assert len(holds) == 2, holds


# --- the page and the API ----------------------------------------------------------------

def gate_post(c, w, g, key, **extra):
    data = {"gate": g.id, "person": IDS[key], "direction": "out", "colour": "green",
            "temperature": "36.5", "client_id": str(uuid.uuid4())}
    data.update(extra)
    return c.post(f"/zones/p/{w.compound.id}/gate/", data)


def test_the_page_says_no_in_red_with_the_reason(world, presets, login, east_gate):
    w = world
    report_case(w, w.su)
    c = login(w.users.grid)
    r = gate_post(c, w, east_gate, "su_xia")
    verdict = r.text[r.text.index('id="verdict"'):][:300]
    assert "拒绝通行" in verdict and "放行:" not in verdict and 'class="verdict no"' in r.text
    reason = r.text[r.text.index('id="reason"'):][:300]
    assert "不得放行：本人为确诊病例" in reason
    assert 'id="held-told"' in r.text and "已通知" in r.text
    r = gate_post(c, w, east_gate, "yu_haitao")
    assert "同户有确诊病例" in r.text[r.text.index('id="reason"'):][:300]
    r = gate_post(c, w, east_gate, "xia_ming")  # another household: let through
    assert "放行" in r.text[r.text.index('id="verdict"'):][:200] and 'id="held-told"' not in r.text
    assert CheckpointEvent.objects.filter(allowed=False, hold__in=["case", "contact"]).count() == 2
    assert told(w).filter(user=w.users.staff).count() == 2  # 苏霞 and 于海涛, once each


def test_the_api_refuses_with_the_hold_and_the_reason(world, presets, login, east_gate):
    w = world
    report_case(w, w.su)
    c = login(w.users.grid)
    url = f"/api/v1/zones/checkpoints/{east_gate.id}/events"
    body = {"direction": "out", "client_id": str(uuid.uuid4()), "resident": w.su.id, "colour": "green"}
    r = c.post(url, body, content_type="application/json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["allowed"] is False and out["hold"] == "case" and "确诊病例" in out["reason"]
    r = c.post(url, {**body, "client_id": str(uuid.uuid4()), "person": IDS["yu_haitao"], "resident": None},
               content_type="application/json")
    assert r.json()["hold"] == "contact" and r.json()["allowed"] is False
    r = c.post(url, {**body, "client_id": str(uuid.uuid4()), "resident": w.xia.id},
               content_type="application/json")
    assert r.json()["allowed"] is True and r.json()["hold"] == ""
    assert told(w).filter(user=w.users.staff).count() == 2


def test_another_community_s_gate_worker_gets_404_page_and_api(world, presets, login, east_gate):
    w = world
    report_case(w, w.su)
    c = login(w.users.other_staff)
    assert gate_post(c, w, east_gate, "su_xia").status_code == 404
    r = c.post(f"/api/v1/zones/checkpoints/{east_gate.id}/events",
               {"direction": "out", "client_id": str(uuid.uuid4()), "resident": w.su.id, "colour": "green"},
               content_type="application/json")
    assert r.status_code == 404
    with pytest.raises(NotFound):
        gate.pass_gate(actor_for(w.users.other_staff), east_gate, direction="out", resident=w.su,
                       colour="green", client_id=uuid.uuid4())
    assert not CheckpointEvent.objects.exists() and not told(w).exists()
