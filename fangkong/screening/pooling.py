"""Planning arithmetic: Dorfman's pooling advisor and the NHC staffing figures.

No database here; the pages and the API pass in the numbers."""

import math

from . import checks
from .checks import dorfman

# NHC, May 2022: one sampling point per 2,000–3,000 people, one table per 600–800,
# samplers ≈ population ÷ 360.
PEOPLE_PER_POINT = (2000, 3000)
PEOPLE_PER_TABLE = (600, 800)
PEOPLE_PER_SAMPLER = 360


STEPS = 1000  # bounds the search whatever p a client sends (it needs a handful)


def optimum(p: float) -> int:
    """The pool size with the fewest expected tests per person at prevalence p, with no
    cap. E(k) falls to a minimum near 1/√p + ½, rises, and for very large k creeps back
    towards 1; the first minimum is the optimum, or 1 (one test each) when even that
    needs a test per person or more. Ties go to the smaller k. A few evaluations around
    1/√p, whatever p."""
    if not 0 < p < 1:
        raise ValueError("prevalence must lie strictly between 0 and 1")
    k = max(2, int(1 / math.sqrt(p)) - 3)
    for _step in range(STEPS):  # the start is within a few steps of the minimum
        if k > 2 and dorfman(k - 1, p) <= dorfman(k, p):
            k -= 1
        elif dorfman(k + 1, p) < dorfman(k, p):
            k += 1
        else:
            break
    return k if dorfman(k, p) < 1 else 1


def advisor(p: float, ks=None, max_pool: int | None = None) -> dict:
    """For prevalence p (0 < p < 1): per pool size k up to `max_pool` (the setting by
    default), expected tests per person E(k) = 1/k + 1 − (1−p)^k, first-stage tubes and
    expected positive tubes per 1,000 people; `best` is the k with the fewest expected
    tests within the cap (ties: the smaller k), `optimum` the k without it, with its
    `optimum_tests_per_person`; `capped` when the cap is what stops the pool growing."""
    if not 0 < p < 1:
        raise ValueError("prevalence must lie strictly between 0 and 1")
    cap = max_pool or checks.max_pool()
    ks = list(ks or range(1, cap + 1))
    rows = []
    for k in ks:
        e = dorfman(k, p)
        rows.append({"k": k, "tests_per_person": e, "tubes_per_1000": 1000 / k,
                     "positive_tubes_per_1000": (1000 / k) * (1 - (1 - p) ** k)})
    best = min(rows, key=lambda r: (r["tests_per_person"], r["k"]))["k"]
    k_opt = optimum(p)
    return {"prevalence": p, "best": best, "rows": rows, "max_pool": cap, "optimum": k_opt,
            "optimum_tests_per_person": dorfman(k_opt, p), "capped": k_opt > cap}


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
