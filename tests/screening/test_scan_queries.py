"""The single-scan API stays a handful of database round trips (issue 3, Speed: p99 under
50 ms at 400 scans a second; each round trip costs 0.25–0.55 ms on the target machine).

On PostgreSQL a registered scan is 5 queries: the token (with its user), the memberships
(scope), the round (with the caller's sampler assignment), one read of everything the rules
need, and one write statement. SQLite runs the write as three statements in a savepoint."""

import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fangkong.accounts import actions as account_actions
from fangkong.core.actor import Actor
from fangkong.screening.actions import planning, sync_writes
from fangkong.screening.actions import station as station_actions
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Conflict, RoundCounter, Sample, Tube

from .conftest import cid

PG = connection.vendor == "postgresql"
# Token + user + memberships (one query), round, the read, the write (PostgreSQL); SQLite
# writes in steps: savepoint, tube, sample, counter, release.
REGISTERED = 4 if PG else 8
REFUSED = 3


def _station(user):
    _tok, raw = account_actions.create_token(Actor.system(user), "station")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _scan(client, rnd, barcode, person):
    return client.post(f"/api/v1/screening/rounds/{rnd.id}/scan", content_type="application/json",
                       data=json.dumps({"client_id": cid(), "barcode": barcode, "person": person}))


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    return response, [q["sql"] for q in ctx.captured_queries]


def test_a_scan_is_a_handful_of_queries(world, rnd, system):
    station_actions.open_tube(system, rnd, "Q0001")
    station = _station(world.users.staff)
    assert _scan(station, rnd, "Q0001", world.su.token).status_code == 200  # token's last use noted
    r, sql = _queries(lambda: _scan(station, rnd, "Q0001", world.yu.token))
    assert r.status_code == 200, r.content
    assert len(sql) == REGISTERED, "\n".join(sql)
    assert r.json()["tube"] == {"barcode": "Q0001", "count": 2, "capacity": 3, "state": "open",
                                "left": 1}
    assert not any("audit" in q or "session" in q for q in sql)


def test_a_refused_scan_writes_nothing(world, rnd, system):
    station_actions.open_tube(system, rnd, "Q0002")
    station = _station(world.users.staff)
    assert _scan(station, rnd, "Q0002", world.su.token).status_code == 200
    r, sql = _queries(lambda: _scan(station, rnd, "Q0002", world.su.token))
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_sampled"
    assert "Q0002" in r.json()["error"]["message"]
    assert len(sql) == REFUSED, "\n".join(sql)


def test_an_assigned_volunteer_scans_in_as_many_queries(world, rnd, system):
    planning.assign_sampler(system, rnd, world.point, world.users.volunteer, 1)
    station_actions.open_tube(system, rnd, "Q0003")
    station = _station(world.users.volunteer)
    assert _scan(station, rnd, "Q0003", world.su.token).status_code == 200
    r, sql = _queries(lambda: _scan(station, rnd, "Q0003", world.xia.token))
    assert r.status_code == 200, r.content
    assert len(sql) == REGISTERED, "\n".join(sql)


def test_the_last_place_seals_the_tube_and_counts_once(world, rnd, system):
    station_actions.open_tube(system, rnd, "Q0004")
    station = _station(world.users.staff)
    for p in (world.su, world.yu, world.xia):
        assert _scan(station, rnd, "Q0004", p.token).status_code == 200
    tube = Tube.objects.get(round=rnd, barcode="Q0004")
    assert (tube.count, tube.state) == (3, "sealed") and tube.sealed_at is not None
    assert Sample.objects.filter(tube=tube, point_id=None).count() == 3  # point: the tube's (none)
    full = _scan(station, rnd, "Q0004", world.wang.token)
    assert full.status_code == 409 and full.json()["error"]["code"] == "tube_full"
    assert RoundCounter.objects.get(round=rnd, community_id=world.community.id).sampled == 3


def test_a_resent_scan_is_registered_once(world, rnd, system):
    station_actions.open_tube(system, rnd, "Q0005")
    station = _station(world.users.staff)
    body = json.dumps({"client_id": cid(), "barcode": "Q0005", "person": world.su.token})
    path = f"/api/v1/screening/rounds/{rnd.id}/scan"
    first = station.post(path, data=body, content_type="application/json")
    again = station.post(path, data=body, content_type="application/json")
    assert first.status_code == again.status_code == 200
    assert again.json()["duplicate"] is True
    # the station shows who it was, as the first time (read with the person: no query more)
    assert again.json()["name"] == first.json()["name"] == "苏霞"
    assert again.json()["tube"]["barcode"] == "Q0005"
    assert Sample.objects.filter(round=rnd).count() == 1
    assert Tube.objects.get(round=rnd, barcode="Q0005").count == 1


def test_a_batch_finds_people_by_code_id_number_and_pick(world, rnd, system):
    from tests.conftest import IDS

    events = [{"client_id": cid(), "type": "open", "barcode": "Q0006", "capacity": 5},
              {"client_id": cid(), "type": "scan", "barcode": "Q0006", "person": world.su.token},
              {"client_id": cid(), "type": "scan", "barcode": "Q0006", "person": IDS["yu_haitao"]},
              {"client_id": cid(), "type": "scan", "barcode": "Q0006", "person": f"r:{world.xia.id}"},
              # a pick by id finds only people of the round's area
              {"client_id": cid(), "type": "scan", "barcode": "Q0006",
               "person": f"r:{world.other_person.id}"}]
    out = sync(Actor.system(world.users.staff), rnd, events)
    assert [o["status"] for o in out] == ["ok", "ok", "ok", "ok", "conflict"], out
    assert [o.get("name") for o in out[1:4]] == ["苏霞", "于海涛", "夏明"]
    assert out[4]["kind"] == "unknown_person"
    assert set(Sample.objects.filter(round=rnd).values_list("resident_id", flat=True)) == {
        world.su.id, world.yu.id, world.xia.id}
    again = sync(Actor.system(world.users.staff), rnd, events)
    assert [o["status"] for o in again] == ["ok", "ok", "ok", "ok", "conflict"]
    assert all(o.get("duplicate") for o in again[:4])
    assert [o.get("name") for o in again[1:4]] == ["苏霞", "于海涛", "夏明"]  # as the first time
    assert [o["tube"]["barcode"] for o in again[:4]] == ["Q0006"] * 4
    assert Tube.objects.get(round=rnd, barcode="Q0006").count == 3


def test_a_batch_copied_into_the_table_falls_back_when_an_id_is_reused(world, rnd, system, monkeypatch):
    """A client id already registered (here reused for another person) is not looked up
    beforehand: the COPY collides, the batch goes in row by row, and the reused id is
    answered as already done while the others are registered."""
    monkeypatch.setattr(sync_writes, "COPY_AFTER", 0)
    staff = Actor.system(world.users.staff)
    first = cid()
    sync(staff, rnd, [{"client_id": cid(), "type": "open", "barcode": "Q0101", "capacity": 5},
                              {"client_id": first, "type": "scan", "barcode": "Q0101",
                               "person": world.su.token}])
    out = sync(staff, rnd, [
        {"client_id": first, "type": "scan", "barcode": "Q0101", "person": world.yu.token},
        {"client_id": cid(), "type": "scan", "barcode": "Q0101", "person": world.xia.token}])
    assert [o["status"] for o in out] == ["ok", "ok"], out
    assert out[0].get("duplicate") is True and not out[1].get("duplicate")
    # the id's answer names whom it registered (苏霞, its first answer), not the new scan
    assert out[0]["name"] == "苏霞" and out[1]["name"] == "夏明"
    assert set(Sample.objects.filter(round=rnd).values_list("resident_id", flat=True)) == {
        world.su.id, world.xia.id}
    assert Tube.objects.get(round=rnd, barcode="Q0101").count == 2


def test_a_resent_scan_of_someone_since_moved_out_is_still_done(world, rnd, system):
    from fangkong.registry import actions as reg

    staff = Actor.system(world.users.staff)
    events = [{"client_id": cid(), "type": "open", "barcode": "Q0102"},
              {"client_id": cid(), "type": "scan", "barcode": "Q0102", "person": world.su.token}]
    sync(staff, rnd, events)
    reg.update_resident(system, world.su, {"presence": "moved_out"})
    more = [{"client_id": cid(), "type": "scan", "barcode": "Q0102", "person": world.yu.token},
            {"client_id": cid(), "type": "scan", "barcode": "Q0102", "person": world.xia.token}]
    sync(staff, rnd, more)
    reg.update_resident(system, world.yu, {"presence": "moved_out"})
    reg.update_resident(system, world.xia, {"presence": "moved_out"})
    with CaptureQueriesContext(connection) as ctx:
        again = sync(staff, rnd, events + more)
    assert [o["status"] for o in again] == ["ok"] * 4, again
    assert all(o.get("duplicate") for o in again)
    # named as the first time, the three found registered in one query
    assert [o.get("name") for o in again[1:]] == ["苏霞", "于海涛", "夏明"]
    assert [o["tube"]["barcode"] for o in again] == ["Q0102"] * 4
    looked_up = [q["sql"] for q in ctx.captured_queries
                 if q["sql"].startswith('SELECT "screening_sample"."client_id"')]
    assert len(looked_up) == 1, looked_up
    assert Sample.objects.filter(round=rnd).count() == 3
    assert not Conflict.objects.filter(round=rnd).exists()


def test_tubes_opened_in_a_batch_are_written_with_their_final_count_and_state(world, rnd, system):
    """New tubes go in after the registrations, with their final count and state (and the
    ids reserved with the lock); a barcode already open in the round is a conflict; a
    tube from an earlier batch is updated in place."""
    staff = Actor.system(world.users.staff)
    # (at table 1: the tubes below are opened at no table, so this one is not left empty at
    # their table — `common.left_empty` would release it)
    sync(staff, rnd, [{"client_id": cid(), "type": "open", "barcode": "Q0201", "capacity": 3,
                       "point": world.point.id, "table": 1}])
    out = sync(staff, rnd, [
        {"client_id": cid(), "type": "open", "barcode": "Q0202", "capacity": 2},
        {"client_id": cid(), "type": "scan", "barcode": "Q0202", "person": world.su.token},
        {"client_id": cid(), "type": "scan", "barcode": "Q0202", "person": world.yu.token},
        {"client_id": cid(), "type": "open", "barcode": "Q0203", "capacity": 3},
        {"client_id": cid(), "type": "scan", "barcode": "Q0203", "person": world.xia.token},
        {"client_id": cid(), "type": "open", "barcode": "Q0201"},  # opened before: a conflict
        {"client_id": cid(), "type": "seal", "barcode": "Q0203"}])
    assert [o["status"] for o in out] == ["ok", "ok", "ok", "ok", "ok", "conflict", "ok"], out
    assert out[5]["kind"] == "barcode_used"
    full, sealed, empty = (Tube.objects.get(round=rnd, barcode=b) for b in ("Q0202", "Q0203", "Q0201"))
    assert (full.count, full.state, full.sealed_at is not None) == (2, "sealed", True)
    assert (sealed.count, sealed.state, sealed.sealed_at is not None) == (1, "sealed", True)
    assert (empty.count, empty.state) == (0, "open")
    assert out[2]["tube"] == {"barcode": "Q0202", "count": 2, "capacity": 2, "state": "sealed", "left": 0}
    assert set(Sample.objects.filter(tube=full).values_list("resident_id", flat=True)) == {
        world.su.id, world.yu.id}
    assert Sample.objects.get(tube=sealed).resident_id == world.xia.id
    # a later batch fills the tube of the first one in place
    more = sync(staff, rnd, [{"client_id": cid(), "type": "scan", "barcode": "Q0201",
                                      "person": world.wang.token}])
    assert more[0]["status"] == "ok", more
    empty.refresh_from_db()
    assert (empty.count, empty.state) == (1, "open")
    assert more[0]["tube"]["count"] == 1


def _scans_of(plan: str, table: str) -> list[str]:
    """Each plan node reading `table`, with its detail lines (conditions, filters)."""
    lines, out = plan.splitlines(), []
    for i, line in enumerate(lines):
        if f" on {table} " in line or line.rstrip().endswith(f" on {table}"):
            indent = len(line) - len(line.lstrip(" ->"))
            block = [line]
            for nxt in lines[i + 1:]:
                if "->" in nxt or len(nxt) - len(nxt.lstrip()) < indent:
                    break
                block.append(nxt)
            out.append("\n".join(block))
    return out


def _index_conds(node: str) -> str:
    return "\n".join(line for line in node.splitlines() if "Index Cond" in line)


def _by(node: str, key: str) -> bool:
    """This read is driven by `key` (an index condition or a filter on it, as a tiny table is
    read here), and never walks an index by the round (`round_id + 0` keeps it off them)."""
    return key in node and "round_id" not in _index_conds(node)


@pytest.mark.postgres
def test_a_batch_reads_each_person_and_tube_by_index_whatever_the_statistics_say(world, rnd, system):
    """Statistics taken while a round was new say it has no registrations and no tubes. The
    batch's reads then walked every registration and tube of the round for each batch (a
    hash of the round's rows), then, once made per person, for each person (an index that
    starts with the round, the person as a filter): a 200,000-person district's batches of
    500 slowed from 25 ms to 215 ms as its round filled, and with 8 stations at once the
    people read took 838 ms (docs/benchmarks.md). Each scanned person's registration, health
    code and zone, and each barcode's tube, are found through an index on the person (r.id,
    their household) or the barcode (b.code); the single scan's read likewise."""
    import psycopg

    from fangkong.registry import codes
    from fangkong.screening import scanning
    from fangkong.screening.actions import sync_reads

    if not PG:
        pytest.skip("PostgreSQL only")
    # 苏霞 sampled in 300 earlier rounds: her registrations outnumber this round's as the
    # statistics see them, as a city's past rounds outnumber a new round's
    from django.utils import timezone

    from fangkong.core import bulk

    past = bulk.prototype(Sample, round_id=0, tube_id=0, resident_id=world.su.id,
                          household_id=world.su.household_id, sampled_at=timezone.now(),
                          recorded_at=timezone.now(),
                          **{f: getattr(world.su, f) for f in ("district_id", "street_id", "community_id")})
    rows = []
    for k in range(300):
        row = past()
        row.round_id, row.client_id = 100_000 + k, uuid.uuid4()
        rows.append(row)
    bulk.insert(Sample, rows)
    with connection.cursor() as cur:  # statistics from before the round's first scans
        cur.execute("ANALYZE screening_sample; ANALYZE screening_tube; ANALYZE screening_healthcode; "
                    "ANALYZE zones_householdzone")
    out = sync(Actor.system(world.users.staff), rnd, [
        {"client_id": cid(), "type": "open", "barcode": "Q0009", "capacity": 5},
        {"client_id": cid(), "type": "scan", "barcode": "Q0009", "person": world.su.token},
        {"client_id": cid(), "type": "scan", "barcode": "Q0009", "person": world.yu.token}])
    assert [o["status"] for o in out] == ["ok", "ok", "ok"], out
    tokens = {codes.token_key(world.su.token), codes.token_key(world.yu.token), codes.token_key(world.xia.token)}
    one = scanning.READ.replace("{column}", scanning.PERSON_COLUMN["token"])
    with connection.cursor() as cur:
        raw = psycopg.ClientCursor(cur.connection)

        def plan(sql, params):
            raw.execute("EXPLAIN " + sql, params)
            return "\n".join(r[0] for r in raw.fetchall())

        single = plan(one, [cid(), cid(), cid(), rnd.id, rnd.id, rnd.id, "Q0009", codes.token_key(world.su.token),
                            "moved_out", rnd.id, False])
        raw.execute("SET LOCAL enable_seqscan = off")  # as at scale: these tables are not read whole
        people = plan(sync_reads.PEOPLE_PG, sync_reads._people_params(rnd, tokens, set(), set()))
        single_at_scale = plan(one, [cid(), cid(), cid(), rnd.id, rnd.id, rnd.id, "Q0009",
                                     codes.token_key(world.su.token), "moved_out", rnd.id, False])
        # (the batch's opener: their own open empty tubes are read too, `common.left_empty`)
        lock = plan(sync_reads.LOCK_TUBES_PG, [world.users.staff.id, rnd.id, "Q0009,Q0010", rnd.id, 1])
    # (screening_followup: whether a positive test holds the person, `scanning.HELD_COLUMNS`,
    # found through the follow-ups' index on the person — in the same read, no statement more)
    for table, key in (("screening_sample", "r.id"), ("screening_healthcode", "r.id"),
                       ("zones_householdzone", "r.household_id"), ("screening_followup", "r.id")):
        nodes = _scans_of(people, table)
        assert nodes and all(_by(node, key) for node in nodes), (table, people)
    nodes = _scans_of(lock, "screening_tube screening_tube_1")  # the look-up by barcode
    assert nodes and all(_by(node, "b.code") for node in nodes), lock
    nodes = [n for n in _scans_of(lock, "screening_tube") if "opened_by" in n]  # the opener's
    assert nodes and all(_by(node, "opened_by_id") for node in nodes), lock  # empty tubes
    rows = [n for n in _scans_of(lock, "screening_tube") if "pkey" in n]  # the rows locked:
    assert rows and all("Index Cond: (id = ANY" in n for n in rows), lock  # by id, never a walk
    # the person by their code: through the unique index on its key (`codes.token_key`,
    # look-alikes folded), the raw SQL's expression being the index's own
    for text in (people, single_at_scale):
        assert "resident_token_key" in text, text
    # the single scan's read: one person, one tube; never an index walked by the round
    nodes = _scans_of(single, "screening_sample s") + _scans_of(single, "screening_tube t")
    assert len(nodes) == 2 and all("round_id" not in _index_conds(node) for node in nodes), single
    nodes = _scans_of(single, "screening_followup f")  # the hold: by the person
    assert nodes and all(_by(node, "r.id") for node in nodes), single
    # and the read still answers what it did
    found = sync_reads._reads_pg(rnd, [{"type": "scan", "barcode": "Q0009"}], [], ["Q0009"],
                                 [{"person_kind": "token", "person_key": t} for t in tokens])[4]
    assert {row["name"]: row["s_code"] for row in found.values()} == {"苏霞": "Q0009", "于海涛": "Q0009",
                                                                      "夏明": None}
