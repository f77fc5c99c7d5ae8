"""settings.FANGKONG_GATE_HOLD: is a person held now by a positive test, awaiting the re-test?
The checkpoint (zones, which imports no screening: `zones.gate_rules.holds`) keeps them in.
The same rule as `status.held_codes`' "held" and "held_antigen" (a follow-up still awaiting or
re-sampled): the missing list's mark, the family's page and the gate say the same."""

from .models import FollowUp

OPEN = (FollowUp.Status.AWAITING, FollowUp.Status.RESAMPLED)


def held(resident_id: int) -> str:
    """"held" (a positive pooled tube), "held_antigen" (a positive antigen test) or "" for the
    person. One query, by the follow-up's resident index."""
    row = FollowUp.objects.filter(resident_id=resident_id, status__in=OPEN) \
        .values_list("tube_id", flat=True).order_by("-created_at")[:1]
    found = list(row)
    if not found:
        return ""
    return "held" if found[0] else "held_antigen"
