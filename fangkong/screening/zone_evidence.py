"""The rounds a zone's lifting rule reads (registered with `zones.evidence` at start-up):
for a place, each PCR round that sampled people under it since a time — the day it was
held, whether every tube of those people has its result, and whether all were negative
(no positive tube and no follow-up still open or confirmed)."""

from django.db.models import Count, Min, Q
from django.utils import timezone

from fangkong.zones.evidence import RoundEvidence

from .models import FollowUp, Result, RoundKind, Sample


def rounds_over(place, since) -> list[RoundEvidence]:
    if place.kind not in ("district", "street", "community", "grid", "compound", "building", "unit"):
        return []
    under = Q(**{f"{place.kind}_id": place.id})
    rows = (Sample.objects.filter(under, sampled_at__gte=since, retest=False, round__kind=RoundKind.PCR)
            .values("round_id", "round__name")
            .annotate(first=Min("sampled_at"), n=Count("id"),
                      pending=Count("id", filter=Q(tube__result="")),
                      positive=Count("id", filter=Q(tube__result=Result.POSITIVE))))
    out = []
    for r in rows:
        open_followups = FollowUp.objects.filter(under, round_id=r["round_id"]).exclude(
            status=FollowUp.Status.RELEASED).exists()
        finished = r["pending"] == 0
        out.append(RoundEvidence(day=timezone.localdate(r["first"]), name=r["round__name"],
                                 finished=finished,
                                 all_negative=finished and not r["positive"] and not open_followups))
    return out
