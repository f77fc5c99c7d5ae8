"""Lifting recommendations: for every designation in force, every day — days since the last
new case inside it, whether the required final round was held and was all negative, and the
recommendation (keep, step down, lift) with its reasons in words. A read: drafting the
adjustment it recommends is `actions.lift.draft_from`.

A case counts for the most specific designation in force over its household at the minute
it was confirmed (Shanghai: "a new case keeps only its own building sealed" — once the
building has its own designation, the compound's count goes on) — unless that place was
lifted since (a case reported after the lift it was confirmed before: the lift rested on
wrong facts), when it counts for the zone over it still in force. A zone drawn after the
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
from django.utils.translation import gettext_noop, ngettext

from fangkong.core.errors import Conflict
from fangkong.core.said import define, kept, said, say
from fangkong.core.text import join_words
from fangkong.core.tree import ancestor_ids

from . import engine, evidence
from .models import Designation, LiftRule, ZoneCase, ZoneType

KEEP, STEP_DOWN, LIFT = "keep", "step_down", "lift"

# what of a lifting rule is not met, kept as codes (`Adjustment.against_rule`)
UNMET_DAYS = define("zones.unmet.days", gettext_noop("day %(day)d/%(need)d without a new case"))
UNMET_UNTESTED = define("zones.unmet.untested", gettext_noop("the final round did not test everyone"))
UNMET_POSITIVE = define("zones.unmet.positive", gettext_noop("the final round is not all negative"))
UNMET_PENDING = define("zones.unmet.pending", gettext_noop("the final round's results are not all in"))
UNMET_NO_ROUND = define("zones.unmet.no_round", gettext_noop("no final round yet"))


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
    # what of the rule is not met, in short (each a `core.said` message, kept with a
    # publication against the rule and said again in its reader's language)
    unmet: list[str] = field(default_factory=list)
    today: datetime.date | None = None  # the day it was made for (None: today)
    # the zone its households are in once it ends by its rule (`ends_in`, set by
    # `recommendations`): (zone type, the designation over it that holds them then, or None)
    # — (None, None): no zone at all
    after: tuple = (None, None)

    @property
    def due(self) -> datetime.date | None:
        """The first day the rule can be met, counted from `counted_from`: its clean days
        reached and its final round's day come (the later); None without a lifting rule."""
        if self.rule is None:
            return None
        return self.counted_from + datetime.timedelta(days=max(self.rule.clean_days, self.rule.round_day or 0))

    @property
    def overdue(self) -> bool:
        """Kept although its day has come: something else of the rule is unmet (the final
        round) — no date can be promised, `earliest_words` says what is missing."""
        due = self.due
        return self.action == KEEP and due is not None and due <= (self.today or timezone.localdate())

    @property
    def earliest(self) -> datetime.date | None:
        """The earliest day the zone may end (or change to its rule's milder zone) — the date
        the family's household panel says (`family_words.next_steps`), the staff's recommendation and
        the API: `due`. None without a lifting rule (it ends by hand), and None while kept
        past that day (`overdue`: a date already past would be read as a promise)."""
        return None if self.overdue else self.due

    @property
    def rule_to(self) -> ZoneType | None:
        """The milder zone its rule changes it to (None: its rule lifts it, or none)."""
        rule = self.rule
        if self.action == STEP_DOWN and self.to is not None:
            return self.to
        if rule is not None and rule.outcome != LiftRule.Outcome.LIFT and rule.to_id:
            return rule.to
        return None

    @property
    def end_name(self) -> str:
        """The zone it changes to when it ends by its rule ("" when it is lifted)."""
        to = self.rule_to
        return to.name if to is not None else ""

    def _as_above(self) -> dict | None:
        """{"zone", "place"} when a zone over it holds its households once it ends (a building
        sealed inside its compound's 管控区), else None."""
        zone, over = self.after
        if zone is None or over is None:
            return None
        return {"zone": zone.name, "place": over.place.name}

    @property
    def earliest_words(self) -> str:
        """"最早 12月21日 可以解除" (or change to its milder zone, or to the zone over it:
        "最早 12月21日 可以转为管控区（随光明小区）"); kept past that day, what is still unmet
        instead of a date ("满足以下条件后即可解除：末轮核酸未完成"); "" without a rule."""
        above = self._as_above()
        if self.overdue and self.unmet:
            end, unmet = self.end_name, join_words([str(u) for u in self.unmet])
            if above:
                return _("It can change to %(zone)s (as %(place)s) once this is met: %(unmet)s.") % {
                    **above, "unmet": unmet}
            return (_("It can change to %(zone)s once this is met: %(unmet)s.") % {"zone": end, "unmet": unmet}
                    if end else _("It can end once this is met: %(unmet)s.") % {"unmet": unmet})
        if self.earliest is None:
            return ""
        end, date = self.end_name, _day(self.earliest)
        if above:
            return _("At the earliest it can change to %(zone)s (as %(place)s) on %(date)s.") % {
                **above, "date": date}
        return (_("At the earliest it can change to %(zone)s on %(date)s.") % {"zone": end, "date": date}
                if end else _("At the earliest it can end on %(date)s.") % {"date": date})

    @property
    def label(self) -> str:
        """The day's advice: "解除", "降为管控区", "维持" — or, when a zone over it holds its
        households once it ends, that zone: "转为管控区（随光明小区）", never "解除"."""
        above = self._as_above()
        if above and self.action != KEEP:
            return _("Change to %(zone)s (as %(place)s)") % above
        return self.action_label

    @property
    def action_label(self) -> str:
        """What the drafted change does to this place itself (a lift draft's title)."""
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
    # a zone lifted after the case (reported late: the lift rested on wrong facts, `lift_flaws`)
    # no longer holds it: the case counts for the zone over it still in force (the compound's
    # count restarts), never for no zone at all
    lifted = {o.place_id for o in covering if o.ends_at is not None and o.ends_at < case.created_at}
    if lifted:
        lifted -= set(Designation.objects.filter(place_id__in=lifted, ends_at=None).values_list("place_id", flat=True))
        covering = [o for o in covering if o.place_id not in lifted]
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
                         last_case=last_case, today=today)
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
        rec.unmet.append(said(UNMET_DAYS, day=day, need=rule.clean_days))
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
                rec.unmet.append(said(UNMET_UNTESTED))
            else:
                rec.reasons.append(
                    (_("Round %(name)s on day %(n)d is not all negative.") if r.finished else
                     _("Round %(name)s on day %(n)d: results are not all in yet.")) % words)
                rec.unmet.append(said(UNMET_POSITIVE) if r.finished else said(UNMET_PENDING))
        else:
            rec.reasons.append(_("An all-negative round on day %(n)d or later is required; none yet.")
                               % {"n": rule.round_day})
            rec.unmet.append(said(UNMET_NO_ROUND))
    if rec.round is not None and rec.round.to_sample is not None:
        rec.reasons.append(_("Tested %(done)d/%(of)d.") % {"done": rec.round.sampled, "of": rec.round.to_sample})
    if clean and round_ok:
        rec.action = LIFT if rule.outcome == LiftRule.Outcome.LIFT else STEP_DOWN
        rec.to = rule.to if rec.action == STEP_DOWN else None
        rec.reasons.append(rule.note)
    return rec


def recommendations(designations: list[Designation], today: datetime.date | None = None, *, over=None):
    """One recommendation per designation in force (ordered as given), each with the zone its
    households fall to when it ends (`after`, `ends_in`; `over`: the level ids it is read at)."""
    today = today or timezone.localdate()
    cases = last_cases(designations)
    recs = [recommend(d, today, cases.get(d.id)) for d in designations]
    ends_in(recs, over)
    return recs


def ends_in(recs: list[Recommendation], over=None) -> None:
    """Set each recommendation's `after`: the zone its households are in once it ends by its
    rule — its rule's milder zone, or the strictest other zone in force over them (a building
    sealed inside its compound's 管控区 stays a 管控区), whichever is stricter, with that other
    designation when it is the one. The one rule for the staff's advice (lifting page, zones
    page, `GET /zones/lifting`) and the family's next steps (`family_words.next_steps`).
    `over`: the level ids to read the zones over it at (a household's own levels: the family's
    page), default each designation's place and the places above it. One query."""
    wanted = {id(r): set(over) if over is not None else set(ancestor_ids(r.designation)) for r in recs}
    everywhere = set().union(*wanted.values()) if wanted else set()
    force = engine.in_force(everywhere) if everywhere else []
    for r in recs:
        others = [o for o in force if o.place_id in wanted[id(r)] and o.id != r.designation.id]
        above = max(others, key=lambda o: (o.zone_type.severity, engine.DEPTH.get(o.place.kind, 0)), default=None)
        to = r.rule_to
        if above is not None and (to is None or above.zone_type.severity >= to.severity):
            r.after = (above.zone_type, above)
        else:
            r.after = (to, None)


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
        return said_again(self.kept())

    def kept(self) -> dict:
        """What a publication keeps of it (`Adjustment.against_rule`, the API's 409 and
        answer): the place, the zone, what is unmet (message codes) or the one change the
        rule allows today, and the sentence in the language of the moment (`text`)."""
        rec, d = self.recommendation, self.recommendation.designation
        row = {"place": d.place_id, "place_name": self.place, "zone_type": d.zone_type_id,
               "zone_code": d.zone_type.code, "zone_name": self.zone,
               "unmet": [kept(u) | {"text": str(u)} for u in rec.unmet],
               "allows": "" if rec.unmet else rec.action, "allows_to": rec.to.id if rec.to else None}
        row["text"] = said_again(row)
        return row


def said_again(row: dict) -> str:
    """The sentence of a kept `Against` row in the language active now (its zone names read
    again; a message no longer known: the text kept)."""
    types = {t.id: t for t in ZoneType.objects.filter(pk__in=[x for x in (row.get("zone_type"),
                                                                            row.get("allows_to")) if x])}
    zone = types[row["zone_type"]].name if row.get("zone_type") in types else row.get("zone_name", "")
    unmet = [say(u.get("code"), u.get("params"), u.get("text", "")) for u in row.get("unmet") or []]
    if unmet:
        why = _("the lifting rule is not met: %(unmet)s") % {"unmet": join_words(unmet)}
    else:  # met only for a step down, and this lifts further
        to = types.get(row.get("allows_to"))
        label = (_("Step down to %(zone)s") % {"zone": to.name} if to is not None
                 else _("Lift") if row.get("allows") == LIFT else _("Keep"))
        why = _("the lifting rule allows only: %(label)s") % {"label": label}
    return _("%(place)s (%(zone)s): %(why)s.") % {"place": row.get("place_name", ""), "zone": zone, "why": why}


def against_words() -> str:
    """"不符合解除规则发布": a publication that lifted or stepped down a zone against its rule."""
    return _("Published against the lifting rule")


def against_error(against: list["Against"]):
    """The 409 `against_rule` of an API publication or schedule not confirmed: the alarm the
    web's confirm step shows ("规则未满足，确定仍要解除？"), one sentence per place, and `places`
    (each place, its zone, what is unmet); nothing written. Sent again with `confirm: true`
    it goes ahead, and the adjustment says it was published against the rule."""
    rows = [a.kept() for a in against]
    return Conflict(" ".join([_("The lifting rule is not met. Lift anyway?"), *(r["text"] for r in rows),
                              _("Send it again with confirm: true to publish it anyway; the adjustment "
                                "will say it was published against the lifting rule.")]),
                    code="against_rule", extra={"places": [_out(r) for r in rows]})


def against_out(rows) -> list[dict]:
    """Kept rows as the API says them: place, names, what is unmet, the sentence (reader's language)."""
    return [_out(r) for r in rows or []]


def _out(row: dict) -> dict:
    return {"place": row.get("place"), "place_name": row.get("place_name", ""),
            "zone_type": row.get("zone_code"),
            "unmet": [say(u.get("code"), u.get("params"), u.get("text", "")) for u in row.get("unmet") or []],
            "sentence": said_again(row)}


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
