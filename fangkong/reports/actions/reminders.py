"""Reminders to the nodes whose nightly report is outstanding (not submitted, or returned and
not submitted again): by a person (the completeness page's button) or by the scheduled job
(tasks.py).

The job reminds every outstanding node of a level (`queries.node_states`, the one reading the
completeness page and a person's reminder make): a missing report once per place, day and stage
(before the due time / overdue), whoever sent a reminder of that stage; a returned one once per
return (its key names the returned version), saying it was returned, once `AGAIN` has passed
since the return (the return itself told them, with why) and unless someone reminded the place
since (found 2026-12: the job read a returned report as submitted, so it never reminded it,
nor one returned after its overdue reminder, and was never told it was returned). A person's
tap sends again once `AGAIN` has passed since the last reminder to that place, whoever sent it
(walked 2026-12-07: sharing the job's key, a street chief's tap at 02:00 after the job's 21:00
overdue reminder sent nothing and said "刚刚已提醒过"); within it a double tap or a retry sends
nothing, and says when and how the last one went."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.notify.actions import notify
from fangkong.notify.models import Notification
from fangkong.registry.models import Place

from .. import access, queries

# A person's reminder to a place is sent again this long after the last one to it.
AGAIN = datetime.timedelta(minutes=30)
KIND = "report.reminder"


def stage(due_at, now) -> str:
    """The kind of a reminder: "before" the due time, "overdue" after it."""
    return "overdue" if now > due_at else "before"


def _key(day, stage_: str, place_id: int) -> str:
    """The job's key of a place's reminder of a stage; a person's adds ":m<when the last
    reminder to the place was sent, ms>" (two taps at once read the same last one: one key,
    sent once)."""
    return f"report.remind:{day}:{stage_}:{place_id}"


def _return_key(day, place_id: int, version: int) -> str:
    """The job's key of a returned report's reminder: once per return (the version returned;
    submitted again and returned again, the next version is reminded again)."""
    return f"report.remind:{day}:returned:{place_id}:v{version}"


def _by_job(key: str, day, place_id: int) -> bool:
    return key in (_key(day, "before", place_id), _key(day, "overdue", place_id)) \
        or key.startswith(f"report.remind:{day}:returned:{place_id}:v")


def _sent(users_of: dict[int, list[int]], day) -> list[tuple[int, str, datetime.datetime]]:
    """(place id, key, when) of the reminders of `day` sent to these places' submitters,
    oldest first: one query, by the notifications' (user, key) index."""
    users = {u for us in users_of.values() for u in us}
    if not users:
        return []
    return list(Notification.objects.filter(user_id__in=users, kind=KIND, place_id__in=list(users_of),
                                            key__startswith=f"report.remind:{day}:")
                .order_by("created_at", "id").values_list("place_id", "key", "created_at"))


def _words(child: Place, day, due: str, returned: bool):
    """(title, body) rendered in each reader's language, the day as their language writes it."""
    if returned:
        return (lambda: _("Nightly report of %(day)s returned: please report again") % {"day": date_format(day)},
                lambda: _("%(place)s: your nightly report was returned; correct it and submit it again.")
                % {"place": child.name})
    return (lambda: _("Nightly report of %(day)s not submitted yet") % {"day": date_format(day)},
            lambda: _("%(place)s: please submit the nightly report by %(due)s.") % {"place": child.name, "due": due})


def _send(actor, children: list[Place], day, stage_: str, *, now, person: bool, nobody: list | None = None,
          skipped: list | None = None, returned: dict | None = None, dues: dict | None = None) -> int:
    """Notifications sent to the submitters of each of `children`. The job's (`person` False):
    a missing report once per place, day and stage — not when that stage was sent already, by
    it or by a person (`_key`); a returned one (`returned`: {place id: `queries.returned_pending`'s
    (report id, version, returned at, reason)}) once per return (`_return_key`), `AGAIN` after
    it, unless a reminder reached the place since. A person's: unless the place was reminded less
    than `AGAIN` ago, whoever sent it; those go into `skipped` ({place, name, last_at, automatic,
    again_at}). The names of the children nobody can submit for go into `nobody`. Each says by
    when (`dues`: {place id: due time}, else the report's or its level's); a place in `returned`
    that its report was sent back. Three queries, whatever the number of children, and the
    notifications sent."""
    sent = 0
    returned = returned or {}
    dues = dict(dues or {})
    if len(dues) < len(children):
        dues = {r.place_id: r.due_at for r in queries.current_reports([c.id for c in children], day).values()} | dues
    users_of = queries.submitters_of(children)
    last, staged, keys = {}, set(), set()
    for pid, key, at in _sent(users_of, day):
        last[pid] = (key, at)
        keys.add(key)
        if key == _key(day, stage_, pid) or key.startswith(_key(day, stage_, pid) + ":"):
            staged.add(pid)
    level_due = {}
    for child in children:
        users = users_of[child.id]
        if not users:
            if nobody is not None:
                nobody.append(child.name)
            continue
        key = _key(day, stage_, child.id)
        back = returned.get(child.id)
        prior = last.get(child.id)
        if not person and back is not None:  # the job, a returned report: once per return
            key = _return_key(day, child.id, back[1])
            since = back[2] or now - AGAIN
            if key in keys or now < since + AGAIN or (prior is not None and prior[1] >= since):
                continue
        elif not person:  # the job, a missing report: once a stage
            if child.id in staged:
                continue
        else:  # a person: again once AGAIN has passed since the last reminder to the place
            if prior is not None and now - prior[1] < AGAIN:
                if skipped is not None:
                    skipped.append({"place": child.id, "name": child.name, "last_at": prior[1],
                                    "automatic": _by_job(prior[0], day, child.id), "again_at": prior[1] + AGAIN})
                continue
            key = f"{key}:m{int(prior[1].timestamp() * 1000) if prior is not None else 0}"
        url = reverse("reports_node_day", args=[child.id, day.isoformat()])
        if child.id not in dues and child.kind not in level_due:
            level_due[child.kind] = queries.definition(child.kind).due_on(day)
        due = f"{timezone.localtime(dues.get(child.id) or level_due[child.kind]):%H:%M}"
        title, body = _words(child, day, due, back is not None)
        sent += notify(actor, users, kind=KIND, title=title, body=body, url=url, place=child, key=key)
    return sent


def remind(actor, parent: Place, day: datetime.date, *, now=None) -> dict:
    """Remind every child of `parent` whose report for `day` is outstanding (never submitted,
    or returned and not submitted again: `queries.OUTSTANDING`). A place reminded less than
    `AGAIN` ago, by the job or by a person, is not reminded again: a double tap or a retry
    sends nothing more, a tap hours after the job's reminder does. {"places": outstanding,
    "sent": notifications sent now, "nobody": the outstanding places nobody can submit for,
    "skipped": the places reminded less than AGAIN ago, with when and how}."""
    access.require_remind(actor.scope, parent)
    now = now or timezone.now()
    rows = [c for c in queries.completeness(parent, day) if c["state"] in queries.OUTSTANDING]
    returned = {c["place"].id: c["returned"] for c in rows if c["state"] == "returned"}
    places = list(Place.objects.filter(id__in=[c["place"].id for c in rows]).order_by("sort_key", "id"))
    nobody, skipped = [], []
    sent = 0
    for due in {c["due"] for c in rows}:  # the kind of reminder, by each place's due time
        these = [p for p in places if any(c["place"].id == p.id and c["due"] == due for c in rows)]
        sent += _send(actor, these, day, stage(due, now), now=now, person=True, nobody=nobody, skipped=skipped,
                      returned=returned, dues={p.id: due for p in these})
    record(actor, "report.remind", parent, changes={"day": str(day), "places": len(places),
                                                    "sent": sent})
    return {"places": len(places), "sent": sent, "nobody": sorted(nobody),
            "skipped": sorted(skipped, key=lambda s: [p.id for p in places].index(s["place"]))}


def preview(actor, parent: Place, day: datetime.date, *, now=None) -> dict:
    """Who a person's reminder would reach now (`remind`, read only: nothing sent or kept): the
    page's question and the API's GET name the places and the people before anything goes out
    by text at night (walked 2026-12-07: one tap sent it, unseen). {"places": [{place, name,
    state (missing / returned), people: [names], again_at (reminded less than AGAIN ago: not
    sent again until then), automatic}], "nobody": the outstanding places nobody can submit for,
    "channels": the labels of the personal channels it goes out on besides the inbox}. Four
    queries and the completeness page's."""
    from fangkong.accounts.models import User
    from fangkong.notify import channels

    access.require_remind(actor.scope, parent)
    now = now or timezone.now()
    rows = [c for c in queries.completeness(parent, day) if c["state"] in queries.OUTSTANDING]
    places = sorted((c["place"] for c in rows), key=lambda p: (p.sort_key, p.id))
    state = {c["place"].id: c["state"] for c in rows}
    users_of = queries.submitters_of(places)
    last = {pid: (key, at) for pid, key, at in _sent(users_of, day)}
    names = {u.id: str(u) for u in User.objects.filter(id__in={u for us in users_of.values() for u in us},
                                                       is_active=True)}
    out, nobody = [], []
    for p in places:
        people = [names[u] for u in users_of[p.id] if u in names]
        if not people:
            nobody.append(p.name)
            continue
        prior = last.get(p.id)
        again = prior[1] + AGAIN if prior is not None and now - prior[1] < AGAIN else None
        out.append({"place": p.id, "name": p.name, "state": state[p.id], "people": people, "again_at": again,
                    "last_at": prior[1] if again else None, "automatic": bool(again) and _by_job(prior[0], day, p.id)})
    return {"places": out, "nobody": nobody, "channels": [channels.label(n) for n in channels.personal_channels()]}


def remind_scheduled(actor, rows: list[dict], day, stage: str, *, now) -> int:
    """The scheduled job's reminders to the outstanding nodes among `rows` (`queries.node_states`
    of a level): a missing report once per place, day and stage (before / overdue); a returned
    one once per return, saying so (`_send`)."""
    rows = [r for r in rows if r["state"] in queries.OUTSTANDING]
    if not rows:
        return 0
    returned = {r["place"].id: r["returned"] for r in rows if r["state"] == "returned"}
    return _send(actor, [r["place"] for r in rows], day, stage, now=now, person=False, returned=returned,
                 dues={r["place"].id: r["due"] for r in rows})
