"""Found walking the demo: a sampler scans a tube (opening it), then — a mis-scan, a cracked
tube — scans another before anyone is in the first. The first stayed open and empty until
another table happened to take it. Now the same sampler opening the next tube at the same
table releases it (`actions.common.left_empty`: its row goes, its barcode is free again for
any table, audited), online and in an offline batch alike; a tube with anyone in it — a
registration, or an offline scan kept as a conflict — is never touched."""

from fangkong.audit.models import AuditEvent
from fangkong.screening.models import Tube

from .conftest import api, cid


def _at(world, table=1):
    return {"point": world.point.id, "table": table}


def _open(client, rnd, barcode, **where):
    return api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": barcode, **where})


def _batch(client, rnd, *events):
    r = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": list(events)})
    assert r.status_code == 200, r.content
    return r.json()


def _tubes(rnd):
    return dict(Tube.objects.filter(round=rnd).values_list("barcode", "count"))


def _open_tubes_listed(client, rnd) -> str:
    """The round page's "still open at the tables" part, and the end-round question."""
    page = client.get(f"/screening/rounds/{rnd.id}/").content.decode()
    listed = page.split('id="open-tubes"')[1].split("</ul>")[0] if 'id="open-tubes"' in page else ""
    ask = client.post(f"/screening/rounds/{rnd.id}/status/", {"status": "closed"}).content.decode()
    return listed, ask


def test_an_empty_tube_is_released_when_its_table_opens_the_next_online(world, rnd, client):
    client.force_login(world.users.staff)
    assert _open(client, rnd, "E0001", **_at(world)).status_code == 201
    assert _open(client, rnd, "T0001", **_at(world)).status_code == 201  # the sampler moved on
    assert _tubes(rnd) == {"T0001": 0}
    ev = AuditEvent.objects.get(action="screening.tube.release")
    assert ev.actor_id == world.users.staff.id and ev.target_id == rnd.id
    assert (ev.changes["barcode"], ev.changes["table"], ev.changes["next"]) == ("E0001", 1, "T0001")
    r = api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                       "person": world.su.token})
    assert r.status_code == 200, r.content
    # a tube with someone in it is not released: it stays open, listed on the round page and
    # named by the end-round question, as before
    assert _open(client, rnd, "T0002", **_at(world)).status_code == 201
    assert _tubes(rnd) == {"T0001": 1, "T0002": 0}
    listed, ask = _open_tubes_listed(client, rnd)
    assert "T0001" in listed and "E0001" not in listed and "T0002" not in listed
    assert "采样台还有 1 支试管未封管" in ask
    # the released barcode is free again, for any table: a new tube, not a take-over
    client.force_login(world.users.grid)
    assert _open(client, rnd, "E0001", **_at(world, 2)).status_code == 201
    assert Tube.objects.get(round=rnd, barcode="E0001").opened_by == world.users.grid
    assert not AuditEvent.objects.filter(action="screening.tube.take_over").exists()


def test_only_the_same_samplers_empty_tube_at_the_same_table_is_released(world, rnd, client):
    client.force_login(world.users.staff)
    _open(client, rnd, "A0001", **_at(world, 2))  # the staff's tube at table 2
    client.force_login(world.users.grid)
    _open(client, rnd, "B0001", **_at(world))  # the grid worker's at table 1
    client.force_login(world.users.staff)
    assert _open(client, rnd, "C0001", **_at(world)).status_code == 201  # the staff at table 1
    assert _tubes(rnd) == {"A0001": 0, "B0001": 0, "C0001": 0}
    assert _open(client, rnd, "C0002", **_at(world)).status_code == 201
    assert _tubes(rnd) == {"A0001": 0, "B0001": 0, "C0002": 0}
    # resuming an earlier tube (a reload, the right tube after all) moves on from the empty one too
    assert _open(client, rnd, "A0001", **_at(world, 2)).status_code == 200  # resumed
    assert _open(client, rnd, "C0003", **_at(world, 2)).status_code == 201
    assert _tubes(rnd) == {"B0001": 0, "C0002": 0, "C0003": 0}


def test_an_offline_batch_releases_the_empty_tube_and_a_resent_batch_leaves_the_same(world, rnd, client):
    client.force_login(world.users.staff)
    events = [{"client_id": cid(), "type": "open", "barcode": "E0001", **_at(world)},
              {"client_id": cid(), "type": "open", "barcode": "T0001", **_at(world)},
              {"client_id": cid(), "type": "scan", "barcode": "T0001", "person": world.su.token}]
    out = _batch(client, rnd, *events)
    assert out["ok"] == 3, out
    assert _tubes(rnd) == {"T0001": 1}  # E0001, opened and left in the same batch: never written
    again = _batch(client, rnd, *events)  # the answer was lost: the station sends it again
    assert again["ok"] == 3, again
    assert _tubes(rnd) == {"T0001": 1}
    assert AuditEvent.objects.filter(action="screening.sync").count() == 1
    # an empty tube of an earlier batch (or opened online) is deleted by the next open
    _batch(client, rnd, {"client_id": cid(), "type": "seal", "barcode": "T0001"},
           {"client_id": cid(), "type": "open", "barcode": "E0002", **_at(world)})
    assert _open(client, rnd, "E0003", **_at(world)).status_code == 201  # online, then offline:
    out = _batch(client, rnd, {"client_id": cid(), "type": "open", "barcode": "T0002", **_at(world)},
                 {"client_id": cid(), "type": "scan", "barcode": "T0002", "person": world.yu.token})
    assert out["ok"] == 2, out
    assert _tubes(rnd) == {"T0001": 1, "T0002": 1}
    assert AuditEvent.objects.filter(action="screening.tube.release").get().changes["barcode"] == "E0002"
    last = AuditEvent.objects.filter(action="screening.sync").order_by("id").last()
    assert last.changes["set_aside"] == ["E0003"]
    listed, ask = _open_tubes_listed(client, rnd)
    assert "T0002" in listed and not any(f"E000{i}" in listed for i in (1, 2, 3))
    assert "采样台还有 1 支试管未封管" in ask
    # the barcodes are free again, offline too
    out = _batch(client, rnd, {"client_id": cid(), "type": "open", "barcode": "E0002", **_at(world, 2)})
    assert out["results"][0]["status"] == "ok", out


def test_a_tube_holding_a_swab_kept_as_a_conflict_is_never_released(world, rnd, client):
    """Offline, a scan the server cannot register is kept as a conflict: the swab is in the
    tube though its count is 0. That tube is not empty, in the batch that made the conflict
    or in a later one, and stays open as a tube with swabs did before."""
    client.force_login(world.users.staff)
    out = _batch(client, rnd,
                 {"client_id": cid(), "type": "open", "barcode": "K0001", **_at(world)},
                 {"client_id": cid(), "type": "scan", "barcode": "K0001",
                  "person": world.other_person.token},  # outside the round's area: a conflict
                 {"client_id": cid(), "type": "open", "barcode": "K0002", **_at(world)})
    assert [o["status"] for o in out["results"]] == ["ok", "conflict", "ok"], out
    assert _tubes(rnd) == {"K0001": 0, "K0002": 0}
    out = _batch(client, rnd,
                 {"client_id": cid(), "type": "scan", "barcode": "K0002",
                  "person": world.other_person.token},
                 {"client_id": cid(), "type": "open", "barcode": "K0003", **_at(world)})
    assert _open(client, rnd, "K0004", **_at(world)).status_code == 201
    assert _tubes(rnd) == {"K0001": 0, "K0002": 0, "K0004": 0}  # K0003, empty, released
    assert [e.changes["barcode"] for e in AuditEvent.objects.filter(
        action="screening.tube.release")] == ["K0003"]


def test_tubes_opened_ahead_with_no_table_are_never_released(world, rnd, client):
    """An API client that names no table may open a box of tubes ahead on purpose (labelled
    before the queue arrives): none of them is released as 'left empty' (the production
    topology's station and the benchmarks open tubes so)."""
    client.force_login(world.users.staff)
    for code in ("P0001", "P0002", "P0003"):
        assert _open(client, rnd, code).status_code == 201
    assert _tubes(rnd) == {"P0001": 0, "P0002": 0, "P0003": 0}
    assert not AuditEvent.objects.filter(action="screening.tube.release").exists()
