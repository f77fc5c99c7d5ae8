"""core.bulk.update: what it writes back, on both databases (PostgreSQL: one UPDATE from
arrays a batch)."""

import datetime
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.core import bulk
from fangkong.screening.actions import planning
from fangkong.screening.models import Tube


def test_update_writes_each_field_of_each_row_and_nothing_else(world, system):
    now = timezone.now().replace(microsecond=123456)
    rnd = planning.plan_round(system, world.community, {
        "name": "R", "kind": "pcr", "starts_at": now, "ends_at": now + datetime.timedelta(hours=6),
        "pool_size": 10})
    make = bulk.prototype(Tube, round_id=rnd.id, barcode="", capacity=10, count=3, state="sealed",
                          district_id=rnd.district_id, street_id=rnd.street_id,
                          community_id=rnd.community_id)
    tubes = []
    for k in range(5):
        t = make()
        t.barcode, t.client_id = f"B{k}", uuid.uuid4()
        tubes.append(t)
    bulk.insert(Tube, tubes)
    tubes = list(Tube.objects.filter(round=rnd).order_by("barcode"))
    for k, t in enumerate(tubes[:4]):  # the fifth is not sent
        t.result = ["negative", "positive", "invalid", ""][k]
        t.result_at = now - datetime.timedelta(minutes=k) if k != 3 else None
        t.count = 10 + k  # not among the fields written
    with CaptureQueriesContext(connection) as ctx:
        assert bulk.update(Tube, tubes[:4], ["result", "result_at"], batch_size=3) == 4
    if connection.vendor == "postgresql":  # two batches: one statement each, a few parameters
        updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
        assert len(updates) == 2 and all("unnest(" in q for q in updates), updates
    got = {t.barcode: (t.result, t.result_at, t.count) for t in Tube.objects.filter(round=rnd)}
    assert got == {"B0": ("negative", now, 3), "B1": ("positive", now - datetime.timedelta(minutes=1), 3),
                   "B2": ("invalid", now - datetime.timedelta(minutes=2), 3), "B3": ("", None, 3),
                   "B4": ("", None, 3)}
    assert bulk.update(Tube, [], ["result"]) == 0
