"""The 23:00 notice never reached the grid worker (tester, 2026-12-06): staff planned tomorrow's
round 07:00–14:00; the grid worker got no message and their landing page listed only rounds
"正在检测". Now planning tells the grid workers and building leaders of the round's places
once, in their language, with their own place's figure and the round's page for it; and the
place's page lists the planned round ("已安排 明天 07:00–14:00 第4轮核酸：第一网格应检 N 人")."""

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening import figures
from fangkong.screening.actions import planning
from fangkong.screening.actions.round_news import tell_planned
from fangkong.screening.models import Round

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def tomorrow():
    return timezone.localdate() + datetime.timedelta(days=1)


def _plan_by_api(login, world, **extra):
    d = tomorrow()
    body = {"place": world.community.id, "name": "第4轮核酸", "starts_at": at(d, 7).isoformat(),
            "ends_at": at(d, 14).isoformat(), "pool_size": 10, **extra}
    r = login(world.users.staff).post("/api/v1/screening/rounds", data=json.dumps(body),
                                      content_type="application/json")
    assert r.status_code == 201, r.content
    return Round.objects.get(pk=r.json()["id"])


def test_planning_tells_the_grid_worker_and_the_building_leader_once_each(world, login):
    rnd = _plan_by_api(login, world)
    grid_n = figures.coverage(rnd, world.grid)["to_sample"]
    building_n = figures.coverage(rnd, world.building)["to_sample"]
    assert grid_n >= building_n > 0
    d = tomorrow()
    date = f"{d.month}月{d.day}日"
    told = {n.user_id: n for n in Notification.objects.filter(kind="screening.round_planned")}
    assert set(told) == {world.users.grid.id, world.users.leader.id}  # not the other community's
    g = told[world.users.grid.id]
    assert g.title == f"已安排第4轮核酸：明天（{date}）07:00–14:00"
    assert f"第一网格应检 {grid_n} 人" in g.body
    assert g.url == f"{reverse('screening_round', args=[rnd.id])}?place={world.grid.id}"
    leader = told[world.users.leader.id]
    assert f"1号楼应检 {building_n} 人" in leader.body
    assert leader.url.endswith(f"?place={world.building.id}")
    # the link opens for them
    assert login(world.users.grid).get(g.url).status_code == 200
    # audited with the plan: how many were told
    ev = AuditEvent.objects.get(action="screening.round.plan", target_id=rnd.id)
    assert ev.changes["notified"] == 2
    # told once: a retried telling finds everyone told
    assert tell_planned(Actor.system(world.users.staff), rnd, [world.community]) == 0
    assert Notification.objects.filter(kind="screening.round_planned").count() == 2


def test_each_reads_it_in_their_language(world, login):
    world.users.grid.language = "en"
    world.users.grid.save(update_fields=["language"])
    _plan_by_api(login, world)
    g = Notification.objects.get(kind="screening.round_planned", user=world.users.grid)
    assert g.title.startswith("第4轮核酸 planned: tomorrow (") and g.title.endswith(") 07:00–14:00")
    assert re.search(r"第一网格: \d+ (person|people) to be tested \(at planning time\)\.", g.body), g.body
    leader = Notification.objects.get(kind="screening.round_planned", user=world.users.leader)
    assert "明天" in leader.title


def test_a_round_over_one_building_tells_its_leader_and_the_grid_worker_above(world, system):
    d = tomorrow()
    rnd = planning.plan_round(system, world.community, {
        "name": "1号楼加测", "kind": "pcr", "starts_at": at(d, 7), "ends_at": at(d, 9), "pool_size": 10},
        areas=[world.building])
    told = dict(Notification.objects.filter(kind="screening.round_planned").values_list("user_id", "body"))
    assert set(told) == {world.users.grid.id, world.users.leader.id}
    n = figures.coverage(rnd, world.building)["to_sample"]
    assert f"第一网格应检 {n} 人" in told[world.users.grid.id]  # the grid's part is the building


def test_a_round_recorded_after_its_window_tells_nobody(world, system):
    d = timezone.localdate() - datetime.timedelta(days=1)
    planning.plan_round(system, world.community, {
        "name": "补录", "kind": "pcr", "starts_at": at(d, 7), "ends_at": at(d, 14), "pool_size": 10})
    assert not Notification.objects.filter(kind="screening.round_planned").exists()


def _panel(login, user, place):
    return login(user).get(reverse("place", args=[place.id])).content.decode()


def test_the_landing_page_lists_the_planned_round(world, login, system):
    rnd = _plan_by_api(login, world)
    n = figures.coverage(rnd, world.grid)["to_sample"]
    html = _panel(login, world.users.grid, world.grid)
    assert "已安排" in html and "正在检测" not in html
    row = re.search(rf'<a class="row link" data-planned="{rnd.id}" href="([^"]+)">(.*?)</a>', html, re.S)
    assert row, html
    assert row.group(1) == f"{reverse('screening_round', args=[rnd.id])}?place={world.grid.id}"
    assert f"明天 07:00–14:00 第4轮核酸：第一网格应检 {n} 人" in row.group(2)
    leader = _panel(login, world.users.leader, world.building)  # the leader's home: no panels there before
    building_n = figures.coverage(rnd, world.building)["to_sample"]
    assert f'data-planned="{rnd.id}"' in leader and f"第4轮核酸：1号楼应检 {building_n} 人" in leader
    assert f'data-planned="{rnd.id}"' in _panel(login, world.users.staff, world.community)
    # the other community's staff do not see it
    assert f'data-planned="{rnd.id}"' not in _panel(login, world.users.other_staff, world.other)
    # once it starts it is testing now, not planned
    planning.set_status(system, rnd, "running")
    html = _panel(login, world.users.grid, world.grid)
    assert f'data-planned="{rnd.id}"' not in html and "正在检测" in html


def test_a_planned_round_whose_window_is_over_is_not_listed(world, login, system):
    d = timezone.localdate() - datetime.timedelta(days=1)
    old = planning.plan_round(system, world.community, {
        "name": "昨天没开始的", "kind": "pcr", "starts_at": at(d, 7), "ends_at": at(d, 14), "pool_size": 10})
    assert f'data-planned="{old.id}"' not in _panel(login, world.users.grid, world.grid)


def test_the_family_reads_the_planned_round_and_when_to_be_ready(world, login):
    """Families got nothing before a round began: their page said "本户当前没有检测轮次" until
    07:00. Their page now says the planned round and to be ready at its start."""
    rnd = _plan_by_api(login, world)
    html = login(world.users.resident).get(reverse("household", args=[world.hh101.id])).content.decode()
    line = re.search(rf'<p class="coming" data-coming="{rnd.id}">(.*?)</p>', html, re.S)
    assert line, html
    assert "已安排第4轮核酸：明天 07:00–14:00" in line.group(1)
    assert "请于07:00起带好核酸码到采样点采样" in line.group(1)
    # the staff's household page says the round, not the family's step
    staff = login(world.users.staff).get(reverse("household", args=[world.hh101.id])).content.decode()
    assert f'data-coming="{rnd.id}"' in staff and "请于07:00起" not in staff
