"""The demo community shows a round in progress. The demo is built once for the module
(`built_once`); each test runs in its own transaction over it, rolled back after."""

import pytest

from fangkong.demo import driver as demo
from fangkong.registry.models import Place
from fangkong.screening import counters, figures, queries
from fangkong.screening.models import AntigenResult, KitIssue, LabResult, Round, Sampler


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory):
    from types import SimpleNamespace

    from tests.conftest import built_once

    with built_once(django_db_blocker, tmp_path_factory,
                    lambda: SimpleNamespace(summary=demo.build())) as w:
        yield w


@pytest.fixture
def shown(built, db):
    return built


def test_demo_has_a_live_round_in_guangming(shown):
    rnd = Round.objects.get(status="running", kind="pcr")
    community = Place.objects.get(kind="community", name="光明社区")
    cov = figures.coverage(rnd, community)
    assert 0.5 < cov["sampled"] / cov["to_sample"] < 0.9
    assert cov["exempt"] >= 5 and cov["missing"] > 0
    assert LabResult.objects.filter(tube__round=rnd).exists()
    assert queries.tubes_not_at_lab(rnd)
    assert Sampler.objects.filter(round=rnd, user__username="volunteer_demo").exists()
    roll = counters.rollup(rnd, Place.objects.get(kind="district"))
    assert roll[0]["sampled"] == cov["sampled"]


def test_demo_has_an_antigen_round_going_door_to_door(shown):
    rnd = Round.objects.get(status="running", kind="antigen")
    community = Place.objects.get(kind="community", name="光明社区")
    cov = figures.coverage(rnd, community)
    assert KitIssue.objects.filter(round=rnd).count() > 10
    assert 0.05 < cov["reported"] / cov["expected"] < 0.3
    assert AntigenResult.objects.filter(round=rnd, source="door").count() == cov["reported"]
    assert Sampler.objects.filter(round=rnd, user__username="volunteer_demo").exists()
    # the demo resident's household is left to report itself
    from fangkong.accounts.models import User

    hh = User.objects.get(username="resident_demo").memberships.get().household
    assert not AntigenResult.objects.filter(round=rnd, household_id=hh.id).exists()


def test_a_demo_reset_leaves_no_testing_data_behind(shown):
    """Registrations have no database constraint (and rounds no reverse name): a reset must
    still empty them, or the next demo's round 1 would inherit the old round 1's samples."""
    from fangkong.screening.models import Sample

    assert Sample.objects.exists() and KitIssue.objects.exists()
    demo.flush()
    for model in (Round, Sample, KitIssue, AntigenResult, LabResult):
        assert not model.objects.exists(), model
