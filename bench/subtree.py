"""(a) subtree: what the level columns buy.

Counts under a community, a street and the district by one indexed equality on a level
column, against the same answer found the naive way — a recursive CTE down the parent
chain, then households of those places, then their residents. Plus the app's own reads:
a building's board, a community's vulnerability list, a street's roll-up.
"""

from django.db import connection

from fangkong.core.tree import under
from fangkong.registry import queries
from fangkong.registry.models import Household, Place, Resident

from .harness import figure, timed

SUBTREE = """
WITH RECURSIVE sub(id) AS (
    SELECT id FROM {place} WHERE id = %s
    UNION ALL
    SELECT p.id FROM {place} p JOIN sub ON p.parent_id = sub.id
)
"""

LEVEL_COUNT = """
SELECT COUNT(*) FROM {resident} WHERE {level}_id = %s
"""

NAIVE_COUNT = SUBTREE + """
SELECT COUNT(*) FROM {resident} r
JOIN {household} h ON h.id = r.household_id
WHERE h.place_id IN (SELECT id FROM sub)
"""

LEVEL_VULNERABLE = """
SELECT r.id, r.name, r.tags, r.presence, h.door, pl.name FROM {resident} r
JOIN {household} h ON h.id = r.household_id
JOIN {place} pl ON pl.id = h.place_id
WHERE r.community_id = %s AND r.tags <> '' AND r.presence <> 'moved_out'
ORDER BY r.building_id, r.unit_id, h.sort_key, r.id
"""

NAIVE_VULNERABLE = SUBTREE + """
SELECT r.id, r.name, r.tags, r.presence, h.door, pl.name FROM {resident} r
JOIN {household} h ON h.id = r.household_id
JOIN {place} pl ON pl.id = h.place_id
WHERE h.place_id IN (SELECT id FROM sub) AND r.tags <> '' AND r.presence <> 'moved_out'
ORDER BY r.building_id, r.unit_id, h.sort_key, r.id
"""

LEVEL_ROLLUP = """
SELECT community_id, COUNT(*) FROM {resident} WHERE street_id = %s GROUP BY community_id
"""

NAIVE_ROLLUP = """
WITH RECURSIVE sub(id, root) AS (
    SELECT id, id FROM {place} WHERE parent_id = %s
    UNION ALL
    SELECT p.id, sub.root FROM {place} p JOIN sub ON p.parent_id = sub.id
)
SELECT sub.root, COUNT(*) FROM {resident} r
JOIN {household} h ON h.id = r.household_id
JOIN sub ON sub.id = h.place_id
GROUP BY sub.root
"""


def sql(text: str, **names) -> str:
    qn = connection.ops.quote_name
    return text.format(place=qn(Place._meta.db_table), household=qn(Household._meta.db_table),
                       resident=qn(Resident._meta.db_table), **names)


def fetch(query, params, **names):
    with connection.cursor() as cur:
        cur.execute(sql(query, **names), params)
        return cur.fetchall()


def run(ctx):
    cfg, report, city = ctx.cfg, ctx.report, ctx.city
    report.note(f"subtree: {ctx.describe()}")
    scope = ctx.staff_scope(city.community)
    r_small, r_big = cfg.scaled(20, 3), cfg.scaled(7, 2)  # samples of quick / slow queries

    for label, place, repeat in (("community", city.community, r_small),
                                 ("street", city.street, r_small),
                                 ("district", city.district, r_big)):
        n_level = fetch(LEVEL_COUNT, [place.id], level=place.kind)[0][0]
        n_naive = fetch(NAIVE_COUNT, [place.id])[0][0]
        if n_level != n_naive or n_level != Resident.objects.filter(under(place)).count():
            raise AssertionError(f"{label}: level columns count {n_level}, parent chain {n_naive}")
        report.add(figure(
            f"subtree.count.{label}",
            timed(lambda p=place: fetch(LEVEL_COUNT, [p.id], level=p.kind), repeat), "ms",
            scale=1000,
            compare=timed(lambda p=place: fetch(NAIVE_COUNT, [p.id]), repeat),
            compare_name="recursive CTE", ratio_label="CTE ÷ level column",
            extra={"residents": n_level}))

    rows_level = fetch(LEVEL_VULNERABLE, [city.community.id])
    rows_naive = fetch(NAIVE_VULNERABLE, [city.community.id])
    if sorted(rows_level) != sorted(rows_naive):
        raise AssertionError("vulnerability list: level columns and parent chain disagree")
    report.add(figure(
        "subtree.vulnerable.sql", timed(lambda: fetch(LEVEL_VULNERABLE, [city.community.id]),
                                        r_small), "ms", scale=1000,
        compare=timed(lambda: fetch(NAIVE_VULNERABLE, [city.community.id]), r_small),
        compare_name="recursive CTE", ratio_label="CTE ÷ level column",
        extra={"rows": len(rows_level)}))
    report.add(figure(
        "subtree.vulnerable.app", timed(lambda: list(queries.vulnerable(scope, city.community)),
                                        r_small), "ms", scale=1000,
        note=f"queries.vulnerable → {len(rows_level)} Resident objects"))

    if dict(fetch(LEVEL_ROLLUP, [city.street.id])) != dict(fetch(NAIVE_ROLLUP, [city.street.id])):
        raise AssertionError("street roll-up: level columns and parent chain disagree")
    report.add(figure(
        "subtree.rollup.street", timed(lambda: fetch(LEVEL_ROLLUP, [city.street.id]), r_big),
        "ms", scale=1000,
        compare=timed(lambda: fetch(NAIVE_ROLLUP, [city.street.id]), r_big),
        compare_name="recursive CTE", ratio_label="CTE ÷ level column",
        note="residents per community of one street"))
    street_scope = ctx.staff_scope(city.street)
    report.add(figure(
        "subtree.children_with_counts", timed(
            lambda: queries.children_with_counts(street_scope, city.street), r_big),
        "ms", scale=1000, note="the street page's table: households and residents per community"))
    report.add(figure(
        "subtree.place_counts", timed(lambda: queries.place_counts(city.community), r_small),
        "ms", scale=1000, note="the community page's totals"))

    board = queries.board(scope, city.building)
    people = sum(len(h.people) for _u, hhs in board for h in hhs)
    report.add(figure(
        "subtree.board", timed(lambda: queries.board(scope, city.building), r_small), "ms",
        scale=1000, note=f"{city.building.name}: {people} residents"))
