"""The gate team is told of its hand-off (found on the services evening: a batch for 封控五组
at 15:30, and the team leader's home said "我的任务 目前没有任务", no notice in the inbox, no
way to the services work from the menu). Each of the team's volunteers is told once, in
their own language, with the batch's link; their home lists the hand-off while it waits
at the gate; the menu leads to their services work."""

import uuid

from django.test import Client
from django.utils import timezone, translation

from fangkong.accounts.models import User
from fangkong.notify.models import Notification
from fangkong.services.actions import handoff, orders
from tests.conftest import actor_for

from .conftest import volunteer


def _client(user, **headers):
    c = Client(**headers)
    c.force_login(user)
    return c


def test_the_team_at_the_gate_is_told_once_in_its_language_and_sees_it_at_home(world, svc):
    w = world
    en_user = volunteer(w, 8, svc.team).user
    en = _client(en_user, HTTP_ACCEPT_LANGUAGE="en")
    en.get("/volunteers/")
    assert User.objects.get(pk=en_user.pk).language == "en"
    zh = _client(svc.vol_user)
    staff = actor_for(w.users.staff)
    for hh in (w.hh101, w.hh102):
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    due = timezone.localtime() + timezone.timedelta(hours=2)
    cid = uuid.uuid4()
    with translation.override("zh-hans"):  # staff reading Chinese
        batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=due, team=svc.team, client_id=cid)
        handoff.create_batch(staff, svc.supplier, svc.gate, due_at=due, team=svc.team, client_id=cid)  # a retry

    when = due.strftime("%m-%d %H:%M")
    (zh_note,) = Notification.objects.filter(user=svc.vol_user, kind="services.handoff")
    assert zh_note.title == f"封控五组交接任务：美特好超市，东门，{when}"
    assert zh_note.body == f"{when} 在东门与美特好超市交接，按清单核对 2 户的物资，再送到各户门口。"
    assert zh_note.url == f"/services/batches/{batch.id}/"
    (en_note,) = Notification.objects.filter(user=en_user, kind="services.handoff")
    assert en_note.title == f"Hand-off for 封控五组: 美特好超市 at 东门, {due.day} {due:%b} {due:%H:%M}"  # "7 Dec 17:38"
    assert not Notification.objects.filter(user=w.users.staff, kind="services.handoff").exists()

    home = zh.get("/volunteers/").content.decode()
    mine = home[home.index('id="my-services"'):]
    assert f'href="/services/batches/{batch.id}/"' in mine and f"东门交接 · {when}" in mine and "2 户" in mine
    menu = home.split("<nav>", 1)[1].split("</nav>", 1)[0]
    assert "我的保障任务" in menu and 'href="/services/"' in menu
    assert zh.get(f"/services/batches/{batch.id}/").status_code == 200


def test_a_volunteer_without_services_work_has_no_such_link(world, svc):
    w = world
    lone = volunteer(w, 9).user
    page = _client(lone).get("/volunteers/").content.decode()
    assert "我的保障任务" not in page
