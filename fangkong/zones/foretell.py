"""Who is told of a publication still to come (a read: it writes nothing; the messages go
out through `signals.tell`, as a publication's own — `telling`).

- A timed adjustment scheduled: the families (their household's logins) of every household
  whose zone it will change, at once, with what will change and from when ("您所在的光明小区
  5号楼将自12月8日 05:00起为封控区（19号）…在此之前仍按现在的规定"); told again when it is
  cancelled, taken back to draft, rescheduled (cancelled, then the new minute) or refused by
  the worker at its minute.
- A timed adjustment the worker could not publish: an alarm, at once, to its author and the
  staff of its community and street (and the command of its street), naming the place and
  the other adjustment that zoned it meanwhile (`failures`), in each reader's language.
- `coming(household)`: the scheduled changes over a household, for its page
  (`panels.household_panel`).

Each message is keyed by the adjustment, its minute and the group told: a retry tells
nobody twice; the same adjustment scheduled for another minute is told again."""

from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.core.said import say
from fangkong.registry.models import LEVEL_FIELDS
from fangkong.registry.queries import place_labels

from . import engine, failures  # noqa: F401 - failures: the codes `say` needs
from .models import Adjustment, AdjustmentItem
from .telling import rules, when


def families(adj: Adjustment, at, *, cancelled=False) -> list[dict]:
    """The families whose zone `adj` will change at `at` (as the diff says now): what will
    change and when, or (`cancelled`) that it will not."""
    if at is None or adj.notice_id is None:
        return []
    its = list(adj.items.select_related("place", "zone_type", "designation__zone_type"))
    if not its:
        return []
    plan = engine.plan(its, at)
    changed = plan.changed()
    if not changed:
        return []
    logins = defaultdict(set)
    for hid, uid in Membership.objects.filter(household_id__in=changed, is_active=True,
                                              role=Role.RESIDENT).values_list("household_id", "user_id"):
        logins[hid].add(uid)
    groups = defaultdict(set)
    for hid in changed:
        if logins.get(hid):
            new = plan.after.get(hid)
            old = plan.before.get(hid)
            place = new.place if new is not None else (old.designation.place if old is not None else None)
            groups[(place, new.zone_type if new else None, old.zone_type if old else None)] |= logins[hid]
    if not groups:
        return []
    labels = place_labels([p for p, _n, _o in groups if p is not None])
    url = reverse("zones_notice", args=[adj.notice_id])
    number, stamp = adj.notice.number, int(at.timestamp())
    out = []
    for (place, new, old), users in groups.items():
        label = labels.get(place.id, place.name) if place is not None else ""
        title, body = _words(label, new, old, number, at, cancelled)
        tag = "cancelled" if cancelled else "coming"
        out.append({"users": users, "kind": "zones.scheduled", "title": title, "body": body, "url": url,
                    "place": place,
                    "key": f"zones.{tag}.{adj.id}.{stamp}.{place.id if place else ''}."
                           f"{new.id if new else ''}.{old.id if old else ''}"})
    return out


def _words(place, new, old, number, at, cancelled):
    if cancelled:
        return (lambda: _("Not from %(at)s: the change to %(place)s is off") % {"at": when(at), "place": place},
                lambda: _("The change planned for %(place)s from %(at)s (%(notice)s) will not take effect "
                          "then: the rules you have now still apply. You will be told when anything "
                          "changes.") % {"place": place, "at": when(at), "notice": number})
    if new is not None:
        return (lambda: _("From %(at)s: %(place)s will be a %(zone)s") % {
                    "at": when(at), "place": place, "zone": new.name},
                lambda: _("%(place)s, where you live, will be a %(zone)s from %(at)s (%(notice)s): "
                          "%(rules)s. Until then the rules you have now apply.") % {
                    "place": place, "zone": new.name, "at": when(at), "notice": number, "rules": rules(new)})
    return (lambda: _("From %(at)s: %(place)s will no longer be a %(zone)s") % {
                "at": when(at), "place": place, "zone": old.name if old else ""},
            lambda: _("%(place)s, where you live, will no longer be a %(zone)s from %(at)s (%(notice)s). "
                      "Until then the rules you have now apply.") % {
                "place": place, "zone": old.name if old else "", "at": when(at), "notice": number})


def failed(adj: Adjustment, at) -> list[dict]:
    """The alarm for a timed publication refused at its minute: its author, and the staff of
    its community and street and the command of its street."""
    users = set(Membership.objects.filter(is_active=True).filter(
        Q(role=Role.STAFF, place_id__in=[p for p in (adj.community_id, adj.street_id, adj.place_id) if p])
        | Q(role=Role.COMMAND, place_id__in=[p for p in (adj.street_id, adj.place_id) if p]))
        .values_list("user_id", flat=True))
    if adj.created_by_id:
        users.add(adj.created_by_id)
    if not users:
        return []
    kept, fallback, title, stamp = adj.failure_said or {}, adj.failure, adj.title, int(at.timestamp()) if at else 0

    def body():
        return _("%(title)s was not published at %(at)s and is back to draft: nothing of it took "
                 "effect. %(why)s") % {"title": title, "at": when(at) if at else "",
                                       "why": say(kept.get("code"), kept.get("params"), fallback)}

    return [{"users": users, "kind": "zones.failed",
             "title": lambda: _("Urgent: not published at its time: %(title)s") % {"title": title},
             "body": body, "url": reverse("zones_adjustment", args=[adj.id]), "place": adj.place,
             "key": f"zones.failed.{adj.id}.{stamp}"}]


def coming(household) -> list[dict]:
    """The scheduled adjustments that will change `household`'s zone: [{"at", "notice",
    "place", "zone" (after, or None: no zone), "old"}], soonest first."""
    levels = tuple(getattr(household, f) for f in LEVEL_FIELDS)
    ids = [p for p in levels if p]
    if not ids:
        return []
    rows = engine.in_force(ids)
    before = {}
    for d in rows:
        before.setdefault(d.place_id, []).append(engine.Planned(d.place, d.zone_type, row=d))
    now = engine.best(levels, before)
    out = []
    adjs = Adjustment.objects.filter(state=Adjustment.State.SCHEDULED, items__place_id__in=ids) \
        .select_related("notice").distinct().order_by("effective_at", "id")[:5]
    for adj in adjs:
        its = list(AdjustmentItem.objects.filter(adjustment=adj).select_related("place", "zone_type"))
        ending = {it.designation_id for it in its if it.op != AdjustmentItem.Op.CREATE}
        by_place = {}
        for d in rows:
            if d.id not in ending:
                by_place.setdefault(d.place_id, []).append(engine.Planned(d.place, d.zone_type, row=d))
        for it in its:
            if it.op != AdjustmentItem.Op.LIFT:
                by_place.setdefault(it.place_id, []).append(engine.Planned(it.place, it.zone_type, item=it))
        after = engine.best(levels, by_place)
        if (now is None and after is None) or (now is not None and after is not None and now.key == after.key):
            continue
        out.append({"at": adj.effective_at, "notice": adj.notice, "adjustment": adj,
                    "place": (after or now).place, "zone": after.zone_type if after else None,
                    "old": now.zone_type if now else None})
    return out
