"""Dorfman's pooling advisor and the planning figures, against values worked by hand."""

import pytest

from fangkong.screening import pooling
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
    assert pooling.advisor(p)["best"] == best


def test_advisor_rows_and_positive_tubes():
    rows = {r["k"]: r for r in pooling.advisor(0.01)["rows"]}
    assert rows[10]["tubes_per_1000"] == 100
    # 100 tubes, each positive with probability 1 − 0.99^10
    assert rows[10]["positive_tubes_per_1000"] == pytest.approx(100 * 0.095617924991195, abs=1e-9)
    with pytest.raises(ValueError):
        pooling.advisor(0)


def test_planning_figures_for_a_community_of_10000():
    f = pooling.figures(10_000, 10)
    assert f["tubes"] == 1000
    assert f["points"] == (4, 5)  # 10,000 / 3,000 → 4; / 2,000 → 5
    assert f["tables"] == (13, 17)  # 10,000 / 800 → 13; / 600 → 17
    assert f["samplers"] == 28  # 10,000 / 360 = 27.8


def test_unconstrained_optimum_at_one_in_ten_thousand_is_101():
    # p = 0.01 %: 0.9999^100 = 0.990049338691371, 0.9999^101 = 0.989950333757502,
    # 0.9999^102 = 0.989851338724126 →
    # E(100) = 0.01 + 1 − 0.990049338691371 = 0.019950661308629
    # E(101) = 1/101 + 1 − 0.989950333757502 = 0.019950656341508 (the smallest)
    # E(102) = 1/102 + 1 − 0.989851338724126 = 0.019952582844502
    p = 0.0001
    assert dorfman(100, p) == pytest.approx(0.019950661308629, abs=1e-12)
    assert dorfman(101, p) == pytest.approx(0.019950656341508, abs=1e-12)
    assert dorfman(102, p) == pytest.approx(0.019952582844502, abs=1e-12)
    assert pooling.optimum(p) == 101


@pytest.mark.parametrize("p,k", [(0.01, 11), (0.001, 32), (0.05, 5), (0.3, 3), (0.35, 1),
                                 (0.000001, 1001)])
def test_optimum_agrees_with_a_search_of_every_size(p, k):
    every = min(range(1, 4000), key=lambda n: (dorfman(n, p), n))
    assert pooling.optimum(p) == every == k


def test_the_cap_is_a_setting_and_the_advisor_says_so(settings):
    low = pooling.advisor(0.0001)
    assert (low["best"], low["max_pool"], low["optimum"], low["capped"]) == (50, 50, 101, True)
    assert low["optimum_tests_per_person"] == pytest.approx(0.019950656341508, abs=1e-12)
    assert max(r["k"] for r in low["rows"]) == 50
    settings.FANGKONG_MAX_POOL_SIZE = 20
    capped = pooling.advisor(0.0001)
    assert (capped["best"], capped["max_pool"], capped["optimum"]) == (20, 20, 101)
    assert pooling.advisor(0.01)["capped"] is False  # 11 fits under 20


def test_planning_refuses_pools_over_the_setting(settings):
    from fangkong.core.errors import Invalid
    from fangkong.screening.checks import check_round

    data = {"name": "第4轮", "kind": "pcr", "starts_at": "2026-04-18T07:00",
            "ends_at": "2026-04-18T14:00", "pool_size": "30"}
    assert check_round(data)["pool_size"] == 30
    settings.FANGKONG_MAX_POOL_SIZE = 20
    with pytest.raises(Invalid) as e:
        check_round(data)
    assert "20" in str(e.value.fields["pool_size"][0])


@pytest.mark.django_db
def test_advisor_page_and_api_show_the_unconstrained_figure(world, login):
    from django.urls import reverse

    client = login(world.users.staff)
    html = client.get(reverse("screening_advisor") + "?p=0.01").content.decode()
    assert "101" in html and "FANGKONG_MAX_POOL_SIZE" in html
    out = client.get("/api/v1/screening/advisor?prevalence=0.0001").json()
    assert (out["best"], out["optimum"], out["max_pool"], out["capped"]) == (50, 101, 50, True)


@pytest.mark.parametrize("p", [1e-12, 1e-300, 5e-324, 1 - 1e-16])
def test_optimum_answers_at_once_for_any_prevalence_a_client_sends(p):
    # Found by the schemathesis run: at p = 1e-300, (1−p)^k rounds to exactly 1, E(k) fell
    # forever and the search never ended (one request pinned a CPU). E(k) is now computed
    # with expm1/log1p and the search is bounded.
    import time

    start = time.monotonic()
    k = pooling.optimum(p)
    assert time.monotonic() - start < 1
    assert k >= 1
    if p < 1e-6:  # the minimum near 1/√p: E(k) at k is no more than at its neighbours
        assert dorfman(k, p) <= dorfman(k + 1, p) and dorfman(k, p) <= dorfman(k - 1, p)
