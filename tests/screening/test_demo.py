"""The demo community shows a round in progress."""

from fangkong.registry import demo
from fangkong.registry.models import Place
from fangkong.screening import queries
from fangkong.screening.models import LabResult, Round, Sampler


def test_demo_has_a_live_round_in_guangming(db):
    demo.build()
    rnd = Round.objects.get(status="running")
    community = Place.objects.get(kind="community", name="光明社区")
    cov = queries.coverage(rnd, community)
    assert 0.5 < cov["sampled"] / cov["to_sample"] < 0.9
    assert cov["exempt"] >= 5 and cov["missing"] > 0
    assert LabResult.objects.filter(tube__round=rnd).exists()
    assert queries.tubes_not_at_lab(rnd)
    assert Sampler.objects.filter(round=rnd, user__username="volunteer_demo").exists()
    roll = queries.rollup(rnd, Place.objects.get(kind="district"))
    assert roll[0]["sampled"] == cov["sampled"]
