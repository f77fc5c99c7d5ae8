"""A case reported after a lift it was confirmed before marks that lift (`zones.lift_flaws`):
the lift's adjustment keeps a row per case ("解除依据有误：…", on its page, its notice's page and
the API), audited; once per case and lift (a case confirmed again marks nothing twice). The
families under the lifted place are told to stay at home until the new notice, once per lift
and place (`lift_flaws.families`)."""

import logging

from django.db import transaction

from fangkong.audit.actions import record

from .. import lift_flaws
from ..models import Adjustment
from ..signals import tell

logger = logging.getLogger("fangkong.zones")


def mark(actor, case) -> list[dict]:
    """Mark every lift the case shows rested on wrong facts; the rows kept (for the escalation
    the case drafts and the staff's message), [] when there is none."""
    flaws = lift_flaws.find(case.levels().values(), case.confirmed_at)
    rows = [lift_flaws.row(f, case) for f in flaws]
    for f, r in zip(flaws, rows, strict=True):
        with transaction.atomic():
            lift = Adjustment.objects.select_for_update().filter(pk=f.lift.id).first()
            if lift is None or any(x.get("case") == case.id and x.get("place") == r["place"]
                                   for x in lift.lift_flaws or []):
                continue
            lift.lift_flaws = [*(lift.lift_flaws or []), r]
            lift.save(update_fields=["lift_flaws"])
            record(actor, "zones.adjustment.flawed", lift, {"case": case.id, "place": r["place"],
                                                             "confirmed_at": r["confirmed_at"]})
            _tell_families(actor, f, lift)
    return rows


def _tell_families(actor, flaw, lift):
    """The families under the lifted place: stay at home until the new notice (keyed by the lift
    and the place: told once, whatever number of cases show it); never costing the mark."""
    try:
        with transaction.atomic():
            tell.send(sender=Adjustment, adjustment=lift, actor=actor, messages=lift_flaws.families(flaw))
    except Exception:  # noqa: BLE001 - logged; the mark is what must not be lost
        logger.exception("zones: families not told of lift %s on wrong facts", lift.pk)
