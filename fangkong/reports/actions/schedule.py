"""What the scheduled job does (tasks.py runs it; `manage.py reports_tick` from cron too).

At cut-off − prepare_minutes, for each level: every node's draft is prepared (figures as of
then; counted for many nodes at once, CHUNK at a time) and the nodes without a submitted
report are reminded once. At the communities' cut-off, each community's roll is stored
(`roll.take`: a past day's report keeps it, whatever is imported or moved afterwards). After
the due time, the ones still missing are reminded once more (overdue); a pass that first
comes after the due time sends the overdue reminder alone. A report returned and not submitted
again is outstanding too (`queries.OUTSTANDING`): reminded once per return, saying it was
returned (`reminders._send`), before or after the due time. Community figures are counted by
the providers; streets and districts sum their children's stored reports (never a recount),
so no request waits for a roll-up."""

import datetime

from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry.models import Kind, Place

from .. import figures, queries
from ..models import DailyReport
from . import roll
from .nightly import as_of, prepare_unchecked
from .reminders import remind_scheduled

CHUNK = 200
ORDER = [Kind.COMMUNITY, Kind.STREET, Kind.DISTRICT]


def moments(day: datetime.date) -> list[tuple[datetime.datetime, str, str]]:
    """(when, level, stage) of the day's work, in time order."""
    out = []
    for level in ORDER:
        d = queries.definition(level)
        cutoff = d.cutoff_on(day)
        out.append((cutoff - datetime.timedelta(minutes=d.prepare_minutes), level, "before"))
        out.append((d.due_on(day), level, "overdue"))
        if level == Kind.COMMUNITY:  # the roll at the cut-off (`roll.take`)
            out.append((cutoff, level, "roll"))
    return sorted(out)


def run(now=None) -> dict:
    """Do what is due by `now` today and not done yet (each stage once a day: its reminders
    carry a key, and preparing a draft again only refreshes it). Returns counts and when to
    come back."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    system = Actor.system(via="task")
    counts = {"prepared": 0, "reminded": 0}
    # each community's roll once its cut-off has passed (yesterday's too, the worker down
    # then): whatever is imported or moved afterwards, a past day's report keeps it
    counts["rolls"] = roll.take_due(now)
    # A level already overdue is reminded once, as overdue: a pass that finds both of its
    # moments past (a worker started late in the evening, or down for hours) sent the
    # "before" reminder and the overdue one together, the same text twice to each person.
    overdue = {level for when, level, stage in moments(day) if stage == "overdue" and when <= now}
    for when, level, stage in moments(day):
        if when > now or stage == "roll":  # taken above; its moment wakes the job then
            continue
        nodes = list(Place.objects.filter(kind=level).order_by("id"))
        if stage == "before":
            counts["prepared"] += prepare_level(system, nodes, day, now)
            if level in overdue:
                continue
        # every node still owing its report (missing, or returned and not submitted again:
        # `queries.node_states`, as the completeness page and a person's reminder read it)
        counts["reminded"] += remind_scheduled(system, queries.node_states(nodes, day), day, stage, now=now)
    later = [w for w, _l, _s in moments(day) if w > now]
    counts["next"] = min(later) if later else moments(day + datetime.timedelta(days=1))[0][0]
    return counts


def prepare_level(actor, nodes, day, now) -> int:
    """Prepare the drafts of these nodes (of one level). Communities' figures are counted
    CHUNK nodes at a time (the providers' bounded queries); locked reports are left alone."""
    if not nodes:
        return 0
    locked = set(DailyReport.objects.filter(place__in=nodes, day=day, current=True)
                 .exclude(status=DailyReport.Status.DRAFT).values_list("place_id", flat=True))
    todo = [n for n in nodes if n.id not in locked]
    cutoff = queries.definition(nodes[0].kind).cutoff_on(day)
    n = 0
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start:start + CHUNK]
        values = {}
        if chunk[0].kind not in queries.CHILD_KIND:  # grouped by window start (`queries.window_starts`)
            starts = queries.window_starts(chunk, day)
            for after in set(starts.values()):
                values |= figures.compute([c for c in chunk if starts[c.id] == after], as_of(cutoff, now), after=after)
        for node in chunk:
            prepare_unchecked(actor, node, day, now=now, values=values.get(node.id))
            n += 1
    return n
