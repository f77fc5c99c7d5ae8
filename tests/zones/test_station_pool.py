"""The station chooses the tube by the person's zone: someone in a sealed area goes into a
single tube (the pooling rule of the zone's kind and the zone type's own size, the
smaller), refused from the open pooled tube with the reason in Chinese, online and in the
offline batch (kept as a conflict the staff may accept); the batch looks the zones up in
one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.screening.actions import station
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Conflict
from fangkong.zones import queries
from fangkong.zones.models import PoolingRule
from tests.conftest import actor_for
from tests.screening.conftest import api, cid, rnd  # noqa: F401 - the running round (pools of 3)
from tests.zones.test_rules import designate


@pytest.fixture
def rules(db):
    for kind, size in (("sealed", 1), ("controlled", 2), ("precaution", 20)):
        PoolingRule.objects.update_or_create(zone_type=kind, group="general", defaults={"pool_size": size})


def test_pool_limit_follows_zone_type_and_rule(world, presets, rules):
    w = world
    assert queries.pool_limit(w.hh101.id) is None and queries.pool_limits([w.hh101.id]) == {}
    designate(w, w.unit1, "sealed")
    designate(w, w.unit2, "controlled", number="第19号")
    one = queries.pool_limit(w.hh101.id)
    assert one == ("封控区", 1) == queries.pool_limits([w.hh101.id])[w.hh101.id]
    assert queries.pool_limits([w.hh201.id, w.other_hh.id]) == {w.hh201.id: ("管控区", 2)}
    assert queries.pool_size_for(w.hh201.id) == 2  # the scan's own rule, under the round's size
    assert queries.pool_size_for(w.hh201.id, default=1) == 1
    PoolingRule.objects.filter(zone_type="controlled").update(pool_size=50)
    assert queries.pool_limit(w.hh201.id) == ("管控区", 10)  # the zone type's own size is smaller


def test_online_scan_sends_a_sealed_person_to_a_single_tube(world, presets, rules, rnd, client):  # noqa: F811
    w = world
    designate(w, w.unit1, "sealed")
    c = client
    c.force_login(w.users.staff)
    assert api(c, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"}).status_code == 201
    r = api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                  "person": w.su.token})
    assert r.status_code == 409 and r.json()["error"]["code"] == "zone_tube"
    msg = r.json()["error"]["message"]
    assert "苏霞" in msg and "封控区" in msg and "单管" in msg and "T0001" in msg
    # someone outside the sealed unit goes into the pooled tube as before
    ok = api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                   "person": w.wang.token})
    assert ok.status_code == 200 and ok.json()["tube"]["count"] == 1
    # a single tube takes her
    api(c, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "S0001", "capacity": 1})
    one = api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "S0001",
                                                    "person": w.su.token})
    assert one.status_code == 200 and one.json()["tube"]["state"] == "sealed"


def test_a_controlled_person_needs_a_tube_of_at_most_the_rule(world, presets, rules, rnd, client):  # noqa: F811
    w = world
    designate(w, w.unit2, "controlled")
    staff = actor_for(w.users.staff)
    station.open_tube(staff, rnd, "T0003")  # pools of 3, the controlled rule says 2
    with pytest.raises(Exception) as e:
        station.scan(staff, rnd, client_id=cid(), barcode="T0003", person=w.wang.token)
    assert e.value.code == "zone_tube" and "最多2人" in str(e.value.message)
    assert e.value.outcome["pool_size"] == 2
    station.open_tube(staff, rnd, "T0002", capacity=2)
    assert station.scan(staff, rnd, client_id=cid(), barcode="T0002", person=w.wang.token)["status"] == "ok"


def test_offline_batch_keeps_the_zone_refusal_as_a_conflict_one_zone_query(world, presets, rules, rnd):  # noqa: F811
    w = world
    designate(w, w.unit1, "sealed")
    staff = actor_for(w.users.staff)
    items = [{"client_id": cid(), "type": "open", "barcode": "T0009"}]
    items += [{"client_id": cid(), "type": "scan", "barcode": "T0009", "person": p.token}
              for p in (w.su, w.yu, w.wang)]
    with CaptureQueriesContext(connection) as q:
        out = sync(staff, rnd, items)
    zone_reads = [x for x in q.captured_queries if "zones_householdzone" in x["sql"]]
    assert len(zone_reads) == 1  # the whole batch's zones in one query
    assert [o["status"] for o in out] == ["ok", "conflict", "conflict", "ok"]
    assert out[1]["kind"] == "zone_tube" and "封控区" in out[1]["message"]
    kept = Conflict.objects.filter(round=rnd, kind="zone_tube")
    assert kept.count() == 2 and all("封控区" in k.detail for k in kept)
    # the staff may accept it (the swab is in the tube already)
    c = kept.get(resident=w.su)
    assert station.resolve_conflict(staff, c, True).status == Conflict.Status.ACCEPTED
    # online, the same batch path refuses instead of keeping
    again = sync(staff, rnd, [{"client_id": cid(), "type": "scan", "barcode": "T0009",
                               "person": w.yu.token}], online=True)[0]
    assert again["status"] == "refused" and again["kind"] == "zone_tube" and again["pool_size"] == 1
