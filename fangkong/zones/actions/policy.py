"""The zone policy: install the shipped presets, pick the active one, edit a type's rules
(audited; the change applies to every zone of that type from the moment it is saved)."""

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Invalid

from .. import access, presets
from ..models import LiftRule, Policy, ZoneType
from ..presets import DEFAULT

EDITABLE = ["name_zh", "name_en", "severity", "colour", "movement_zh", "movement_en",
            "cadence_zh", "cadence_en", "pcr_per_week", "antigen_per_week", "pool_size",
            "door_services", "home_sampling", "may_leave_home", "may_leave_area",
            "collect_every_days", "called_out"]


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


def update_type(actor, zone_type: ZoneType, data: dict) -> ZoneType:
    """Change a zone type's rules. Unknown fields and bad values are refused whole."""
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
    if errors:
        raise Invalid(fields=errors)
    if not changes:
        return zone_type
    with transaction.atomic():
        for key, (_old, new) in changes.items():
            setattr(zone_type, key, new)
        zone_type.changed_at = timezone.now()
        zone_type.save()
        record(actor, "zones.type.update", zone_type,
               {k: [str(a), str(b)] for k, (a, b) in changes.items()})
    return zone_type

