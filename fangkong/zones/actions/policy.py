"""The zone policy: install the shipped presets, pick the active one, edit a type's rules
(audited; a change applies to every zone of that type from its stated time — at once when
none is given, else at that minute by the worker: `apply_due`; a past time is refused)."""

import datetime

from django.db import transaction
from django.tasks import default_task_backend, task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.clean import in_utc
from fangkong.core.errors import Invalid

from .. import access, presets, rule_checks
from ..models import EDITABLE_RULES, LIFT_RULES, LiftRule, Policy, RuleChange, ZoneType
from ..presets import DEFAULT

EDITABLE = EDITABLE_RULES + LIFT_RULES  # the rules an administrator may change (zones.models)


def install_presets(activate: str | None = DEFAULT) -> list[Policy]:
    """The shipped policies (the migration installs them; this puts back what a flushed
    database lost). Idempotent."""
    with transaction.atomic():
        presets.install(Policy, ZoneType, LiftRule, activate=activate)
    return list(Policy.objects.filter(code__in=[p["code"] for p in presets.PRESETS]))


def activate(actor, policy: Policy) -> Policy:
    access.require_policy(actor)
    with transaction.atomic():
        before = Policy.objects.filter(is_active=True).first()
        Policy.objects.filter(is_active=True).exclude(pk=policy.pk).update(is_active=False)
        Policy.objects.filter(pk=policy.pk).update(is_active=True)
        record(actor, "zones.policy.activate", policy,
               {"before": before.code if before else None, "after": policy.code})
    policy.is_active = True
    return policy


def update_type(actor, zone_type: ZoneType, data: dict, effective_from=None) -> ZoneType:
    """`change_rules`, returning the type as it is now."""
    change_rules(actor, zone_type, data, effective_from)
    return zone_type


def change_rules(actor, zone_type: ZoneType, data: dict, effective_from=None) -> RuleChange | None:
    """Change a zone type's rules — its own (`EDITABLE_RULES`), its escalation and its own
    lifting rule (`LIFT_RULES`) — from `effective_from`: None applies it at once; a later
    time keeps it as a scheduled `RuleChange` the worker applies at that minute; a time
    already past is refused (it would apply from now, not from then), but for the minute
    being typed (`GRACE`). Unknown fields and bad values are refused whole (`rule_checks`).
    Returns the change (its state says which), None when nothing changed."""
    access.require_policy(actor)
    changes, errors = rule_checks.clean(zone_type, data)
    now = timezone.now()
    when = _when(effective_from, errors, now)
    if errors:
        raise Invalid(fields=errors)
    if not changes:
        return None
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    with transaction.atomic():
        if when is None:
            _write(zone_type, changes, now)
            ch = RuleChange.objects.create(zone_type=zone_type, effective_from=now, changes=_json(changes),
                                           state=RuleChange.State.APPLIED, created_by=user, applied_at=now)
            record(actor, "zones.type.update", zone_type,
                   {k: [str(a), str(b)] for k, (a, b) in changes.items()})
            return ch
        ch = RuleChange.objects.create(zone_type=zone_type, effective_from=when, changes=_json(changes),
                                       created_by=user)
        record(actor, "zones.type.schedule", zone_type,
               {"change": ch.id, "effective_from": when.isoformat(),
                **{k: [str(a), str(b)] for k, (a, b) in changes.items()}})
        transaction.on_commit(lambda: _enqueue(when))
    return ch


def _write(zt: ZoneType, changes: dict, at) -> None:
    """Write `changes` ({field: [before, after]}) into the type and its own lifting rule."""
    types = {t.code: t for t in ZoneType.objects.filter(policy_id=zt.policy_id)}
    lift = {k[len("lift_"):]: new for k, (_old, new) in changes.items() if k in LIFT_RULES}
    for key, (_old, new) in changes.items():
        if key == "escalate_to":
            zt.escalate_to = types.get(new) if new else None
        elif key not in LIFT_RULES:
            setattr(zt, key, new)
    zt.changed_at = at
    zt.save()
    if lift:
        if "to" in lift:
            lift["to"] = types.get(lift["to"]) if lift["to"] else None
        rule = LiftRule.objects.filter(zone_type=zt, after=None).order_by("id").first() \
            or LiftRule(zone_type=zt, round_day=None)
        for k, v in lift.items():
            setattr(rule, k, v)
        # the note described the old numbers (and is read out with a recommendation):
        # it becomes the words of the new ones, in each language
        with translation.override("zh-hans"):
            rule.note_zh = rule.words
        with translation.override("en"):
            rule.note_en = rule.words
        rule.save()


def _json(changes):
    return {k: [a, b] for k, (a, b) in changes.items()}


GRACE = datetime.timedelta(minutes=5)  # a time typed as "now" is past by the time it is saved


def _when(value, errors, now):
    """The stated time of a change (aware datetime), None for now (empty, or within `GRACE`
    before now); a time further back is refused."""
    from django.utils.dateparse import parse_datetime

    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime.datetime):
        errors["effective_from"] = [_("A date and time, like 2022-04-18 05:00.")]
        return None
    value = in_utc(value)
    if value <= now - GRACE:
        errors["effective_from"] = [_("This time has passed: a change applies from now or from a later "
                                      "time. Leave it empty to apply it now, or give a later time.")]
        return None
    return value if value > now else None


def cancel_change(actor, change: RuleChange) -> RuleChange:
    """Withdraw a scheduled change before its minute (a retry is a no-op; one in force is
    changed by a new change instead)."""
    access.require_policy(actor)
    if change.state == RuleChange.State.CANCELLED:
        return change
    with transaction.atomic():
        n = RuleChange.objects.filter(pk=change.pk, state=RuleChange.State.SCHEDULED).update(
            state=RuleChange.State.CANCELLED)
        if not n:
            raise Invalid(_("This change is already in force: make a new change instead."),
                          code="in_force")
        record(actor, "zones.type.cancel_change", change.zone_type, {"change": change.id})
    change.state = RuleChange.State.CANCELLED
    return change


def apply_due(now=None) -> int:
    """Write every scheduled change whose minute has come into its zone type, in the order
    of their times, each under a row lock (applied once). Returns how many."""
    now = now or timezone.now()
    n = 0
    for pk in RuleChange.objects.filter(state=RuleChange.State.SCHEDULED, effective_from__lte=now) \
            .order_by("effective_from", "id").values_list("pk", flat=True):
        with transaction.atomic():
            ch = RuleChange.objects.select_for_update().filter(
                pk=pk, state=RuleChange.State.SCHEDULED).first()
            if ch is None:
                continue
            zt = ZoneType.objects.select_for_update().get(pk=ch.zone_type_id)
            _write(zt, ch.changes, ch.effective_from)
            ch.state, ch.applied_at = RuleChange.State.APPLIED, now
            ch.save(update_fields=["state", "applied_at"])
            from fangkong.core.actor import Actor

            record(Actor.system(), "zones.type.update", zt, {"change": ch.id, **{
                k: [str(a), str(b)] for k, (a, b) in ch.changes.items()}})
            n += 1
    return n


def _enqueue(when):
    """Applied by the worker at its minute; a task backend that cannot defer (the test
    suite's) gets nothing to run later: the recovery sweep (`tasks.recover_publisher`)
    applies a rule change once its minute has passed."""
    if default_task_backend.supports_defer:
        apply_due_task.using(run_after=when).enqueue()


@task
def apply_due_task() -> dict:
    """(worker) Apply the rule changes whose stated minute has come."""
    return {"applied": apply_due()}
