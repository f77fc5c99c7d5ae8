"""What a station batch writes, set-based: the tubes it opened (`create_tubes`), its
registrations (`insert_samples`), the tubes' counts and states (`update_tubes`) and the
communities' counters (`bump_counters`).

PostgreSQL fast paths: registrations go in by COPY straight into the table (no savepoint:
a collision rolls the batch back and `sync` applies it again through INSERT … ON
CONFLICT); new tubes' ids are reserved from the sequence and their rows COPYed once their
counts are known; the tubes' UPDATE, the counters and the audit row are sent as one text
(`defer=` then `run_writes`). Elsewhere the same steps run as plain statements.
"""

from collections import defaultdict

from django.db import IntegrityError, connection
from django.utils import timezone

from fangkong.core import bulk

from ..models import RoundCounter, Sample, Tube, TubeState

COPY_AFTER = 20  # rows; fewer go in as one INSERT … ON CONFLICT statement

TUBE_IDS_PG = ("SELECT nextval(pg_get_serial_sequence('screening_tube', 'id')) "
               "FROM generate_series(1, %s::int)")  # = bulk.allocate_ids(Tube, n), prepared


class CopyCollided(Exception):
    """The registrations' COPY hit a unique index: the batch's transaction is rolled back."""


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def run_writes(writes):
    """Run (sql, params) statements collected by `defer=` in one round trip (Django's
    PostgreSQL cursors bind on the client side, so several statements go as one text)."""
    if not writes:
        return
    with connection.cursor() as cur:
        cur.execute("; ".join(sql for sql, _p in writes), [v for _s, params in writes for v in params])


def create_tubes(tubes: list[Tube], *, write=True, ids=()):
    """Give the tubes opened by a batch their ids (the samples need them) and, if `write`,
    write them. PostgreSQL: ids reserved from the sequence (`ids`, taken with the lock,
    topped up here if short); the caller writes the rows with one
    COPY (bulk_create spent ~4 ms on 50 tubes) once their counts are known (`sync`: after
    the samples; `screening_sample.tube_id` has no database constraint). A barcode opened
    meanwhile by another station fails the batch (IntegrityError), as bulk_create did; the
    station sends it again and gets the conflict."""
    if not on_postgresql():
        Tube.objects.bulk_create(tubes)
        return
    from fangkong.core.db import prepared_cursor

    ids = list(ids[:len(tubes)])
    if len(ids) < len(tubes):
        with prepared_cursor() as cur:  # prepared: one plan for every batch
            cur.execute(TUBE_IDS_PG, [len(tubes) - len(ids)])
            ids += [row[0] for row in cur.fetchall()]
    for t, pk in zip(tubes, ids, strict=True):
        t.pk = pk
    if write:
        bulk.insert(Tube, tubes)


def insert_samples(samples: list[Sample], *, copy=True) -> set:
    """Insert, skipping rows that collide with an existing client_id or an existing
    registration of the person in the round. Returns the client_ids actually inserted.
    PostgreSQL (`copy`, a batch): a COPY straight into the table, with no savepoint; a
    collision raises `CopyCollided` and `sync` runs the batch again with `copy=False`.
    Otherwise (or for a few rows) INSERT … ON CONFLICT DO NOTHING RETURNING (through a temp
    table for many), ordered by resident so that concurrent batches lock in one order."""
    if not on_postgresql():
        return {str(c) for c in bulk.insert_ignore(Sample, samples, returning="client_id")}
    if copy and len(samples) > COPY_AFTER:
        # Usually nothing collides: COPY the rows straight into the table (in resident
        # order, so concurrent batches take the unique-index locks in one order). A
        # collision (a person or client id registered meanwhile) aborts the transaction:
        # `sync` rolls it back and applies the batch again through ON CONFLICT.
        import psycopg

        samples = sorted(samples, key=lambda s: s.resident_id)
        try:
            bulk.insert(Sample, samples)
        except (IntegrityError, psycopg.IntegrityError) as e:
            raise CopyCollided from e
        return {s.client_id for s in samples}
    return {str(c) for c in bulk.insert_ignore(Sample, samples, order_by="resident_id",
                                                returning="client_id")}


def update_tubes(tubes, start_counts, inserted, sealed_now, new_tubes, *, unwritten=False,
                 defer=None):
    """Write the tubes' new counts (from the rows actually inserted) and states; the rows
    are locked (FOR UPDATE) since the batch read them. `unwritten`: the batch's new tubes
    are not in the table yet (their final values are set here, the caller inserts them).
    `defer`: on PostgreSQL, append the statement to this list instead (see `run_writes`)."""
    added = defaultdict(int)
    for s in inserted:
        added[s.bc] += 1
    fresh = {t.barcode for t in new_tubes}
    changed = []
    for bc, t in tubes.items():
        if not t.pk:
            continue
        count = start_counts.get(bc, 0) + added.get(bc, 0)
        state = t.state
        if count >= t.capacity:
            state = TubeState.SEALED
        elif bc not in sealed_now and t.state == TubeState.SEALED and t.sealed_at and bc in fresh:
            state = TubeState.SEALED
        if count != start_counts.get(bc, 0) or bc in sealed_now or bc in fresh:
            t.count = count
            if state == TubeState.SEALED and t.sealed_at is None:
                t.sealed_at = timezone.now()
            t.state = state
            if not (unwritten and bc in fresh):
                changed.append(t)
    if not changed:
        return
    if not on_postgresql():
        for t in changed:
            Tube.objects.filter(pk=t.pk).update(count=t.count, state=t.state, sealed_at=t.sealed_at)
        return
    # one statement for all the batch's tubes
    stmt = ("UPDATE screening_tube t SET count = v.count, state = v.state, sealed_at = v.sealed_at "
            "FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::int[]) AS count, "
            "unnest(%s::text[]) AS state, unnest(%s::timestamptz[]) AS sealed_at) v "
            "WHERE t.id = v.id",
            [[t.pk for t in changed], [t.count for t in changed], [t.state for t in changed],
             [t.sealed_at for t in changed]])
    if defer is None:
        run_writes([stmt])
    else:
        defer.append(stmt)


def bump_counters(rnd, inserted, *, defer=None):
    """The communities' counters for registrations just made: done + n, and exempt - m for
    the m of them who were exempt (`.ex`; `figures`: exempt means not done)."""
    by_comm, ex_comm = defaultdict(int), defaultdict(int)
    levels = {}
    for s in inserted:
        d = s.__dict__  # plain attributes (the level columns' descriptors cost a call each)
        if d["out_of_scope"] or d["retest"]:
            continue
        comm = d["community_id"]
        by_comm[comm] += 1
        ex_comm[comm] += bool(d.get("ex", False))
        levels[comm] = (d["street_id"], d["district_id"])
    if not by_comm:
        return
    table = RoundCounter._meta.db_table
    rows = sorted(by_comm.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    update = (f"ON CONFLICT (round_id, community_id) DO UPDATE SET sampled = {table}.sampled "  # nosec B608 -- table name from the model's metadata
              f"+ excluded.sampled, exempt = {table}.exempt + excluded.exempt")
    if on_postgresql() and (len(rows) > 1 or defer is not None):
        stmt = (f"INSERT INTO {table} (round_id, community_id, street_id, district_id, expected, "
                f"exempt, sampled) SELECT %s, c, s, d, 0, -e, n FROM unnest(%s::bigint[], "
                f"%s::bigint[], %s::bigint[], %s::int[], %s::int[]) AS v(c, s, d, n, e) {update}",  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
                [rnd.id, [comm or 0 for comm, _n in rows], [levels[comm][0] for comm, _n in rows],
                 [levels[comm][1] for comm, _n in rows], [n for _comm, n in rows],
                 [ex_comm[comm] for comm, _n in rows]])
        if defer is None:
            run_writes([stmt])
        else:
            defer.append(stmt)
        return
    with connection.cursor() as cur:
        for comm, n in rows:
            st, di = levels[comm]
            cur.execute(
                f"INSERT INTO {table} (round_id, community_id, street_id, district_id, expected, "  # nosec B608 -- identifiers from the model's metadata; values bound
                f"exempt, sampled) VALUES (%s, %s, %s, %s, 0, %s, %s) {update}",
                [rnd.id, comm or 0, st, di, -ex_comm[comm], n])  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
