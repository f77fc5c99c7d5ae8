"""The station's rules in their one order (`refusals.refusal`), as the single scan
(`scanning.refusal`) and the batch (`actions.sync`) both apply them, and the one place that
says "already sampled at…"."""

import datetime

from django.utils import timezone

from fangkong.screening import scanning
from fangkong.screening.models import Conflict
from fangkong.screening.refusals import explain, refusal, refused

K = Conflict.Kind
OPEN_ROOM = (2, 10, "open")  # (count, capacity, state)
PERSON = {"id": 1}


def test_each_rule_in_its_order():
    # every rule broken at once: the first one named wins, then each in turn once fixed
    assert refusal(None, None, True, True, False, False) == K.TUBE_UNKNOWN
    assert refusal((10, 10, "sealed"), None, True, True, False, False) == K.UNKNOWN_PERSON
    assert refusal((10, 10, "sealed"), PERSON, True, True, False, False) == K.ALREADY_SAMPLED
    assert refusal((10, 10, "sealed"), PERSON, False, True, False, False) == K.TUBE_FULL
    assert refusal((3, 10, "sealed"), PERSON, False, True, False, False) == K.TUBE_SEALED
    assert refusal(OPEN_ROOM, PERSON, False, True, False, False) == K.SINGLE_TUBE
    assert refusal(OPEN_ROOM, PERSON, False, False, False, False) == K.OUT_OF_SCOPE
    assert refusal(OPEN_ROOM, PERSON, False, False, False, True) is None  # confirmed
    assert refusal(OPEN_ROOM, PERSON, False, False, True, False) is None
    # a red or yellow code goes in a single tube
    assert refusal((0, 1, "open"), PERSON, False, True, True, False) is None


def test_the_single_scan_reads_its_row_into_the_same_rule():
    seen = {"tube": {"count": 10, "capacity": 10, "state": "sealed"}, "person": PERSON,
            "sampled": None, "red": False, "in_area": True}
    assert scanning.refusal(seen, {"confirm": False}) == K.TUBE_FULL
    seen["tube"] = {"count": 1, "capacity": 5, "state": "open"}
    seen["in_area"] = False
    assert scanning.refusal(seen, {"confirm": False}) == K.OUT_OF_SCOPE
    assert scanning.refusal(seen, {"confirm": True}) is None
    seen["sampled"] = ("T0001", timezone.now())
    assert scanning.refusal(seen, {"confirm": True}) == K.ALREADY_SAMPLED


def test_already_sampled_says_where_and_only_then():
    at = timezone.make_aware(datetime.datetime(2026, 4, 9, 7, 32))
    message, where = explain(K.ALREADY_SAMPLED, name="苏霞", barcode="T0002",
                             sampled=("T0001", at, "光明广场", 2))
    assert "T0001" in where and "07:32" in where and "2" in where and where in message
    assert "苏霞" in message
    # another refusal keeps nothing of an earlier registration
    message, where = explain(K.TUBE_FULL, name="苏霞", barcode="T0002", sampled=("T0001", at))
    assert where == "" and "T0002" in message
    out = refused(K.ALREADY_SAMPLED, name="苏霞", sampled=("T0001", at))
    assert out["status"] == "refused" and out["kind"] == "already_sampled" and "T0001" in out["message"]
