"""Home sampling asked for by a family (a services request 上门采样), screening's writes. The
request reaches the rounds' home-sampling lists, and the swab goes back to the request, with
no import between services and screening (`registry.signals`, connected in screening.apps and
services.apps; the reads each way through settings):

- asked (`asked`, in the request's transaction): each chosen person goes on the list of every
  PCR round planned or still running over their household (`home_requests.rounds_over`:
  past its planned end too, `Round.running`) in which
  they are not sampled yet — a visit of source `request` ("家属申请"), the family's words as
  its note, the request's id on it. Someone already on that list (the registry's tags, by
  hand, a re-test) is not listed twice: the request is noted on their open visit. Nothing is
  listed twice for one request (a retry). A confirmed case is left out as on every list.
- no round yet: the request stays open; a PCR round planned later over the household lists
  its people when it is planned (`for_round`, reading the open requests through
  settings.FANGKONG_HOME_SAMPLING_ASKED).
- sampled: a visit of a request whose person is registered in its round (the station's scan
  or batch at the door) is done once the registration is committed (`swabbed`: the single
  scan knows from the read it already makes, `scanning.ASKED_COLUMN`; a batch asks once
  after its commit), or when staff mark it done; the worker's pass (`close_sampled`, every
  FANGKONG_RECOVER_SECONDS) is the safety net. Services is told who of the request is
  sampled and when (`home_sampled`), and closes the request once that is everyone.
- withdrawn (the request cancelled): its visits still to make are taken off the lists.

Audited: `screening.home.request` (listed or noted), `screening.home.status` (done, taken off)."""

import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from fangkong.audit.actions import record
from fangkong.core.actor import Actor
from fangkong.registry.models import Presence, Resident
from fangkong.registry.signals import home_sampled

from ..access import outcome_allowed
from ..areas import area_keys, in_round
from ..home_requests import rounds_over, swab_q
from ..models import HomeVisit, Round, RoundKind, Sample
from ..status import held_codes
from .common import user_of

log = logging.getLogger(__name__)

OPEN, DONE, CANCELLED = HomeVisit.Status.OPEN, HomeVisit.Status.DONE, HomeVisit.Status.CANCELLED
REQUEST = HomeVisit.Source.REQUEST
NOTE_MAX = HomeVisit._meta.get_field("note").max_length


def asked(sender, request, household, people, note, actor, **kwargs) -> list[HomeVisit]:
    """(the receiver of `registry.signals.home_sampling_asked`) Request `request` asks home
    sampling for `people` of `household`: listed on each round over it now (`add`). In a
    savepoint: whatever fails here, the family's request stands. Returns the visits."""
    with transaction.atomic():
        out = []
        for rnd in rounds_over(household):
            out += add(actor, rnd, request, people, note)
        return out


def for_round(actor, rnd: Round) -> int:
    """A PCR round just planned (`planning.plan_round`): the people of every open home-sampling
    request under its areas (settings.FANGKONG_HOME_SAMPLING_ASKED) are put on its list.
    Returns how many visits were listed or noted."""
    path = getattr(settings, "FANGKONG_HOME_SAMPLING_ASKED", "")
    if rnd.kind != RoundKind.PCR or not path:
        return 0
    wanted = import_string(path)(area_keys(rnd))
    if not wanted:
        return 0
    people = Resident.objects.in_bulk({p for a in wanted for p in a["people"]})
    return sum(len(add(actor, rnd, a["request"], [people[p] for p in a["people"] if p in people], a["text"]))
               for a in wanted)


def add(actor, rnd: Round, request_id: int, people, note="") -> list[HomeVisit]:
    """`people` (residents) on `rnd`'s home-sampling list for request `request_id`: those in
    its area and at home, not registered in it yet, not a confirmed case (`access.HELD_OUTCOMES`,
    as `followup.generate_home_list`). A person with an open visit already keeps it, the
    request noted on it (its id; the family's words when it had no note). A visit of this
    request already there (any status: taken off by staff stays off) is left as it is. The
    visits listed or noted."""
    people = [r for r in people if in_round(rnd, r) and r.presence == Presence.HOME]
    if not people:
        return []
    ids = [r.id for r in people]
    sampled = set(Sample.objects.filter(round=rnd, resident_id__in=ids, retest=False)
                  .values_list("resident_id", flat=True))
    codes = held_codes(people)
    note = str(note or "").strip()[:NOTE_MAX]
    now, user = timezone.now(), user_of(actor)
    listed, noted = [], []
    with transaction.atomic():
        visits = list(HomeVisit.objects.select_for_update().filter(round=rnd, resident_id__in=ids).order_by("id"))
        for r in people:
            if r.id in sampled or not outcome_allowed(codes.get(r.id, ""), "home"):
                continue
            mine = [hv for hv in visits if hv.resident_id == r.id]
            if any(hv.request_id == request_id for hv in mine):
                continue  # listed for this request already
            on = next((hv for hv in mine if hv.status == OPEN), None)
            if on is not None:  # on the list already (the tags, by hand, a re-test): noted
                on.request_id, on.note = request_id, on.note or note
                on.save(update_fields=["request_id", "note"])
                noted.append(on)
                continue
            hv = next((v for v in mine if v.source == REQUEST), None)  # an earlier request's, closed
            if hv is None:
                hv = HomeVisit(round=rnd, resident=r, household_id=r.household_id, source=REQUEST)
                hv.copy_levels(r)
            hv.status, hv.request_id, hv.note, hv.done_at = OPEN, request_id, note, None
            hv.created_by, hv.created_at, hv.assignee, hv.assigned_at = user, now, None, None
            hv.save()
            listed.append(hv)
        if listed or noted:
            record(actor, "screening.home.request", rnd,
                   {"round": rnd.id, "request": request_id, "residents": [hv.resident_id for hv in listed + noted],
                    **({"noted": [hv.id for hv in noted]} if noted else {})}, levels_from=people[0])
    return listed + noted


def swabbed(round_id: int, resident_ids) -> None:
    """(the station's writes: the single scan of someone a family's request lists, a batch, a
    conflict accepted) `resident_ids` were just registered in round `round_id`: once that is
    committed — not before, a batch rolled back closes nothing — their open visits of a
    request are done and services told (`close_swabbed`), so the request closes at once
    ("已上门采样 08:12") with no worker to wait for. The worker's pass (`close_sampled`)
    stays the safety net: a failure here is logged and found there."""
    ids = sorted({int(i) for i in resident_ids})
    if ids:
        transaction.on_commit(partial(close_swabbed, int(round_id), ids), robust=True)


def close_swabbed(round_id: int, resident_ids) -> int:
    """(on commit, `swabbed`) The open visits of a request of these people in this round,
    registered there: done as on the worker's pass (`close`). One query when none."""
    return close(HomeVisit.objects.filter(round_id=round_id, resident_id__in=list(resident_ids),
                                          request_id__isnull=False, status=OPEN))


def close_sampled(limit=500) -> int:
    """(the worker's pass, `tasks.recover_screening`) Open visits of a request whose person is
    registered in the visit's round since (a swab whose `swabbed` failed, or one before it):
    done as `close` says. Returns how many visits were closed."""
    return close(HomeVisit.objects.filter(request_id__isnull=False, status=OPEN), limit=limit)


def close(visits, limit=500) -> int:
    """Those of `visits` (open visits of a request) whose person is registered in the
    visit's round: done, at the swab's time, and services told (`tell`). One conditional
    UPDATE a visit (two workers, or a worker and the commit of the scan, close each once); a
    request that fails is logged and found again on the worker's next pass. Returns how many
    visits were closed."""
    found = list(visits.annotate(swab_at=swab_q()).filter(swab_at__isnull=False).order_by("id")[:limit])
    by_request = {}
    for hv in found:
        by_request.setdefault(hv.request_id, []).append(hv)
    system, closed = Actor.system(via="task"), 0
    for rid, visits in by_request.items():
        try:
            with transaction.atomic():
                mine = []
                for hv in visits:
                    if HomeVisit.objects.filter(pk=hv.pk, status=OPEN).update(status=DONE, done_at=hv.swab_at):
                        record(system, "screening.home.status", None,
                               {"visit": hv.id, "status": DONE, "request": rid},
                               levels_from=hv, label=str(hv.resident_id))
                        mine.append(hv)
                if mine:
                    tell(system, rid)
                closed += len(mine)
        except Exception:  # noqa: BLE001 - one request's failure never stops the others' (retried next pass)
            log.exception("home sampling request %s: closing its visits failed", rid)
    return closed


def tell(actor, request_id: int) -> None:
    """Services is told who of request `request_id` is sampled at home and when
    (`registry.signals.home_sampled`): {resident id: the swab's time} over every round's
    visit of the request that is done. In the caller's transaction; a failure there fails it."""
    sampled = {}
    for rid, swab, done in (HomeVisit.objects.filter(request_id=request_id, status=DONE)
                            .annotate(swab_at=swab_q()).order_by("-done_at", "-id")
                            .values_list("resident_id", "swab_at", "done_at")):
        sampled[rid] = swab or done  # the earliest last: kept
    if sampled:
        home_sampled.send(sender=Resident, request=request_id, sampled=sampled, actor=actor)


def withdrawn(sender, request, actor, **kwargs) -> int:
    """(the receiver of `registry.signals.home_sampling_withdrawn`) The request was cancelled:
    its visits still to make come off the lists (`request` source), or keep the person listed
    for their own reason without it (another source). Audited. Returns how many came off."""
    n = 0
    with transaction.atomic():
        for hv in HomeVisit.objects.select_for_update().filter(request_id=request, status=OPEN):
            if hv.source == REQUEST:
                hv.status = CANCELLED
                hv.save(update_fields=["status"])
                record(actor, "screening.home.status", None, {"visit": hv.id, "status": CANCELLED, "request": request},
                       levels_from=hv, label=str(hv.resident_id))
                n += 1
            else:
                hv.request_id = None
                hv.save(update_fields=["request_id"])
    return n
