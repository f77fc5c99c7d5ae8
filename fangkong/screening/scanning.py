"""The single online scan in two statements: one read, one write (`actions.station.scan`
calls this).

At 400 scans a second on two cores a scan has ~5 ms of CPU in all, and every database
round trip costs 0.25–0.55 ms here, so the batch path (`actions.sync`, a dozen set-based
queries) is too heavy for one event. Instead:

- read: ONE query gives the tube, the person (by code, ID hash or picked id), their zone's
  pool-size limit and their key group's (`zones.queries.SCAN_ZONE_JOINS`), their
  health-code colour, whether a positive test holds them (`HELD_COLUMNS`: any round), their
  registration in this round if any (with its tube and time), whether a family's home-sampling
  request lists them in it (`ASKED_COLUMN`: the request closes once the swab is committed),
  whether they are in the round's area or exempt from it, and whether this client_id was
  seen before. The tube is found by its barcode's index and the registration by the
  person's (`round_id + 0`): with statistics from before a round began, PostgreSQL took
  "this round has one row" at its word and walked every row of the round instead;
- write: ONE statement on PostgreSQL (writable CTEs, so no BEGIN/COMMIT round trips):
  lock the tube row only if it is open and not full, insert the registration
  (ON CONFLICT DO NOTHING: the unique client_id and the partial unique (round, resident)
  decide races between tables), bump the tube's count (sealing it at its pool size) and
  the round's community counter (done + 1, and exempt - 1 for someone exempt: `figures`)
  only if the row went in. SQLite runs the same three
  steps in one transaction.

The rules are the batch path's, in their one order (`refusals.refusal`). Anything unusual (a resent
client_id, a race lost between the read and the write) goes through
`actions.sync(online=True)`, which answers exactly as before.
"""

import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fangkong.core.db import prepared_cursor
from fangkong.registry.models import LEVEL_FIELDS, TOKEN_KEY_SQL, Presence
from fangkong.zones.queries import SCAN_ZONE_COLUMNS, SCAN_ZONE_JOINS, scan_limit

from .figures import EXEMPT_PRESENCE
from .models import CodeColour, HomeVisit, Sample
from .refusals import refusal as rule
from .status import OPEN_HOLD

# Held by a positive pool or antigen test, in any round: `status.held_kinds` said in SQL —
# an open follow-up (`status.OPEN_HOLD`), the newest (created_at, then id) saying whether it
# was an antigen test (no pooled tube); the follow-up's id too. Two probes of the follow-ups'
# index on the person, in the read the rules already make (no statement more).
_OPEN_HOLD = ", ".join(f"'{st}'" for st in OPEN_HOLD)  # fixed values, part of the statement
_HELD_WHERE = ("FROM screening_followup f WHERE f.resident_id = {person}.id "
               f"AND f.status IN ({_OPEN_HOLD}) "
               "ORDER BY f.created_at DESC, f.id DESC LIMIT 1")
HELD_COLUMNS = (f"(SELECT f.id {_HELD_WHERE}), "
                f"(SELECT CASE WHEN f.tube_id IS NULL THEN 1 ELSE 0 END {_HELD_WHERE})")
# Whether the family asked for the person's home sampling in this round (an open visit of a
# services request on its home list: `actions.home_request`): the registration then closes
# the visit, and the request, once committed (`home_request.swabbed`). A probe of the visits'
# unique index (round, person), in the same read (no statement more).
# The batch's read (`sync_reads`) asks the same with its own round and person: `ASKED`.
ASKED = ("EXISTS (SELECT 1 FROM screening_homevisit hv WHERE hv.round_id = {round} "  # nosec B608 - the status is a code constant, not input
         "AND hv.resident_id = {person}.id AND hv.request_id IS NOT NULL "
         f"AND hv.status = '{HomeVisit.Status.OPEN}')")
ASKED_COLUMN = ASKED.format(round="t.round_id", person="r")
# keys: checks.parse_person; a token by its key, the unique index's expression (`codes.token_key`)
PERSON_COLUMN = {"token": TOKEN_KEY_SQL % {"expressions": "r.token"}, "id": "r.id_hash",  # nosec B105 - column names, not a secret
                 "resident": "r.id"}
RED = (CodeColour.RED.value, CodeColour.YELLOW.value)
_LEVELS = ", ".join(f"r.{f}" for f in LEVEL_FIELDS)
_EXEMPT = ", ".join(f"'{p}'" for p in EXEMPT_PRESENCE)  # fixed values, part of the statement

READ = f"""
SELECT t.id, t.count, t.capacity, t.state,
       r.id, r.name, r.household_id, {_LEVELS},
       hc.colour, st.barcode, s.sampled_at, pp.name, st."table",
       EXISTS (SELECT 1 FROM screening_sample WHERE client_id = %s),
       EXISTS (SELECT 1 FROM screening_tube WHERE client_id = %s),
       EXISTS (SELECT 1 FROM screening_conflict WHERE client_id = %s),
       EXISTS (SELECT 1 FROM screening_roundarea ra WHERE ra.round_id = %s
               AND ra.place_id IN ({_LEVELS})),
       (r.presence IN ({_EXEMPT}) OR EXISTS (SELECT 1 FROM screening_exemption ex
                                             WHERE ex.round_id = %s AND ex.resident_id = r.id)),
       {HELD_COLUMNS.format(person="r")},
       {ASKED_COLUMN},
       {SCAN_ZONE_COLUMNS.format(person="r")}
FROM (SELECT 1 AS one) x
LEFT JOIN screening_tube t ON t.round_id + 0 = %s AND t.barcode = %s
LEFT JOIN registry_resident r ON {{column}} = %s AND r.presence <> %s
LEFT JOIN screening_healthcode hc ON hc.resident_id = r.id
LEFT JOIN screening_sample s ON s.round_id + 0 = %s AND s.resident_id = r.id AND s.retest = %s
LEFT JOIN screening_tube st ON st.id = s.tube_id
LEFT JOIN screening_samplingpoint sp ON sp.id = st.point_id
LEFT JOIN registry_place pp ON pp.id = sp.place_id
{SCAN_ZONE_JOINS.format(person="r")}
"""  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608

SAMPLE_COLUMNS = [*LEVEL_FIELDS, "round_id", "tube_id", "resident_id", "household_id", "client_id",
                  "retest", "out_of_scope", "sampled_at", "recorded_at", "sampler_id", "point_id"]
_CASTS = ["bigint"] * len(LEVEL_FIELDS) + ["bigint", None, "bigint", "bigint", "uuid", "boolean",
                                           "boolean", "timestamptz", "timestamptz", "bigint", None]
_SELECT = ", ".join("t.id" if c == "tube_id" else "t.point_id" if c == "point_id" else f"%s::{cast}"
                    for c, cast in zip(SAMPLE_COLUMNS, _CASTS, strict=True))
_FULL = "screening_tube.count + 1 >= screening_tube.capacity"

WRITE_PG = f"""
WITH t AS (
  SELECT id, point_id FROM screening_tube
  WHERE id = %s AND state = 'open' AND count < capacity FOR UPDATE
), s AS (
  INSERT INTO screening_sample ({", ".join(SAMPLE_COLUMNS)})
  SELECT {_SELECT} FROM t
  ON CONFLICT DO NOTHING RETURNING tube_id
), u AS (
  UPDATE screening_tube SET count = screening_tube.count + 1,
    state = CASE WHEN {_FULL} THEN 'sealed' ELSE screening_tube.state END,
    sealed_at = CASE WHEN {_FULL} THEN %s::timestamptz ELSE screening_tube.sealed_at END
  FROM s WHERE screening_tube.id = s.tube_id
  RETURNING screening_tube.count, screening_tube.capacity, screening_tube.state
), c AS (
  INSERT INTO screening_roundcounter
    (round_id, community_id, street_id, district_id, expected, exempt, sampled)
  SELECT %s::bigint, %s::bigint, %s::bigint, %s::bigint, 0, %s::int, 1 FROM s WHERE %s::boolean
  ON CONFLICT (round_id, community_id)
  DO UPDATE SET sampled = screening_roundcounter.sampled + 1,
                exempt = screening_roundcounter.exempt + excluded.exempt
)
SELECT count, capacity, state FROM u
"""  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608

TUBE_SQLITE = """
UPDATE screening_tube SET count = count + 1,
  state = CASE WHEN count + 1 >= capacity THEN 'sealed' ELSE state END,
  sealed_at = CASE WHEN count + 1 >= capacity THEN %s ELSE sealed_at END
WHERE id = %s AND state = 'open' AND count < capacity
RETURNING count, capacity, state, point_id
"""
SAMPLE_SQLITE = (f"INSERT INTO screening_sample ({', '.join(SAMPLE_COLUMNS)}) "
                 f"VALUES ({', '.join(['%s'] * len(SAMPLE_COLUMNS))}) ON CONFLICT DO NOTHING")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
COUNTER_SQLITE = """
INSERT INTO screening_roundcounter (round_id, community_id, street_id, district_id, expected,
  exempt, sampled) VALUES (%s, %s, %s, %s, 0, %s, 1)
ON CONFLICT (round_id, community_id) DO UPDATE SET sampled = screening_roundcounter.sampled + 1,
  exempt = screening_roundcounter.exempt + excluded.exempt
"""


def _uuid(value):
    return Sample._meta.get_field("client_id").get_db_prep_value(value, connection)


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def _read_dt(value):
    """A timestamp read by raw SQL: aware on PostgreSQL; naive UTC (or text) on SQLite."""
    dt = value if value is None or isinstance(value, datetime.datetime) else parse_datetime(str(value))
    return timezone.make_aware(dt, datetime.UTC) if dt is not None and timezone.is_naive(dt) else dt


def look(rnd, p) -> dict:
    """Everything the rules need about one parsed scan `p`, in one query."""
    cid = _uuid(p["client_id"])
    kind, key = p["person_kind"], p["person_key"]
    value = int(key) if kind == "resident" else key
    sql = READ.replace("{column}", PERSON_COLUMN[kind])
    with prepared_cursor() as cur:
        cur.execute(sql, [cid, cid, cid, rnd.id, rnd.id, rnd.id, p["barcode"], value, Presence.MOVED_OUT,
                          rnd.id, False])
        row = cur.fetchone()
    n = len(LEVEL_FIELDS)
    tube_id, count, capacity, state, rid, name, household_id = row[:7]
    levels = dict(zip(LEVEL_FIELDS, row[7:7 + n], strict=True))
    (colour, where_code, where_at, where_point, where_table, seen_s, seen_t, seen_c, in_area,
     exempt, held, held_antigen, asked) = row[7 + n:20 + n]
    zone = scan_limit(*row[20 + n:])
    if rid is not None and kind == "resident" and not in_area:
        rid = None  # a pick by id only finds people of the round's area (as the batch's `sync_reads`)
    return {
        "seen": bool(seen_s or seen_t or seen_c),
        "tube": None if tube_id is None else {"id": tube_id, "count": count, "capacity": capacity,
                                              "state": state},
        "person": None if rid is None else {"id": rid, "name": name, "household_id": household_id,
                                            **levels},
        "red": colour in RED,
        "sampled": None if where_code is None else (where_code, _read_dt(where_at), where_point,
                                                    where_table),
        "in_area": bool(in_area),
        "exempt": bool(exempt),  # was exempt: registering makes them done (the counter's exempt - 1)
        "zone": None if rid is None else zone,  # (zone or key group, people per tube[, key])
        # held by a positive test: (the follow-up's id, "pool" or "antigen"), or None
        "held": None if rid is None or held is None else (held, "antigen" if held_antigen else "pool"),
        # on the round's home list for a family's request (`ASKED_COLUMN`)
        "asked": rid is not None and bool(asked),
    }


def refusal(seen: dict, p) -> str | None:
    """The refusal for this scan (`refusals.refusal`: the batch path's order), or None."""
    tube = seen["tube"]
    zone = seen.get("zone")
    return rule(None if tube is None else (tube["count"], tube["capacity"], tube["state"]),
                seen["person"], seen["sampled"] is not None, seen["red"], seen["in_area"],
                p["confirm"], None if zone is None else zone[1], held=seen.get("held") is not None)


def write(rnd, p, seen, sampler_id, now) -> dict | None:
    """Register the scan; the tube's new {count, capacity, state}, or None when nothing was
    written (the tube filled or sealed, or the person or client_id registered, meanwhile)."""
    person = seen["person"]
    counted = seen["in_area"]  # out-of-scope scans (confirmed) are not counted in the round
    values = {**{f: person[f] for f in LEVEL_FIELDS}, "round_id": rnd.id, "tube_id": seen["tube"]["id"],
              "resident_id": person["id"], "household_id": person["household_id"],
              "client_id": _uuid(p["client_id"]), "retest": False,
              "out_of_scope": not seen["in_area"], "sampled_at": _dt(p["at"]),
              "recorded_at": _dt(now), "sampler_id": sampler_id, "point_id": None}
    counter = [rnd.id, person["community_id"] or 0, person["street_id"], person["district_id"],
               -1 if seen["exempt"] else 0]
    with prepared_cursor() as cur:
        if connection.vendor == "postgresql":
            params = [seen["tube"]["id"]]
            params += [values[c] for c in SAMPLE_COLUMNS if c not in ("tube_id", "point_id")]
            params += [_dt(p["at"]), *counter, counted]
            cur.execute(WRITE_PG, params)
            row = cur.fetchone()
            return None if row is None else {"count": row[0], "capacity": row[1], "state": row[2]}
        with transaction.atomic():
            cur.execute(TUBE_SQLITE, [_dt(p["at"]), seen["tube"]["id"]])
            row = cur.fetchone()
            if row is None:
                return None
            values["point_id"] = row[3]
            cur.execute(SAMPLE_SQLITE, [values[c] for c in SAMPLE_COLUMNS])
            if cur.rowcount != 1:
                transaction.set_rollback(True)
                return None
            if counted:
                cur.execute(COUNTER_SQLITE, counter)
        return {"count": row[0], "capacity": row[1], "state": row[2]}
