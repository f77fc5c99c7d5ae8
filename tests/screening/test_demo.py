"""The demo community shows a round in progress."""

from fangkong.demo import driver as demo
from fangkong.registry.models import Place
from fangkong.screening import counters, figures, queries
from fangkong.screening.models import AntigenResult, KitIssue, LabResult, Round, Sampler


def test_demo_has_a_live_round_in_guangming(db):
    demo.build()
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


def test_demo_has_an_antigen_round_going_door_to_door(db):
    demo.build()
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


def test_a_demo_reset_leaves_no_testing_data_behind(db):
    """Registrations have no database constraint (and rounds no reverse name): a reset must
    still empty them, or the next demo's round 1 would inherit the old round 1's samples."""
    from fangkong.screening.models import Sample

    demo.build()
    assert Sample.objects.exists() and KitIssue.objects.exists()
    demo.flush()
    for model in (Round, Sample, KitIssue, AntigenResult, LabResult):
        assert not model.objects.exists(), model
