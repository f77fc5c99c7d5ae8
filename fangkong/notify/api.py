"""The user's own inbox (/api/v1/me/notifications) and, for staff, outbound deliveries
(/api/v1/notify/deliveries). Same queries and actions as the pages."""

import datetime

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import ConfigDict

from fangkong.core import paging
from fangkong.core.actor import actor_of
from fangkong.core.errors import Invalid

from . import actions, queries
from .access import require_outbox
from .models import Status

router = Router(tags=["notify"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    place: int | None
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class InboxOut(Schema):
    count: int
    unread: int
    results: list[NotificationOut]


class ReadIn(Schema):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] | None = None  # none: all


class ReadOut(Schema):
    marked: int


class DeliveryOut(Schema):
    id: int
    channel: str
    kind: str
    title: str
    place: int | None
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime.datetime
    sent_at: datetime.datetime | None
    created_at: datetime.datetime


def _n_out(n) -> dict:
    title, body = n.said()  # in the language of the request (its reader's now)
    return {"id": n.id, "kind": n.kind, "title": title, "body": body, "url": n.url,
            "place": n.place_id, "created_at": n.created_at, "read_at": n.read_at}


def _d_out(d) -> dict:
    return {"id": d.id, "channel": d.channel, "kind": d.kind, "title": d.title,
            "place": d.place_id, "status": d.status, "attempts": d.attempts,
            "last_error": d.last_error, "next_attempt_at": d.next_attempt_at,
            "sent_at": d.sent_at, "created_at": d.created_at}


@router.get("/me/notifications", response=InboxOut)
def inbox(request, unread: bool = False, page: int = Query(1, ge=1, le=100_000),
          page_size: int | None = Query(None, ge=1)):
    """My inbox, newest first."""
    count, _size, rows = paging.page_of(queries.inbox(request.user, unread=unread), page, page_size)
    return {"count": count, "unread": queries.unread_count(request.user),
            "results": [_n_out(n) for n in rows]}


@router.post("/me/notifications/read", response=ReadOut)
def read(request, body: ReadIn):
    """Mark some of my messages (ids) or all of them read."""
    return {"marked": actions.mark_read(request.user, body.ids)}


@router.get("/notify/deliveries", response=list[DeliveryOut])
def deliveries(request, status: str | None = None, page: int = Query(1, ge=1, le=100_000),
               page_size: int | None = Query(None, ge=1)):
    """Staff: outbound messages (SMS, webhooks, group robots) in my part of the tree."""
    require_outbox(request.scope)
    if status is not None and status not in Status.values:
        raise Invalid(fields={"status": [_("Unknown status.")]})
    page_size = paging.page_size(page_size)
    start = (page - 1) * page_size
    qs = queries.deliveries(request.scope, status=status)
    return [_d_out(d) for d in qs[start:start + page_size]]


@router.post("/notify/deliveries/{delivery_id}/retry", response=DeliveryOut)
def retry(request, delivery_id: int):
    """Staff: send a failed message again now."""
    d = queries.get_delivery(request.scope, delivery_id)
    return _d_out(actions.retry(actor_of(request), d))
