"""The lab's signature on the boxes page is the lab's (walk "lab", defect 8, 2026-12): a
sampler was offered "实验室接收" on a box with the courier, asked to confirm that it "completes
both signatures", and then told "未找到" — at 2 a.m. the courier and the volunteer believed the
box signed, or the system broken. Now only the lab the box is sent to sees the lab's step;
everyone else reads "等待实验室（lab_op）签收", and a crafted request is refused before any
confirm step."""

import re

from fangkong.core.actor import Actor
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.actions import planning, station
from fangkong.screening.models import Box, Tube

from .conftest import cid

LAB_STEP = "实验室接收"  # the button's words ("Lab receives the box")


def _in_transit(world, rnd):
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, "T0001")
    station.scan(staff, rnd, client_id=cid(), barcode="T0001", person=world.su.token)
    station.seal_tube(staff, Tube.objects.get(round=rnd, barcode="T0001"))
    box = lab_actions.create_box(staff, rnd, "GMBOX-02", lab=world.users.lab.pk)
    lab_actions.pack_tubes(staff, box, ["T0001"])
    lab_actions.hand_over(staff, box, "pickup", "田晓燕", "快递员 陈刚")
    return Box.objects.get(pk=box.pk)


def _card(html, code):
    return re.search(rf"<section class=\"card\">\s*<h2>{code} .*?</section>", html, re.S).group(0)


def test_only_the_lab_the_box_is_sent_to_sees_its_step(world, rnd, client):
    box = _in_transit(world, rnd)
    planning.assign_sampler(Actor.system(world.users.staff), rnd, world.point, world.users.volunteer, 1)
    page = f"/screening/rounds/{rnd.id}/boxes/"
    for user in (world.users.volunteer, world.users.staff, world.users.grid):
        client.force_login(user)
        card = _card(client.get(page).content.decode(), "GMBOX-02")
        assert 'value="lab"' not in card and "received_by" not in card, user
        assert "等待实验室（lab_op）签收" in card, user
    client.force_login(world.users.lab)
    card = _card(client.get(page).content.decode(), "GMBOX-02")
    assert 'name="stage" value="lab"' in card and LAB_STEP in card and "等待实验室" not in card
    assert box.state == Box.State.IN_TRANSIT


def test_a_crafted_lab_signature_is_refused_before_the_confirm_step(world, rnd, client):
    box = _in_transit(world, rnd)
    planning.assign_sampler(Actor.system(world.users.staff), rnd, world.point, world.users.volunteer, 1)
    page = f"/screening/rounds/{rnd.id}/boxes/"
    form = {"do": "handover", "box": box.id, "stage": "lab", "given_by": "快递员 陈刚", "received_by": "田晓燕"}
    client.force_login(world.users.volunteer)
    r = client.post(page, form)
    assert r.status_code == 404 and "实验室接收 箱" not in r.content.decode()
    client.force_login(world.users.staff)
    assert client.post(page, form).status_code == 403  # sees the round, not the lab's to sign
    client.force_login(world.users.other_staff)
    assert client.post(page, form).status_code == 404
    assert Box.objects.get(pk=box.pk).state == Box.State.IN_TRANSIT
    client.force_login(world.users.lab)
    assert "实验室接收 箱 GMBOX-02？" in client.post(page, form).content.decode()  # the lab is asked first
