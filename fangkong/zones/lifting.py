"""Lifting recommendations: for every designation in force, every day — days since the last
new case inside it, whether the required final round was held and was all negative, and the
recommendation (keep, step down, lift) with its reasons in words. A read: drafting the
adjustment it recommends is `actions.lift.draft_from`.

A case counts for the most specific designation in force over its household (Shanghai: "a
new case keeps only its own building sealed" — once the building has its own designation,
the compound's count goes on). The count starts at the later of the zone's clock (its start,
or the start of the stricter zone it stepped down from) and the last case; day n is n
calendar days after that (the day of the case is day 0)."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
            levels = [v for v in case.levels().values() if v]
            covering = [o for o in engine.in_force(levels) if _covers(o, case)] or [d]
            owner = max(covering, key=lambda o: (engine.DEPTH[o.place.kind], o.starts_at))
            if owner.id == d.id:
                out[d.id] = case
                break
    return out


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
        return rec
    clean = day >= rule.clean_days
    if clean:
        rec.reasons.append(ngettext("%(day)d day without a new case (%(need)d needed).",
                                    "%(day)d days without a new case (%(need)d needed).", day)
                           % {"day": day, "need": rule.clean_days})
    else:
        rec.reasons.append(_("Day %(day)d of %(need)d without a new case: %(left)d more to go.")
                           % {"day": day, "need": rule.clean_days, "left": rule.clean_days - day})
    round_ok = True
    if rule.round_day is not None:
        round_ok = False
        late = [r for r in evidence.rounds_over(d.place, start)
                if (r.day - counted_from).days >= rule.round_day and r.day <= today]
        good = [r for r in late if r.all_negative]
        if good:
            r = good[-1]
            round_ok = True
            rec.reasons.append(_("Round %(name)s on day %(n)d: all negative.")
                               % {"name": r.name, "n": (r.day - counted_from).days})
        elif late:
            r = late[-1]
            rec.reasons.append(
                (_("Round %(name)s on day %(n)d is not all negative.") if r.finished else
                 _("Round %(name)s on day %(n)d: results are not all in yet."))
                % {"name": r.name, "n": (r.day - counted_from).days})
        else:
            rec.reasons.append(_("An all-negative round on day %(n)d or later is required; none yet.")
                               % {"n": rule.round_day})
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
