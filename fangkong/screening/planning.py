"""Planning arithmetic: Dorfman's pooling advisor and the NHC staffing figures.

No database here; the pages and the API pass in the numbers."""

import math

from .checks import MAX_POOL, dorfman

# NHC, May 2022: one sampling point per 2,000–3,000 people, one table per 600–800,
# samplers ≈ population ÷ 360.
PEOPLE_PER_POINT = (2000, 3000)
PEOPLE_PER_TABLE = (600, 800)
PEOPLE_PER_SAMPLER = 360


def advisor(p: float, ks=None) -> dict:
    """For prevalence p (0 < p < 1): per pool size k, expected tests per person
    E(k) = 1/k + 1 − (1−p)^k, first-stage tubes and expected positive tubes per 1,000
    people; `best` is the k with the fewest expected tests (ties: the smaller k)."""
    if not 0 < p < 1:
        raise ValueError("prevalence must lie strictly between 0 and 1")
    ks = list(ks or range(1, MAX_POOL + 1))
    rows = []
    for k in ks:
        e = dorfman(k, p)
        rows.append({"k": k, "tests_per_person": e, "tubes_per_1000": 1000 / k,
                     "positive_tubes_per_1000": (1000 / k) * (1 - (1 - p) ** k)})
    best = min(rows, key=lambda r: (r["tests_per_person"], r["k"]))["k"]
    return {"prevalence": p, "best": best, "rows": rows}


def figures(people: int, pool_size: int) -> dict:
    """What a round of `people` needs: tubes at `pool_size`, points, tables, samplers
    (ranges from the NHC figures)."""
    people = max(0, int(people))
    k = max(1, int(pool_size))
    return {
        "people": people,
        "pool_size": k,
        "tubes": math.ceil(people / k),
        "points": (math.ceil(people / PEOPLE_PER_POINT[1]), math.ceil(people / PEOPLE_PER_POINT[0])),
        "tables": (math.ceil(people / PEOPLE_PER_TABLE[1]), math.ceil(people / PEOPLE_PER_TABLE[0])),
        "samplers": math.ceil(people / PEOPLE_PER_SAMPLER),
    }
