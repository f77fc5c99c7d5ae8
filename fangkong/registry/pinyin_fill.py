"""Fill `Resident.pinyin_given` in batches, each committed alone (migration 0012 and
`manage.py fill_pinyin_given`): no lock is held over the table between batches, so the site
stays up while a million rows are filled. Works on the table by SQL, so a migration's
historical state and the current model both use it."""

from django.db import transaction

BATCH = 5000
TABLE = "registry_resident"


def fill(connection, *, only_blank=True, batch=BATCH) -> int:
    """Write `given_key(name)` into every named resident (`only_blank`: those still "" — a
    rerun continues where a stopped one left off; otherwise every row, rewriting only those
    that differ: renames made by old code). Walks the ids in order; returns rows written."""
    from fangkong.core.text import given_key

    qn = connection.ops.quote_name
    table, col = qn(TABLE), qn("pinyin_given")
    blank = f" AND {col} = ''" if only_blank else ""
    last, written = 0, 0
    while True:
        with connection.cursor() as cur:
            cur.execute(f"SELECT id, name, {col} FROM {table} WHERE id > %s AND name <> ''{blank} "  # nosec B608 -- fixed table and column names quoted by the connection; values are parameters
                        f"ORDER BY id LIMIT {int(batch)}", [last])
            rows = cur.fetchall()
        if not rows:
            return written
        last = rows[-1][0]
        changed = [(pk, key) for pk, name, old in rows if (key := given_key(name)) != old]
        if changed:
            _write(connection, table, col, changed)
            written += len(changed)


def _write(connection, table, col, changed):
    with transaction.atomic(using=connection.alias), connection.cursor() as cur:
        if connection.vendor == "postgresql":  # one set-based statement per batch
            values = ", ".join(["(%s, %s)"] * len(changed))
            cur.execute(f"UPDATE {table} AS r SET {col} = v.k FROM (VALUES {values}) AS v(id, k) "  # nosec B608 -- fixed table and column names quoted by the connection; values are parameters
                        f"WHERE r.id = v.id", [x for pair in changed for x in pair])
        else:
            cur.executemany(f"UPDATE {table} SET {col} = %s WHERE id = %s",  # nosec B608 -- fixed table and column names quoted by the connection; values are parameters
                            [(key, pk) for pk, key in changed])


def index_sql(schema_editor, model, *, drop=False) -> list[str]:
    """The statements creating (or dropping) the index `db_index=True` gives
    `pinyin_given`, by the names Django gives it: on PostgreSQL built CONCURRENTLY (reads
    and writes go on meanwhile; the migration is non-atomic), with its `_like` twin for
    prefix look-ups; elsewhere a plain CREATE INDEX."""
    qn = schema_editor.quote_name
    table = model._meta.db_table
    column = model._meta.get_field("pinyin_given").column
    plain = schema_editor._create_index_name(table, [column], suffix="")
    pg = schema_editor.connection.vendor == "postgresql"
    names = [(plain, "")] + ([(schema_editor._create_index_name(table, [column], suffix="_like"),
                               " varchar_pattern_ops")] if pg else [])
    how = " CONCURRENTLY" if pg else ""
    out = []
    for name, ops in names:
        # an earlier interrupted CONCURRENTLY build leaves an invalid index: drop it first
        out.append(f"DROP INDEX{how} IF EXISTS {qn(name)}")
        if not drop:
            out.append(f"CREATE INDEX{how} {qn(name)} ON {qn(table)} ({qn(column)}{ops})")
    return out
