"""What happened at a home visit's door when no swab was taken: nobody answered, the swab was
refused, or the person does not live at this address (`HomeVisit.Door`). The sampler the
visit is given to records it from their list (or staff, told by phone, from the home list;
the API alike), with the time, who, and a note. The visit stays open: another attempt, by
the same sampler or one it is given to next; the person stays on the missing list. Every
list says it the same way (`HomeVisit.door_text`, `door.door_out`). Audited
(`screening.home.door`). A visit of a family's home-sampling request (`request_id`): the
family is told (`tell_family`, through `registry.signals.home_door_outcome`)."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.clean import client_id as check_client_id
from fangkong.core.errors import Invalid
from fangkong.registry.models import Resident
from fangkong.registry.signals import home_door_outcome

from .. import checks
from ..access import require_door
from ..figures import still_to_visit_q
from ..models import HomeVisit, RoundStatus, Sample
from .common import user_of

log = logging.getLogger(__name__)

FIELDS = ["door", "door_at", "door_by", "door_note", "door_attempts", "door_client_id"]


def record_door(actor, hv: HomeVisit, outcome, note="", *, client_id=None) -> HomeVisit:
    """Record `outcome` (a `HomeVisit.Door` value) at `hv`'s door now, by the actor, with an
    optional note: the visit's last door outcome, its attempts counted. A retry with the
    same `client_id` records nothing twice (answers the visit as it is). Refused: anyone
    but the visit's sampler or who runs the person (`access.require_door`), an outcome not
    one of the three, a visit no longer to do (taken off the list, done, its round
    finished: `visit_closed`), a person no longer to sample (sampled, or exempt, meanwhile:
    `already_sampled`, `not_to_visit`)."""
    require_door(actor, hv)
    if outcome not in HomeVisit.Door.values:
        raise Invalid(fields={"outcome": [_("Choose what happened at the door.")]})
    note = checks.kept_text(note, HomeVisit, "door_note")
    key = check_client_id(client_id)
    rnd = hv.round
    name = hv.resident.name
    with transaction.atomic():
        hv = HomeVisit.objects.select_for_update().get(pk=hv.pk)  # two taps at once count once
        if key is not None and hv.door_client_id == key:
            return _read(hv)  # sent again: recorded the first time
        if hv.status != HomeVisit.Status.OPEN or rnd.status == RoundStatus.CLOSED:
            raise Invalid(_("%(name)s's home visit is no longer to do: nothing to record at the door.")
                          % {"name": name}, code="visit_closed")
        if not HomeVisit.objects.filter(pk=hv.pk).filter(still_to_visit_q(rnd)).exists():
            if Sample.objects.filter(round_id=rnd.id, resident_id=hv.resident_id, retest=False).exists():
                raise Invalid(_("%(name)s is already sampled in this round: nothing to record at "
                                "the door.") % {"name": name}, code="already_sampled")
            raise Invalid(_("%(name)s is no longer to sample in this round: nothing to record at "
                            "the door.") % {"name": name}, code="not_to_visit")
        hv.door, hv.door_at, hv.door_by = outcome, timezone.now(), user_of(actor)
        hv.door_note, hv.door_attempts, hv.door_client_id = note, hv.door_attempts + 1, key
        hv.save(update_fields=FIELDS)
        record(actor, "screening.home.door", None,
               {"visit": hv.id, "outcome": outcome, "attempts": hv.door_attempts},
               levels_from=hv, label=str(hv.resident_id))
        if hv.request_id:  # a family asked for it: they are told, once (services)
            tell_family(actor, hv)
    return _read(hv)


def tell_family(actor, hv: HomeVisit) -> None:
    """The family whose home-sampling request the visit answers hears what happened at the
    door (`registry.signals.home_door_outcome`, services'), once per outcome recorded (its
    attempt's number). In a savepoint of the caller's transaction: a failure there is logged
    and the outcome stands (the request page says it all the same)."""
    try:
        with transaction.atomic():
            home_door_outcome.send(sender=Resident, request=hv.request_id, resident=hv.resident,
                                   outcome=hv.door, at=hv.door_at, visit=hv.id, attempt=hv.door_attempts,
                                   actor=actor)
    except Exception:  # noqa: BLE001 - the door's outcome is recorded whatever the message does
        log.exception("home visit %s: telling the family of its door outcome failed", hv.id)


def _read(hv: HomeVisit) -> HomeVisit:
    """The visit as its lists read it (the sampler's name, the person, the round)."""
    return HomeVisit.objects.select_related("round", "door_by", "resident").get(pk=hv.pk)
