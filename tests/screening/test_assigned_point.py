"""Found walking a pooled PCR round: a sampler assigned to point 3, table 1 sent the whole
station's scans through `/sync` naming no point, and the round page said "No sampling point
recorded 262": per-point figures were empty for bulk and offline stations. Now a tube opened
naming no point is at the sampler's assigned point of that round (`common.assigned_point`),
one rule for the batch (offline or bulk) and the single open (page and API)."""

from fangkong.screening.actions import planning
from fangkong.screening.models import Tube

from .conftest import api, cid


def _points(rnd):
    return dict(Tube.objects.filter(round=rnd).values_list("barcode", "point_id"))


def test_a_batch_naming_no_point_records_the_samplers_assigned_point(world, rnd, client, system):
    planning.assign_sampler(system, rnd, world.point, world.users.staff, 1)
    client.force_login(world.users.staff)
    r = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": [
        {"client_id": cid(), "type": "open", "barcode": "PT0001"},
        {"client_id": cid(), "type": "scan", "barcode": "PT0001", "person": world.su.token}]})
    assert r.status_code == 200, r.content
    assert [o["status"] for o in r.json()["results"]] == ["ok", "ok"]
    assert _points(rnd) == {"PT0001": world.point.id}


def test_a_single_open_naming_no_point_records_it_too(world, rnd, client, system):
    planning.assign_sampler(system, rnd, world.point, world.users.staff, 2)
    client.force_login(world.users.staff)
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "PT0002"}).status_code == 201
    assert _points(rnd) == {"PT0002": world.point.id}


def test_no_assignment_no_point_and_a_named_point_is_kept(world, rnd, client, system):
    client.force_login(world.users.staff)  # staff sampling without a table of their own
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "PT0003"}).status_code == 201
    assert _points(rnd) == {"PT0003": None}
