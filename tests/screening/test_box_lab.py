"""Several labs served one district (Shanghai, 2022) and results were misattributed: nothing
said which lab a box went to, so a tube signed in by a sampler or staff, or never boxed, was
writable by every lab over the area. A box now names the lab it is sent to (a lab account
serving the round's area): only that lab signs for it at the lab and writes its tubes; any
other tube is refused on its row ("不是送往本实验室的试管"), the rest of the file written; a
tube never boxed where several labs serve is no lab's; staff see where each box went."""

import pytest

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.screening.actions import lab, station
from fangkong.screening.models import Box, FollowUp, Tube

from ..conftest import make_user
from .conftest import api, cid

NOT_SENT = "不是送往本实验室的试管"


def _sealed(world, rnd, barcode, person):
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, barcode)
    station.scan(staff, rnd, client_id=cid(), barcode=barcode, person=person.token)
    station.seal_tube(staff, Tube.objects.get(round=rnd, barcode=barcode))


def _two_labs(world, system):
    """A second lab on the same district as the world's: the district has two labs."""
    return make_user(system, "lab_two", Role.LAB, world.district)


def _box(world, rnd, code, barcode, to):
    staff = Actor.system(world.users.staff)
    box = lab.create_box(staff, rnd, code, lab=to)
    lab.pack_tubes(staff, box, [barcode])
    lab.hand_over(staff, box, "pickup", "张三", "快递李四")
    return Box.objects.get(pk=box.pk)


def test_a_second_lab_cannot_sign_for_or_write_another_labs_box(world, rnd, system):
    two = _two_labs(world, system)
    _sealed(world, rnd, "T0001", world.su)
    _sealed(world, rnd, "T0002", world.yu)
    mine = _box(world, rnd, "BOX1", "T0001", world.users.lab)
    theirs = _box(world, rnd, "BOX2", "T0002", two)
    assert mine.lab == world.users.lab and theirs.lab == two
    # lab two cannot sign for the first lab's box: not found, and the box stays with the courier
    with pytest.raises(NotFound):
        lab.hand_over(Actor.system(two), mine, "lab", "快递李四", "检测员")
    assert Box.objects.get(pk=mine.pk).state == Box.State.IN_TRANSIT
    # nor may staff sign the lab's stage
    with pytest.raises(Exception) as e:
        lab.hand_over(Actor.system(world.users.staff), mine, "lab", "快递李四", "检测员")
    assert type(e.value).__name__ == "Forbidden"
    lab.hand_over(Actor.system(world.users.lab), mine, "lab", "快递李四", "检测员王五")
    lab.hand_over(Actor.system(two), theirs, "lab", "快递李四", "检测员赵六")
    # lab two's file names both tubes: its own is written, the other refused on its row
    out = lab.record_results(Actor.system(two), [{"_row": 1, "barcode": "T0001", "result": "positive"},
                                                 {"_row": 2, "barcode": "T0002", "result": "negative"}])
    assert out["saved"] == 1
    [refused] = out["refused"]
    assert refused["row"] == 1 and refused["value"] == "T0001" and NOT_SENT in refused["message"]
    assert "BOX1" in refused["message"] and "lab_op" not in refused["message"]
    assert Tube.objects.get(barcode="T0001").result == ""
    assert Tube.objects.get(barcode="T0002").result == "negative"
    # its positive reached the community all the same (walk "lab"): 苏霞 held, 来源待核实
    assert FollowUp.objects.get(resident=world.su).status == "awaiting"
    # the lab the box was sent to writes it: negative changes the reported positive, asked
    # first, then applied as a correction (the hold lifted)
    with pytest.raises(Conflict) as e:
        lab.record_results(Actor.system(world.users.lab), [{"barcode": "T0001", "result": "negative"}])
    assert e.value.code == "confirm_changes"
    out = lab.record_results(Actor.system(world.users.lab), [{"barcode": "T0001", "result": "negative"}],
                             confirm_changes=True)
    assert (out["saved"], out["lifted"]) == (1, 1)
    assert FollowUp.objects.get(resident=world.su).status == "released"


def test_a_tube_never_boxed_is_refused_to_every_lab_where_several_serve(world, rnd, system):
    two = _two_labs(world, system)
    _sealed(world, rnd, "T0001", world.su)
    for who in (world.users.lab, two):
        out = lab.record_results(Actor.system(who), [{"_row": 1, "barcode": "T0001", "result": "negative"}])
        [refused] = out["refused"]
        assert out["saved"] == 0 and NOT_SENT in refused["message"] and "没有装箱" in refused["message"]
    assert Tube.objects.get(barcode="T0001").result == ""


def test_a_box_must_name_its_lab_before_the_courier_takes_it_where_several_serve(world, rnd, system):
    two = _two_labs(world, system)
    _sealed(world, rnd, "T0001", world.su)
    staff = Actor.system(world.users.staff)
    box = lab.create_box(staff, rnd, "BOX1")
    assert box.lab is None  # two labs on the district: the sender chooses
    lab.pack_tubes(staff, box, ["T0001"])
    with pytest.raises(Invalid) as e:
        lab.hand_over(staff, box, "pickup", "张三", "快递李四")
    assert e.value.code == "no_lab"
    lab.send_box(staff, box, two.pk)
    assert AuditEvent.objects.filter(action="screening.box.send").exists()
    # a lab account that does not serve the round's area is refused
    far = make_user(system, "lab_far", Role.LAB, world.other)
    with pytest.raises(Invalid) as e:
        lab.send_box(staff, box, far.pk)
    assert "lab" in e.value.fields
    lab.hand_over(staff, Box.objects.get(pk=box.pk), "pickup", "张三", "快递李四")
    assert Box.objects.get(pk=box.pk).lab == two


def test_the_page_and_the_api_name_the_lab_and_keep_each_labs_boxes_apart(world, rnd, system, client):
    two = _two_labs(world, system)
    _sealed(world, rnd, "T0001", world.su)
    client.force_login(world.users.staff)
    page = f"/screening/rounds/{rnd.id}/boxes/"
    html = client.get(page).content.decode()
    assert 'name="lab"' in html and "lab_two" in html
    client.post(page, {"do": "create", "code": "BOX1", "lab": two.pk})
    box = Box.objects.get(round=rnd, code="BOX1")
    assert box.lab == two
    assert "送往实验室：lab_two" in client.get(page).content.decode()  # staff see where it goes
    r = client.post(page, {"do": "send", "box": box.id, "lab": world.users.lab.pk}, follow=True)
    assert Box.objects.get(pk=box.pk).lab == world.users.lab and "送往实验室：lab_op" in r.content.decode()
    # the API: the same actions
    made = api(client, "post", f"/rounds/{rnd.id}/boxes", {"code": "BOX2", "lab": two.pk})
    assert made.status_code == 201 and made.json()["lab"]["name"] == "lab_two"
    b2 = made.json()["id"]
    assert api(client, "post", f"/rounds/{rnd.id}/boxes/{b2}/tubes", {"barcodes": ["T0001"]}).json()["tubes"] == 1
    listed = api(client, "get", f"/rounds/{rnd.id}/boxes").json()
    assert {b["code"]: b["lab"]["name"] for b in listed["results"]} == {"BOX1": "lab_op", "BOX2": "lab_two"}
    assert {x["name"] for x in listed["labs"]} == {"lab_op", "lab_two"}
    handover = {"stage": "pickup", "given_by": "张三", "received_by": "快递李四"}
    assert api(client, "post", f"/rounds/{rnd.id}/boxes/{b2}/handover", handover).json()["state"] == "in_transit"
    receipt = {"stage": "lab", "given_by": "快递李四", "received_by": "检测员"}
    assert api(client, "post", f"/rounds/{rnd.id}/boxes/{b2}/handover", receipt).status_code == 403  # staff
    # the first lab sees neither lab two's box nor can sign for it
    client.force_login(world.users.lab)
    assert [b["code"] for b in api(client, "get", f"/rounds/{rnd.id}/boxes").json()["results"]] == ["BOX1"]
    assert "BOX2" not in client.get(page).content.decode()
    assert api(client, "post", f"/rounds/{rnd.id}/boxes/{b2}/handover", receipt).status_code == 404
    client.force_login(two)
    done = api(client, "post", f"/rounds/{rnd.id}/boxes/{b2}/handover", receipt)
    assert done.status_code == 200 and done.json()["state"] == "at_lab"
    # the file: lab two writes its tube; the first lab is refused on the row — nothing saved,
    # so 422 (a lab system taking any 2xx as done would drop it), the row's reason in `rows`
    client.force_login(world.users.lab)
    r = api(client, "post", "/results", {"results": [{"barcode": "T0001", "result": "negative"}]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "rows_refused"
    assert NOT_SENT in r.json()["error"]["rows"][0]["message"]
    client.force_login(two)
    assert api(client, "post", "/results", {"results": [{"barcode": "T0001", "result": "negative"}]}).json()["saved"] == 1


def test_another_community_gets_404_for_the_boxes(world, rnd, system, client):
    _sealed(world, rnd, "T0001", world.su)
    box = lab.create_box(Actor.system(world.users.staff), rnd, "BOX1")
    client.force_login(world.users.other_staff)
    assert client.get(f"/screening/rounds/{rnd.id}/boxes/").status_code == 404
    assert api(client, "get", f"/rounds/{rnd.id}/boxes").status_code == 404
    assert api(client, "post", f"/rounds/{rnd.id}/boxes/{box.id}/lab", {"lab": world.users.lab.pk}).status_code == 404
    assert api(client, "post", f"/rounds/{rnd.id}/boxes", {"code": "BOX9"}).status_code == 404
    assert Box.objects.filter(round=rnd).count() == 1
