"""Background work of the zones app: publishing scheduled adjustments at their minute (the
task itself is `actions.publish.publish_due_task`, enqueued with `run_after`), and the
recovery of a publication whose task was lost."""

from .actions.policy import apply_due, apply_due_task  # noqa: F401 - the worker's task
from .actions.publish import publish_due, publish_due_task  # noqa: F401 - the worker's task


def recover_publisher(live) -> dict:
    """(ops.recovery, FANGKONG_RECOVERY) A scheduled adjustment is due but was not
    published — its task was lost with a dead worker or never queued: publish it now (at
    its stated minute)."""
    from .models import Adjustment, RuleChange

    rules = 0  # a rule change due at a minute whose task was lost
    if RuleChange.objects.filter(state=RuleChange.State.SCHEDULED, effective_from__lte=live.now).exists():
        rules = apply_due(live.now)
    if not Adjustment.objects.filter(state=Adjustment.State.SCHEDULED,
                                     effective_at__lte=live.now).exists():
        return {"zones_published": 0, "zones_rules_applied": rules}
    return {"zones_published": publish_due(live.now), "zones_rules_applied": rules}
