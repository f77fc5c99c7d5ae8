"""The lab receiving a box (双签收, not undone) is asked first and then said (found walking
a lab operator's night: one tap signed it and the page reloaded without a word); the phone
browser's walk is test_box_receipt_browser.py."""

from fangkong.core.actor import Actor
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.actions import station
from fangkong.screening.models import Box, Tube

from .conftest import cid


def test_receiving_a_box_is_asked_first_and_then_said(world, rnd, client):
    """One tap signed the lab's receipt and the page reloaded without a word."""
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, "T0001")
    station.scan(staff, rnd, client_id=cid(), barcode="T0001", person=world.su.token)
    station.seal_tube(staff, Tube.objects.get(round=rnd, barcode="T0001"))
    box = lab_actions.create_box(staff, rnd, "B0001")
    lab_actions.pack_tubes(staff, box, ["T0001"])
    lab_actions.hand_over(staff, box, "pickup", "张三", "快递李四")
    client.force_login(world.users.lab)
    boxes = f"/screening/rounds/{rnd.id}/boxes/"
    form = {"do": "handover", "box": box.id, "stage": "lab", "given_by": "快递李四", "received_by": "检测员王五"}
    asked = client.post(boxes, form).content.decode()
    assert "实验室接收 箱 B0001？" in asked and "箱内 1 管" in asked and 'name="confirm" value="1"' in asked
    assert Box.objects.get(pk=box.pk).state == Box.State.IN_TRANSIT  # nothing signed yet
    done = client.post(boxes, {**form, "confirm": "1"}, follow=True).content.decode()
    assert "已接收 箱 B0001，1 管。" in done
    assert Box.objects.get(pk=box.pk).state == Box.State.AT_LAB
