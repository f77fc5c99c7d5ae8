"""(partition) the registration table partitioned by round, tried on a copy.

In a schema of its own (`bench_partition`, dropped at the end) of the topology's primary,
two copies of `screening_sample` hold the same R past rounds of the city (every resident
registered once a round, rows made from the real residents):

- `plain`: the table as the app has it (LIKE … INCLUDING ALL: the same 7 indexes, the
  unique client id over all rounds);
- `part`: PARTITION BY LIST (round_id), one partition a round, the same indexes per
  partition — except that a unique index must contain the partition key, so the client id
  is unique per round (`(round_id, client_id)`) and the primary key is `(round_id, id)`.

Figures, plain against partitioned, in the same run:
- partition.copy: COPY of one more round's rows (a whole round's registrations, rolled
  back) — the index maintenance a round's writes cost when the table holds R rounds;
- partition.coverage: registrations per community of one round (the roll-up's statement);
- partition.probe: "is this person registered in this round?" (the station's check, a
  prepared statement), per look-up;
- partition.drop_round: removing a finished round (the end-of-emergency erasure): DELETE
  against DETACH + DROP of its partition (both rolled back).
"""

import io
import time
import uuid

from django.db import connection

from .harness import figure, timed

SCHEMA = "bench_partition"
INDEXES = [  # the app's indexes on screening_sample, per partition
    "CREATE UNIQUE INDEX ON {t} (round_id, resident_id) WHERE NOT retest",
    "CREATE INDEX ON {t} (round_id, community_id)",
    "CREATE INDEX ON {t} (tube_id)",
    "CREATE INDEX ON {t} (resident_id)",
    "CREATE INDEX ON {t} (sampler_id)",
    "CREATE UNIQUE INDEX ON {t} (round_id, client_id)",
]
COLS = ("id, round_id, tube_id, resident_id, household_id, client_id, retest, out_of_scope, "
        "sampled_at, recorded_at, sampler_id, point_id, district_id, street_id, community_id, "
        "grid_id, compound_id, building_id, unit_id")


def _fill(cur, table, rnd):
    cur.execute(f"""
        INSERT INTO {SCHEMA}.{table} ({COLS.replace("id, round_id", "round_id", 1)})
        SELECT %s, r.id / 10, r.id, r.household_id, gen_random_uuid(), false,
               false, now(), now(), NULL, NULL, r.district_id, r.street_id, r.community_id,
               r.grid_id, r.compound_id, r.building_id, r.unit_id
        FROM registry_resident r""", [rnd])  # nosec B608 -- fixed names of this module


def build(cur, rounds: list[int]):
    cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}; "
                f"CREATE SEQUENCE {SCHEMA}.ids")
    cur.execute(f"CREATE TABLE {SCHEMA}.plain (LIKE screening_sample INCLUDING ALL)")
    cur.execute(f"CREATE TABLE {SCHEMA}.part (LIKE screening_sample INCLUDING DEFAULTS) "
                f"PARTITION BY LIST (round_id)")
    cur.execute(f"ALTER TABLE {SCHEMA}.part ADD PRIMARY KEY (round_id, id)")
    # plain has an identity of its own (LIKE … INCLUDING ALL); part a sequence
    cur.execute(f"ALTER TABLE {SCHEMA}.part ALTER COLUMN id SET DEFAULT nextval('{SCHEMA}.ids')")
    for sql in INDEXES:
        cur.execute(sql.format(t=f"{SCHEMA}.part"))
    for rnd in rounds:
        add_partition(cur, rnd)
        _fill(cur, "plain", rnd)
        _fill(cur, "part", rnd)
    cur.execute(f"ANALYZE {SCHEMA}.plain; ANALYZE {SCHEMA}.part")


def add_partition(cur, rnd):
    cur.execute(f"CREATE TABLE {SCHEMA}.part_{rnd} PARTITION OF {SCHEMA}.part FOR VALUES IN ({int(rnd)})")


def run(ctx):
    cfg, report = ctx.cfg, ctx.report
    n_rounds = cfg.scaled(5, 3)
    base = 900_000  # round ids of their own: nothing of the app's
    rounds = [base + k for k in range(n_rounds)]
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM registry_resident")
        people = cur.fetchone()[0]
        t = time.perf_counter()
        build(cur, rounds)
        report.add(figure("partition.data.build", [time.perf_counter() - t], "s",
                          note=f"{n_rounds} past rounds × {people:,} residents into both tables"))
        try:
            _measure(ctx, cur, rounds, people)
        finally:
            cur.execute(f"DROP SCHEMA {SCHEMA} CASCADE")


def _copy_rows(cur, rnd) -> io.StringIO:
    cur.execute("SELECT id, household_id, district_id, street_id, community_id, grid_id, compound_id, "
                "building_id, unit_id FROM registry_resident")
    buf = io.StringIO()
    for r in cur.fetchall():
        cells = [str(rnd), str(r[0] // 10), str(r[0]), str(r[1]), str(uuid.uuid4()), "f", "f",
                 "2022-04-04 08:00:00+08", "2022-04-04 08:00:01+08", r"\N", r"\N",
                 *(r"\N" if v is None else str(v) for v in r[2:])]
        buf.write("\t".join(cells) + "\n")
    return buf


def _measure(ctx, cur, rounds, people):
    cfg, report = ctx.cfg, ctx.report
    raw = connection.connection
    new = rounds[-1] + 1
    data = _copy_rows(cur, new).getvalue()
    cols = COLS.replace("id, round_id", "round_id", 1)

    def copy_into(table, partition_first):
        with raw.transaction():
            with raw.cursor() as c:
                if partition_first:
                    add_partition(c, new)
                t = time.perf_counter()
                with c.copy(f"COPY {SCHEMA}.{table} ({cols}) FROM STDIN") as cp:
                    cp.write(data)
                took = time.perf_counter() - t
                raise _Rollback(took)

    def timed_copy(table, partition_first):
        try:
            copy_into(table, partition_first)
        except _Rollback as r:
            return r.took

    reps = max(2, cfg.repeat)
    plain_s = [timed_copy("plain", False) for _ in range(reps)]
    part_s = [timed_copy("part", True) for _ in range(reps)]
    report.add(figure("partition.copy", [people / s for s in part_s], "rows/s",
                      compare=[people / s for s in plain_s], compare_name="plain table",
                      ratio_label="plain ÷ partitioned (above 1: partitioned writes faster)", invert=True,
                      note=f"COPY of one more round ({people:,} rows) into a table holding "
                           f"{len(rounds)} rounds, rolled back; partitioned: into its new partition"))

    target = rounds[len(rounds) // 2]
    q = (f"SELECT community_id, COUNT(*) FROM {SCHEMA}.{{t}} WHERE round_id = %s AND NOT retest "
         f"GROUP BY community_id")
    def rollup(table):
        cur.execute(q.format(t=table), [target])
        return cur.fetchall()

    plain = timed(lambda: rollup("plain"), reps)
    part = timed(lambda: rollup("part"), reps)
    report.add(figure("partition.coverage", part, "ms", scale=1000, compare=plain, compare_name="plain",
                      ratio_label="plain ÷ partitioned (above 1: partitioned faster)",
                      note=f"registrations per community of one round ({people:,} rows of "
                           f"{people * len(rounds):,})"))

    cur.execute("SELECT id FROM registry_resident ORDER BY random() LIMIT 500")
    ids = [r[0] for r in cur.fetchall()]

    def probes(table):
        import psycopg

        with psycopg.Cursor(raw) as c:  # server-side binding: prepared once, then run
            for rid in ids:
                c.execute(f"SELECT 1 FROM {SCHEMA}.{table} WHERE round_id = %s AND resident_id = %s "
                          f"AND NOT retest", [target, rid], prepare=True)
                c.fetchone()

    plain = timed(lambda: probes("plain"), reps)
    part = timed(lambda: probes("part"), reps)
    report.add(figure("partition.probe", [s / len(ids) for s in part], "ms", scale=1000,
                      compare=[s / len(ids) for s in plain], compare_name="plain",
                      ratio_label="plain ÷ partitioned (above 1: partitioned faster)",
                      note="one prepared look-up of a person in one round (the station's check)"))

    def drop(table):
        with raw.transaction():
            with raw.cursor() as c:
                t = time.perf_counter()
                if table == "plain":
                    c.execute(f"DELETE FROM {SCHEMA}.plain WHERE round_id = %s", [target])
                else:
                    c.execute(f"ALTER TABLE {SCHEMA}.part DETACH PARTITION {SCHEMA}.part_{target}")
                    c.execute(f"DROP TABLE {SCHEMA}.part_{target}")
                took = time.perf_counter() - t
                raise _Rollback(took)

    def timed_drop(table):
        try:
            drop(table)
        except _Rollback as r:
            return r.took

    plain = [timed_drop("plain")]
    part = [timed_drop("part")]
    report.add(figure("partition.drop_round", part, "ms", scale=1000, compare=plain, compare_name="DELETE",
                      ratio_label="DELETE ÷ DROP PARTITION",
                      note=f"removing one finished round's {people:,} registrations, rolled back"))
    cur.execute("SELECT pg_total_relation_size(%s), pg_total_relation_size(%s)",
                [f"{SCHEMA}.plain", f"{SCHEMA}.part_{target}"])
    plain_size, part_size = cur.fetchone()
    report.note(f"partition: plain table with indexes {plain_size / 2**20:,.0f} MB for {len(rounds)} rounds; "
                f"one round's partition {part_size / 2**20:,.0f} MB")


class _Rollback(Exception):
    def __init__(self, took):
        super().__init__("rolled back")
        self.took = took
