"""Reminders to the nodes that have not submitted their nightly report: by a person (the
completeness page's button) or by the scheduled job (tasks.py)."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.notify.actions import notify
from fangkong.registry.models import Place

from .. import access, queries


def stage(due_at, now) -> str:
    """The kind of a reminder: "before" the due time, "overdue" after it."""
    return "overdue" if now > due_at else "before"


def _send(actor, children: list[Place], day, key: str, nobody: list | None = None) -> int:
    """Notifications sent (a key already used sends nothing again: one key per place, day and
    reminder kind, whoever sends it — a manual reminder at 02:48 and the job's at 02:50 had both
    been sent); the names of the children nobody can submit for go into `nobody`. Each says by
    when (the report's due time, or its level's)."""
    sent = 0
    dues = {r.place_id: r.due_at for r in queries.current_reports([c.id for c in children], day).values()}
    for child in children:
        users = queries.submitters(child)
        if not users:
            if nobody is not None:
                nobody.append(child.name)
            continue
        url = reverse("reports_node_day", args=[child.id, day.isoformat()])
        due = f"{timezone.localtime(dues.get(child.id) or queries.definition(child.kind).due_on(day)):%H:%M}"
        # in each reader's language, the day written as their language writes dates
        sent += notify(actor, users, kind="report.reminder",
                       title=lambda: _("Nightly report of %(day)s not submitted yet")
                       % {"day": date_format(day)},
                       body=lambda: _("%(place)s: please submit the nightly report by %(due)s.")
                       % {"place": child.name, "due": due},  # noqa: B023 (rendered in this iteration)
                       url=url, place=child, key=f"{key}:{child.id}")
    return sent


def remind(actor, parent: Place, day: datetime.date, *, now=None) -> dict:
    """Remind every child of `parent` whose report for `day` is missing (never submitted).
    Once per place, day and kind (before the due time / overdue), like the job's: a double tap,
    or the job's reminder of the same kind, sends nothing more. {"places": missing, "sent":
    notifications sent now, "nobody": the missing places nobody can submit for}."""
    access.require_remind(actor.scope, parent)
    now = now or timezone.now()
    missing = [c for c in queries.completeness(parent, day) if c["state"] == "missing"]
    places = list(Place.objects.filter(id__in=[c["place"].id for c in missing]))
    nobody = []
    sent = 0
    for due in {c["due"] for c in missing}:  # the kind of reminder, by each place's due time
        these = [p for p in places if any(c["place"].id == p.id and c["due"] == due for c in missing)]
        sent += _send(actor, these, day, f"report.remind:{day}:{stage(due, now)}", nobody)
    record(actor, "report.remind", parent, changes={"day": str(day), "places": len(places),
                                                    "sent": sent})
    return {"places": len(places), "sent": sent, "nobody": sorted(nobody)}


def remind_scheduled(actor, places: list[Place], day, stage: str) -> int:
    """The scheduled job's reminders (once per place, day and stage: before / overdue)."""
    return _send(actor, places, day, f"report.remind:{day}:{stage}")
