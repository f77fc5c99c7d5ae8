"""Nightly reports in the demo: yesterday's reports of the demo district's communities —
three submitted (one of them late, one approved by its street), one missing — and the
streets' roll-ups, so the completeness page and the reports' history have something to
show; the rolls the scheduled job took at yesterday's cut-off; today's drafts prepared as
the scheduled job would. Everything through the actions
(as the system actor)."""

import datetime

from django.utils import timezone

from fangkong.registry.models import Kind, Place
from fangkong.reports import actions, queries
from fangkong.reports.actions import roll

from .context import Demo


def build(demo: Demo):
    add_reports(demo.district, demo.actor)


def add_reports(district: Place, actor) -> int:
    """Returns how many reports were made."""
    if district is None:
        return 0
    today = timezone.localdate()
    day = today - datetime.timedelta(days=1)
    d = queries.definition(Kind.COMMUNITY)
    cutoff = d.cutoff_on(day)
    every = list(Place.objects.filter(kind=Kind.COMMUNITY, district_id=district.id).order_by("id"))
    communities = every[:4]
    # the scheduled job took every community's roll at yesterday's cut-off (`roll.take_due`):
    # yesterday's report of one that never submitted still shows the cut-off's roll
    roll.take(every, day, now=cutoff + datetime.timedelta(minutes=1), cutoff=cutoff)
    made = 0
    for i, c in enumerate(communities[:3]):
        r = actions.prepare(actor, c, day, now=cutoff)
        when = cutoff + datetime.timedelta(minutes=25 if i != 2 else d.due_minutes + 40)
        r = actions.submit(actor, r, "" if i else "夜间无异常，全员已采样。", now=when)
        if i == 0:
            actions.approve(actor, r)
        made += 1
    for street in Place.objects.filter(kind=Kind.STREET, district_id=district.id).order_by("id"):
        actions.submit(actor, actions.prepare(actor, street, day, now=cutoff),
                       now=cutoff + datetime.timedelta(minutes=90))
        made += 1
    for c in communities:
        actions.prepare(actor, c, today)
        made += 1
    return made
