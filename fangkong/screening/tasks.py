"""Background work of the screening app, on the DB worker's recovery pass (`recover_screening`
in FANGKONG_RECOVERY, every FANGKONG_RECOVER_SECONDS): staff told of holds overdue (no
single re-test result FANGKONG_HOLD_OVERDUE_HOURS after the hold began) and of rounds still
running past their planned end (`Round.overrun`: "已过计划结束时间 14:00，请结束本轮"),
results files and a positive self-report's cassette photos held for a confirm step past
their time deleted, and the home visits a family asked for found sampled (the request then
done: `actions.home_request.close_sampled`)."""


def recover_screening(live) -> dict:
    """(ops.recovery) One pass; idempotent, so a missed or doubled pass costs nothing (a
    hold is told of once: `followup.tell_overdue`; a round once: `planning.tell_overrun`)."""
    from .actions.antigen import drop_stale_held
    from .actions.followup import tell_overdue
    from .actions.home_request import close_sampled
    from .actions.lab import drop_expired
    from .actions.planning import tell_overrun

    now = getattr(live, "now", None)
    return {"screening_holds_overdue_told": tell_overdue(now),
            "screening_rounds_overrun_told": tell_overrun(now),
            "screening_held_files_dropped": drop_expired(),
            "screening_held_photos_dropped": drop_stale_held(now),
            "screening_home_requests_sampled": close_sampled()}
