"""Nightly reports in the demo: yesterday's reports of the demo district's communities —
three submitted (one of them late, one approved by its street), one missing — and the
streets' roll-ups, so the completeness page and the reports' history have something to
show; the rolls the scheduled job took at yesterday's cut-off; today's drafts prepared as
the scheduled job would. Everything through the actions, as the people would: each report
prepared and submitted by the account that submits it (the community's staff, the street's
command: `queries.submitters`), approved by the street's command; the system only where the
demo has no such account (迎泽街道) and for the job's drafts. The pages had said "– 于 12-06
21:30 上报" (walked 2026-12-07)."""

import datetime

from django.utils import timezone

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import ROLE_PERMS, Perm
from fangkong.core.actor import Actor
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
        staff = _person(c, actor)
        r = actions.prepare(staff, c, day, now=cutoff)
        when = cutoff + datetime.timedelta(minutes=25 if i != 2 else d.due_minutes + 40)
        r = actions.submit(staff, r, "" if i else "夜间无异常，全员已采样。", now=when)
        if i == 0:
            actions.approve(_person(Place.objects.get(pk=c.street_id), actor, Perm.REPORTS_APPROVE), r)
        made += 1
    for street in Place.objects.filter(kind=Kind.STREET, district_id=district.id).order_by("id"):
        command = _person(street, actor)
        actions.submit(command, actions.prepare(command, street, day, now=cutoff),
                       now=cutoff + datetime.timedelta(minutes=90))
        made += 1
    for c in communities:
        actions.prepare(actor, c, today)
        made += 1
    return made


def _person(place: Place, system, perm=Perm.REPORTS_SUBMIT):
    """The first account granted `perm` on the place (the demo's staff_shuangta for 双塔社区's
    report, command_qiaodong for 桥东街道's), acting as itself; the system where there is none."""
    roles = [r for r, perms in ROLE_PERMS.items() if perm in perms]
    m = (Membership.objects.filter(place=place, role__in=roles, is_active=True, user__is_active=True, household=None)
         .select_related("user").order_by("user_id").first())
    return Actor.system(m.user, via="cli") if m else system
