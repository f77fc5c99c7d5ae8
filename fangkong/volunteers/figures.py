"""Volunteers' figures of many nodes at once, as of a time, for dashboards and nightly
reports (`core.figures.Provider`, listed in settings.FANGKONG_FIGURE_PROVIDERS). A bounded
number of queries, grouped by the nodes' level column (a volunteer's is their home's, a
call's and an assignment's the call's place's).

| figure        | as of `at`                                                                |
|---------------|---------------------------------------------------------------------------|
| volunteers    | approved by `at`                                                          |
| on duty       | confirmed, checked in by `at` and not checked out by then                  |
| minutes today | credited minutes of the check-outs on `at`'s day up to `at` (shown in hours;|
|               | a report: since the previous day's cut-off, `after`), each place's minutes  |
|               | to its tenth of an hour (`ROW_MINUTES`)                                     |
| calls open    | published by `at`, sign-up deadline after it, not cancelled or closed      |
| slots, filled | of those calls: places asked for; places confirmed by `at` and not cancelled|
|               | by then; fill = filled ÷ slots                                              |
"""

import datetime

from django.db.models import Count, ExpressionWrapper, IntegerField, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fangkong.core.figures import Chart, Figure, Provider, Tally, grouped, in_day, percent
from fangkong.core.tree import under
from fangkong.core.when import short_day
from fangkong.registry.models import LEVELS, Kind

from .models import Assignment, Call, Volunteer, tenths_of

GROUP = _("Volunteers")
# A place's credited minutes as the hours rule counts them (`models.tenths`: each place to its
# tenth of an hour, half up), in minutes: a sum of these is the sum of the places' hours that
# the statements, the call's page and the roll of honour print (105 + 95 minutes had shown
# 3.3 h on the dashboard beside statements of 1.8 h and 1.6 h).
ROW_MINUTES = ExpressionWrapper(tenths_of() * 6, output_field=IntegerField())
KEYS = ("volunteers", "on_duty", "minutes_today", "calls_open", "slots_open", "filled_open")


def day_start(at: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0)



def compute(nodes, at, parent=None, after=None) -> dict:
    """Three grouped queries whatever the number of nodes (with `parent`, its figures too:
    `core.figures.Tally`). An assignment carries its call's level columns. `after`: the
    minutes counted from just after then, not from midnight (a nightly report's window)."""
    nodes = [n for n in nodes if n.kind in LEVELS]
    if not nodes:
        return {}
    out = Tally(nodes, KEYS, parent)
    col, under = out.col, out.where
    grouped(Volunteer.objects.filter(**under, status=Volunteer.Status.APPROVED, decided_at__lte=at),
             col, out, volunteers=Count("id"))
    calls = open_calls(at).filter(**under)
    grouped(calls, col, out, calls_open=Count("id"), slots_open=Sum("slots"))
    on_duty = (Q(status=Assignment.Status.CONFIRMED, check_in_at__lte=at)
               & (Q(check_out_at=None) | Q(check_out_at__gt=at)))
    today = in_day("check_out_at", at, after)
    filled = (Q(call__in=calls.values("id"), confirmed_at__lte=at)
              & (Q(cancelled_at=None) | Q(cancelled_at__gt=at)))
    grouped(Assignment.objects.filter(**under).filter(on_duty | today | filled), col, out,
             on_duty=Count("id", filter=on_duty), minutes_today=Sum(ROW_MINUTES, filter=today),
             filled_open=Count("id", filter=filled))
    return out


def open_calls(at):
    return Call.objects.filter(published_at__lte=at, deadline__gt=at,
                               status__in=[Call.Status.OPEN, Call.Status.FULL])


def minutes_by_day(node, at, days=7) -> list[tuple[datetime.date, int]]:
    """Credited minutes per day (by check-out, local dates; each place to its tenth of an
    hour, `ROW_MINUTES`) for the `days` days up to `at`'s day under `node`: one grouped
    query; days without any are 0."""
    first = day_start(at) - datetime.timedelta(days=days - 1)
    rows = dict(Assignment.objects.filter(under(node), check_out_at__gte=first,
                                          check_out_at__lte=at)
                .annotate(d=TruncDate("check_out_at", tzinfo=timezone.get_current_timezone()))
                .values("d").annotate(m=Sum(ROW_MINUTES)).order_by().values_list("d", "m"))
    start = first.date()
    return [(start + datetime.timedelta(days=i), rows.get(start + datetime.timedelta(days=i)) or 0)
            for i in range(days)]


def hours_chart(node, at, days=7, after=None) -> Chart:
    """Volunteer hours by day (`after`, a report's window: not needed, each day is as its
    report says it)."""
    by_day = minutes_by_day(node, at, days)
    rows = [(short_day(d), m, _say_hours(m)) for d, m in by_day]  # "7 Dec" in English
    return Chart("hours", gettext("Volunteer hours by day"), rows, horizontal=False,
                 headers=(gettext("Day"), gettext("Hours")),
                 # a day's bar as that day's report says it (`core.figures.Chart.days`)
                 days=[d for d, _m in by_day], keys=("minutes_today",), say=_say_hours)


def _say_hours(minutes) -> str:
    return f"{minutes / 60:.1f} h"


def _community_link(name):
    def link(node, values=None):
        return reverse(name, args=[node.id]) if node.kind == Kind.COMMUNITY else None
    return link


PROVIDER = Provider("volunteers", (
    # each person once, at home: those lent in are not counted by the borrowing community
    # (its people list counts them apart, "· 1 lent in": `queries.status_counts`)
    Figure("volunteers", _("Volunteers approved (own, not those lent in)"), GROUP,
           short=_("Volunteers approved"), link=_community_link("volunteers_people")),
    Figure("on_duty", _("On duty now"), GROUP, short=_("On duty"), link=_community_link("volunteers_calls"),
           report_label=_("On duty at the cut-off")),
    Figure("minutes_today", _("Hours today"), GROUP, unit="minutes",
           link=_community_link("volunteers_honour")),
    Figure("calls_open", _("Calls open"), GROUP, link=_community_link("volunteers_calls")),
    Figure("slots_open", _("Volunteer slots needed"), GROUP, link=_community_link("volunteers_calls")),
    Figure("filled_open", _("Volunteer slots filled"), GROUP, link=_community_link("volunteers_calls")),
    Figure("fill", _("Calls filled"), GROUP, unit="percent", worse="low", short=_("Filled"),
           derive=lambda v: percent(v.get("filled_open", 0), v.get("slots_open", 0)),
           link=_community_link("volunteers_calls")),
), compute, charts=(hours_chart,))
