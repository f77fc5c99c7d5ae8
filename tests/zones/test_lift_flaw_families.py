"""A lift published on wrong facts (a case confirmed before it, reported after it) was marked
and the staff, the grid worker and the street were told — but the families of the lifted place,
told at the lift that they were free of its zone, heard nothing. Now each household under the
lifted place (its family's logins) gets one urgent message, in its reader's language: the lift
rested on wrong facts, stay at home until the new notice. Once: a second case showing the same
lift, or the same report sent again, tells nobody twice."""

import datetime

from django.utils import timezone

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import User
from fangkong.core.actor import Actor
from fangkong.notify.models import Delivery, Notification
from fangkong.zones.actions import escalate
from tests.conftest import actor_for
from tests.zones.test_lift_flaws import _lifted, _zh

KIND = "zones.lift_flawed"


def _family_of_201(w):
    user, _pw = account_actions.household_login(Actor.system(w.users.staff), w.hh201, phone="13912345678")
    User.objects.filter(pk=user.pk).update(language="en")  # reads in English
    return user


def test_the_families_of_the_lifted_building_are_told_to_stay_home_once(world, presets, login):
    w = world
    english = _family_of_201(w)
    lift = _lifted(w)
    staff = actor_for(w.users.staff)
    before = lift.effective_at - datetime.timedelta(hours=3)
    escalate.record_case(staff, w.xia, confirmed_at=before, source="区疾控中心报告")
    (m,) = Notification.objects.filter(user=w.users.resident, kind=KIND)
    assert m.title == "紧急：请留在家中，等待新的通告", m.title
    assert m.body == (f"光明小区 1号楼于 {_zh(lift.effective_at)} 由第19号解除，但解除依据有误：解除之前已有确诊病例。"
                      "请全家留在家中，不要外出，等待新的通告。"), m.body
    assert m.url == f"/zones/notices/{lift.notice_id}/", m.url  # the lift's notice, marked "解除依据有误"
    (e,) = Notification.objects.filter(user=english, kind=KIND)
    assert e.title == "Urgent: stay at home until the new notice", e.title
    assert e.body.startswith("光明小区 1号楼 was lifted at ") and e.body.endswith(
        "by 第19号, but the lift rested on wrong facts: a case had been confirmed before it. Please all stay "
        "at home and do not go out until the new notice."), e.body
    # by text too, as every family message (the family's phone)
    assert Delivery.objects.filter(user=english, kind=KIND).count() == 1
    # a second case showing the same lift tells no family again
    escalate.record_case(staff, w.wang, confirmed_at=before + datetime.timedelta(minutes=5), source="市卫健委")
    lift.refresh_from_db()
    assert len(lift.lift_flaws) == 2
    assert Notification.objects.filter(kind=KIND).count() == 2  # the two families, once each
    # nobody else gets it: not the other community's family, not the staff
    assert not Notification.objects.filter(kind=KIND).exclude(user__in=[w.users.resident, english]).exists()


def test_a_case_after_the_lift_tells_the_families_nothing(world, presets):
    w = world
    lift = _lifted(w)
    escalate.record_case(actor_for(w.users.staff), w.xia, source="区疾控中心报告")
    assert timezone.now() > lift.effective_at
    assert not Notification.objects.filter(kind=KIND).exists()
    lift.refresh_from_db()  # the lift stands: nothing marked
    assert lift.lift_flaws == []


def test_the_api_report_tells_the_families_too(world, presets, login):
    w = world
    lift = _lifted(w)
    c = login(w.users.staff)
    before = (lift.effective_at - datetime.timedelta(hours=2)).isoformat()
    r = c.post("/api/v1/zones/cases", {"resident": w.wang.id, "source": "市卫健委", "confirmed_at": before},
               content_type="application/json")
    assert r.status_code == 201, r.content
    assert Notification.objects.filter(user=w.users.resident, kind=KIND).count() == 1
    # the same report again (already reported): nothing more
    r = c.post("/api/v1/zones/cases", {"resident": w.wang.id, "source": "市卫健委", "confirmed_at": before},
               content_type="application/json")
    assert r.status_code == 200 and r.json()["already_reported"] is True
    assert Notification.objects.filter(user=w.users.resident, kind=KIND).count() == 1
