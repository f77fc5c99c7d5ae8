"""Every endpoint: wrong role, other community, malformed input → clear 4xx, nothing written."""

import json

import pytest

from fangkong.core.actor import Actor
from fangkong.screening.actions import planning, station
from fangkong.screening.models import Conflict, LabResult, Round, Sample, Tube

from .conftest import api, cid, to_lab


def _login(client, user):
    client.force_login(user)
    return client


def test_endpoints_refuse_wrong_roles_and_other_community(world, rnd, client):
    station.open_tube(Actor.system(world.users.staff), rnd, "T0001")
    scan = {"client_id": cid(), "barcode": "T0001", "person": world.su.token}
    paths = [
        ("post", f"/rounds/{rnd.id}/scan", scan),
        ("post", f"/rounds/{rnd.id}/sync", {"events": [dict(scan, type="scan")]}),
        ("post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0009"}),
        ("post", f"/rounds/{rnd.id}/tubes/T0001/seal", None),
        ("get", f"/rounds/{rnd.id}/lookup?q=苏", None),
        ("post", f"/rounds/{rnd.id}/people", {"place": world.unit1.id, "door": "909", "name": "某"}),
        ("get", f"/rounds/{rnd.id}/coverage", None),
        ("get", f"/rounds/{rnd.id}/conflicts", None),
        ("post", f"/rounds/{rnd.id}/exemptions", {"resident": world.su.id, "reason": "other", "note": "出差"}),
        ("get", f"/rounds/{rnd.id}", None),
    ]
    for who in ("other_staff", "supplier", "resident", "nobody", "volunteer"):
        c = _login(client.__class__(), getattr(world.users, who))
        for method, path, data in paths:
            r = api(c, method, path, data) if data is not None else getattr(c, method)(
                "/api/v1/screening" + path)
            assert r.status_code == 404, (who, path, r.status_code, r.content)
    # the other community's staff gets exactly what a missing round gives
    c = _login(client.__class__(), world.users.other_staff)
    assert c.get(f"/api/v1/screening/rounds/{rnd.id}").content == \
        c.get("/api/v1/screening/rounds/999999").content
    assert Sample.objects.count() == 0 and Tube.objects.count() == 1
    # leaders see coverage but may not sample
    c = _login(client.__class__(), world.users.leader)
    assert api(c, "get", f"/rounds/{rnd.id}/coverage").status_code == 200
    assert api(c, "post", f"/rounds/{rnd.id}/scan", scan).status_code == 403
    # anonymous: 401
    assert client.__class__().get(f"/api/v1/screening/rounds/{rnd.id}").status_code == 401


def test_volunteer_samples_only_in_the_round_they_are_assigned_to(world, rnd, client, system):
    c = _login(client, world.users.volunteer)
    scan = {"client_id": cid(), "barcode": "T0001", "person": world.su.token}
    assert api(c, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"}).status_code == 404
    planning.assign_sampler(system, rnd, world.point, world.users.volunteer, 2)
    assert api(c, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"}).status_code == 201
    assert api(c, "post", f"/rounds/{rnd.id}/scan", scan).status_code == 200
    # … but cannot see the coverage, the conflicts or plan anything
    assert api(c, "get", f"/rounds/{rnd.id}/coverage").status_code == 404
    assert api(c, "get", f"/rounds/{rnd.id}/conflicts").status_code == 404
    # nor sample in another round of the same community
    other = planning.plan_round(system, world.community, {
        "name": "第4轮", "starts_at": rnd.starts_at, "ends_at": rnd.ends_at, "pool_size": 10})
    assert api(c, "post", f"/rounds/{other.id}/tubes", {"barcode": "T0001"}).status_code == 404


@pytest.mark.parametrize("payload,field", [
    ({"client_id": "not-a-uuid", "barcode": "T0001", "person": "x" * 22}, "client_id"),
    ({"client_id": "b1f0c0de-0000-4000-8000-000000000001", "barcode": "T 1", "person": "x" * 22}, "barcode"),
    ({"client_id": "b1f0c0de-0000-4000-8000-000000000001", "barcode": "T0001", "person": "?"}, "person"),
    ({"client_id": "b1f0c0de-0000-4000-8000-000000000001", "barcode": "T0001",
      "person": "140106194902100531"}, "person"),  # bad check digit
])
def test_scan_rejects_malformed_input(world, rnd, client, payload, field):
    c = _login(client, world.users.staff)
    api(c, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"})
    r = api(c, "post", f"/rounds/{rnd.id}/scan", payload)
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert list(err["fields"]) == [field]
    assert err["message"] == err["fields"][field][0]  # the reason itself, not "some events…"
    assert Sample.objects.count() == 0


def test_a_malformed_event_in_a_batch_is_listed_and_the_others_are_saved(world, rnd, client):
    c = _login(client, world.users.staff)
    events = [{"client_id": cid(), "type": "open", "barcode": "T0001"},
              {"client_id": cid(), "type": "scan", "barcode": "T0001", "person": world.su.token},
              {"client_id": cid(), "type": "jump", "barcode": "T0001"}]
    r = api(c, "post", f"/rounds/{rnd.id}/sync", {"events": events})
    assert r.status_code == 200, r.content
    out = r.json()
    assert (out["ok"], out["invalid"]) == (2, 1)
    bad = out["results"][2]
    assert bad["status"] == "invalid" and bad["field"] == "type" and bad["index"] == 2
    assert bad["client_id"] == events[2]["client_id"] and bad["message"]
    assert Tube.objects.count() == 1 and Sample.objects.count() == 1 and Conflict.objects.count() == 0
    r = c.post(f"/api/v1/screening/rounds/{rnd.id}/sync", data="{not json",
               content_type="application/json")
    assert r.status_code == 400


def test_refusals_each_have_their_own_message(world, rnd, client, system):
    from fangkong.screening.models import HealthCode

    c = _login(client, world.users.staff)
    api(c, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"})
    assert api(c, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"}).status_code == 200  # resumed
    g = _login(client.__class__(), world.users.grid)
    # (an empty tube would be taken on by the grid worker's table: one with a swab is not)
    assert api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                     "person": world.wang.token}).status_code == 200
    used = api(g, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"})
    assert used.status_code == 409 and used.json()["error"]["code"] == "barcode_used"
    station.set_health_code(system, world.yu, "yellow", "checkpoint")
    r = api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                  "person": world.yu.token})
    assert r.status_code == 409 and r.json()["error"]["code"] == "single_tube"
    assert "于海涛" in r.json()["error"]["message"]
    api(c, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "S0001", "capacity": 1})
    assert api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "S0001",
                                                     "person": world.yu.token}).status_code == 200
    closed = api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "S0001",
                                                       "person": world.su.token})
    assert closed.json()["error"]["code"] == "tube_full"
    unknown = api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                        "person": "A" * 22})
    assert unknown.json()["error"]["code"] == "unknown_person"
    # someone who moved out is not "nobody": the station says so, by name (found walking
    # the demo: 李玉珍's valid code answered "查无此码")
    from fangkong.registry import actions as reg

    reg.update_resident(system, world.xia, {"presence": "moved_out"})
    gone = api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                     "person": world.xia.token})
    assert gone.status_code == 409 and gone.json()["error"]["code"] == "unknown_person"
    assert "夏明已登记为迁出" in gone.json()["error"]["message"]
    # a moved-out person of another community stays unknown here: nothing is said of them
    reg.update_resident(system, world.other_person, {"presence": "moved_out"})
    far = api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                    "person": world.other_person.token})
    assert "袁桂英" not in far.json()["error"]["message"]
    assert HealthCode.objects.count() == 1
    planning.set_status(system, rnd, "closed")
    r = api(c, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                  "person": world.su.token})
    assert r.status_code == 400 and r.json()["error"]["code"] == "round_closed"


def test_lab_results_are_all_or_nothing_and_scoped(world, rnd, client, system):
    staff = Actor.system(world.users.staff)
    _filled_and_sealed(staff, rnd, world)
    lab = _login(client, world.users.lab)
    bad = api(lab, "post", "/results", {"results": [
        {"barcode": "T0001", "result": "negative"}, {"barcode": "T9999", "result": "negative"},
        {"barcode": "T0001", "result": "maybe"}]})
    assert bad.status_code == 400
    rows = bad.json()["error"]["rows"]  # every error of every row, in one answer
    assert [(r["row"], r["column"]) for r in rows] == [(2, "barcode"), (3, "barcode"), (3, "result")]
    bad = api(lab, "post", "/results", {"results": [
        {"barcode": "T0001", "result": "negative"}, {"barcode": "T9999", "result": "negative"}]})
    assert [(r["row"], r["value"]) for r in bad.json()["error"]["rows"]] == [(2, "T9999")]
    assert LabResult.objects.count() == 0
    # staff are not a lab; a lab elsewhere does not see this round's tubes
    s = _login(client.__class__(), world.users.staff)
    assert api(s, "post", "/results", {"results": [{"barcode": "T0001", "result": "negative"}]}).status_code == 404
    from fangkong.accounts.roles import Role
    from tests.conftest import make_user

    other_lab = make_user(system, "lab_other", Role.LAB, world.other)
    o = _login(client.__class__(), other_lab)
    r = api(o, "post", "/results", {"results": [{"barcode": "T0001", "result": "positive"}]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_tubes"
    assert LabResult.objects.count() == 0 and Round.objects.count() == 1
    # the upload page rejects a file with a bad row and says which
    import io

    f = io.BytesIO("管号,结果\nT0001,阴性\nT0001,阳性\n".encode("gb18030"))
    f.name = "r.csv"
    page = lab.post("/screening/lab/", {"file": f}).content.decode()
    assert "T0001" in page and LabResult.objects.count() == 0


def test_station_api_token_auth_for_lab_systems(world, rnd, client):
    from fangkong.accounts import actions as acc

    staff = Actor.system(world.users.staff)
    _filled_and_sealed(staff, rnd, world)
    _tok, raw = acc.create_token(Actor.system(world.users.lab), "LIS")
    r = client.__class__().post("/api/v1/screening/results", data=json.dumps(
        {"results": [{"barcode": "T0001", "result": "negative", "ct_orf": "35.2"}]}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200, r.content
    assert r.json()["saved"] == 1


def _filled_and_sealed(staff, rnd, world):
    """T0001 with 苏霞's swab, sealed and received at the lab in a box (a lab takes a result
    for a sealed tube only, and a pooled tube only from a box it signed for)."""
    from fangkong.screening.models import Tube

    station.open_tube(staff, rnd, "T0001")
    station.scan(staff, rnd, client_id=cid(), barcode="T0001", person=world.su.token)
    tube = station.seal_tube(staff, Tube.objects.get(round=rnd, barcode="T0001"))
    to_lab(world, rnd, "T0001")
    return tube
