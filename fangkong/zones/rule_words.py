"""A zone type's rules said in words from its numbers, in the reader's language: the one
place the testing cadence ("每日1次核酸", "PCR every day") and a lifting rule ("连续7天无新增
…") are worded. The free text an administrator wrote beside them (`cadence_zh`, a lifting
rule's note) is a note, never the rule: the numbers are what the plan, the lifting count and
these words follow."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _times(n: int, daily, weekly) -> str:
    if n % 7 == 0:
        k = n // 7
        return ngettext(*daily, k) % {"n": k}
    return ngettext(*weekly, n) % {"n": n}


def cadence_words(pcr_per_week: int, antigen_per_week: int) -> str:
    """"每周5次核酸，每周1次抗原" / "PCR 5 times a week, antigen test once a week"; "" when the
    type calls for no routine testing."""
    parts = []
    if pcr_per_week:
        parts.append(_times(pcr_per_week, ("PCR every day", "PCR %(n)d times a day"),
                            ("PCR once a week", "PCR %(n)d times a week")))
    if antigen_per_week:
        parts.append(_times(antigen_per_week, ("antigen test every day", "antigen test %(n)d times a day"),
                            ("antigen test once a week", "antigen test %(n)d times a week")))
    if len(parts) == 2:
        return _("%(pcr)s, %(antigen)s") % {"pcr": parts[0], "antigen": parts[1]}
    return parts[0] if parts else ""


def lift_words(clean_days: int, round_day: int | None, outcome: str, to_name: str | None) -> str:
    """"连续7天无新增感染者，第7天起全员核酸阴性：降为中风险区" from a lifting rule's numbers."""
    need = ngettext("%(n)d day without a new case", "%(n)d days without a new case", clean_days) \
        % {"n": clean_days}
    if round_day is not None:
        need = _("%(days)s and an all-negative round on day %(day)d or later") % {"days": need,
                                                                                    "day": round_day}
    if outcome == "step_down" and to_name:
        return _("%(need)s: down to %(zone)s") % {"need": need, "zone": to_name}
    return _("%(need)s: lifted") % {"need": need}


def collect_words(every_days, place: str, start: str, end: str, may_leave_area=False) -> str:
    """A controlled area's collection rule: "每户每 2 天 1 人，东门取物点，07:00–18:00" ("" when
    the type has none: its people may leave the area, or no collection rule is set)."""
    if may_leave_area or not every_days:
        return ""
    who = ngettext("one person per household every day", "one person per household every %(n)d days",
                   every_days) % {"n": every_days}
    return _("%(who)s, %(where)s, %(when)s") % {
        "who": who, "where": place or _("at the gate's collection point"),
        "when": f"{start}–{end}" if start and end else _("at any hour")}


def rule_labels() -> dict:
    """Each editable rule's one label in the reader's language: the form's and the change
    log's ("连续无新增天数: 14 → 10" beside the field of that name)."""
    return {
        "name_zh": _("Name (Chinese)"), "name_en": _("Name (English)"), "severity": _("Severity"),
        "colour": _("Colour"), "movement_zh": _("Movement rule (Chinese)"),
        "movement_en": _("Movement rule (English)"), "cadence_zh": _("Testing note (Chinese)"),
        "cadence_en": _("Testing note (English)"), "pcr_per_week": _("PCR rounds a week"),
        "antigen_per_week": _("Antigen tests a week"), "pool_size": _("People per tube"),
        "door_services": _("Services come to the door"), "home_sampling": _("Sampled at home"),
        "may_leave_home": _("May leave home"), "may_leave_area": _("May leave the area"),
        "collect_every_days": _("One collector per household every N days"),
        "collect_place_zh": _("Collection point (Chinese)"), "collect_place_en": _("Collection point (English)"),
        "collect_from": _("Collection hours from"), "collect_until": _("Collection hours until"),
        "called_out": _("Residents may be called out as volunteers"),
        "escalate_to": _("A case inside makes it"), "escalate_scope": _("Escalation covers"),
        "lift_clean_days": _("Days without a new case"),
        "lift_round_day": _("All-negative round on or after day"), "lift_outcome": _("Then"),
        "lift_to": _("Step down to"),
        "lift_approval": _("Lifting or stepping down needs the street's approval"), "effective_from": _("In force from"),
    }
