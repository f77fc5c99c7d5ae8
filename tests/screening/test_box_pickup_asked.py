"""The courier taking a box at the point (双签收, not undone: the box is closed) is asked
first, naming the box, where it is from, its tubes and both names (it was signed on one
tap, like the lab's receipt before test_box_receipt.py)."""

from fangkong.core.actor import Actor
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.actions import station
from fangkong.screening.models import Box, Handover, Tube

from .conftest import cid


def test_the_courier_taking_a_box_is_asked_first_naming_the_box(world, rnd, client):
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, "T0001")
    station.scan(staff, rnd, client_id=cid(), barcode="T0001", person=world.su.token)
    station.seal_tube(staff, Tube.objects.get(round=rnd, barcode="T0001"))
    box = lab_actions.create_box(staff, rnd, "B0007")
    lab_actions.pack_tubes(staff, box, ["T0001"])
    client.force_login(world.users.staff)
    boxes = f"/screening/rounds/{rnd.id}/boxes/"
    form = {"do": "handover", "box": box.id, "stage": "pickup", "given_by": "张三", "received_by": "快递李四"}
    asked = client.post(boxes, form).content.decode()
    assert "将箱 B0007 交给转运员？" in asked and "箱内 1 管。" in asked and "T0001" in asked
    assert "交出人：张三，接收人：快递李四。" in asked and "无法撤销" in asked and rnd.name in asked
    assert 'name="confirm" value="1"' in asked and "确认，转运员接走箱 B0007" in asked
    assert Box.objects.get(pk=box.pk).state == Box.State.PACKING and not Handover.objects.exists()
    done = client.post(boxes, {**form, "confirm": "1"}, follow=True).content.decode()
    assert "箱 B0007 已交快递，1 管。" in done
    assert Box.objects.get(pk=box.pk).state == Box.State.IN_TRANSIT
    assert Handover.objects.get().received_by == "快递李四"


def test_an_empty_box_is_refused_at_once_not_asked(world, rnd, client):
    box = lab_actions.create_box(Actor.system(world.users.staff), rnd, "B0008")
    client.force_login(world.users.staff)
    boxes = f"/screening/rounds/{rnd.id}/boxes/"
    page = client.post(boxes, {"do": "handover", "box": box.id, "stage": "pickup", "given_by": "张三",
                               "received_by": "快递李四"}, follow=True).content.decode()
    assert "转运箱是空的。" in page
    assert 'name="confirm" value="1"' not in page and Box.objects.get(pk=box.pk).state == Box.State.PACKING
