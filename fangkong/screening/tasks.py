"""Background work of the screening app, on the DB worker's recovery pass (`recover_screening`
in FANGKONG_RECOVERY, every FANGKONG_RECOVER_SECONDS): results files held for a confirm
step past their time are deleted."""


def recover_screening(live) -> dict:
    """(ops.recovery) One pass; idempotent, so a missed or doubled pass costs nothing."""
    from .actions.lab import drop_expired

    return {"screening_held_files_dropped": drop_expired()}
