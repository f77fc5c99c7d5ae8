"""Lifting recommendations: for every designation in force, every day — days since the last
new case inside it, whether the required final round was held and was all negative, and the
recommendation (keep, step down, lift) with its reasons in words. A read: drafting the
adjustment it recommends is `actions.lift.draft_from`.

A case counts for the most specific designation in force over its household at the minute
it was confirmed (Shanghai: "a new case keeps only its own building sealed" — once the
building has its own designation, the compound's count goes on). A zone drawn after the
case (the case's building sealed because of it) does not take the case away from the zone
it was confirmed in: that compound's count restarts that day. The count starts at the later of the zone's clock (its start,
or the start of the stricter zone it stepped down from) and the last case; day n is n
calendar days after that (the day of the case is day 0).

A round is the zone's all-negative round only when everyone in the zone who had to be
tested was tested (screening's coverage: 已检 x/应检 y) and every result is in and negative
(`evidence.RoundEvidence`)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.text import join_words

from . import engine, evidence
from .models import Designation, LiftRule, ZoneCase, ZoneType

KEEP, STEP_DOWN, LIFT = "keep", "step_down", "lift"


@dataclass
class Recommendation:
    designation: Designation
    action: str
    day: int
    counted_from: datetime.date
    to: ZoneType | None = None
    rule: LiftRule | None = None
    last_case: ZoneCase | None = None
    reasons: list[str] = field(default_factory=list)
    round: evidence.RoundEvidence | None = None  # the final round the rule read (None: none yet)
    unmet: list[str] = field(default_factory=list)  # what of the rule is not met, in short

    @property
    def label(self) -> str:
        if self.action == LIFT:
            return _("Lift")
        if self.action == STEP_DOWN:
            return _("Step down to %(zone)s") % {"zone": self.to.name}
        return _("Keep")


def _day(d: datetime.date) -> str:
    return date_format(d, "MONTH_DAY_FORMAT")


def _covers(d: Designation, case: ZoneCase) -> bool:
    kind = d.place.kind
    if kind not in engine.DEPTH:
        return False
    return getattr(case, f"{kind}_id") == d.place_id


def last_cases(designations: list[Designation]) -> dict[int, ZoneCase]:
    """The last case each designation owns (see the module's docstring)."""
    out = {}
    for d in designations:
        if d.place.kind not in engine.DEPTH:
            continue
        for case in ZoneCase.objects.filter(engine.under_q(d.place), confirmed_at__gte=d.clock_from
                                            ).order_by("-confirmed_at")[:50]:
            if _owner(case, d) == d.place_id:
                out[d.id] = case
                break
    return out


def _owner(case: ZoneCase, d: Designation) -> int:
    """The place whose zone a case counts for: the most specific one over its household that
    was in force at the minute it was confirmed (`d`'s own place when none was)."""
    levels = [v for v in case.levels().values() if v]
    at = case.confirmed_at
    then = (Designation.objects.filter(place_id__in=levels, starts_at__lte=at)
            .filter(Q(ends_at=None) | Q(ends_at__gt=at)).select_related("place"))
    covering = [o for o in then if o.place.kind in engine.DEPTH and _covers(o, case)]
    if not covering:
        return d.place_id
    return max(covering, key=lambda o: engine.DEPTH[o.place.kind]).place_id


def rule_for(d: Designation) -> LiftRule | None:
    rules = list(d.zone_type.lift_rules.all())
    if d.stepped_from_id:
        after = [r for r in rules if r.after_id == d.stepped_from_id]
        if after:
            return after[0]
    plain = [r for r in rules if r.after_id is None]
    return plain[0] if plain else None


def recommend(d: Designation, today: datetime.date, last_case: ZoneCase | None) -> Recommendation:
    start = d.clock_from
    if last_case is not None and last_case.confirmed_at > start:
        start = last_case.confirmed_at
    counted_from = timezone.localdate(start)
    day = (today - counted_from).days
    rec = Recommendation(designation=d, action=KEEP, day=day, counted_from=counted_from,
                         last_case=last_case)
    rule = rec.rule = rule_for(d)
    if last_case is not None:
        rec.reasons.append(_("Last new case inside: %(date)s.") % {"date": _day(counted_from)})
    if rule is None:
        rec.reasons.append(_("The policy has no lifting rule for %(zone)s: it is lifted by hand.")
                           % {"zone": d.zone_type.name})
        return rec  # no rule: lifting it by hand is not against one
    clean = day >= rule.clean_days
    if clean:
        rec.reasons.append(ngettext("%(day)d day without a new case (%(need)d needed).",
                                    "%(day)d days without a new case (%(need)d needed).", day)
                           % {"day": day, "need": rule.clean_days})
    else:
        rec.reasons.append(_("Day %(day)d of %(need)d without a new case: %(left)d more to go.")
                           % {"day": day, "need": rule.clean_days, "left": rule.clean_days - day})
        rec.unmet.append(_("day %(day)d/%(need)d without a new case") % {"day": day, "need": rule.clean_days})
    round_ok = True
    if rule.round_day is not None:
        round_ok = False
        late = [r for r in evidence.rounds_over(d.place, start)
                if (r.day - counted_from).days >= rule.round_day and r.day <= today]
        good = [r for r in late if r.all_negative]
        if good:
            r = rec.round = good[-1]
            round_ok = True
            rec.reasons.append(_("Round %(name)s on day %(n)d: all negative.")
                               % {"name": r.name, "n": (r.day - counted_from).days})
        elif late:
            r = rec.round = late[-1]
            words = {"name": r.name, "n": (r.day - counted_from).days}
            if not r.complete:
                rec.reasons.append(ngettext(
                    "Round %(name)s on day %(n)d did not test everyone: %(missing)d person not tested.",
                    "Round %(name)s on day %(n)d did not test everyone: %(missing)d people not tested.",
                    r.missing) % {**words, "missing": r.missing})
                rec.unmet.append(_("the final round did not test everyone"))
            else:
                rec.reasons.append(
                    (_("Round %(name)s on day %(n)d is not all negative.") if r.finished else
                     _("Round %(name)s on day %(n)d: results are not all in yet.")) % words)
                rec.unmet.append(_("the final round is not all negative") if r.finished else
                                 _("the final round's results are not all in"))
        else:
            rec.reasons.append(_("An all-negative round on day %(n)d or later is required; none yet.")
                               % {"n": rule.round_day})
            rec.unmet.append(_("no final round yet"))
    if rec.round is not None and rec.round.to_sample is not None:
        rec.reasons.append(_("Tested %(done)d/%(of)d.") % {"done": rec.round.sampled, "of": rec.round.to_sample})
    if clean and round_ok:
        rec.action = LIFT if rule.outcome == LiftRule.Outcome.LIFT else STEP_DOWN
        rec.to = rule.to if rec.action == STEP_DOWN else None
        rec.reasons.append(rule.note)
    return rec


def recommendations(designations: list[Designation], today: datetime.date | None = None):
    """One recommendation per designation in force (ordered as given)."""
    today = today or timezone.localdate()
    cases = last_cases(designations)
    return [recommend(d, today, cases.get(d.id)) for d in designations]


@dataclass
class Against:
    """An item of an adjustment that lifts or steps down a zone further than its rule allows
    today, and what of the rule is not met."""

    place: str
    zone: str
    recommendation: Recommendation

    @property
    def sentence(self) -> str:
        """"3号楼（封控区）: 规则未满足：无新增第0/14天、末轮核酸未完成" — for the confirm step
        and the audit record."""
        rec = self.recommendation
        if rec.unmet:
            why = _("the lifting rule is not met: %(unmet)s") % {"unmet": join_words(rec.unmet)}
        else:  # met only for a step down, and this lifts further
            why = _("the lifting rule allows only: %(label)s") % {"label": rec.label}
        return _("%(place)s (%(zone)s): %(why)s.") % {"place": self.place, "zone": self.zone, "why": why}


def against_rule(items, today: datetime.date | None = None) -> list[Against]:
    """The items (an adjustment's) that end a zone in force — lift it, or change it to a less
    severe one — while its lifting rule does not allow that much today: recommended kept, or
    only stepped down to a stricter zone than the one chosen. Officials may still publish
    (the confirm step says so, the audit records it)."""
    out = []
    for it in items:
        d = it.designation
        if d is None or d.ends_at is not None:
            continue
        lifted = it.zone_type is None
        if not lifted and it.zone_type.severity >= d.zone_type.severity:
            continue  # not a step down
        rec = recommendations([d], today)[0]
        if rec.rule is None:
            continue
        allowed = {LIFT: None, STEP_DOWN: rec.to, KEEP: d.zone_type}[rec.action]
        if allowed is None:
            continue
        if lifted or it.zone_type.severity < allowed.severity:
            out.append(Against(place=d.place.name, zone=d.zone_type.name, recommendation=rec))
    return out


def said_to_family(rec: Recommendation) -> list[str]:
    """The lifting progress of the family's own zone in plain words (`household_panel`), from
    the recommendation staff read on the lifting page: the day count, the earliest day it can
    end, the final round it needs, and what restarts the count."""
    rule = rec.rule
    if rule is None:
        return [_("There is no set day for this zone to end: it ends by a notice when the community "
                  "decides. You will be told here.")]
    end = rec.to.name if rec.action == STEP_DOWN and rec.to is not None else \
        rule.to.name if rule.outcome != LiftRule.Outcome.LIFT and rule.to_id else ""
    if rec.action != KEEP:
        return [(_("The rule for changing it to %(zone)s is met: the community decides and publishes a "
                   "notice. You will be told here.") % {"zone": end}) if end else
                _("The rule for ending it is met: the community decides and publishes a notice. You "
                  "will be told here.")]
    out = []
    left = rule.clean_days - rec.day
    earliest = _day(rec.counted_from + datetime.timedelta(days=rule.clean_days))
    if left > 0:
        out.append(ngettext("Day %(day)d of %(need)d without a new case: %(left)d more day to go.",
                            "Day %(day)d of %(need)d without a new case: %(left)d more days to go.", left)
                   % {"day": rec.day, "need": rule.clean_days, "left": left})
    else:
        out.append(ngettext("%(day)d day without a new case (%(need)d needed).",
                            "%(day)d days without a new case (%(need)d needed).", rec.day)
                   % {"day": rec.day, "need": rule.clean_days})
    if rule.round_day is not None:
        out.append(_("Everyone here must also test negative in a testing round on %(date)s or later.")
                   % {"date": _day(rec.counted_from + datetime.timedelta(days=rule.round_day))})
    out.append((_("At the earliest it can change to %(zone)s on %(date)s.") % {"zone": end, "date": earliest})
               if end else _("At the earliest it can end on %(date)s.") % {"date": earliest})
    out.append(_("A new case here starts the count again."))
    return out
