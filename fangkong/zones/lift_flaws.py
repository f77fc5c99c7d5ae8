"""A lift that rested on wrong facts (a read and its words; marking is
`actions.escalate`, through `flawed`).

A case is confirmed at 16:00 in 3号楼; at 18:43 3号楼 is lifted ("已连续14天无新增"); at 18:50
the case is reported. The lift was published on facts that were already false: the case's
confirmed minute falls inside a zone over its home that a later lift (or step-down) ended.
`find` names such lifts for a household and a minute — the report's confirm step says so
before anything is recorded — and each is kept as a row (`row`) on the lift's adjustment
("解除依据有误：12-07 16:00 确诊病例于 18:50 补报", on its page, its notice's page and the API)
and on the escalation the case drafts, which is urgent at once (red, first in the lists).
No name is kept: the lift is read by everyone its notice zones. The families under the lifted
place are told once to stay at home until the new notice (`families`)."""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.core.tree import under
from fangkong.core.when import short_time
from fangkong.registry.queries import place_labels

from .models import Adjustment, AdjustmentItem, Designation

Op = AdjustmentItem.Op


@dataclass
class Flaw:
    designation: Designation  # the zone in force at the case's minute, ended since
    lift: Adjustment  # the publication that ended it
    item: AdjustmentItem  # its item: lift, or change to a less strict type

    @property
    def stepped_to(self):
        return self.item.zone_type if self.item.op != Op.LIFT else None


def find(levels, confirmed_at: datetime.datetime) -> list[Flaw]:
    """The lifts and step-downs published after `confirmed_at` of a zone that was in force
    then over a household with `levels` (its level place ids): the zones a case confirmed
    then was inside, ended since as if it had not been. Two queries."""
    ids = [v for v in levels if v]
    if not ids:
        return []
    ended = list(Designation.objects.filter(
        place_id__in=ids, starts_at__lte=confirmed_at, ends_at__gt=confirmed_at,
        ended_by__state=Adjustment.State.PUBLISHED).select_related("place", "zone_type", "ended_by__notice"))
    if not ended:
        return []
    items = {(it.adjustment_id, it.place_id): it for it in AdjustmentItem.objects.filter(
        adjustment_id__in={d.ended_by_id for d in ended}, place_id__in={d.place_id for d in ended})
        .select_related("zone_type")}
    out = []
    for d in ended:
        it = items.get((d.ended_by_id, d.place_id))
        if it is None:
            continue
        if it.op == Op.LIFT or (it.zone_type is not None and it.zone_type.severity < d.zone_type.severity):
            out.append(Flaw(designation=d, lift=d.ended_by, item=it))
    return sorted(out, key=lambda f: (f.designation.ends_at, f.designation.id))


def of_household(household, confirmed_at) -> list[Flaw]:
    return find(household.levels().values(), confirmed_at)


def row(flaw: Flaw, case) -> dict:
    """What a lift and an escalation keep of a flaw (said again in the reader's language)."""
    d, lift = flaw.designation, flaw.lift
    return {"case": case.id, "lift": lift.id, "notice": lift.notice.number if lift.notice_id else "",
            "place": d.place_id, "place_name": d.place.name, "zone_type": d.zone_type_id,
            "zone_name": d.zone_type.name, "to": flaw.stepped_to.id if flaw.stepped_to else None,
            "lifted_at": d.ends_at.isoformat(), "confirmed_at": case.confirmed_at.isoformat(),
            "reported_at": case.created_at.isoformat()}


def _at(value):
    return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value


def sentence(flaw_or_row, confirmed_at=None) -> str:
    """"3号楼 was lifted at 12-07 18:43 by 第19号 although a case there was confirmed at 12-07 16:00:
    the lift rested on wrong facts. Sealing it again is urgent." — the report's confirm step,
    the escalation it drafts, the staff's and the street's message."""
    if isinstance(flaw_or_row, Flaw):
        f = flaw_or_row
        words = {"place": f.designation.place.name, "zone": f.designation.zone_type.name,
                 "lifted": short_time(f.designation.ends_at),
                 "notice": f.lift.notice.number if f.lift.notice_id else f.lift.title,
                 "confirmed": short_time(confirmed_at), "to": f.stepped_to.name if f.stepped_to else ""}
    else:
        r = flaw_or_row
        words = {"place": r.get("place_name", ""), "zone": r.get("zone_name", ""),
                 "lifted": short_time(_at(r["lifted_at"])), "notice": r.get("notice", ""),
                 "confirmed": short_time(_at(r["confirmed_at"])), "to": _type_name(r.get("to"))}
    if words["to"]:
        return _("%(place)s (%(zone)s) was stepped down to %(to)s at %(lifted)s by %(notice)s although this case "
                 "was already confirmed at %(confirmed)s: the step-down rested on wrong facts. Sealing it again "
                 "is urgent.") % words
    return _("%(place)s (%(zone)s) was lifted at %(lifted)s by %(notice)s although this case was already "
             "confirmed at %(confirmed)s: the lift rested on wrong facts. Sealing it again is urgent.") % words


def _type_name(pk) -> str:
    if not pk:
        return ""
    from .models import ZoneType

    t = ZoneType.objects.filter(pk=pk).first()
    return t.name if t is not None else ""


def on_lift(r: dict) -> str:
    """"解除依据有误：12-07 16:00 确诊病例于 12-07 18:50 补报" — on the lift and its notice."""
    return _("Lifted on wrong facts: a case confirmed at %(confirmed)s was reported at %(reported)s, after "
             "the lift.") % {"confirmed": short_time(_at(r["confirmed_at"])),
                             "reported": short_time(_at(r["reported_at"]))}


def said(adj: Adjustment) -> list[str]:
    """`adj.lift_flaws` in the reader's language: on an escalation what it re-seals and why, on
    a lift that it rested on wrong facts."""
    rows = adj.lift_flaws or []
    if adj.reason == Adjustment.Reason.ESCALATION:
        return [sentence(r) for r in rows]
    return [on_lift(r) for r in rows]


def families(flaw: Flaw) -> list[dict]:
    """The message to the families under the place a flawed lift ended (their household's
    logins; they were told at the lift that its zone was over): the lift rested on wrong facts,
    stay at home until the new notice — urgent, in each reader's language, keyed by the lift
    and the place (a second case showing the same lift tells nobody again). [] when no family
    there has a login."""
    d, lift = flaw.designation, flaw.lift
    users = set(Membership.objects.filter(under(d.place, "household__"), is_active=True, role=Role.RESIDENT)
                .values_list("user_id", flat=True))
    if not users:
        return []
    place = place_labels([d.place]).get(d.place_id, d.place.name)
    notice = lift.notice.number if lift.notice_id else lift.title
    zone, to, at = d.zone_type.name, flaw.stepped_to.name if flaw.stepped_to else "", d.ends_at

    def body():  # in each reader's language (the time too)
        words = {"place": place, "lifted": short_time(at), "notice": notice, "zone": zone, "to": to}
        if to:
            return _("%(place)s was changed from a %(zone)s to a %(to)s at %(lifted)s by %(notice)s, but the "
                     "change rested on wrong facts: a case had been confirmed before it. Please all stay at home "
                     "and do not go out until the new notice.") % words
        return _("%(place)s was lifted at %(lifted)s by %(notice)s, but the lift rested on wrong facts: a case "
                 "had been confirmed before it. Please all stay at home and do not go out until the new "
                 "notice.") % words

    return [{"users": users, "kind": "zones.lift_flawed",
             "title": lambda: _("Urgent: stay at home until the new notice"), "body": body,
             "url": reverse("zones_notice", args=[lift.notice_id]) if lift.notice_id else "",
             "place": d.place, "key": f"zones.lift_flawed.{lift.id}.{d.place_id}"}]
