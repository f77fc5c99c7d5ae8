"""When someone's role is taken away, their access ends at once (a demo walker's findings).

A volunteer (approved, an account) samples at table 1 of the PCR round, works the doors of
the antigen round, leads 封控五组 (whose members' phones the team page shows its leader),
carries a delivery run and holds a place on a call. Community staff then take her role
away on /people/, or withdraw her approval on her volunteer page; afterwards — even in a
session opened before — every one of those answers 404 through the pages and the API, as a
round, team or run never given would."""

import datetime
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.screening.actions import planning
from fangkong.screening.models import Sampler
from fangkong.services.actions import handoff, orders
from fangkong.volunteers.actions import answers as vol_answers
from fangkong.volunteers.actions import calls, teams
from fangkong.volunteers.models import Assignment, TeamMember
from tests.screening.photos import png
from tests.screening.security_routes import antigen_round, make_round
from tests.services.conftest import build_services, volunteer


def build(w):
    """The volunteer (`w.vol`, account `w.vol_user`) and everything she was given."""
    staff = Actor.system(w.users.staff)
    s = build_services(w)  # 封控五组 with 志愿者7, the supplier, the gate
    w.team, w.vol, w.vol_user = s.team, s.vol, s.vol_user
    w.mate = volunteer(w, 8, s.team)  # a team member whose phone the leader sees
    teams.set_leader(staff, w.team, w.vol)
    make_round(w)  # w.round: the running PCR round, a point with 2 tables
    planning.assign_sampler_volunteer(staff, w.round, w.round.points.get(), w.vol, 1)
    antigen_round(w)  # w.antigen
    depot = planning.add_point(staff, w.antigen, w.round.points.get().place, 1)
    planning.assign_sampler_volunteer(staff, w.antigen, depot, w.vol, 1)
    orders.place_order(staff, w.hh101, s.supplier, [(s.veg.id, 1)])
    batch = handoff.create_batch(staff, s.supplier, s.gate, due_at=timezone.now())
    handoff.receive_rest(staff, batch)
    handoff.sign(staff, batch, supplier_name="李师傅")
    w.run = handoff.split(staff, batch)[0]
    handoff.assign_run(staff, w.run, team=w.team, carrier=w.vol_user)
    # after her sampling tables (a table is a place too: volunteers.actions.slots.clash_q)
    start = max(w.round.ends_at, w.antigen.ends_at, timezone.now()) + datetime.timedelta(hours=1)
    w.call = calls.create_call(staff, w.community, {
        "task": "sampling", "place": w.building.id, "starts_at": start,
        "ends_at": start + datetime.timedelta(hours=3), "slots": 1})
    w.place_on_call = calls.assign(staff, w.call, w.vol)
    w.membership = Membership.objects.get(user=w.vol_user, role=Role.VOLUNTEER, is_active=True)
    return w


@pytest.fixture
def scene(world):
    return build(world)


def signed_in(user):
    c = Client()
    c.force_login(user)
    return c


def answers(c, w) -> dict:
    """What the volunteer's pages and API answer, by name."""
    unit = w.unit1.id
    return {
        "station page": c.get(f"/screening/rounds/{w.round.id}/station/").status_code,
        "station scan API": c.post(
            f"/api/v1/screening/rounds/{w.round.id}/scan",
            {"client_id": str(uuid.uuid4()), "barcode": "T0009", "person": w.su.token},
            content_type="application/json").status_code,
        "antigen door page": c.get(f"/screening/rounds/{w.antigen.id}/antigen/door/?unit={unit}").status_code,
        "antigen household API": c.get(
            f"/api/v1/screening/rounds/{w.antigen.id}/antigen-households/{w.hh101.id}").status_code,
        "antigen result API": c.post(
            f"/api/v1/screening/rounds/{w.antigen.id}/antigen-results",
            {"resident": w.yu.id, "result": "negative", "photo": png()}).status_code,
        "team page": c.get(f"/volunteers/teams/{w.team.id}/").status_code,
        "run page": c.get(f"/services/runs/{w.run.id}/").status_code,
        "run API": c.get(f"/api/v1/services/runs/{w.run.id}").status_code,
    }


GONE = {"station page": 404, "station scan API": 404, "antigen door page": 404,
        "antigen household API": 404, "antigen result API": 404, "team page": 404,
        "run page": 404, "run API": 404}


def test_before_anything_is_taken_away_she_works(scene):
    w = scene
    c = signed_in(w.vol_user)
    got = answers(c, w)
    assert got["station page"] == 200 and got["antigen door page"] == 200
    assert got["antigen household API"] == 200 and got["antigen result API"] == 200
    assert got["team page"] == 200 and got["run page"] == 200 and got["run API"] == 200
    assert got["station scan API"] != 404  # the tube was never opened: refused, but hers to try
    assert w.mate.phone in c.get(f"/volunteers/teams/{w.team.id}/").content.decode()


def test_a_row_left_behind_by_a_removed_role_grants_nothing(scene):
    """The rows the old code left when a role ended (a sampler's table, a team, a run): the
    access rule alone refuses them — the role is what counts, in a session opened before."""
    w = scene
    c = signed_in(w.vol_user)  # her session, open before the role goes
    assert c.get(f"/screening/rounds/{w.round.id}/station/").status_code == 200
    Membership.objects.filter(pk=w.membership.pk).update(is_active=False)  # as the old code left it
    assert Sampler.objects.filter(user=w.vol_user).count() == 2
    assert TeamMember.objects.filter(volunteer=w.vol).exists()
    assert answers(c, w) == GONE
    home = c.get(reverse("volunteers_home"))
    assert home.status_code == 404 or w.round.name not in home.content.decode()
    assert w.mate.phone not in c.get(f"/volunteers/teams/{w.team.id}/").content.decode()
    # nor is she told of the team's runs and requests, or given one
    from fangkong.services import access as services_access

    assert services_access.team_user_ids(w.team.id) == {w.mate.user_id}
    # nor as a freshly logged-in session
    assert answers(signed_in(w.vol_user), w) == GONE


def ended_rows(w) -> dict:
    w.team.refresh_from_db()
    w.run.refresh_from_db()
    w.place_on_call.refresh_from_db()
    return {"sampler rows": Sampler.objects.filter(user=w.vol_user).count(),
            "team member": TeamMember.objects.filter(volunteer=w.vol).exists(),
            "team leader": w.team.leader_id, "run carrier": w.run.carrier_id,
            "place on call": w.place_on_call.status}


ENDED = {"sampler rows": 0, "team member": False, "team leader": None, "run carrier": None,
         "place on call": Assignment.Status.CANCELLED}


def events(action):
    from fangkong.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_staff_taking_her_role_away_on_the_people_page_ends_what_it_carried(scene):
    w = scene
    mine = signed_in(w.vol_user)  # her session, open before
    w.mate_place = vol_answers.sign_up(Actor.system(w.mate.user), w.call)  # the call is full: waitlisted
    assert w.mate_place.status == Assignment.Status.WAITLISTED
    staff = signed_in(w.users.staff)
    url = reverse("membership_revoke", args=[w.membership.id])
    ask = staff.post(url)
    assert ask.status_code == 200
    text = ask.content.decode()
    # the confirm step says what ends, before anything does
    for said in ("志愿者7 将不能再以“志愿者”身份在 光明社区 工作", "志愿者7 的以下工作将一并结束：",
                 "第3轮核酸的采样台（光明广场采样点 1号台）", "抗原第1轮的入户抗原检测",
                 "封控五组的组长", "召集“", "1号楼的配送"):
        assert said in text, said
    assert Sampler.objects.filter(user=w.vol_user).count() == 2  # nothing ended yet
    done = staff.post(url, {"confirm": "1"}, follow=True)
    assert "一并结束：" in done.content.decode()
    assert ended_rows(w) == ENDED
    w.mate_place.refresh_from_db()
    assert w.mate_place.status == Assignment.Status.CONFIRMED  # her slot went to the waitlist
    # audited, as done by the staff member who took the role away
    removed = events("screening.sampler.remove")
    assert len(removed) == 2 and all(e.actor_id == w.users.staff.id and e.changes["role_ended"]
                                     for e in removed)
    assert events("team.remove_member")[-1].changes == {"volunteer": "志愿者7"}
    assert events("call.cancel")[-1].changes["by"] == "staff"
    assert events("services.run.assign")[-1].changes["role_ended"] is True
    assert events("membership.revoke")[-1].actor_id == w.users.staff.id
    assert answers(mine, w) == GONE
    assert answers(signed_in(w.vol_user), w) == GONE


def test_staff_withdrawing_her_approval_ends_what_it_carried(scene):
    w = scene
    mine = signed_in(w.vol_user)
    staff = signed_in(w.users.staff)
    url = reverse("volunteers_decide", args=[w.vol.id])
    ask = staff.post(url, {"decision": "reject", "reason": "已离开本社区"})
    assert ask.status_code == 200
    text = ask.content.decode()
    for said in ("撤销 志愿者7 的审核通过？", "第3轮核酸的采样台（光明广场采样点 1号台）",
                 "抗原第1轮的入户抗原检测", "封控五组的组长", "1号楼的配送"):
        assert said in text, said
    assert 'name="reason" value="已离开本社区"' in text  # posted again with the confirmation
    staff.post(url, {"decision": "reject", "reason": "已离开本社区", "confirm": "1"})
    w.vol.refresh_from_db()
    assert w.vol.status == "rejected"
    assert ended_rows(w) == ENDED
    assert not Membership.objects.filter(user=w.vol_user, is_active=True).exists()
    before = len(events("screening.antigen.result"))
    assert answers(mine, w) == GONE
    assert len(events("screening.antigen.result")) == before  # nothing saved at the door


def test_a_pending_registration_is_still_rejected_without_a_confirm_step(world):
    from fangkong.volunteers.actions import registration
    from tests.volunteers.security_routes import person

    v = registration.add_volunteer(Actor.system(world.users.staff), world.community, person(world, 31))
    r = signed_in(world.users.staff).post(reverse("volunteers_decide", args=[v.id]),
                                          {"decision": "reject", "reason": "不在本社区居住"})
    assert r.status_code == 302
    v.refresh_from_db()
    assert v.status == "rejected"
