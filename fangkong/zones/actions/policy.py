"""The zone policy: install the shipped presets, pick the active one, edit a type's rules
(audited; a change applies to every zone of that type from its stated time — at once when
none is given or it is past, else at that minute by the worker: `apply_due`)."""

import re

from django.db import transaction
from django.tasks import default_task_backend, task
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.clean import in_utc
from fangkong.core.errors import Invalid

from .. import access, presets
from ..models import EDITABLE_RULES, LiftRule, Policy, RuleChange, ZoneType
from ..presets import DEFAULT

EDITABLE = EDITABLE_RULES  # the rules an administrator may change (zones.models)


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
    """Change a zone type's rules from `effective_from` (now when None or past: applied at
    once; later: kept as a scheduled `RuleChange` the worker applies at that minute). Unknown
    fields and bad values are refused whole. Returns the type as it is now."""
    access.require_policy(actor)
    errors, changes = {}, {}
    for key, value in data.items():
        if key not in EDITABLE:
            errors[key] = [_("This field cannot be changed.")]
            continue
        f = ZoneType._meta.get_field(key)
        try:
            value = f.clean(value, zone_type)
        except Exception as e:  # noqa: BLE001 - Django's ValidationError, shown in the field
            errors[key] = [str(m) for m in getattr(e, "messages", [str(e)])]
            continue
        if key in ("pool_size",) and not 1 <= value <= 50:
            errors[key] = [_("Between 1 and 50 people per tube.")]
            continue
        if key == "colour" and not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
            errors[key] = [_("A colour like #c0392b.")]
            continue
        if getattr(zone_type, key) != value:
            changes[key] = [getattr(zone_type, key), value]
    when = _when(effective_from, errors)
    if errors:
        raise Invalid(fields=errors)
    if not changes:
        return zone_type
    now = timezone.now()
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    with transaction.atomic():
        if when is None or when <= now:
            for key, (_old, new) in changes.items():
                setattr(zone_type, key, new)
            zone_type.changed_at = now
            zone_type.save()
            RuleChange.objects.create(zone_type=zone_type, effective_from=now, changes=_json(changes),
                                      state=RuleChange.State.APPLIED, created_by=user, applied_at=now)
            record(actor, "zones.type.update", zone_type,
                   {k: [str(a), str(b)] for k, (a, b) in changes.items()})
            return zone_type
        ch = RuleChange.objects.create(zone_type=zone_type, effective_from=when, changes=_json(changes),
                                       created_by=user)
        record(actor, "zones.type.schedule", zone_type,
               {"change": ch.id, "effective_from": when.isoformat(),
                **{k: [str(a), str(b)] for k, (a, b) in changes.items()}})
        transaction.on_commit(lambda: _enqueue(when))
    return zone_type


def _json(changes):
    return {k: [a, b] for k, (a, b) in changes.items()}


def _when(value, errors):
    """The stated time of a change (aware datetime), None for now."""
    import datetime

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
    return in_utc(value)


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
            for key, (_old, new) in ch.changes.items():
                setattr(zt, key, new)
            zt.changed_at = ch.effective_from
            zt.save()
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
