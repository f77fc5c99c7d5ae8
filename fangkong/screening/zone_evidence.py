"""The rounds a zone's lifting rule reads (registered with `zones.evidence` at start-up):
for a place, each PCR round that sampled people under it since a time — the day it was
held, its coverage of the place (the round page's 已检/应检, `figures.coverage`, plus the
people under the place the round's areas left out), whether every tube of those people has
its result, and whether it was the place's all-negative round: everyone to test tested,
every result in, no positive tube and no follow-up still open or confirmed."""

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from fangkong.core.tree import under
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import Resident
from fangkong.zones.evidence import RoundEvidence

from . import figures
from .areas import area_q
from .models import FollowUp, Result, Round, RoundKind, Sample


def rounds_over(place, since) -> list[RoundEvidence]:
    if place.kind not in ("district", "street", "community", "grid", "compound", "building", "unit"):
        return []
    within = under(place)
    rows = (Sample.objects.filter(within, sampled_at__gte=since, retest=False, round__kind=RoundKind.PCR)
            .values("round_id", "round__name")
            .annotate(first=Min("sampled_at"), n=Count("id"),
                      pending=Count("id", filter=Q(tube__result="")),
                      positive=Count("id", filter=Q(tube__result=Result.POSITIVE))))
    rounds = Round.objects.in_bulk([r["round_id"] for r in rows])
    out = []
    for r in rows:
        rnd = rounds[r["round_id"]]
        open_followups = FollowUp.objects.filter(within, round_id=rnd.id).exclude(
            status=FollowUp.Status.RELEASED).exists()
        cov = figures.coverage(rnd, place)
        # people under the place the round was not for (its areas left them out) had to be
        # tested too: the zone's round is of everyone in it
        left_out = Resident.objects.filter(reg_queries.counts()).filter(within).exclude(area_q(rnd)).exclude(
            presence__in=figures.EXEMPT_PRESENCE).count()
        to_sample, missing = cov["to_sample"] + left_out, cov["missing"] + left_out
        finished = r["pending"] == 0
        complete = to_sample > 0 and missing == 0
        url = ""
        if cov["missing"]:
            url = f"{reverse('screening_missing', args=[rnd.id])}?place={place.id}"
        out.append(RoundEvidence(day=timezone.localdate(r["first"]), name=r["round__name"],
                                 finished=finished,
                                 all_negative=complete and finished and not r["positive"] and not open_followups,
                                 sampled=cov["sampled"], to_sample=to_sample, missing=missing,
                                 missing_url=url))
    return out
