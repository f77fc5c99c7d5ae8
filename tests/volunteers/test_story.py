"""The whole story from issue 4, through the actions: a call at 23:00 for 20 people, 30
answer, 20 confirmed and 10 waitlisted, 2 cancel and 2 are promoted, check-in the next
morning, hours credited."""

import datetime

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.core.errors import Conflict
from fangkong.notify.models import Notification
from fangkong.volunteers import queries as vq
from fangkong.volunteers.actions import answers as vol_answers
from fangkong.volunteers.actions import attendance, calls
from fangkong.volunteers.models import Assignment, Call, Volunteer
from tests.conftest import actor_for


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_call_at_night_filled_waitlisted_promoted_checked_in_and_credited(world, make_volunteer,
                                                                          monkeypatch):
    staff = actor_for(world.users.staff)
    people = [make_volunteer(n) for n in range(1, 31)]
    assert all(v.status == Volunteer.Status.APPROVED and v.user for v in people)
    assert all(v.user.memberships.filter(role=Role.VOLUNTEER, place=world.community).exists()
               for v in people)

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    night = at(tomorrow - datetime.timedelta(days=1), 23, 0)
    monkeypatch.setattr(timezone, "now", lambda: night)
    call = calls.create_call(staff, world.community, {
        "task": "sampling", "title": "07:00 核酸采样", "place": world.building.id,
        "starts_at": at(tomorrow, 7).isoformat(), "ends_at": at(tomorrow, 11).isoformat(),
        "slots": 20, "deadline": at(tomorrow, 6, 30).isoformat(),
        "briefing": "带好身份证，6:45 到 1号楼下集合"})
    assert call.notified == 30
    assert Notification.objects.filter(key=f"volunteers.call:{call.id}").count() == 30

    answers = []
    for i, v in enumerate(people):
        monkeypatch.setattr(timezone, "now", lambda i=i: night + datetime.timedelta(minutes=i))
        answers.append(vol_answers.sign_up(actor_for(v.user), call))
    assert [a.status for a in answers[:20]] == ["confirmed"] * 20
    assert [a.status for a in answers[20:]] == ["waitlisted"] * 10
    call.refresh_from_db()
    assert call.confirmed == 20 and call.status == Call.Status.FULL
    assert call.time_to_fill_minutes == 19
    # answering twice keeps the same place
    assert vol_answers.sign_up(actor_for(people[0].user), call).pk == answers[0].pk

    monkeypatch.setattr(timezone, "now", lambda: night + datetime.timedelta(minutes=40))
    vol_answers.cancel(actor_for(people[3].user), answers[3])
    vol_answers.cancel(actor_for(people[7].user), answers[7])
    call.refresh_from_db()
    assert call.confirmed == 20
    roster = vq.roster(call)
    confirmed = {a.volunteer_id for a in roster["confirmed"]}
    assert people[20].id in confirmed and people[21].id in confirmed  # first two waitlisted
    assert [a.volunteer_id for a in roster["waitlisted"]] == [p.id for p in people[22:]]
    assert Notification.objects.filter(user=people[20].user, kind="volunteers.promoted").exists()

    # next morning: scan at 06:55 (or 07:20, late), out at 11:00
    team = [a for a in roster["confirmed"]]
    for k, a in enumerate(team):
        v = a.volunteer
        monkeypatch.setattr(timezone, "now", lambda k=k: at(tomorrow, 6, 55) if k else at(tomorrow, 7, 20))
        attendance.check_in(actor_for(v.user), call.token)
    monkeypatch.setattr(timezone, "now", lambda: at(tomorrow, 11, 0))
    for a in team:
        # in at 06:55 for a 07:00–11:00 shift: 4.1 h is longer than the shift, asked first
        early = Assignment.objects.get(pk=a.pk).check_in_at < at(tomorrow, 7)
        if early:
            with pytest.raises(Conflict) as e:
                attendance.check_out(actor_for(a.volunteer.user), call.token)
            assert e.value.code == "long_credit"
        attendance.check_out(actor_for(a.volunteer.user), call.token, confirm=early)
    rows = {a.volunteer_id: a for a in Assignment.objects.filter(call=call, status="confirmed")}
    assert len(rows) == 20
    late = [a for a in rows.values() if a.is_late]
    assert len(late) == 1 and late[0].minutes == 220
    assert sorted({a.minutes for a in rows.values()}) == [220, 245]
    v = Volunteer.objects.get(pk=team[1].volunteer_id)
    assert v.minutes == 245 and v.hours == 4.1
    honour = vq.roll_of_honour(world.community)
    assert len(honour) == 20 and honour[0].minutes == 245
    # cancelled people and those left on the waitlist got no hours
    assert Volunteer.objects.get(pk=people[3].id).minutes == 0


def test_signups_never_exceed_slots_and_waitlist_keeps_arrival_order(world, make_volunteer):
    staff = actor_for(world.users.staff)
    people = [make_volunteer(n) for n in range(1, 6)]
    start = timezone.now() + datetime.timedelta(hours=3)
    call = calls.create_call(staff, world.community, {
        "task": "delivery", "place": world.community.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "slots": 2})
    out = [vol_answers.sign_up(actor_for(v.user), call) for v in people]
    assert [a.status for a in out] == ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert [vq.waitlist_rank(a) for a in out[2:]] == [1, 2, 3]
    # the organiser cannot push anyone over the slots
    with pytest.raises(Conflict) as e:
        calls.assign(staff, call, people[4])
    assert e.value.code == "full"
    calls.set_slots(staff, call, 3)
    assert Assignment.objects.get(pk=out[2].pk).status == "confirmed"
    call.refresh_from_db()
    assert call.confirmed == 3
