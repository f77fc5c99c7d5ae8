"""Roles for accounts that exist (a demo walker's findings): one's own last staff role is
refused and one's own role is warned about; a role taken away is listed and given back
(恢复); an existing account (a resident's family login, a volunteer, someone whose role was
taken away) is given a new role by its phone or username — never one outside one's reach,
which answers exactly as no account at all. Through the pages and the API alike."""

import json

from django.test import Client
from django.urls import reverse

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from tests.conftest import make_user


def signed_in(user):
    c = Client()
    c.force_login(user)
    return c


def role_of(user, role):
    return Membership.objects.get(user=user, role=role)


def post_json(c, url, body=None):
    return c.post(url, json.dumps(body or {}), content_type="application/json")


def test_taking_away_ones_own_last_staff_role_is_refused(world):
    w = world
    c = signed_in(w.users.staff)
    mine = role_of(w.users.staff, Role.STAFF)
    url = reverse("membership_revoke", args=[mine.id])
    r = c.post(url, follow=True)  # no confirm step: refused at once, saying why
    text = r.content.decode()
    assert r.redirect_chain and "您是 光明社区 最后一位“社区工作者”" in text, text[:3000]
    c.post(url, {"confirm": "1"})  # nor when posted as if confirmed
    mine.refresh_from_db()
    assert mine.is_active
    r = post_json(c, f"/api/v1/people/roles/{mine.id}/revoke")
    assert r.status_code == 409 and r.json()["error"]["code"] == "last_manager"
    mine.refresh_from_db()
    assert mine.is_active and not AuditEvent.objects.filter(action="membership.revoke").exists()
    assert c.get(reverse("people")).status_code == 200


def test_with_a_colleague_ones_own_role_is_warned_about_then_taken_away(world):
    w = world
    make_user(Actor.system(), "staff_a2", Role.STAFF, w.community)
    c = signed_in(w.users.staff)
    mine = role_of(w.users.staff, Role.STAFF)
    url = reverse("membership_revoke", args=[mine.id])
    ask = c.post(url)
    assert ask.status_code == 200 and "这是您自己的角色" in ask.content.decode()
    # someone else's role: no such warning
    other = c.post(reverse("membership_revoke", args=[role_of(w.users.grid, Role.GRID).id]))
    assert "这是您自己的角色" not in other.content.decode()
    done = c.post(url, {"confirm": "1"})
    assert done.status_code == 302 and done["Location"] == reverse("home")
    mine.refresh_from_db()
    assert not mine.is_active
    assert c.get(reverse("people")).status_code == 404


def test_a_role_taken_away_is_listed_and_given_back(world):
    w = world
    vol = make_user(Actor.system(), "vol_tian", Role.VOLUNTEER, w.community, phone="13912340001")
    m = role_of(vol, Role.VOLUNTEER)
    c = signed_in(w.users.staff)
    c.post(reverse("membership_revoke", args=[m.id]), {"confirm": "1"})
    assert "<small>vol_tian</small>" not in c.get(reverse("people")).content.decode()  # gone from the list
    # adding her again with the same phone is refused, and says where to go instead
    again = c.post(reverse("people"), {"display_name": "田晓燕", "phone": "13912340001",
                                       "role": "volunteer", "place": w.community.id})
    assert again.status_code == 400 and reverse("people_existing") in again.content.decode()
    page = c.get(reverse("people_existing")).content.decode()
    assert "已取消的角色" in page and "vol_tian" in page
    url = reverse("membership_restore", args=[m.id])
    ask = c.post(url)
    assert ask.status_code == 200 and "恢复 vol_tian 的这个角色？" in ask.content.decode()
    m.refresh_from_db()
    assert not m.is_active  # asked first
    c.post(url, {"confirm": "1"})
    m.refresh_from_db()
    assert m.is_active
    e = AuditEvent.objects.filter(action="membership.grant").latest("id")
    assert e.actor_id == w.users.staff.id and e.target_id == m.id
    assert "<small>vol_tian</small>" in c.get(reverse("people")).content.decode()
    # another community's staff never sees it: restoring it is "not found"
    assert signed_in(w.users.other_staff).post(url, {"confirm": "1"}).status_code == 404


def test_an_existing_resident_is_made_a_building_leader(world):
    w = world
    resident, _password = account_actions.household_login(Actor.system(w.users.staff), w.hh102,
                                                          phone="13987650002")
    c = signed_in(w.users.staff)
    r = c.post(reverse("people_existing"), {"account": "139 8765 0002", "role": "leader",
                                            "place": w.building.id})
    assert r.status_code == 302
    assert Membership.objects.get(user=resident, role=Role.LEADER, place=w.building).is_active
    assert Membership.objects.get(user=resident, role=Role.RESIDENT).is_active  # still her family's login
    # by username, through the API: already a leader there (200); a grid worker now (201)
    r = post_json(c, "/api/v1/people/roles", {"account": resident.username, "role": "leader",
                                              "place": w.building.id})
    assert r.status_code == 200 and r.json()["role"] == "leader"
    r = post_json(c, "/api/v1/people/roles", {"account": resident.username, "role": "grid",
                                              "place": w.grid.id})
    assert r.status_code == 201 and r.json()["user"]["id"] == resident.id


def test_an_account_outside_ones_places_looks_like_no_account(world):
    w = world
    b = signed_in(w.users.other_staff)  # community B's staff
    place = w.other.id
    theirs = post_json(b, "/api/v1/people/roles", {"account": "staff_a", "role": "volunteer", "place": place})
    nobody = post_json(b, "/api/v1/people/roles", {"account": "no_such_user", "role": "volunteer",
                                                   "place": place})
    assert theirs.status_code == nobody.status_code == 400
    assert theirs.json() == nobody.json()
    assert theirs.json()["error"]["fields"]["account"]
    by_phone = post_json(b, "/api/v1/people/roles", {"account": "13800000001", "role": "volunteer",
                                                     "place": place})  # staff_a's phone
    assert by_phone.json() == nobody.json()
    page = b.post(reverse("people_existing"), {"account": "13800000001", "role": "volunteer", "place": place})
    assert page.status_code == 400 and "在您管理的人员中没有这个手机号或用户名的账号" in page.content.decode()
    assert not Membership.objects.filter(user=w.users.staff, place=w.other).exists()
    # a place outside one's reach is missing
    r = post_json(b, "/api/v1/people/roles", {"account": "staff_b", "role": "volunteer",
                                              "place": w.community.id})
    assert r.status_code == 404


def test_the_api_says_what_ends_takes_it_away_and_gives_it_back(world):
    from fangkong.screening.actions import planning
    from tests.screening.security_routes import make_round

    w = world
    make_round(w)
    planning.assign_sampler(Actor.system(w.users.staff), w.round, w.round.points.get(), w.users.volunteer, 2)
    m = role_of(w.users.volunteer, Role.VOLUNTEER)
    c = signed_in(w.users.staff)
    got = c.get(f"/api/v1/people/roles/{m.id}").json()
    assert got["active"] and got["ends"] == ["第3轮核酸的采样台（光明广场采样点 2号台）"]
    r = post_json(c, f"/api/v1/people/roles/{m.id}/revoke")
    assert r.status_code == 200 and r.json()["ended"] == got["ends"] and not r.json()["active"]
    ended = c.get("/api/v1/people/roles/ended").json()
    assert [x["id"] for x in ended["results"]] == [m.id]
    assert signed_in(w.users.volunteer).get(f"/screening/rounds/{w.round.id}/station/").status_code == 404
    r = post_json(c, f"/api/v1/people/roles/{m.id}/restore")
    assert r.status_code == 200 and r.json()["active"] is True
    assert c.get("/api/v1/people/roles/ended").json()["count"] == 0
    # the table is not given back with the role
    assert signed_in(w.users.volunteer).get(f"/screening/rounds/{w.round.id}/station/").status_code == 404
    assert signed_in(w.users.other_staff).get(f"/api/v1/people/roles/{m.id}").status_code == 404
