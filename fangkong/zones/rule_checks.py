"""A zone type's rule change checked before it is kept: raw values → clean ones, or an
error per field in the reader's language. The escalation (a case inside makes it a stricter
type, never round in a circle) and the type's own lifting rule (days without a new case, the
final round's day, lift or step down to a less strict type) are checked against the rules as
they will be after the change."""

import re

from django.utils.translation import gettext as _

from .models import EDITABLE_RULES, ESCALATE_SCOPES, LIFT_RULES, LiftRule, ZoneType

MAX_CLEAN_DAYS = 60


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
        f = ZoneType._meta.get_field(key)
        try:
            value = f.clean(value, zone_type)
        except Exception as e:  # noqa: BLE001 - Django's ValidationError, shown in the field
            errors[key] = [str(m) for m in getattr(e, "messages", [str(e)])]
            continue
        if key == "pool_size" and not 1 <= value <= 50:
            errors[key] = [_("Between 1 and 50 people per tube.")]
            continue
        if key == "colour" and not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
            errors[key] = [_("A colour like #c0392b.")]
            continue
        if key == "escalate_scope" and value not in ESCALATE_SCOPES:
            errors[key] = [_("Choose the building, the unit or the whole designated area.")]
            continue
        after[key] = value
    rules = {**before, **{k: v for k, v in after.items() if k not in errors}}
    if rules["lift_outcome"] == LiftRule.Outcome.LIFT and rules["lift_to"] is not None:
        after["lift_to"] = rules["lift_to"] = None  # lifted: to no type
    _escalation(zone_type, before, rules, after, errors)
    _lifting(zone_type, before, rules, after, errors)
    changes = {k: [before[k], v] for k, v in after.items() if k not in errors and before.get(k) != v}
    return changes, errors


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
            errors["escalate_to"] = [_("A case inside must make the zone stricter: choose a type stricter "
                                       "than %(zone)s, or %(zone)s itself.") % {"zone": zone_type.name}]
            return
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
    if rules["severity"] != before["severity"]:
        for t in types.values():
            if t.code != zone_type.code and t.escalate_to_id == zone_type.pk and t.severity >= severity:
                errors["severity"] = [_("Escalation from %(zone)s (a case inside) leads to this type: it "
                                        "must stay stricter than %(zone)s.") % {"zone": t.name}]
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
