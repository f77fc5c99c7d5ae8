"""What a station batch reads at its start (`reads`), set-based: the client ids already
used (a tube's open or a kept conflict), the batch's tubes locked, and the scanned people
with their registration in the round, health-code colour, exemption, whether a positive
test holds them (`held`, as the single scan reads it) and the pool size their zone and key
group allow (`zone`: `zones.queries.pool_limit`'s answer).

On PostgreSQL the three statements go in ONE round trip (a psycopg pipeline, prepared
statements, keys sent as one text parameter, the zone's limit joined to the people as the
single scan joins it; each person's registration, health code and zone looked up through
the person's own index, person by person — `round_id + 0` keeps PostgreSQL off the indexes
that start with the round — so the read costs the batch's people and not the round's size
whatever the statistics say); elsewhere they are three ORM queries and the zones' one or two
(`zones.queries.person_limits`). So on
PostgreSQL the lock also reserves an id for every barcode opened in the batch, and the
people are read for every scan, even those the first read will show as done (a replay
wastes a few sequence numbers and reads people it then ignores).
"""

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)

from fangkong.registry.codes import token_key
from fangkong.registry.models import LEVEL_FIELDS, TOKEN_KEY_SQL, Presence, Resident, TokenKey
from fangkong.zones.queries import (
    SCAN_ZONE_COLUMNS,
    SCAN_ZONE_JOINS_LATERAL,
    person_limits,
    scan_limit,
)

from ..areas import area_q
from ..models import Conflict, Exemption, FollowUp, HealthCode, HomeVisit, Sample, Tube, TubeState
from ..scanning import ASKED, HELD_COLUMNS

HELD = (FollowUp.Status.AWAITING, FollowUp.Status.RESAMPLED)  # as `scanning.HELD_COLUMNS`

PERSON_COLUMNS = ["id", "name", "household_id", "key_group", "token", "id_hash", *LEVEL_FIELDS]


def reads(rnd, parsed, ids, opener=None):
    """(client ids done, {client id: conflict kept}, the batch's tubes locked in id order
    until the batch commits, ids reserved for the tubes it may open, {(person kind, key):
    person values}) for the parsed events `parsed` with client ids `ids`. `opener`: the
    user id of a batch that opens tubes, whose own open empty tubes are locked too (the
    ones an open may release, `common.left_empty`); each tube read says whether a conflict
    names it (`busy`)."""
    barcodes = sorted({p["barcode"] for p in parsed})
    scans = [p for p in parsed if p["type"] == "scan"]
    if connection.vendor == "postgresql":
        return _reads_pg(rnd, parsed, ids, barcodes, scans, opener)
    done, known = _seen(ids)
    locked = _lock_tubes(rnd, barcodes, opener)
    people = _people(rnd, [p for p in scans if p["client_id"] not in done and p["client_id"] not in known])
    return done, known, locked, [], people


def registered(ids) -> dict:
    """{client id (as text): (the registered person's name, the tube's id)} for those of
    these client ids that are registrations already: one query for all of them (a
    duplicate answers with the name and tube its first answer gave)."""
    name = Subquery(Resident.objects.filter(id=OuterRef("resident_id")).values("name")[:1])
    rows = (Sample.objects.filter(client_id__any_of=list(ids)).annotate(person_name=name)
            .values_list("client_id", "person_name", "tube_id"))
    return {str(c): (n or "", tube_id) for c, n, tube_id in rows}


# --- client ids seen ---------------------------------------------------------------------

def _seen(ids) -> tuple[set, dict]:
    """Client ids already used by a tube's open, and those kept as conflicts ({client_id:
    conflict}), in one query (UNION ALL of two indexed look-ups in small tables).

    Registrations (the big table) are not looked up here: a resent scan is recognised by
    the person's own registration in the round, read with the people (`s_cid`); a scan
    that would be refused or kept as a conflict is checked against the registrations
    afterwards (`registered`, rare); and any other reuse of a registered id is stopped by
    the unique client_id when the rows go in (`sync_writes.insert_samples`)."""
    blank = Value("", output_field=CharField())
    qs = (Tube.objects.filter(client_id__any_of=ids)
          .values_list("client_id", Value(0, output_field=IntegerField()), blank, blank, blank)
          .union(Conflict.objects.filter(client_id__any_of=ids).order_by()
                 .values_list("client_id", "id", "kind", "status", "barcode"), all=True))
    return _seen_rows(qs)


# Keys go as ONE text parameter split in the database (string_to_array): psycopg dumps a
# list parameter element by element in Python (~2 ms for 500 UUIDs). Tokens, ID hashes,
# resident ids and UUIDs never contain a comma.
SEEN_PG = """
WITH k AS (SELECT string_to_array(%(ids)s, ',')::uuid[] AS ids)
SELECT client_id, 0, '', '', '' FROM screening_tube, k WHERE client_id = ANY(k.ids)
UNION ALL SELECT client_id, id, kind, status, barcode FROM screening_conflict, k
WHERE client_id = ANY(k.ids)
"""


def _seen_rows(rows) -> tuple[set, dict]:
    done, known = set(), {}
    for cid, pk, kind, status, barcode in rows:
        cid = str(cid)  # the batch keeps client ids as text
        if pk:
            known[cid] = Conflict(id=pk, client_id=cid, kind=kind, status=status, barcode=barcode)
        else:
            done.add(cid)
    return done, known


# --- the batch's tubes, locked ---------------------------------------------------------------

def _lock_tubes(rnd, barcodes, opener=None) -> list[Tube]:
    which = Q(barcode__any_of=barcodes)
    if opener is not None:  # the opener's empty tubes (`common.left_empty`)
        which |= Q(opened_by_id=opener, state=TubeState.OPEN, count=0, retest=False, table__isnull=False)
    tq = (Tube.objects.filter(which, round=rnd).order_by("id")
          .annotate(busy=Exists(Conflict.objects.filter(tube_id=OuterRef("pk")))))
    if connection.features.has_select_for_update:
        tq = tq.select_for_update()
    return list(tq)


_TUBE_FIELDS = [f for f in Tube._meta.concrete_fields]
_TUBE_COLUMNS = ", ".join(f'"{f.column}"' for f in _TUBE_FIELDS)
_TUBE_NAMES = [f.attname for f in _TUBE_FIELDS]
LOCK_TUBES_PG = (
    # each barcode found through its own index (`round_id + 0`: never through an index that
    # starts with the round), then the rows locked in id order: a stale estimate ("the round
    # has a few tubes") otherwise read every tube of the round for each batch, or for each
    # barcode. With them, the opener's open empty tubes, which an open may release
    # at a named table (`common.left_empty`), through the index on the opener (none when the batch opens
    # nothing: NULL). The ids are gathered first (ARRAY(…)), so the rows are then read by
    # their primary key, never by walking it.
    f"WITH locked AS (SELECT {_TUBE_COLUMNS} FROM screening_tube WHERE id = ANY(ARRAY("
    f"SELECT id FROM screening_tube WHERE opened_by_id = %s AND round_id + 0 = %s "
    f"AND state = 'open' AND count = 0 AND NOT retest AND \"table\" IS NOT NULL UNION ALL "
    f"SELECT x.id FROM unnest(string_to_array(%s, ',')) AS b(code) CROSS JOIN LATERAL "
    f"(SELECT id FROM screening_tube WHERE barcode = b.code AND round_id + 0 = %s LIMIT 1) x)) "
    f"ORDER BY id FOR UPDATE) "
    # busy: a conflict names the tube (an offline scan's swab is in it, nobody registered)
    f"SELECT {_TUBE_COLUMNS}, CASE WHEN locked.count = 0 THEN EXISTS (SELECT 1 FROM "
    f"screening_conflict c WHERE c.tube_id = locked.id) ELSE false END, NULL::bigint FROM locked "
    f"UNION ALL SELECT {', '.join(['NULL'] * len(_TUBE_FIELDS))}, NULL::boolean, "
    f"nextval(pg_get_serial_sequence('screening_tube', 'id')) FROM generate_series(1, %s::int)")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608


def _lock_rows(rows) -> tuple[list[Tube], list[int]]:
    tubes, ids = [], []
    for row in rows:
        if row[-1] is None:
            t = Tube.from_db(connection.alias, _TUBE_NAMES, row[:-2])
            t.busy = bool(row[-2])
            tubes.append(t)
        else:
            ids.append(row[-1])
    return tubes, ids


# --- the scanned people ----------------------------------------------------------------------

def _people_keys(scans) -> tuple[set, set, set]:
    """(codes, ID-number hashes, resident ids) of these scans."""
    tokens, hashes, rids = set(), set(), set()
    for p in scans:
        kind = p["person_kind"]
        if kind == "token":
            tokens.add(p["person_key"])
        elif kind == "id":
            hashes.add(p["person_key"])
        elif kind == "resident":
            rids.add(int(p["person_key"]))
    return tokens, hashes, rids


def _people(rnd, scans) -> dict:
    """{(kind, key): resident values} for the scanned people, in one query, with their
    registration in this round if any (`s_code`: its tube, `s_at`: when) and their
    health-code colour. A pick by resident id ("r:123") only finds people in the round's
    area (it comes from the scoped search); codes and ID numbers find anyone (the person
    is standing at the table)."""
    tokens, hashes, rids = _people_keys(scans)
    if not (tokens or hashes or rids):
        return {}
    q = Q(pk__in=[])
    if tokens:  # keys (`codes.token_key`): the unique index on TokenKey("token")
        q |= Q(token_key__any_of=list(tokens))
    if hashes:
        q |= Q(id_hash__any_of=list(hashes))
    if rids:
        q |= Q(id__any_of=list(rids)) & area_q(rnd)
    out = {}
    regs = Sample.objects.filter(round=rnd, retest=False, resident_id=OuterRef("pk"))
    holds = FollowUp.objects.filter(resident_id=OuterRef("pk"), status__in=HELD).order_by("-id")
    rows = (Resident.objects.alias(token_key=TokenKey("token")).filter(q)
            .exclude(presence=Presence.MOVED_OUT).annotate(
        s_code=Subquery(regs.values("tube__barcode")[:1]),
        s_at=Subquery(regs.values("sampled_at")[:1]),
        s_cid=Subquery(regs.values("client_id")[:1]),
        s_point=Subquery(regs.values("tube__point__place__name")[:1]),
        s_table=Subquery(regs.values("tube__table")[:1]),
        colour=Subquery(HealthCode.objects.filter(resident_id=OuterRef("pk")).values("colour")[:1]),
        ex=Exists(Exemption.objects.filter(round=rnd, resident_id=OuterRef("pk"))),
        asked=Exists(HomeVisit.objects.filter(round=rnd, resident_id=OuterRef("pk"), request_id__isnull=False,
                                              status=HomeVisit.Status.OPEN)),  # as `scanning.ASKED`
        held=Subquery(holds.values("id")[:1]),
        held_antigen=Subquery(holds.annotate(antigen=Case(When(tube=None, then=Value(1)), default=Value(0),
                                                          output_field=IntegerField()))
                              .values("antigen")[:1]))
        .values(*PERSON_COLUMNS, "s_code", "s_at", "s_cid", "s_point", "s_table", "colour",
                "presence", "ex", "asked", "held", "held_antigen"))
    for row in rows:
        _held(row)
        if (key := token_key(row["token"])) in tokens:
            out[("token", key)] = row
        if row["id_hash"] in hashes:
            out[("id", row["id_hash"])] = row
        if row["id"] in rids:
            out[("resident", str(row["id"]))] = row
    if out:
        limits = person_limits((r["household_id"], r["key_group"]) for r in out.values())
        for r in out.values():
            r["zone"] = limits.get((r["household_id"], r["key_group"]))
    return out


def _held(row) -> None:
    """A person's hold as the rules read it: (the follow-up's id, "pool" or "antigen"), or
    None (`scanning.HELD_COLUMNS`)."""
    fid, antigen = row.pop("held", None), row.pop("held_antigen", None)
    row["held"] = None if fid is None else (fid, "antigen" if antigen else "pool")


_LEVELS_SQL = ", ".join(f"r.{f}" for f in LEVEL_FIELDS)
_TOKEN_KEY = TOKEN_KEY_SQL % {"expressions": "r.token"}  # the unique index's expression
# The registration's point name is a scalar subquery, asked only when a registration is found:
# joined in the lateral, PostgreSQL sorted and merge-joined the places for each person (about
# half of this read's time for a 500-event batch of people not registered yet).
PEOPLE_PG = f"""
SELECT {", ".join("r." + c for c in PERSON_COLUMNS)}, reg.barcode, reg.sampled_at, reg.client_id,
       reg.point, reg."table", hc.colour, r.presence,
       EXISTS (SELECT 1 FROM screening_exemption ex WHERE ex.round_id = %(round)s AND ex.resident_id = r.id),
       CASE WHEN r.id = ANY(%(rids)s) THEN EXISTS (
         SELECT 1 FROM screening_roundarea ra WHERE ra.round_id = %(round)s
         AND ra.place_id IN ({_LEVELS_SQL})) ELSE false END,
       {ASKED.format(round="%(round)s", person="r")},
       {HELD_COLUMNS.format(person="r")},
       {SCAN_ZONE_COLUMNS.format(person="r")}
FROM registry_resident r
LEFT JOIN LATERAL (
  SELECT st.barcode, s.sampled_at, s.client_id, st."table",
         (SELECT pp.name FROM screening_samplingpoint sp JOIN registry_place pp ON pp.id = sp.place_id
          WHERE sp.id = st.point_id) AS point
  FROM screening_sample s
  LEFT JOIN screening_tube st ON st.id = s.tube_id
  WHERE s.resident_id = r.id AND s.round_id + 0 = %(round)s AND NOT s.retest LIMIT 1) reg ON true
LEFT JOIN LATERAL (SELECT colour FROM screening_healthcode WHERE resident_id = r.id LIMIT 1) hc ON true
{SCAN_ZONE_JOINS_LATERAL.format(person="r")}
WHERE ({_TOKEN_KEY} = ANY(string_to_array(%(tokens)s, ',')) OR r.id_hash = ANY(string_to_array(%(hashes)s, ','))
       OR r.id = ANY(%(rids)s))
  AND r.presence <> %(gone)s
"""  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
_PEOPLE_KEYS = [*PERSON_COLUMNS, "s_code", "s_at", "s_cid", "s_point", "s_table", "colour",
                "presence", "ex", "in_area", "asked", "held", "held_antigen"]


def _people_params(rnd, tokens, hashes, rids) -> dict:
    return {"round": rnd.id, "tokens": ",".join(tokens), "hashes": ",".join(hashes),
            "rids": list(rids), "gone": str(Presence.MOVED_OUT)}


_N_PEOPLE_KEYS = len(_PEOPLE_KEYS)


def _people_rows(rows, tokens, hashes, rids) -> dict:
    out = {}
    n = _N_PEOPLE_KEYS
    for values in rows:
        row = dict(zip(_PEOPLE_KEYS, values, strict=False))  # the first n columns: zip stops at the keys
        # SCAN_ZONE_COLUMNS after them: no zone type and no key-group rule → no limit
        row["zone"] = None if values[n + 2] is None and values[n + 5] is None else scan_limit(*values[n:])
        _held(row)
        if (key := token_key(row["token"])) in tokens:
            out[("token", key)] = row
        if row["id_hash"] in hashes:
            out[("id", row["id_hash"])] = row
        if row["id"] in rids and row["in_area"]:
            out[("resident", str(row["id"]))] = row
    return out


# --- PostgreSQL: the three reads in one round trip ---------------------------------------------

def _reads_pg(rnd, parsed, ids, barcodes, scans, opener=None):
    from fangkong.core.db import prepared_cursor

    n_open = len({p["barcode"] for p in parsed if p["type"] == "open"})
    keys = _people_keys(scans)
    with prepared_cursor() as seen_cur, prepared_cursor() as lock_cur, prepared_cursor() as people_cur:
        with connection.connection.pipeline():
            seen_cur.execute(SEEN_PG, {"ids": ",".join(map(str, ids))})
            lock_cur.execute(LOCK_TUBES_PG, [opener, rnd.id, ",".join(barcodes), rnd.id, n_open])
            if any(keys):
                people_cur.execute(PEOPLE_PG, _people_params(rnd, *keys))
            seen_rows = seen_cur.fetchall()
            lock_rows = lock_cur.fetchall()
            people_rows = people_cur.fetchall() if any(keys) else []
    done, known = _seen_rows(seen_rows)
    locked, spare = _lock_rows(lock_rows)
    return done, known, locked, spare, _people_rows(people_rows, *keys)
