"""Dorfman's pooling advisor and the planning figures, against values worked by hand."""

import pytest

from fangkong.screening import planning
from fangkong.screening.checks import dorfman


def test_dorfman_matches_hand_computed_values():
    # 0.99^10 = 0.904382075008805 → 1/10 + 1 − 0.904382075008805
    assert dorfman(10, 0.01) == pytest.approx(0.195617924991195, abs=1e-12)
    # 0.99^11 = 0.895338254258717 → 1/11 + 1 − 0.895338254258717
    assert dorfman(11, 0.01) == pytest.approx(0.090909090909091 + 0.104661745741283, abs=1e-12)
    # 0.9^5 = 0.59049 → 0.2 + 1 − 0.59049
    assert dorfman(5, 0.1) == pytest.approx(0.60951, abs=1e-12)
    assert dorfman(1, 0.2) == 1.0  # a single tube is one test


@pytest.mark.parametrize("p,best", [(0.01, 11), (0.001, 32), (0.05, 5), (0.35, 1)])
def test_best_pool_size(p, best):
    assert planning.advisor(p)["best"] == best


def test_advisor_rows_and_positive_tubes():
    rows = {r["k"]: r for r in planning.advisor(0.01)["rows"]}
    assert rows[10]["tubes_per_1000"] == 100
    # 100 tubes, each positive with probability 1 − 0.99^10
    assert rows[10]["positive_tubes_per_1000"] == pytest.approx(100 * 0.095617924991195, abs=1e-9)
    with pytest.raises(ValueError):
        planning.advisor(0)


def test_planning_figures_for_a_community_of_10000():
    f = planning.figures(10_000, 10)
    assert f["tubes"] == 1000
    assert f["points"] == (4, 5)  # 10,000 / 3,000 → 4; / 2,000 → 5
    assert f["tables"] == (13, 17)  # 10,000 / 800 → 13; / 600 → 17
    assert f["samplers"] == 28  # 10,000 / 360 = 27.8
