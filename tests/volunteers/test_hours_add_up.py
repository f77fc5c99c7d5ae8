"""Hours on one rule (found walking the demo: 刘静's call 1 showed "2.7 h", call 4 "0.3 h",
and her total "2.9 小时" — on the same page, the home page too). A place's hours are its
minutes in tenths of an hour, half up (`models.tenths`); every total — home, my history, a
person's page, the roll of honour, the hours export, the API — is the sum of its places'
figures, so the rows always add up to the total beside them."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.volunteers import queries
from fangkong.volunteers.actions import answers, attendance
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Volunteer, tenths
from tests.conftest import actor_for

from .test_api import bearer


def call_at(world, start, hours=3):
    return vol_calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "order", "place": world.building.id, "slots": 3, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=hours)).isoformat()})


@pytest.fixture
def liu(world, make_volunteer):
    """刘静: 160 minutes on one call (2.7 h), 16 on another (0.3 h): 176 minutes, which
    summed-then-rounded is 2.9 h."""
    staff = actor_for(world.users.staff)
    v = make_volunteer(1, name="刘静")
    t = (timezone.now() + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    for n, minutes in ((0, 160), (1, 16)):
        a = answers.sign_up(actor_for(v.user), call_at(world, t + datetime.timedelta(days=n)))
        attendance.correct_minutes(staff, a, minutes, "按签到表核对", confirm=True)
    return Volunteer.objects.get(pk=v.pk)


def test_the_rule_rounds_half_up_in_whole_numbers():
    assert [tenths(m) for m in (0, 2, 3, 9, 15, 16, 159, 160, 176)] == [0, 0, 1, 2, 3, 3, 27, 27, 29]


def test_a_volunteers_total_is_the_sum_of_the_places_shown(liu):
    assert liu.minutes == 176
    assert sorted(a.hours for a in liu.assignments.all()) == [0.3, 2.7]
    assert liu.hours == 3.0


def test_my_history_and_home_pages_add_up(world, liu, login):
    c = login(liu.user)
    me = c.get(reverse("volunteers_me")).content.decode()
    assert "2.7 h" in me and "0.3 h" in me and "<strong>3.0</strong>" in me and "2.9" not in me
    home = c.get(reverse("volunteers_home")).content.decode()
    assert "3.0" in home and "2.9" not in home


def test_the_person_page_the_roll_of_honour_and_the_api_say_the_same_total(world, liu, login):
    c = login(world.users.staff)
    person = c.get(reverse("volunteers_person", args=[liu.id])).content.decode()
    assert "<strong>3.0</strong>" in person and "2.7 h" in person and "0.3 h" in person
    honour = c.get(reverse("volunteers_honour", args=[world.community.id])).content.decode()
    assert "3.0 h" in honour and "2.9" not in honour
    assert [v.hours for v in queries.roll_of_honour(world.community)] == [3.0]
    api = bearer(world.users.staff).get("/api/v1/volunteers/people",
                                        {"community": world.community.id}).json()
    assert [r["hours"] for r in api["results"] if r["id"] == liu.id] == [3.0]


def test_the_hours_export_says_the_same_total(world, liu, login):
    c = login(world.users.staff)
    resp = c.get(reverse("volunteers_export", args=[world.community.id, "work_unit"]))
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    mine = [r for r in rows if "刘静" in r]
    assert len(mine) == 1 and mine[0][-2] == 3.0 and mine[0][-3] == 2 and mine[0][-1] == "已更正 2"
