"""Routine disinfection (例行消杀) on a fixed rhythm: staff of a community with 12 sealed
buildings typed 24 rows a day for "public areas at 08:00 and 16:00". A routine is set once
(place, times of day, team, while sealed or until a date); the worker makes each day's rows
ahead of time in local time (Asia/Shanghai), once each however often it runs; the seal
lifted or the last day passed, it ends and its rows still to come go; staff pause and end
one (ending asks first); outsiders and other roles get 404 like a missing routine."""

import datetime
import json

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.services import tasks
from fangkong.services.actions import routines as rt
from fangkong.services.models import Disinfection, DisinfectionRoutine
from tests.conftest import actor_for, seal_now
from tests.conftest import client_of as _client

R = DisinfectionRoutine



def at_local(day_offset, h, m=0):
    """A moment of the site's local day `day_offset` days from today."""
    zone = timezone.get_default_timezone()
    day = timezone.localdate(timezone.now(), zone) + datetime.timedelta(days=day_offset)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(h, m)), zone)


def local_times(routine, since):
    zone = timezone.get_default_timezone()
    return sorted(timezone.localtime(d, zone).strftime("%m-%d %H:%M")
                  for d in Disinfection.objects.filter(routine=routine, due_at__gte=since)
                  .values_list("due_at", flat=True))


def lift(w, place):
    from fangkong.zones.actions import publish as pub
    from tests.zones.conftest import approve_if_needed

    staff = actor_for(w.users.staff)
    n = pub.create_notice(staff, w.community, {"number": "迎泽防控〔2022〕25号", "issued_by": "桥东街道",
                                               "title": "解封通告", "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.community, "解封", notice=n)
    pub.add_item(staff, adj, pub.Op.LIFT, place, None)
    pub.publish(staff, approve_if_needed(staff, adj))  # a 封控区's lift: the street approves it


def test_the_worker_makes_each_days_rows_at_the_local_times_once(world, svc):
    w, staff = world, actor_for(world.users.staff)
    r = rt.create(staff, w.building, times="16:00，8:00", team=svc.team)
    assert r.times == "08:00,16:00"
    tomorrow_7 = at_local(1, 7)
    # made at once: tomorrow's two (today's still to come too)
    assert local_times(r, tomorrow_7) == [f"{tomorrow_7:%m-%d} 08:00", f"{tomorrow_7:%m-%d} 16:00"]
    # the worker's pass tomorrow morning makes the day after's, at 08:00 and 16:00 Beijing time
    out = rt.make_all(tomorrow_7)
    assert out["disinfection_rows"] == 2
    after = tomorrow_7 + datetime.timedelta(days=1)
    assert local_times(r, after) == [f"{after:%m-%d} 08:00", f"{after:%m-%d} 16:00"]
    utc = sorted(d.astimezone(datetime.UTC).strftime("%H:%M") for d in
                 Disinfection.objects.filter(routine=r, due_at__gte=after).values_list("due_at", flat=True))
    assert utc == ["00:00", "08:00"]  # Asia/Shanghai is UTC+8
    row = Disinfection.objects.filter(routine=r).first()
    assert (row.kind, row.team_id, row.place_id, row.building_id) == ("routine", svc.team.id, w.building.id,
                                                                       w.building.id)
    # run twice (a retry, a second worker): nothing doubles
    n = Disinfection.objects.filter(routine=r).count()
    assert rt.make_all(tomorrow_7)["disinfection_rows"] == 0
    tasks.recover_services(type("Live", (), {"now": tomorrow_7})())
    assert Disinfection.objects.filter(routine=r).count() == n
    # the database itself refuses a second row for the same routine and time
    with pytest.raises(IntegrityError), transaction.atomic():
        d = Disinfection(place=w.building, due_at=at_local(2, 8), routine=r)
        d.copy_levels(w.building)
        d.save()


def test_a_routine_while_sealed_stops_when_the_seal_is_lifted(world, svc):
    w, staff = world, actor_for(world.users.staff)
    with pytest.raises(rt.Invalid):  # not sealed yet: "while sealed" makes no sense
        rt.create(staff, w.building, times=["08:00", "16:00"], while_sealed=True)
    seal_now(w)
    r = rt.create(staff, w.building, times=["08:00", "16:00"], while_sealed=True)
    assert Disinfection.objects.filter(routine=r, due_at__gte=at_local(1, 0)).count() == 2
    rt.make_all()
    assert R.objects.get(pk=r.pk).state == R.State.ACTIVE  # still sealed: running
    lift(w, w.building)
    out = rt.make_all()
    r.refresh_from_db()
    assert (r.state, r.ended_why, out["disinfection_routines_ended"]) == (R.State.ENDED, R.Why.LIFTED, 1)
    # its rows still to come are gone; the days after get none
    assert not Disinfection.objects.filter(routine=r, due_at__gt=timezone.now()).exists()
    assert rt.make_all(at_local(1, 7))["disinfection_rows"] == 0
    assert not Disinfection.objects.filter(routine=r, due_at__gt=timezone.now()).exists()
    assert AuditEvent.objects.filter(action="services.routine.end", changes__why="lifted").count() == 1


def test_a_routine_ends_after_its_last_day(world, svc):
    w, staff = world, actor_for(world.users.staff)
    r = rt.create(staff, w.compound, times=["08:00", "16:00"], ends_on=timezone.localdate())
    assert not Disinfection.objects.filter(routine=r, due_at__gte=at_local(1, 0)).exists()  # nothing tomorrow
    rt.make_all(at_local(1, 7))
    r.refresh_from_db()
    assert (r.state, r.ended_why) == (R.State.ENDED, R.Why.DATE)


def test_staff_set_pause_and_end_a_routine_on_the_page_ending_asked_first(world, svc):
    w = world
    c = _client(w.users.staff)
    url = f"/services/p/{w.community.id}/disinfection/routines/"
    page = c.get(url).content.decode()
    assert 'name="times"' in page and svc.team.name in page
    c.post(url, {"do": "create", "place": w.building.id, "times": "08:00 16:00", "team": svc.team.id})
    r = R.objects.get(place=w.building)
    assert (r.times, r.team_id, r.state) == ("08:00,16:00", svc.team.id, R.State.ACTIVE)
    assert Disinfection.objects.filter(routine=r, due_at__gte=at_local(1, 0)).count() == 2
    # a wrong time comes back under the form, as typed
    page = c.post(url, {"do": "create", "place": w.building.id, "times": "8点"}).content.decode()
    assert "08:00 16:00" in page and 'value="8点"' in page and R.objects.count() == 1
    # paused: its rows to come go; resumed: they come back (no doubles)
    c.post(url, {"do": "pause", "routine": r.id})
    assert R.objects.get(pk=r.pk).state == R.State.PAUSED
    assert not Disinfection.objects.filter(routine=r, due_at__gt=timezone.now()).exists()
    assert rt.make_all(at_local(1, 7))["disinfection_rows"] == 0  # a paused routine makes nothing
    c.post(url, {"do": "resume", "routine": r.id})
    assert Disinfection.objects.filter(routine=r, due_at__gte=at_local(1, 0)).count() == 2
    # ending cannot be undone: asked first
    asked = c.post(url, {"do": "end", "routine": r.id})
    assert asked.status_code == 200 and 'name="confirm"' in asked.content.decode()
    assert R.objects.get(pk=r.pk).state == R.State.ACTIVE
    c.post(url, {"do": "end", "routine": r.id, "confirm": "1"})
    r.refresh_from_db()
    assert (r.state, r.ended_why) == (R.State.ENDED, R.Why.STAFF)
    assert not Disinfection.objects.filter(routine=r, due_at__gt=timezone.now()).exists()
    assert list(AuditEvent.objects.filter(action__startswith="services.routine.").order_by("id")
                .values_list("action", flat=True)) == [
        "services.routine.create", "services.routine.pause", "services.routine.resume", "services.routine.end"]
    # the disinfection list links to it
    assert "/disinfection/routines/" in c.get(f"/services/p/{w.community.id}/disinfection/").content.decode()


def test_the_api_sets_and_ends_a_routine(world, svc):
    w = world
    c = _client(w.users.staff)
    made = c.post("/api/v1/services/disinfection-routines", json.dumps(
        {"place": w.building.id, "times": ["16:00", "08:00"], "team": svc.team.id}), content_type="application/json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["times"], body["team_name"], body["state"]) == (["08:00", "16:00"], svc.team.name, "active")
    listed = c.get(f"/api/v1/services/disinfection-routines?place={w.community.id}").json()
    assert [x["id"] for x in listed] == [body["id"]]
    ended = c.post(f"/api/v1/services/disinfection-routines/{body['id']}/end")
    assert (ended.status_code, ended.json()["state"], ended.json()["ended_why"]) == (200, "ended", "staff")
    bad = c.post("/api/v1/services/disinfection-routines", json.dumps(
        {"place": w.building.id, "times": ["25:00"]}), content_type="application/json")
    assert bad.status_code == 400 and "08:00 16:00" in bad.content.decode(), bad.content


def test_another_community_or_another_role_gets_404(world, svc):
    w, staff = world, actor_for(world.users.staff)
    r = rt.create(staff, w.building, times=["08:00"])
    other = rt.create(actor_for(w.users.other_staff), w.other_building, times=["09:00"])
    for user in (w.users.other_staff, w.users.resident, w.users.volunteer):
        c = _client(user)
        assert c.get(f"/services/p/{w.building.id}/disinfection/routines/").status_code == 404
        assert c.post(f"/services/p/{w.building.id}/disinfection/routines/",
                      {"do": "end", "routine": r.id, "confirm": "1"}).status_code == 404
        assert c.post(f"/api/v1/services/disinfection-routines/{r.id}/end").status_code == 404
        assert c.post("/api/v1/services/disinfection-routines", json.dumps(
            {"place": w.building.id, "times": ["08:00"]}), content_type="application/json").status_code == 404
    # staff of community A: B's routine is missing, on its page and through A's own page
    c = _client(w.users.staff)
    assert c.post(f"/api/v1/services/disinfection-routines/{other.id}/pause").status_code == 404
    assert c.post(f"/services/p/{w.community.id}/disinfection/routines/",
                  {"do": "pause", "routine": other.id}).status_code == 404
    assert [x["id"] for x in c.get("/api/v1/services/disinfection-routines").json()] == [r.id]
    # a team of another community is refused like a missing one
    from fangkong.volunteers.actions import teams

    b_team = teams.create_team(actor_for(w.users.other_staff), w.other, "消杀队")
    with pytest.raises(rt.Invalid):
        rt.create(staff, w.building, times=["08:00"], team=b_team.id)
    assert R.objects.get(pk=r.pk).state == R.State.ACTIVE
    assert R.objects.get(pk=other.pk).state == R.State.ACTIVE


def test_rows_made_by_a_pass_that_raced_a_pause_are_taken_away(world, svc):
    """A worker read the routine as running; staff paused it; the worker then made its rows."""
    w, staff = world, actor_for(world.users.staff)
    r = rt.create(staff, w.building, times=["08:00", "16:00"])
    stale = R.objects.get(pk=r.pk)
    rt.pause(staff, r)
    assert rt.make_rows([stale], at_local(1, 7)) == 4  # the late pass's insert: two days
    rt.make_all(at_local(1, 7))
    assert not Disinfection.objects.filter(routine=r, due_at__gt=at_local(1, 7)).exists()
