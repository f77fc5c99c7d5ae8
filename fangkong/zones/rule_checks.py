"""A zone type's rule change checked before it is kept: raw values → clean ones, or an
error per field in the reader's language. The escalation (a case inside makes it a stricter
type, never round in a circle) and the type's own lifting rule (days without a new case, the
final round's day, lift or step down to a less strict type) are checked against the rules as
they will be after the change."""

import re

from django.utils.translation import gettext as _

from fangkong.core.clean import clean as clean_text

from .models import EDITABLE_RULES, ESCALATE_SCOPES, LIFT_RULES, LiftRule, ZoneType

MAX_CLEAN_DAYS = 60
MAX_PER_WEEK = 14  # PCR or antigen: twice a day at most (the cadence says "2 times a day")
MAX_COLLECT_DAYS = 30  # one collector per household every 1..30 days; empty: no collection rule


def _int(value, errors, key):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[key] = [_("A whole number.")]
        return None


def clean(zone_type: ZoneType, data: dict) -> tuple[dict, dict]:
    """(changes {field: [before, after]}, errors {field: [message]})."""
    errors, after = {}, {}
    before = zone_type.rule_values()
    for key, value in data.items():
        if key in LIFT_RULES:
            if key in ("lift_clean_days", "lift_round_day"):
                value = _int(value, errors, key)
            else:
                value = (value or None) if isinstance(value, str) or value is None else value
            after[key] = value
            continue
        if key not in EDITABLE_RULES:
            errors[key] = [_("This field cannot be changed.")]
            continue
        if key == "escalate_to":
            after[key] = value or None
            continue
        if key in COLLECT_TEXT:
            value = clean_text(str(value or "")).strip()
        if key in COLLECT_HOURS:
            value = _clock(value, errors, key)
            if key in errors:
                continue
        f = ZoneType._meta.get_field(key)
        try:
            value = f.clean(value, zone_type)
        except Exception as e:  # noqa: BLE001 - Django's ValidationError, shown in the field
            errors[key] = [str(m) for m in getattr(e, "messages", [str(e)])]
            continue
        if key == "pool_size" and not 1 <= value <= 50:
            errors[key] = [_("Between 1 and 50 people per tube.")]
            continue
        if key in ("pcr_per_week", "antigen_per_week") and not 0 <= value <= MAX_PER_WEEK:
            errors[key] = [_("From 0 to %(n)d a week (twice a day).") % {"n": MAX_PER_WEEK}]
            continue
        if key == "collect_every_days" and value is not None and not 1 <= value <= MAX_COLLECT_DAYS:
            errors[key] = [_("Every how many days: from 1 to %(n)d, or empty for no collection rule.") % {"n": MAX_COLLECT_DAYS}]
            continue
        if key == "colour" and not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
            errors[key] = [_("A colour like #c0392b.")]
            continue
        if key == "escalate_scope" and value not in ESCALATE_SCOPES:
            errors[key] = [_("Choose the building, the unit or the whole designated area.")]
            continue
        after[key] = value
    _stale_note(before, after, errors)
    rules = {**before, **{k: v for k, v in after.items() if k not in errors}}
    _hours(before, rules, errors)
    if rules["lift_outcome"] == LiftRule.Outcome.LIFT and rules["lift_to"] is not None:
        after["lift_to"] = rules["lift_to"] = None  # lifted: to no type
    _escalation(zone_type, before, rules, after, errors)
    _lifting(zone_type, before, rules, after, errors)
    _order(zone_type, before, rules, errors)
    changes = {k: [before[k], v] for k, v in after.items() if k not in errors and before.get(k) != v}
    return changes, errors


COLLECT_TEXT = ("collect_place_zh", "collect_place_en", "collect_from", "collect_until")
COLLECT_HOURS = ("collect_from", "collect_until")


def _clock(value: str, errors, key) -> str:
    """A time of day typed "7:00", "07:00" or "07:00:00" → "07:00"; "" for none."""
    if not value:
        return ""
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?", value)
    if m is None:
        errors[key] = [_("A time of day like 08:00, or empty.")]
        return value
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _hours(before, rules, errors):
    """The collection hours, as they will be: both or neither, the start before the end (on
    one day). Said on the field that was changed."""
    start, end = rules["collect_from"], rules["collect_until"]
    if any(k in errors for k in COLLECT_HOURS) or (start, end) == (before["collect_from"], before["collect_until"]):
        return
    field = "collect_until" if end != before["collect_until"] else "collect_from"
    if bool(start) != bool(end):
        errors[field] = [_("Give both the start and the end of the collection hours, or neither.")]
    elif start and start >= end:
        errors[field] = [_("The collection hours end after they start, on the same day.")]


def _types(zone_type):
    return {t.code: t for t in ZoneType.objects.filter(policy_id=zone_type.policy_id)}


def _escalation(zone_type, before, rules, after, errors):
    if all(rules[k] == before[k] for k in ("escalate_to", "severity")):
        return
    types = _types(zone_type)
    severity = rules["severity"]
    target = rules["escalate_to"]
    if target is not None:
        t = types.get(target)
        if t is None:
            errors["escalate_to"] = [_("Choose a zone type of this policy.")]
            return
        if t.code != zone_type.code and t.severity <= severity:
            return  # not stricter: said by `_order`
        # no circle: following the escalations from the target never comes back here
        seen, code = [zone_type.name], target
        while code is not None and code != zone_type.code:
            t = types[code]
            seen.append(t.name)
            if len(seen) > len(types) + 1:
                break
            nxt = t.escalate_to.code if t.escalate_to_id else None
            code = None if nxt == t.code else nxt
        if code == zone_type.code and target != zone_type.code:
            errors["escalate_to"] = [_("Escalation would go round in a circle: %(path)s.")
                                     % {"path": " → ".join([*seen, zone_type.name])}]
            return


def _lifting(zone_type, before, rules, after, errors):
    if all(rules[k] == before[k] for k in LIFT_RULES):
        return
    clean_days, round_day = rules["lift_clean_days"], rules["lift_round_day"]
    if clean_days is None or not 1 <= clean_days <= MAX_CLEAN_DAYS:
        errors.setdefault("lift_clean_days", [_("Days without a new case: from 1 to %(n)d.")
                                              % {"n": MAX_CLEAN_DAYS}])
        return
    if round_day is not None and not 0 <= round_day <= clean_days:
        errors["lift_round_day"] = [_("The final round's day is from 0 to the days without a new case "
                                      "(%(n)d), or empty for none.") % {"n": clean_days}]
    outcome = rules["lift_outcome"]
    if outcome not in LiftRule.Outcome.values:
        errors["lift_outcome"] = [_("Choose lift or step down.")]
        return
    if outcome == LiftRule.Outcome.STEP_DOWN:
        t = _types(zone_type).get(rules["lift_to"] or "")
        if t is None or t.severity >= rules["severity"]:
            errors["lift_to"] = [_("Step down to a less strict type of this policy.")]


def _stale_note(before, after, errors):
    """New testing numbers make the free-text note beside them (`cadence_zh`/`cadence_en`,
    "每周3次核酸+4次抗原") wrong: it is cleared in the same change (audited, listed), unless
    a new note is given with the numbers."""
    if not any(k in after and k not in errors and after[k] != before[k]
               for k in ("pcr_per_week", "antigen_per_week")):
        return
    for key in ("cadence_zh", "cadence_en"):
        if before[key] and after.get(key, before[key]) == before[key]:
            after[key] = ""


def _order(zone_type, before, rules, errors):
    """The policy's order of strictness as it will be after the change, on every change: a
    case makes a zone stricter (the type it escalates to is stricter, or itself), lifting
    steps down to a less strict type — this type's own escalation and lifting rules, and
    those of the types that escalate or step down to it. Lifting and the rule-not-met check
    rely on this order (a step down is to a lower `severity`)."""
    types = {t.pk: t for t in ZoneType.objects.filter(policy_id=zone_type.policy_id)}
    by_code = {t.code: t for t in types.values()}
    sev = rules["severity"]
    moved = rules["severity"] != before["severity"]

    def severity(t):
        return sev if t.pk == zone_type.pk else t.severity

    def said(key, own, message):
        # on the field the user changed: the target, or else the type's severity
        field = own if rules[own] != before[own] or not moved else "severity"
        errors.setdefault(field, [message])

    up = by_code.get(rules["escalate_to"] or "")
    if up is not None and up.pk != zone_type.pk and up.severity <= sev and "escalate_to" not in errors:
        said("escalate_to", "escalate_to",
             _("A case inside must make the zone stricter: %(to)s is not stricter than %(zone)s. Choose a "
               "stricter type, or %(zone)s itself.") % {"to": up.name, "zone": zone_type.name})
    down = by_code.get(rules["lift_to"] or "") if rules["lift_outcome"] == LiftRule.Outcome.STEP_DOWN else None
    if down is not None and down.severity >= sev and "lift_to" not in errors:
        said("lift_to", "lift_to", _("Lifting must step down to a less strict type: %(to)s is not less strict "
                                     "than %(zone)s.") % {"to": down.name, "zone": zone_type.name})
    if not moved or "severity" in errors:
        return
    for t in types.values():
        if t.pk != zone_type.pk and t.escalate_to_id == zone_type.pk and t.severity >= sev:
            errors["severity"] = [_("Escalation from %(zone)s (a case inside) leads to this type: it "
                                    "must stay stricter than %(zone)s.") % {"zone": t.name}]
            return
    rules_in = LiftRule.objects.filter(zone_type__policy_id=zone_type.policy_id,
                                       outcome=LiftRule.Outcome.STEP_DOWN)
    for r in rules_in:
        frm, to = types.get(r.zone_type_id), types.get(r.to_id)
        if frm is None or to is None or zone_type.pk not in (frm.pk, to.pk):
            continue
        if frm.pk == zone_type.pk and r.after_id is None:
            continue  # its own rule: as changed, checked above
        if severity(frm) <= severity(to):
            if frm.pk == zone_type.pk:
                msg = _("Lifting steps down from this type to %(zone)s: it must stay stricter than "
                        "%(zone)s.") % {"zone": to.name}
            else:
                msg = _("Lifting steps down from %(zone)s to this type: it must stay less strict than "
                        "%(zone)s.") % {"zone": frm.name}
            errors["severity"] = [msg]
            return
