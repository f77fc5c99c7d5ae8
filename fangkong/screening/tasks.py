"""Background work of the screening app, on the DB worker's recovery pass (`recover_screening`
in FANGKONG_RECOVERY, every FANGKONG_RECOVER_SECONDS): staff told of holds overdue (no
single re-test result FANGKONG_HOLD_OVERDUE_HOURS after the hold began), and results files
held for a confirm step past their time deleted."""


def recover_screening(live) -> dict:
    """(ops.recovery) One pass; idempotent, so a missed or doubled pass costs nothing (a
    hold is told of once: `followup.tell_overdue`)."""
    from .actions.followup import tell_overdue
    from .actions.lab import drop_expired

    return {"screening_holds_overdue_told": tell_overdue(getattr(live, "now", None)),
            "screening_held_files_dropped": drop_expired()}
