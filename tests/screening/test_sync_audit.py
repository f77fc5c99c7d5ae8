"""A station's batch leaves one audit event (on PostgreSQL written in the same round trip as
the counts, `audit.actions.record(defer=...)`), a replay of it none; and the hot statements
(token authentication, the batch's reads) are really prepared on PostgreSQL, so that
PostgreSQL keeps their plans."""

import json

import pytest
from django.db import connection

from fangkong.accounts import actions as account_actions
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.screening.models import RoundCounter, Sample, Tube

from .conftest import cid


def _batch(world):
    events = [{"client_id": cid(), "type": "open", "barcode": "T0001"}]
    events += [{"client_id": cid(), "type": "scan", "barcode": "T0001", "person": p.token}
               for p in (world.su, world.yu)]
    return json.dumps({"events": events})


def _station(world, client, rnd):
    _tok, raw = account_actions.create_token(Actor.system(world.users.staff), "station 1")
    body = _batch(world)
    return lambda: client.post(f"/api/v1/screening/rounds/{rnd.id}/sync", data=body,
                               content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_batch_writes_one_audit_event_and_its_replay_none(world, rnd, client):
    post = _station(world, client, rnd)
    r = post()
    assert r.status_code == 200, r.content
    assert (r.json()["ok"], r.json()["conflicts"], r.json()["refused"]) == (3, 0, 0)
    ev = AuditEvent.objects.get(action="screening.sync")
    assert ev.actor_id == world.users.staff.id and ev.via == "api"
    assert ev.target_type == "round" and ev.target_id == rnd.id
    assert ev.changes == {"samples": 2, "conflicts": 0, "tubes": 1, "events": 3}
    assert (ev.district_id, ev.community_id) == (world.district.id, world.community.id)
    assert RoundCounter.objects.get(round=rnd, community_id=world.community.id).sampled == 2
    assert Tube.objects.get(round=rnd, barcode="T0001").count == 2

    again = post()  # the network cut the answer off; the station sends the batch again
    assert again.status_code == 200
    assert all(o["status"] == "ok" and o["duplicate"] for o in again.json()["results"])
    assert AuditEvent.objects.filter(action="screening.sync").count() == 1
    assert Sample.objects.filter(round=rnd).count() == 2
    assert RoundCounter.objects.get(round=rnd, community_id=world.community.id).sampled == 2


@pytest.mark.postgres
def test_hot_statements_are_prepared_on_postgresql(world, rnd, client):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    post = _station(world, client, rnd)
    assert post().status_code == 200
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [" ".join(row[0].split()) for row in cur.fetchall()]
    assert any("accounts_apitoken" in s for s in prepared), prepared  # token auth
    assert any("screening_conflict" in s and "string_to_array" in s for s in prepared)  # ids seen
    assert any("FROM registry_resident r" in s for s in prepared)  # the scanned people
