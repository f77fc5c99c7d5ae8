"""A home-sampling request (上门采样) and its door: the sampler came and took no swab — nobody
answered, the swab was refused, or the person is not at this address. Screening records it
(`screening.actions.door.record_door`) and tells (`registry.signals.home_door_outcome`,
connected in services.apps); here the family that asked is told once per outcome, in each
reader's language, what happened and what to do next ("上门采样人员 08:12 到门无人应答，请联
系网格员另约上门时间。" with the duty phone their pages show, `registry.queries.duty_phone_for`),
and the request's timeline keeps it (`RequestEvent`). Before, it only showed on the request
page, which nobody opens at 08:12.

Once: one event and one message per outcome screening recorded (its visit and attempt, a
unique constraint and the message's key); a retry of the door's tap sends nothing from
screening, and the same outcome again within `DOUBLE_TAP` (a double tap without a client id)
tells nobody again. A request no longer open (done, confirmed, cancelled) is left as it is.
Audited (`services.request.door`)."""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.registry.queries import duty_phone_for

from ..home_sampling import CODE
from ..models import Request, RequestEvent
from .home_sampled import clock
from .told import family_accounts

OUTCOMES = ("no_answer", "refused", "not_here")  # screening's `HomeVisit.Door` values
DOUBLE_TAP = datetime.timedelta(minutes=2)


def door_outcome(sender, request, resident, outcome, at, visit, attempt, actor, **kwargs) -> RequestEvent | None:
    """(the receiver) `request`: the request's id; `resident`: the person (a Resident);
    `outcome`: no_answer | refused | not_here; `at`: when; `visit`, `attempt`: screening's
    visit and the number of this outcome on it. The event kept and the family told, once.
    Returns the event when kept now."""
    if outcome not in OUTCOMES or not request:
        return None
    with transaction.atomic():
        req = (Request.objects.select_for_update().select_related("category", "household__place")
               .filter(pk=request, category__code=CODE).first())
        if req is None or req.state not in Request.OPEN:
            return None
        last = req.events.filter(kind=RequestEvent.Kind.DOOR, visit=visit).order_by("-at", "-id").first()
        if last is not None and (last.attempt >= attempt or (
                last.outcome == outcome and abs(at - last.at) < DOUBLE_TAP)):
            return None  # told already: this outcome, or the same one tapped twice
        try:
            with transaction.atomic():
                ev = RequestEvent.objects.create(request=req, kind=RequestEvent.Kind.DOOR, at=at,
                                                 resident_id=resident.id, outcome=outcome, visit=visit,
                                                 attempt=attempt)
        except IntegrityError:
            return None  # kept by a concurrent tell
        families = family_accounts(req.household_id)
        told = _tell(actor, req, ev, resident.name, families) if families else 0
        record(actor, "services.request.door", req,
               {"request": req.id, "resident": resident.id, "visit": visit, "outcome": outcome,
                "attempts": attempt, "families": told})
    return ev


def _tell(actor, req: Request, ev: RequestEvent, name: str, users) -> int:
    """The family's message: what happened at the door, when, and what to do next, with the
    duty phone of their place when one is set (what their pages show them to call)."""
    from fangkong.notify.actions import notify

    duty = duty_phone_for(req.household)
    words = {"name": name, "duty": duty.name if duty else "", "phone": duty.duty_phone if duty else ""}

    def body():
        said = door_words(ev.outcome, name, clock(ev.at))
        if duty is None:
            return said
        return _("%(door)s Duty phone of %(duty)s: %(phone)s.") % {**words, "door": said}

    return notify(actor, users, kind="services.request", url=reverse("services_request", args=[req.id]),
                  title=lambda: _("Home sampling: %(name)s was not sampled") % words, body=body,
                  place=req.household.place, key=f"services.request.{req.id}.door.{ev.visit}.{ev.attempt}")


def door_words(outcome: str, name: str, time: str) -> str:
    """What happened at the door and what to do next, in the active language (the family's
    message)."""
    words = {"name": name, "time": time}
    if outcome == "refused":
        return _("The home sampler came to your door at %(time)s and the swab of %(name)s was refused. "
                 "The test is still needed: contact your grid worker to have the sampler come again.") % words
    if outcome == "not_here":
        return _("The home sampler came to your door at %(time)s: %(name)s is not at this address. "
                 "Please tell your grid worker where %(name)s is now.") % words
    return _("The home sampler came to your door at %(time)s and nobody answered (%(name)s). Please "
             "contact your grid worker to arrange another visit.") % words
