"""A zone type's stored rule values in words, for the list of rule changes (`views.zone_type`).
Apart from `rule_words` because it reads the models' choices, and the models word their
rules through `rule_words` (no import cycle in an app: tests/test_imports.py)."""

from django.utils.translation import gettext as _

from .models import LiftRule, ZoneType


def rule_value(key: str, value, names: dict) -> str:
    """A rule's stored value in words: a zone type by its name (`names`: code → name, the
    policy's types), lift or step down, the escalation's reach, yes or no; "—" for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in ("escalate_to", "lift_to"):
        return str(names.get(value, value))
    if key == "lift_outcome":
        return str(LiftRule.Outcome(value).label) if value in LiftRule.Outcome.values else str(value)
    if key == "escalate_scope":
        return ZoneType(escalate_scope=value).escalate_scope_label
    return str(value)
