"""Who may call the volunteer endpoints (checked by tests/api/test_security.py).

Community A has a call (for everyone approved in A), an approved volunteer and a pending
one, made by its staff. Staff of A run it all; street command reads calls and people but
changes nothing (403); the building leader, residents, community B's staff and outsiders
(including `volunteer_a`, whose account has the volunteer role but no approved volunteer
record) never see any of it (404). Answering a call, check-in/out and "my tasks" need an
approved volunteer record, which none of the table's users has: they are refused (403 where
the call is visible or the route names no object, 404 otherwise); the volunteers' own
successes are tested in tests/volunteers/. Registration is public (no account).
"""

import datetime
import itertools

from django.utils import timezone

from fangkong.core import pii
from fangkong.core.actor import Actor
from fangkong.volunteers.actions import calls
from fangkong.volunteers.actions import registration as vol_registration
from fangkong.volunteers.models import (
    Assignment,
    Call,
    JoinLink,
    Loan,
    PhoneCode,
    Team,
    TeamMember,
    Volunteer,
)
from tests.api.routes import MISSING, Route

MODELS = [Volunteer, Call, Assignment, Team, TeamMember, Loan, JoinLink]
_serial = itertools.count(1)


def person(w, n):
    return {"name": f"报到{n}", "phone": f"1390351{n:04d}",
            "id_number": pii.make_id_number("140106", datetime.date(1985, 3, 1) + datetime.timedelta(days=n), n),
            "household": w.hh102.id, "work_unit": "迎泽区医院", "consent": True}


def setup(w):
    system = Actor.system()
    start = timezone.now() + datetime.timedelta(hours=6)
    w.call = calls.create_call(system, w.community, {
        "task": "sampling", "place": w.building.id, "starts_at": start,
        "ends_at": start + datetime.timedelta(hours=3), "slots": 5})
    w.approved = vol_registration.approve(system, vol_registration.add_volunteer(system, w.community, person(w, 1)))
    w.pending = vol_registration.add_volunteer(system, w.community, person(w, 2))
    w.link = vol_registration.join_link(system, w.community)


def setup_shift(w):
    """`setup`, and the approved volunteer assigned to a call under way (whose arrival can
    be confirmed now)."""
    setup(w)
    system = Actor.system()
    start = timezone.now() - datetime.timedelta(minutes=10)
    w.shift = calls.create_call(system, w.community, {
        "task": "order", "place": w.building.id, "starts_at": start,
        "ends_at": start + datetime.timedelta(hours=2), "slots": 2})
    w.assignment = calls.assign(system, w.shift, w.approved)


def setup_checked_in(w):
    """`setup_shift`, the approved volunteer's arrival confirmed a moment ago (it can be
    undone for a few minutes)."""
    from fangkong.volunteers.actions import attendance

    setup_shift(w)
    w.assignment = attendance.confirm_attendance(Actor.system(), w.assignment)


def setup_over(w):
    """`setup`, and the approved volunteer's place on a shift that ended an hour ago,
    nobody checked in (to settle)."""
    setup(w)
    start = timezone.now() + datetime.timedelta(hours=1)
    over = calls.create_call(Actor.system(), w.community, {
        "task": "order", "place": w.building.id, "starts_at": start,
        "ends_at": start + datetime.timedelta(hours=2), "slots": 2})
    w.over = calls.assign(Actor.system(), over, w.approved)
    back = datetime.timedelta(hours=4)
    Call.objects.filter(pk=over.pk).update(starts_at=start - back, ends_at=start - back + datetime.timedelta(hours=2),
                                           deadline=start - back)
    Assignment.objects.filter(pk=w.over.pk).update(starts_at=start - back,
                                                   ends_at=start - back + datetime.timedelta(hours=2))


def call_body(w, community=None):
    start = timezone.now() + datetime.timedelta(days=1)
    return {"community": community or w.community.id, "task": "delivery", "place": w.building.id,
            "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=2)).isoformat(),
            "slots": 4}


def fresh_phone():
    return f"1370352{next(_serial):04d}"


def registration(w):
    """A new person each time, with a valid code for their phone already sent."""
    n = 100 + next(_serial)
    data = person(w, n)
    data["phone"] = phone = fresh_phone()
    PhoneCode.objects.create(phone=phone, code_hash=vol_registration.code_hash(phone, "register", "246810"),
                             expires_at=timezone.now() + datetime.timedelta(minutes=10))
    data["code"] = "246810"
    return data


READ = dict(leader=404, resident=404)  # staff and command 200; B's staff and outsiders 404
WRITE = dict(command=403, leader=404, resident=404)
PUBLIC = dict(staff=200, command=200, leader=200, resident=200, other_staff=200, outsider=200)
NO_VOLUNTEER = dict(staff=403, command=403, leader=403, resident=403, other_staff=403,
                    outsider=403)

ROUTES = {
    # made on first use (by the community's staff); command sees the community (403)
    ("GET", "/volunteers/communities/{community_id}/join-link"): Route(
        lambda w: f"/api/v1/volunteers/communities/{w.community.id}/join-link",
        missing=lambda w: f"/api/v1/volunteers/communities/{MISSING}/join-link", **WRITE),
    ("GET", "/volunteers/calls"): Route(
        lambda w: f"/api/v1/volunteers/calls?community={w.community.id}", setup=setup,
        missing=lambda w: f"/api/v1/volunteers/calls?community={MISSING}", **READ),
    ("POST", "/volunteers/calls"): Route(
        lambda w: "/api/v1/volunteers/calls", setup=setup, body=call_body,
        missing=lambda w: ("/api/v1/volunteers/calls", call_body(w, MISSING)),
        **dict(WRITE, staff=201)),
    ("GET", "/volunteers/calls/{call_id}"): Route(
        lambda w: f"/api/v1/volunteers/calls/{w.call.id}", setup=setup,
        missing=lambda w: f"/api/v1/volunteers/calls/{MISSING}", **READ),
    ("POST", "/volunteers/calls/{call_id}/signup"): Route(
        lambda w: f"/api/v1/volunteers/calls/{w.call.id}/signup", setup=setup,
        missing=lambda w: f"/api/v1/volunteers/calls/{MISSING}/signup",
        staff=403, command=403, leader=404, resident=404),
    ("POST", "/volunteers/calls/{call_id}/cancel"): Route(
        lambda w: f"/api/v1/volunteers/calls/{w.call.id}/cancel", setup=setup,
        missing=lambda w: f"/api/v1/volunteers/calls/{MISSING}/cancel",
        staff=404, command=404, leader=404, resident=404),
    ("POST", "/volunteers/calls/{call_id}/assign"): Route(
        lambda w: f"/api/v1/volunteers/calls/{w.call.id}/assign", setup=setup,
        body=lambda w: {"volunteer": w.approved.id},
        missing=lambda w: f"/api/v1/volunteers/calls/{MISSING}/assign", **WRITE),
    # staff call a call off, move it or message the people who answered; command sees it and may not
    ("POST", "/volunteers/calls/{call_id}/cancel-call"): Route(
        lambda w: f"/api/v1/volunteers/calls/{w.call.id}/cancel-call", setup=setup,
        body=lambda w: {"reason": "暂停采样"},
        missing=lambda w: f"/api/v1/volunteers/calls/{MISSING}/cancel-call", **WRITE),
    ("POST", "/volunteers/calls/{call_id}/change"): Route(
        lambda w: f"/api/v1/volunteers/calls/{w.call.id}/change", setup=setup,
        body=lambda w: {"place": w.unit1.id},
        missing=lambda w: f"/api/v1/volunteers/calls/{MISSING}/change", **WRITE),
    ("POST", "/volunteers/calls/{call_id}/message"): Route(
        lambda w: f"/api/v1/volunteers/calls/{w.shift.id}/message", setup=setup_shift,
        body=lambda w: {"text": "时间改为 06:15"},
        missing=lambda w: f"/api/v1/volunteers/calls/{MISSING}/message", **WRITE),
    # staff call more people (补充召集); command sees the call and may not
    ("POST", "/volunteers/calls/{call_id}/refill"): Route(
        lambda w: f"/api/v1/volunteers/calls/{w.call.id}/refill", setup=setup,
        body=lambda w: {"add": 1},
        missing=lambda w: f"/api/v1/volunteers/calls/{MISSING}/refill", **WRITE),
    ("POST", "/volunteers/checkin"): Route(
        lambda w: "/api/v1/volunteers/checkin", setup=setup,
        body=lambda w: {"token": w.call.token}, **NO_VOLUNTEER),
    ("POST", "/volunteers/checkout"): Route(
        lambda w: "/api/v1/volunteers/checkout", setup=setup,
        body=lambda w: {"token": w.call.token}, **NO_VOLUNTEER),
    # staff confirm arrivals (a team leader of the call's or the person's team too: tested
    # in tests/volunteers/); command sees it and may not (403)
    ("POST", "/volunteers/assignments/{assignment_id}/attend"): Route(
        lambda w: f"/api/v1/volunteers/assignments/{w.assignment.id}/attend", setup=setup_shift,
        body=lambda w: {}, missing=lambda w: f"/api/v1/volunteers/assignments/{MISSING}/attend",
        **WRITE),
    # a check-in confirmed by mistake, undone within minutes; command sees it and may not
    ("POST", "/volunteers/assignments/{assignment_id}/undo-check-in"): Route(
        lambda w: f"/api/v1/volunteers/assignments/{w.assignment.id}/undo-check-in", setup=setup_checked_in,
        missing=lambda w: f"/api/v1/volunteers/assignments/{MISSING}/undo-check-in", **WRITE),
    # after the shift: the list to settle (staff and command read it), and settling one
    ("GET", "/volunteers/communities/{community_id}/unsettled"): Route(
        lambda w: f"/api/v1/volunteers/communities/{w.community.id}/unsettled", setup=setup_over,
        missing=lambda w: f"/api/v1/volunteers/communities/{MISSING}/unsettled", **READ),
    ("POST", "/volunteers/assignments/{assignment_id}/settle"): Route(
        lambda w: f"/api/v1/volunteers/assignments/{w.over.id}/settle", setup=setup_over,
        body=lambda w: {"absent": True},
        missing=lambda w: f"/api/v1/volunteers/assignments/{MISSING}/settle", **WRITE),
    ("GET", "/volunteers/me/tasks"): Route(
        lambda w: "/api/v1/volunteers/me/tasks", setup=setup,
        staff=404, command=404, leader=404, resident=404),
    ("GET", "/volunteers/people"): Route(
        lambda w: f"/api/v1/volunteers/people?community={w.community.id}", setup=setup,
        missing=lambda w: f"/api/v1/volunteers/people?community={MISSING}", **READ),
    ("POST", "/volunteers/people/{volunteer_id}/approve"): Route(
        lambda w: f"/api/v1/volunteers/people/{w.pending.id}/approve", setup=setup,
        missing=lambda w: f"/api/v1/volunteers/people/{MISSING}/approve", **WRITE),
    ("POST", "/volunteers/people/{volunteer_id}/reject"): Route(
        lambda w: f"/api/v1/volunteers/people/{w.pending.id}/reject", setup=setup,
        body=lambda w: {"reason": "不在本社区居住"},
        missing=lambda w: f"/api/v1/volunteers/people/{MISSING}/reject", **WRITE),
    ("POST", "/volunteers/join/{token}/code"): Route(
        lambda w: f"/api/v1/volunteers/join/{w.link.token}/code", setup=setup, public=True,
        body=lambda w: {"phone": fresh_phone()}, **PUBLIC),
    ("POST", "/volunteers/join/{token}"): Route(
        lambda w: f"/api/v1/volunteers/join/{w.link.token}", setup=setup, public=True,
        body=registration, **dict(PUBLIC, staff=201, command=201, leader=201, resident=201,
                                  other_staff=201, outsider=201)),
}
