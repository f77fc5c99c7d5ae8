"""Walk lab, defect 6: a result was saved for a tube still with the courier, and a lab saw and
wrote the tubes of every round in its district. A tube in a box the lab has not signed for is
refused, row by row, with the reason; the tubes of a box another lab signed for are not
listed to this one, and a result for one is refused on its row ("not sent to this lab")."""

from fangkong.core.actor import Actor
from fangkong.screening import queries
from fangkong.screening.actions import lab, station
from fangkong.screening.models import Box, Tube

from ..conftest import make_user
from .conftest import cid


def _boxed(world, rnd, barcode="T0001", code="BOX1"):
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, barcode)
    station.scan(staff, rnd, client_id=cid(), barcode=barcode, person=world.su.token)
    tube = Tube.objects.get(round=rnd, barcode=barcode)
    station.seal_tube(staff, tube)
    box = lab.create_box(staff, rnd, code)
    lab.pack_tubes(staff, box, [barcode])
    lab.hand_over(staff, box, "pickup", "张三", "快递李四")
    return Box.objects.get(pk=box.pk)


def test_a_result_for_a_tube_still_with_the_courier_is_refused_with_the_reason(world, rnd):
    box = _boxed(world, rnd)
    lab_actor = Actor.system(world.users.lab)
    # the chain of custody is per row (walk "lab", 2026-12-07): this row refused, saying
    # why and what the lab itself can do (sign for the box when it is here)
    out = lab.record_results(lab_actor, [{"_row": 1, "barcode": "T0001", "result": "negative"}])
    [row] = out["refused"]
    assert out["saved"] == 0 and lab.nothing_saved(out)
    assert row["row"] == 1 and "BOX1" in row["message"] and "尚未经实验室签收" in row["message"]
    assert "请先签收" in row["message"] and not row["positive"]
    assert Tube.objects.get(barcode="T0001").result == ""
    # signed for at the lab: taken
    lab.hand_over(lab_actor, box, "lab", "快递李四", "实验室韩磊")
    assert lab.record_results(lab_actor, [{"barcode": "T0001", "result": "negative"}])["saved"] == 1


def test_another_labs_tubes_look_missing(world, rnd, system):
    box = _boxed(world, rnd)
    mine = Actor.system(world.users.lab)  # the district's lab signs for the box
    lab.hand_over(mine, box, "lab", "快递李四", "实验室韩磊")
    other_user = make_user(system, "lab_street", "lab", world.street)
    other = Actor.system(other_user)
    # (since boxes name their lab: refused on its row, "not sent to this lab", not saved)
    out = lab.record_results(other, [{"_row": 1, "barcode": "T0001", "result": "positive"}])
    assert out["saved"] == 0 and [r["row"] for r in out["refused"]] == [1]
    assert Tube.objects.get(barcode="T0001").result == ""
    assert "T0001" not in [t.barcode for t in queries.tube_results(other.scope, rnd)]
    assert "T0001" not in [t.barcode for t in queries.tubes_to_report(other.scope)]
    # the lab that signed for it sees and writes it; the other lab's positive reached the
    # community (walk "lab": held, 来源待核实), so a negative now is asked first, then lifts it
    assert "T0001" in [t.barcode for t in queries.tubes_to_report(mine.scope)]
    out = lab.record_results(mine, [{"barcode": "T0001", "result": "negative"}], confirm_changes=True)
    assert (out["saved"], out["lifted"]) == (1, 1)
