"""Services' figures of many nodes at once, as of a time, for dashboards and nightly reports
(`core.figures.Provider`, listed in settings.FANGKONG_FIGURE_PROVIDERS). Three grouped
queries whatever the number of nodes, by the nodes' level column (a stop's and a request's
are their household's).

| figure            | as of `at`                                                          |
|-------------------|---------------------------------------------------------------------|
| doors delivered   | stops confirmed delivered on `at`'s day up to `at` (a report: since |
|                   | the previous day's cut-off, `after`)                                 |
| doors missed      | stops confirmed not delivered, the same window                       |
| requests open     | raised by `at`, not done, confirmed or cancelled by then (a request  |
|                   | cancelled has no time stamp: it counts as closed)                    |
| requests overdue  | of those, due before `at`                                             |
| exceptions open   | raised by `at` and not resolved by then                               |
| morning check-ins | of `at`'s day: due, called (recorded by `at`), not called (due −     |
|                   | called), no answer — the one figure, `check_ins.py`                   |
"""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core.figures import Figure, Provider, Tally, grouped, in_day
from fangkong.registry.models import LEVELS

from . import check_ins
from .models import CheckIn, Problem, Request, Stop

GROUP = _("Sealed-area services")
KEYS = ("doors_delivered", "doors_missed", "requests_open", "requests_overdue", "exceptions_open",
        *check_ins.KEYS)



def compute(nodes, at, parent=None, after=None) -> dict:
    """With `parent`, its figures too (`core.figures.Tally`); `after`: the doors counted
    from just after then, not from midnight (a nightly report's window, `core.figures.in_day`)."""
    nodes = [n for n in nodes if n.kind in LEVELS]
    if not nodes:
        return {}
    out = Tally(nodes, KEYS, parent)
    col, under = out.col, out.where
    grouped(Stop.objects.filter(in_day("confirmed_at", at, after), **under), col, out,
             doors_delivered=Count("id", filter=Q(state=Stop.State.DELIVERED)),
             doors_missed=Count("id", filter=Q(state=Stop.State.FAILED)))
    still_open = (Q(done_at=None) | Q(done_at__gt=at)) & ~Q(state=Request.State.CANCELLED)
    grouped(Request.objects.filter(still_open, **under, raised_at__lte=at), col, out,
             requests_open=Count("id"), requests_overdue=Count("id", filter=Q(due_at__lt=at)))
    grouped(Problem.objects.filter(Q(resolved_at=None) | Q(resolved_at__gt=at), **under,
                                    created_at__lte=at), col, out, exceptions_open=Count("id"))
    grouped(CheckIn.objects.filter(day=timezone.localdate(at), **under), col, out, **check_ins.aggs(at))
    for row in out.values():  # not called = due − called (`check_ins.finish`)
        check_ins.finish(row)
    return out


PROVIDER = Provider("services", (
    Figure("doors_delivered", _("Doors delivered today"), GROUP, short=_("Delivered")),
    Figure("doors_missed", _("Doors not delivered today"), GROUP, worse="high", short=_("Not delivered")),
    Figure("requests_open", _("Requests open"), GROUP, worse="high"),
    Figure("requests_overdue", _("Requests overdue"), GROUP, worse="high", short=_("Overdue")),
    Figure("exceptions_open", _("Delivery exceptions open"), GROUP, worse="high", short=_("Exceptions")),
    Figure("check_ins_due", _("Morning check-ins due today"), GROUP, short=_("Check-ins due")),
    Figure("check_ins_done", _("Morning check-ins called"), GROUP, short=_("Called")),
    Figure("check_ins_open", _("Morning check-ins not called"), GROUP, worse="high", short=_("Not called")),
    Figure("check_ins_no_answer", _("Morning check-ins with no answer"), GROUP, worse="high",
           short=_("No answer")),
), compute)
