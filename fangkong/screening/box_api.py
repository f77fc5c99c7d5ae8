"""A round's transport boxes over JSON (/api/v1/screening/rounds/{id}/boxes…): the boxes
page's actions (`actions.lab`), the same rules. A lab account reads and signs for only the
boxes sent to it (another lab's box is a 404); the point's samplers and staff create, send,
pack and hand over; whoever only sees the round, 403.

- GET  …/rounds/{id}/boxes                       the boxes (the lab each is sent to) and the labs to choose
- POST …/rounds/{id}/boxes                       a new box, sent to `lab`
- POST …/rounds/{id}/boxes/{box_id}/lab          the lab it is sent to (named or changed before it arrives)
- POST …/rounds/{id}/boxes/{box_id}/tubes        pack sealed tubes
- POST …/rounds/{id}/boxes/{box_id}/handover     双签收: pickup (the courier) or lab (the lab it is sent to;
                                                 `missing` / `damaged`: tubes it did not get whole, made invalid)
"""

from django.db.models import Count
from ninja import Status

from fangkong.core.actor import actor_of
from fangkong.core.paging import page_of
from fangkong.registry.api import PageNumber, PageSize

from . import access, queries
from .actions import lab
from .api_common import router
from .models import Box
from .schemas import BoxHandoverIn, BoxIn, BoxLabIn, BoxOut, BoxPackIn, BoxPage


def box_out(box: Box) -> dict:
    n = box.n if hasattr(box, "n") else box.tubes.count()
    return {"id": box.id, "code": box.code, "state": box.state, "state_label": str(box.get_state_display()),
            "lab": {"id": box.lab.pk, "name": str(box.lab)} if box.lab_id else None, "tubes": n,
            "handovers": [{"stage": h.stage, "given_by": h.given_by, "received_by": h.received_by,
                           "at": h.at.isoformat()} for h in box.handovers.order_by("at", "id")]}


def _box(actor, round_id, box_id):
    rnd = queries.get_round_boxes(actor, round_id)
    return queries.get_box(actor, rnd, box_id)


def _again(box: Box) -> dict:
    return box_out(Box.objects.select_related("lab").annotate(n=Count("tubes")).get(pk=box.pk))


@router.get("/screening/rounds/{round_id}/boxes", response=BoxPage)
def boxes(request, round_id: int, page: int = PageNumber, page_size: int | None = PageSize):
    actor = actor_of(request)
    rnd = queries.get_round_boxes(actor, round_id)
    own = actor.user if queries.lab_only(request.scope, rnd) else None
    qs = Box.objects.filter(pk__in=[b.id for b in queries.boxes(rnd, lab=own)]).select_related("lab") \
        .annotate(n=Count("tubes")).order_by("-created_at", "-id")
    count, size, rows = page_of(qs, page, page_size)
    labs = access.lab_choices(rnd) if access.can_sample(actor, rnd) else []
    return {"count": count, "page": page, "page_size": size, "results": [box_out(b) for b in rows],
            "labs": [{"id": u.pk, "name": str(u)} for u in labs]}


@router.post("/screening/rounds/{round_id}/boxes", response={201: BoxOut})
def create_box(request, round_id: int, payload: BoxIn):
    actor = actor_of(request)
    rnd = queries.get_round_boxes(actor, round_id)
    box = lab.create_box(actor, rnd, payload.code, lab=payload.lab)
    return Status(201, _again(box))


@router.post("/screening/rounds/{round_id}/boxes/{box_id}/lab", response=BoxOut)
def send_box(request, round_id: int, box_id: int, payload: BoxLabIn):
    actor = actor_of(request)
    return _again(lab.send_box(actor, _box(actor, round_id, box_id), payload.lab))


@router.post("/screening/rounds/{round_id}/boxes/{box_id}/tubes", response=BoxOut)
def pack_box(request, round_id: int, box_id: int, payload: BoxPackIn):
    actor = actor_of(request)
    box = _box(actor, round_id, box_id)
    lab.pack_tubes(actor, box, payload.barcodes)
    return _again(box)


@router.post("/screening/rounds/{round_id}/boxes/{box_id}/handover", response=BoxOut)
def hand_over(request, round_id: int, box_id: int, payload: BoxHandoverIn):
    actor = actor_of(request)
    box = _box(actor, round_id, box_id)
    lab.hand_over(actor, box, payload.stage, payload.given_by, payload.received_by,
                  missing=payload.missing, damaged=payload.damaged)
    return _again(box)
