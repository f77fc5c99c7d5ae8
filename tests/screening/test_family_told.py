"""A resident family's day (a tester's walk): the family is told of a testing round with its
window, the household page shows the window and the antigen deadline, a positive antigen
report tells the family and the building's leader what happens next (once), and a positive
person is not offered the antigen form again: they read why and whom to call."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone, translation

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.actions import planning
from fangkong.screening.models import AntigenResult, Result
from tests.conftest import actor_for, make_user

from .photos import png
from .test_antigen import running_antigen_round


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def test_planning_tells_the_families_of_its_areas_once_with_the_window(world, system):
    w = world
    d = timezone.localdate() + datetime.timedelta(days=1)
    no_login = reg.create_household(system, w.unit1, "909")  # no family account: the grid's door list
    assert no_login
    staff = Actor.system(w.users.staff)
    rnd = planning.plan_round(staff, w.community, {"name": "第4轮核酸", "starts_at": at(d, 7).isoformat(),
                                                   "ends_at": at(d, 14).isoformat(), "pool_size": 10})
    notes = list(Notification.objects.filter(kind="screening.round_family"))
    assert [n.user_id for n in notes] == [w.users.resident.id]
    n = notes[0]
    assert n.title == f"核酸检测：明天（{d.month}月{d.day}日）07:00–14:00", n.title  # the kind, not the name
    assert "请在 07:00–14:00 之间带上核酸码到采样点采样" in n.body
    ev = AuditEvent.objects.get(action="screening.round.plan", target_id=rnd.id)
    assert ev.changes["families"] == 1
    # in the reader's language, and once a round
    from fangkong.screening.actions.round_news import tell_families

    assert tell_families(staff, rnd, [w.community]) == 0
    assert Notification.objects.filter(kind="screening.round_family").count() == 1
    with translation.override("en"):
        assert "Go to the sampling point with your sampling code between 07:00 and 14:00" in n.said()[1]


def test_the_household_page_shows_the_antigen_deadline(world, system, login):
    ag = running_antigen_round(world, system)
    end = f"{timezone.localtime(ag.ends_at):%H:%M}"
    page = login(world.users.resident).get(reverse("household", args=[world.hh101.id])).content.decode()
    panel = page[page.index('id="testing-now"'):]
    assert "前上报结果。" in panel and end in panel, panel


def test_a_positive_tells_the_family_and_the_leader_once(world, system):
    w = world
    unit_leader = make_user(system, "leader_unit", Role.LEADER, w.unit1)
    ag = running_antigen_round(w, system)
    res = actor_for(w.users.resident)
    antigen_actions.record_result(res, ag, w.su, "positive", photo=png())
    fam = Notification.objects.get(kind="screening.family_antigen_positive")
    assert fam.user_id == w.users.resident.id
    assert fam.title == "苏霞：抗原阳性，将上门做核酸复检"
    assert "医务人员会上门为苏霞采集核酸样本" in fam.body
    leaders = Notification.objects.filter(kind="screening.antigen_positive_leader")
    assert {n.user_id for n in leaders} == {w.users.leader.id, unit_leader.id}
    assert "无接触交接" in leaders[0].body
    assert leaders[0].url == reverse("household", args=[w.hh101.id])
    # staff correct it back and forth: nobody is told twice (a positive is corrected only by
    # the staff's correction, with a reason: `antigen_correct`)
    from fangkong.screening.actions import antigen_correct

    staff = Actor.system(w.users.staff)
    row = AntigenResult.objects.get(round=ag, resident=w.su)
    antigen_correct.correct_positive(staff, ag, row, "negative", "录错了人", confirm=True)
    antigen_actions.record_result(staff, ag, w.su, "positive")
    assert Notification.objects.filter(kind="screening.family_antigen_positive").count() == 1
    assert leaders.count() == 2


def test_a_positive_person_is_not_offered_the_form_again(world, system, login):
    w = world
    ag = running_antigen_round(w, system)
    antigen_actions.record_result(actor_for(w.users.resident), ag, w.su, "positive", photo=png())
    antigen_actions.record_result(actor_for(w.users.resident), ag, w.yu, "negative", photo=png())
    assert AntigenResult.objects.get(resident=w.su).result == Result.POSITIVE
    page = login(w.users.resident).get(reverse("screening_antigen_mine")).content.decode()
    cards = {m.group(1): m.group(0) for m in re.finditer(
        r'<div class="antigen-person card"><p><strong>([^<]+)</strong>.*?(?=<div class="antigen-person card">|</section>)',
        page, re.S)}
    su, yu = cards["苏霞"], cards["于海涛"]
    assert f'name="resident" value="{w.su.id}"' not in su and "<form" not in su
    assert f'id="positive-{w.su.id}"' in su and "阳性结果只能由社区工作人员更正" in su
    assert "光明社区" in su  # whom to call: the community office
    assert "<form" in yu and "只有需要更正时才再次上报" in yu
