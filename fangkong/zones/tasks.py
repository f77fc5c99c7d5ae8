"""Background work of the zones app: publishing scheduled adjustments at their minute."""

from django.tasks import task

from fangkong.ops.recovery import retry_when_lost


@task
def publish_due_task() -> dict:
    """Publish every scheduled adjustment whose minute has come (each at its own minute)."""
    from .actions.publish import publish_due

    return {"published": publish_due()}


# Publishing is idempotent (an adjustment is published once, under a row lock).
retry_when_lost(publish_due_task, attempts=5)


def recover_publisher(live) -> dict:
    """(ops.recovery) A scheduled adjustment is due but was not published — its task was
    lost with a dead worker or never queued: publish it now (at its stated minute)."""
    from .actions.publish import publish_due
    from .models import Adjustment

    if not Adjustment.objects.filter(state=Adjustment.State.SCHEDULED,
                                     effective_at__lte=live.now).exists():
        return {"zones_published": 0}
    return {"zones_published": publish_due(live.now)}
