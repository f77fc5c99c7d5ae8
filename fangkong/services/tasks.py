"""Background work of the services app (Django tasks, DB worker): escalating overdue
requests every few minutes, the morning's feeding tasks and check-ins, and routine
disinfection's rows made a day ahead (`actions.routines.make_all`)."""

from django.tasks import task

from fangkong.ops.recovery import retry_when_lost


@task
def escalate_overdue_task() -> dict:
    from .actions.batch_late import escalate_late_batches
    from .actions.order_news import escalate_late_orders
    from .actions.requests import escalate_overdue

    return {"escalated": escalate_overdue(), "orders_late": escalate_late_orders(),
            "batches_late": escalate_late_batches()}


@task
def morning_task() -> dict:
    from .actions.care import daily

    return daily()


@task
def disinfection_routines_task() -> dict:
    from .actions.routines import make_all

    return make_all()


# All are idempotent (a request is escalated once, a late order told of once; a day's task exists once).
retry_when_lost(escalate_overdue_task, attempts=5)
retry_when_lost(morning_task, attempts=5)
retry_when_lost(disinfection_routines_task, attempts=5)  # a routine's time of a day is made once


def recover_services(live) -> dict:
    """(ops.recovery, every FANGKONG_RECOVER_SECONDS) Overdue requests escalated, orders
    past their need-by and batches late at the gate told of; pets left
    alone get today's feeding, and stop when their owners are back; from 06:00 the
    day's check-ins, each pass adding whoever became watched over since (a building sealed
    during the day), and from the deadline (FANGKONG_CHECK_IN_BY) the calls still open sent
    as one list per grid, once; routine disinfection's rows for today and tomorrow (ended
    with their seal or last day). All idempotent, so a missed pass costs nothing."""
    from django.utils import timezone

    from .actions.batch_late import escalate_late_batches
    from .actions.care import check_ins_today, feed_today
    from .actions.care_late import tell_open_check_ins
    from .actions.order_news import escalate_late_orders
    from .actions.requests import escalate_overdue
    from .actions.routines import make_all

    out = {"services_escalated": escalate_overdue(live.now),
           "services_orders_late": escalate_late_orders(live.now),
           "services_batches_late": escalate_late_batches(live.now)}
    local = timezone.localtime(live.now)
    out.update({f"services_{k}": v for k, v in feed_today(local.date()).items()})
    out.update({f"services_{k}": v for k, v in make_all(live.now).items()})
    if local.hour >= 6:  # whoever is watched over and not on today's list yet: a pass each
        out["services_check_ins"] = check_ins_today(local.date(), live.now)
        # calls still open at the deadline (FANGKONG_CHECK_IN_BY): one list per grid, once
        out["services_check_ins_late"] = tell_open_check_ins(live.now)
    return out
