"""The volunteers API: every endpoint for the right role, the wrong role, the other
community and malformed input."""

import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.accounts import actions as account_actions
from fangkong.core.actor import Actor
from fangkong.volunteers.actions import answers, calls, registration, teams
from fangkong.volunteers.models import Assignment, Volunteer
from tests.conftest import actor_for

from .conftest import form as page_form


def form(world, n, **over):
    """The registration form as the API takes it (booleans as booleans)."""
    body = page_form(world, n)
    body["party_member"] = bool(body["party_member"])
    body["consent"] = True
    body.update(over)
    return body

API = "/api/v1/volunteers"


def bearer(user):
    _tok, raw = account_actions.create_token(Actor.system(user, via="api"), "test")
    c = Client()
    c.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return c


def post(c, url, data=None):
    return c.post(url, data or {}, content_type="application/json")


@pytest.fixture
def s(world, make_volunteer):
    staff = actor_for(world.users.staff)
    vols = [make_volunteer(n) for n in range(1, 4)]
    pending = make_volunteer(9, approve=False)
    start = timezone.now() + datetime.timedelta(hours=2)
    call = calls.create_call(staff, world.community, {
        "task": "order", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=3)).isoformat(), "slots": 1})
    return dict(vols=vols, pending=pending, call=call, start=start,
                link=registration.join_link(staff, world.community))


def call_body(world, s, **over):
    body = {"community": world.community.id, "task": "delivery", "place": world.building.id,
            "starts_at": (s["start"] + datetime.timedelta(days=1)).isoformat(),
            "ends_at": (s["start"] + datetime.timedelta(days=1, hours=2)).isoformat(), "slots": 5}
    body.update(over)
    return body


def test_the_flow_over_the_api(world, s):
    staff = bearer(world.users.staff)
    r = post(staff, f"{API}/calls", call_body(world, s))
    assert r.status_code == 201, r.content
    call_id = r.json()["id"]
    assert r.json()["notified"] == 3
    v1 = bearer(s["vols"][0].user)
    r = v1.get(f"{API}/calls")
    assert r.status_code == 200 and {c["id"] for c in r.json()} == {call_id, s["call"].id}
    r = post(v1, f"{API}/calls/{call_id}/signup")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert post(v1, f"{API}/calls/{call_id}/signup").json()["id"] == r.json()["id"]
    r = v1.get(f"{API}/me/tasks")
    assert [t["call"] for t in r.json()] == [call_id]
    r = post(v1, f"{API}/calls/{call_id}/cancel")
    assert r.json()["status"] == "cancelled"
    r = post(staff, f"{API}/calls/{s['call'].id}/assign", {"volunteer": s["vols"][1].id})
    assert r.status_code == 200 and r.json()["via"] == "assigned"
    r = post(staff, f"{API}/calls/{s['call'].id}/assign", {"volunteer": s["vols"][2].id})
    assert r.status_code == 409 and r.json()["error"]["code"] == "full"
    detail = staff.get(f"{API}/calls/{s['call'].id}").json()
    assert [p["volunteer"] for p in detail["confirmed_people"]] == [s["vols"][1].id]
    # volunteers do not see the roster
    assert bearer(s["vols"][2].user).get(f"{API}/calls/{s['call'].id}").json()["confirmed_people"] is None


def test_check_in_and_out_by_token(world, s, monkeypatch):
    v = s["vols"][0]
    answers.sign_up(actor_for(v.user), s["call"])
    c = bearer(v.user)
    monkeypatch.setattr(timezone, "now", lambda: s["start"] - datetime.timedelta(minutes=90))
    r = post(c, f"{API}/checkin", {"token": s["call"].token})
    assert r.status_code == 409 and r.json()["error"]["code"] == "too_early"
    monkeypatch.setattr(timezone, "now", lambda: s["start"] + datetime.timedelta(minutes=15))
    r = post(c, f"{API}/checkin", {"token": s["call"].token})
    assert r.status_code == 200 and r.json()["late_minutes"] == 15
    monkeypatch.setattr(timezone, "now", lambda: s["start"] + datetime.timedelta(hours=3))
    # what the call's QR holds, as a scanner types it: the whole URL, and Enter
    url = f"http://testserver/volunteers/scan/{s['call'].token}/\r\n"
    r = post(c, f"{API}/checkout", {"token": url})
    assert r.json()["minutes"] == 165
    # someone with no place on the call, and a made-up token
    other = bearer(s["vols"][1].user)
    assert post(other, f"{API}/checkin", {"token": s["call"].token}).status_code == 403
    assert post(other, f"{API}/checkin", {"token": "nope"}).status_code == 404


def test_approve_and_reject_over_the_api(world, s):
    staff = bearer(world.users.staff)
    r = staff.get(f"{API}/people", {"community": world.community.id, "status": "pending"})
    assert [p["id"] for p in r.json()["results"]] == [s["pending"].id]
    assert "*" in r.json()["results"][0]["id_number"]
    r = post(staff, f"{API}/people/{s['pending'].id}/reject", {"reason": ""})
    assert r.status_code == 400 and "reason" in r.json()["error"]["fields"]
    r = post(staff, f"{API}/people/{s['pending'].id}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"


def test_registration_over_the_api(world, s, codes):
    c = Client()
    token = s["link"].token
    r = post(c, f"{API}/join/{token}/code", {"phone": "13911112222"})
    assert r.status_code == 200
    r = post(c, f"{API}/join/{token}/code", {"phone": "13911112222"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_soon"
    body = form(world, 60, phone="13911112222", party_member=True, consent=True,
                code=codes["13911112222"])
    body["skills"] = ["medical", "it"]
    r = post(c, f"{API}/join/{token}", body)
    assert r.status_code == 201, r.content
    v = Volunteer.objects.get(pk=r.json()["id"])
    assert v.skill_list == ["medical", "it"] and v.party_branch == "第一支部"
    # the same phone again is recognised, not duplicated: the code is spent, and a new one
    # updates the same (pending) registration
    r = post(c, f"{API}/join/{token}", body)
    assert r.status_code == 400 and "code" in r.json()["error"]["fields"]
    assert Volunteer.objects.filter(phone="13911112222").count() == 1
    # an approved volunteer registering again is told so (once they proved their phone)
    r = post(c, f"{API}/join/{token}", form(world, 1, consent=True, code="123456"))
    assert r.status_code == 400 and "code" in r.json()["error"]["fields"]


def test_an_approved_volunteer_registering_again_is_recognised(world, s, codes, monkeypatch):
    later = timezone.now() + datetime.timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    registration.send_code(None, s["vols"][0].phone)
    r = post(Client(), f"{API}/join/{s['link'].token}",
             form(world, 1, consent=True, code=codes[s["vols"][0].phone]))
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_registered"
    assert Volunteer.objects.filter(phone=s["vols"][0].phone).count() == 1


def test_a_volunteer_belongs_to_one_community(world, s, codes, monkeypatch):
    staff_b = actor_for(world.users.other_staff)
    link_b = registration.join_link(staff_b, world.other)
    c = Client()
    later = timezone.now() + datetime.timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)  # a minute after their first code
    registration.send_code(None, s["vols"][0].phone)
    body = form(world, 1, household=world.other_hh.id, consent=True, code=codes[s["vols"][0].phone])
    r = post(c, f"{API}/join/{link_b.token}", body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "other_community"


@pytest.mark.parametrize("field,value", [
    ("id_number", "140106198001011234"), ("phone", "12345"), ("household", 999999),
    ("consent", False), ("code", "12"), ("skills", ["flying"]),
])
def test_registration_rejects_bad_values(world, s, codes, field, value):
    c = Client()
    registration.send_code(None, "13933334444")
    body = form(world, 70, phone="13933334444", consent=True, code=codes["13933334444"])
    body[field] = value
    r = post(c, f"{API}/join/{s['link'].token}", body)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert not Volunteer.objects.filter(phone="13933334444").exists()


def test_wrong_code_attempts_are_limited(world, s, codes):
    c = Client()
    registration.send_code(None, "13955556666")
    right = codes["13955556666"]
    wrong = "000000" if right != "000000" else "111111"
    body = form(world, 80, phone="13955556666", consent=True, code=wrong)
    for _ in range(5):
        assert post(c, f"{API}/join/{s['link'].token}", body).json()["error"]["fields"]["code"]
    body["code"] = right
    r = post(c, f"{API}/join/{s['link'].token}", body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "code_locked"


STAFF_ENDPOINTS = [
    ("post", "/calls", "create"), ("post", "/calls/{call}/assign", "assign"),
    ("get", "/calls/{call}", None), ("get", "/people?community={community}", None),
    ("post", "/people/{pending}/approve", None), ("post", "/people/{pending}/reject", "reason"),
]


@pytest.mark.parametrize("who", ["other_staff", "grid", "leader", "lab", "supplier", "resident",
                                 "nobody"])
def test_other_community_and_wrong_roles_get_404(world, s, who):
    c = bearer(getattr(world.users, who))
    ids = {"call": s["call"].id, "community": world.community.id, "pending": s["pending"].id}
    bodies = {"create": call_body(world, s), "assign": {"volunteer": s["vols"][0].id},
              "reason": {"reason": "不合适"}, None: {}}
    for method, path, body in STAFF_ENDPOINTS:
        url = API + path.format(**ids)
        r = c.get(url) if method == "get" else post(c, url, bodies[body])
        assert r.status_code == 404, (who, url, r.content)
        assert r.json()["error"]["code"] == "not_found"
    assert Volunteer.objects.get(pk=s["pending"].id).status == "pending"


def test_command_may_read_but_not_write(world, s):
    c = bearer(world.users.street)
    assert c.get(f"{API}/calls/{s['call'].id}").status_code == 200
    r = post(c, f"{API}/calls", call_body(world, s))
    assert r.status_code == 403
    assert post(c, f"{API}/people/{s['pending'].id}/approve").status_code == 403


@pytest.mark.parametrize("who", ["staff", "grid", "resident", "nobody"])
def test_only_volunteers_sign_up_check_in_and_have_tasks(world, s, who):
    c = bearer(getattr(world.users, who))
    if who == "staff":
        assert post(c, f"{API}/calls/{s['call'].id}/signup").status_code == 403
    else:
        assert post(c, f"{API}/calls/{s['call'].id}/signup").status_code == 404
    assert post(c, f"{API}/checkin", {"token": s["call"].token}).status_code == 403
    assert post(c, f"{API}/checkout", {"token": s["call"].token}).status_code == 403
    assert c.get(f"{API}/me/tasks").status_code == 404
    assert post(c, f"{API}/calls/{s['call'].id}/cancel").status_code == 404
    assert not Assignment.objects.exists()


def test_volunteers_outside_the_audience_do_not_see_the_call(world, s, make_volunteer):
    staff = actor_for(world.users.staff)
    team = teams.create_team(staff, world.community, "消杀工作队", leader=s["vols"][0])
    start = s["start"] + datetime.timedelta(days=2)
    call = calls.create_call(staff, world.community, {
        "task": "disinfection", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=1)).isoformat(), "slots": 2,
        "audience": "team", "team": team.id})
    assert call.notified == 1
    outsider = bearer(s["vols"][1].user)
    assert post(outsider, f"{API}/calls/{call.id}/signup").status_code == 404
    assert outsider.get(f"{API}/calls/{call.id}").status_code == 404
    assert post(bearer(s["vols"][0].user), f"{API}/calls/{call.id}/signup").json()["status"] == "confirmed"


@pytest.mark.parametrize("body,field,status", [  # 422: not the documented shape; 400: refused by the rules
    ({"slots": 0}, "slots", 400), ({"slots": "many"}, "slots", 422), ({"task": "juggling"}, "task", 400),
    ({"ends_at": "2020-01-01T00:00:00"}, "ends_at", 400), ({"place": 999999}, "place", 400),
    ({"audience": "team"}, "team", 400), ({"skills": ["flying"]}, "skills", 400),
    ({"unknown": 1}, "unknown", 422),
])
def test_call_input_is_checked(world, s, body, field, status):
    c = bearer(world.users.staff)
    r = post(c, f"{API}/calls", call_body(world, s, **body))
    assert r.status_code == status, r.content
    assert field in r.json()["error"]["fields"], r.json()


def test_clash_is_explained(world, s):
    v = s["vols"][0]
    answers.sign_up(actor_for(v.user), s["call"])
    staff = actor_for(world.users.staff)
    other = calls.create_call(staff, world.community, {
        "task": "kits", "place": world.community.id,
        "starts_at": (s["start"] + datetime.timedelta(hours=1)).isoformat(),
        "ends_at": (s["start"] + datetime.timedelta(hours=5)).isoformat(), "slots": 3})
    r = post(bearer(v.user), f"{API}/calls/{other.id}/signup")
    assert r.status_code == 409 and r.json()["error"]["code"] == "clash"
    assert s["call"].title in r.json()["error"]["message"]


def test_malformed_ids_and_tokens(world, s):
    c = bearer(world.users.staff)
    assert c.get(f"{API}/calls/abc").status_code == 422
    assert c.get(f"{API}/calls/99999999999999999999").status_code == 404
    assert post(c, f"{API}/calls/{s['call'].id}/assign", {"volunteer": "x"}).status_code == 422
    assert post(c, f"{API}/checkin", {}).status_code == 422
    assert Client().get(f"{API}/calls").status_code == 401


def test_text_codes_are_limited_per_client_address(world, s, codes, settings):
    """Someone cannot make the service text many different phones: 3 codes an hour per
    address here (FANGKONG_VOLUNTEER_CODES_PER_IP_HOUR), told in the user's language;
    another address is not held up."""
    settings.FANGKONG_VOLUNTEER_CODES_PER_IP_HOUR = 3
    url = f"{API}/join/{s['link'].token}/code"
    c = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(3):
        assert post(c, url, {"phone": f"1391000000{n}"}).status_code == 200
    r = post(c, url, {"phone": "13910000009"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_many_from_address"
    assert "13910000009" not in codes
    r = Client(REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE="zh-hans").post(
        url, {"phone": "13910000008"}, content_type="application/json")
    assert "网络" in r.json()["error"]["fields"]["phone"][0]
    assert post(Client(REMOTE_ADDR="198.51.100.2"), url, {"phone": "13910000009"}).status_code == 200


def test_a_call_sent_twice_is_published_once(world, s):
    """Found walking the demo: tapping "publish" twice made two identical open calls, each
    notifying everyone. The form carries a client id; the API takes one too."""
    from fangkong.volunteers.models import Call

    c = Client()
    c.force_login(world.users.staff)
    form = c.get(f"/volunteers/c/{world.community.id}/calls/new/").content.decode()
    cid = form.split('name="client_id" value="')[1].split('"')[0]
    body = {"task": "delivery", "title": "双击测试召集", "place": world.building.id, "slots": "2",
            "starts_at": (s["start"] + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (s["start"] + datetime.timedelta(days=1, hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "audience": "community", "client_id": cid}
    asked = c.post(f"/volunteers/c/{world.community.id}/calls/new/", body).content.decode()
    assert "confirm-yes" in asked and not Call.objects.filter(title="双击测试召集").exists()
    # publishing asks first, saying whom it reaches (found walking the demo: it texted 8
    # people with no question); "no, go back" brings the form back as typed
    assert "发布“双击测试召集”？" in asked and "名志愿者" in asked
    back = c.post(f"/volunteers/c/{world.community.id}/calls/new/", dict(body, edit="1")).content.decode()
    assert 'value="双击测试召集"' in back and "confirm-yes" not in back
    body["confirm"] = "1"
    first = c.post(f"/volunteers/c/{world.community.id}/calls/new/", body)
    again = c.post(f"/volunteers/c/{world.community.id}/calls/new/", body)  # "yes" tapped twice
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    assert Call.objects.filter(title="双击测试召集").count() == 1
    staff = bearer(world.users.staff)
    api_body = call_body(world, s, title="接口重发", client_id=str(uuid.uuid4()))
    ids = {post(staff, f"{API}/calls", api_body).json()["id"] for _ in range(2)}
    assert len(ids) == 1 and Call.objects.filter(title="接口重发").count() == 1
    # the same client id for another community's call is refused
    other = bearer(world.users.other_staff)
    r = post(other, f"{API}/calls", call_body(world, s, community=world.other.id, title="别处",
                                             client_id=api_body["client_id"]))
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["client_id"], r.content
