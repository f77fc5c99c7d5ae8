"""settings.FANGKONG_GATE_HOLD: is a person held now by a positive test, awaiting the re-test?
The checkpoint (zones, which imports no screening: `zones.gate_rules.holds`) keeps them in.
The rule is `status.held_kinds`, the one `status.held_codes`' "held" and "held_antigen" read:
the missing list's mark, the family's page and the gate say the same."""

from .status import held_kinds


def held(resident_id: int) -> str:
    """"held" (a positive pooled tube), "held_antigen" (a positive antigen test) or "" for the
    person. One query, by the follow-ups' resident index."""
    return held_kinds([resident_id]).get(int(resident_id), "")
