"""GET /api/v1/audit/events: the audit log, read-only, with the page's filters, scoped to
the reader's places (VIEW_AUDIT) and paged like every list. Each event has its codes and,
beside them, the same words the page shows (in the request's language)."""

import datetime
from typing import Any, Literal

from ninja import Query, Router, Schema

from fangkong.core import paging

from . import filters, present, queries, words
from .access import require_log

router = Router(tags=["audit"])

Kind = Literal[tuple(words.KINDS)]


class EventOut(Schema):
    id: int
    at: datetime.datetime
    actor: int | None  # the account's id (the `actor` filter)
    actor_name: str
    via: str  # web, api, import, cli, task
    via_label: str
    action: str  # the code, e.g. resident.view_phones
    action_label: str  # in the request's language
    target_type: str
    target_id: int | None
    target: str  # what the event is about, in words
    lines: list[str]  # the details in words
    changes: dict[str, Any]  # the details as stored (identifiers masked)
    district: int | None
    street: int | None
    community: int | None


class EventsOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[EventOut]


def _out(e) -> dict:
    return {"id": e.id, "at": e.at, "actor": e.actor_id, "actor_name": e.actor_name,
            "via": e.via, "via_label": e.via_label, "action": e.action,
            "action_label": e.action_label, "target_type": e.target_type,
            "target_id": e.target_id, "target": e.target_text, "lines": e.lines,
            "changes": e.changes or {}, "district": e.district_id, "street": e.street_id,
            "community": e.community_id}


@router.get("/audit/events", response=EventsOut)
def audit_events(request, resident: int | None = Query(None, ge=1),
                 actor: int | None = Query(None, ge=1), since: str | None = None,
                 until: str | None = None, kind: Kind | None = None,
                 action: str | None = Query(None, max_length=60),
                 page: int = Query(1, ge=1, le=100_000), page_size: int | None = Query(None, ge=1)):
    """The events at or below your places, newest first.

    `resident`: the events that showed or changed this resident (a list of many people
    included); `actor`: done by this account; `since` / `until`: a date (the whole day, in
    the site's zone; `until` includes it) or a date and time (ISO 8601); `kind`: ids,
    phones, changes, imports, exports or accounts; `action`: codes starting with this.
    A resident or account outside your places is not found (404)."""
    require_log(request.scope)
    asked = {"resident": resident, "actor": actor, "since": since, "until": until,
             "kind": kind, "action": action}
    flt = filters.read(request.scope, {k: v for k, v in asked.items() if v is not None})
    count, size, rows = paging.page_of(queries.events(request.scope, flt), page, page_size)
    rows = present.rows(rows, request.scope, resident=flt.resident)
    return {"count": count, "page": page, "page_size": size, "results": [_out(e) for e in rows]}
