"""A zone type's rules as they will read after its scheduled changes, fact by fact, for the
pages that explain a rule (the policy page): under "区内出现病例 → 封控区（楼栋）" the line
"12月10日 05:00起：→ 管控区（楼栋）" — only the facts a change alters, each change after the one
before it (the values a scheduled change keeps are the type's own until then)."""

from django.utils.translation import gettext as _

from .models import in_language
from .queries import scheduled_changes
from .rule_words import cadence_words, collect_words, lift_words


def facts(values: dict, names: dict) -> dict[str, str]:
    """The facts the policy page shows of a type, in words, from its rule values
    (`ZoneType.rule_values`); `names`: a type's name by its code (the same policy's)."""
    services = _("to the door") if values["door_services"] else "—"
    if values["home_sampling"]:
        services = f"{services} · {_('sampled at home')}"
    to = values["escalate_to"]
    scope = {"building": _("the building"), "unit": _("the unit"),
             "designation": _("the whole designated area")}.get(values["escalate_scope"], values["escalate_scope"])
    lifting = lift_words(values["lift_clean_days"], values["lift_round_day"], values["lift_outcome"],
                         names.get(values["lift_to"])) if values["lift_clean_days"] is not None else _("by hand")
    if values.get("lift_approval"):
        needs = _("Lifting or stepping down needs the street's approval")
        lifting = f"{lifting} · {needs}"
    return {"movement": in_language(values["movement_zh"], values["movement_en"]),
            "cadence": cadence_words(values["pcr_per_week"], values["antigen_per_week"]) or "—",
            "pool_size": str(values["pool_size"]), "services": services,
            "volunteers": _("may be called out") if values["called_out"] else _("not called out"),
            "case": f"→ {names.get(to, to)} ({scope})" if to else "—", "lifting": lifting,
            "collect": collect_words(values["collect_every_days"],
                                     in_language(values["collect_place_zh"], values["collect_place_en"]),
                                     values["collect_from"], values["collect_until"],
                                     values["may_leave_area"]) or "—"}


def later(types) -> None:
    """Sets `t.later` on each of `types`: {fact: [(time, its words from then), …]}, one
    entry per scheduled change that alters the fact (two queries in all)."""
    upcoming = scheduled_changes(types)
    names = {t.code: t.name for t in types}
    for t in types:
        t.later = {}
        values = t.rule_values()
        before = facts(values, names)
        for ch in upcoming.get(t.id, ()):
            values.update({k: v[1] for k, v in ch.changes.items()})
            after = facts(values, names)
            for key, words in after.items():
                if words != before[key]:
                    t.later.setdefault(key, []).append((ch.effective_from, words))
            before = after
