"""Zones over JSON (/api/v1/zones/…): policies and zone types, notices, designations,
adjustments (draft, items, diff, publish, schedule, cancel), a household's zone and its
history, lifting recommendations, cases, health-code observations, checkpoint events and the
map (features; a place's drawn shape).
Thin glue over `queries` and `actions` (the pages call the same): a place or object outside
the user's reach is a 404 like a missing one, a visible one the role may not change a 403."""

import orjson
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from fangkong.core.actor import actor_of
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.registry.models import Household, Place, Resident

from . import above, access, approval, family_words, lift_flaws, lifting, overlaps, queries
from .actions import approval as approval_actions
from .actions import escalate, gate
from .actions import lift as lift_actions
from .actions import notices as notice_actions
from .actions import policy as policy_actions
from .actions import publish as pub
from .actions import shapes as shape_actions
from .models import Adjustment, Designation, HouseholdZone, Policy, ZoneType
from .schemas import (
    AdjustmentIn,
    AdjustmentItemIn,
    AdjustmentOut,
    CaseIn,
    CaseOut,
    DesignationOut,
    DiffOut,
    GateIn,
    GateOut,
    HouseholdZonesOut,
    NoticeDetailOut,
    NoticeIn,
    NoticeOut,
    NoticeRef,
    NoticeWithdrawIn,
    ObservationIn,
    ObservationOut,
    PolicyOut,
    RecommendationOut,
    ReturnIn,
    ScheduleIn,
    ShapeIn,
    ShapeOut,
    ZoneFigureOut,
    ZoneTypeIn,
    ZoneTypeOut,
)

router = Router(tags=["zones"])
LIMIT = 500



def _get(model, pk):
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    return obj


def _place(request, pk, perm=access.VIEW) -> Place:
    p = _get(Place, pk)
    access.require(request.scope, perm, p)
    return p


def type_out(t: ZoneType) -> dict:
    return {"id": t.id, "code": t.code, "kind": t.kind, "name": t.name, "name_zh": t.name_zh,
            "name_en": t.name_en, "severity": t.severity, "colour": t.colour, "movement": t.movement,
            "cadence": t.cadence, "cadence_note": t.cadence_note, "pcr_per_week": t.pcr_per_week,
            "antigen_per_week": t.antigen_per_week,
            "pool_size": t.pool_size, "door_services": t.door_services, "home_sampling": t.home_sampling,
            "may_leave_home": t.may_leave_home, "may_leave_area": t.may_leave_area,
            "collect_every_days": t.collect_every_days, "collect_place": t.collect_place,
            "collect_place_zh": t.collect_place_zh, "collect_place_en": t.collect_place_en,
            "collect_from": t.collect_from, "collect_until": t.collect_until, "called_out": t.called_out,
            "escalate_to": t.escalate_to.code if t.escalate_to_id else None,
            "escalate_scope": t.escalate_scope, "lift_approval": t.lift_approval,
            "lift_rules": [{"after": r.after.code if r.after_id else None, "clean_days": r.clean_days,
                            "round_day": r.round_day, "outcome": r.outcome,
                            "to": r.to.code if r.to_id else None, "words": r.words, "note": r.note}
                           for r in t.lift_rules.all()]}


def adjustment_out(a: Adjustment) -> dict:
    items = queries.items(a)
    return {"id": a.id, "place": a.place_id, "title": a.title, "state": a.state, "reason": a.reason,
            "why": a.why_text, "notice": a.notice_id, "effective_at": a.effective_at,
            "published_at": a.published_at, "households_changed": a.households_changed,
            "failure": a.failure_text,
            "against_rule": {"said": lifting.against_words(), "places": lifting.against_out(a.against_rule)}
            if a.against_rule else None,
            "items": [{"id": i.id, "op": i.op, "place": i.place_id, "place_name": i.place.name,
                       "zone_type": i.zone_type.code if i.zone_type_id else None,
                       "designation": i.designation_id} for i in items],
            "urgent": a.urgent, "lift_flaws": lift_flaws.said(a), "approval": _approval_out(a, items)}


def _approval_out(a: Adjustment, items) -> dict | None:
    """Where its approval by the level above stands; None when it needs none and none was asked."""
    needing = approval.needing(a, items) if a.is_open else []
    if not needing and a.submitted_at is None and a.approved_at is None:
        return None
    return {"needed": bool(needing), "what": approval.what(needing), "said": approval.state_words(a),
            "submitted_at": a.submitted_at, "approved_at": a.approved_at, "returned_at": a.returned_at,
            "return_reason": a.return_reason}


def designation_out(d: Designation) -> dict:
    return {"id": d.id, "place": d.place_id, "place_name": d.place.name, "zone_type": d.zone_type.code,
            "zone_name": d.zone_type.name, "notice": d.notice.number if d.notice_id else None,
            "starts_at": d.starts_at, "ends_at": d.ends_at}


def hz_out(z: HouseholdZone) -> dict:
    d = z.designation
    return {"zone_type": z.zone_type.code, "zone_name": z.zone_type.name, "kind": z.kind,
            "designation": z.designation_id, "notice": d.notice.number if d.notice_id else None,
            "since": z.since, "until": z.until, "place": d.place.name,
            "designation_since": d.starts_at, "ended": ended_out(z.ended) if getattr(z, "ended", None) else None}


def ended_out(d) -> dict:
    n = d.ended_by.notice
    return {"place": d.place.name, "zone_type": d.zone_type.code, "zone_name": d.zone_type.name,
            "at": d.ends_at, "notice": n.number if n else None, "notice_at": n.effective_at if n else None}


def _type_by_code(code):
    if code is None:
        return None
    t = ZoneType.objects.filter(policy__is_active=True, code=code).select_related("policy").first()
    if t is None:
        raise Invalid(fields={"zone_type": [_("Choose a zone type of the active policy.")]})
    return t


# --- policy ------------------------------------------------------------------------------

@router.get("/zones/policies", response=list[PolicyOut])
def policies(request):
    access.require_any(request.scope, access.VIEW)
    return [{"code": p.code, "name": p.name, "basis": p.basis, "is_active": p.is_active,
             "types": [type_out(t) for t in queries.zone_types(p)]} for p in Policy.objects.all()]


@router.get("/zones/types", response=list[ZoneTypeOut])
def zone_types(request):
    access.require_any(request.scope, access.VIEW)
    return [type_out(t) for t in queries.zone_types()]


@router.post("/zones/policies/{code}/activate", response=PolicyOut)
def activate(request, code: str):
    access.require_any(request.scope, access.VIEW)
    p = Policy.objects.filter(code=code).first()
    if p is None:
        raise NotFound()
    policy_actions.activate(actor_of(request), p)
    return {"code": p.code, "name": p.name, "basis": p.basis, "is_active": True,
            "types": [type_out(t) for t in queries.zone_types(p)]}


@router.patch("/zones/types/{pk}", response=ZoneTypeOut)
def update_type(request, pk: int, body: ZoneTypeIn):
    """Change a zone type's rules — movement, testing, pools, its escalation (`escalate_to`:
    a stricter type's code or its own; `escalate_scope`), a controlled area's collection
    (`collect_every_days`, `collect_place_zh`/`_en`, `collect_from`–`collect_until` "HH:MM")
    and its own lifting rule
    (`lift_clean_days` 1 to 60, `lift_round_day`, `lift_outcome`, `lift_to`) — from
    `effective_from` (now when absent; a time already past is refused). Audited; a later
    change is listed as scheduled and may be withdrawn on the type's page."""
    access.require_any(request.scope, access.VIEW)
    t = _get(ZoneType, pk)
    data = body.model_dump(exclude_unset=True)
    when = data.pop("effective_from", None)
    t = policy_actions.update_type(actor_of(request), t, data, effective_from=when)
    return type_out(t)


# --- notices and designations ---------------------------------------------------------------

@router.get("/zones/notices", response=list[NoticeOut])
def notices(request, place: int):
    """The notices of a place: filed at or under it, and those zoning a place at, under or
    above it that the user may read (a street's notice sealing a building of theirs)."""
    p = _place(request, place)
    return [notice_out(n) for n in queries.notices(request.scope, p)[:LIMIT]]


def notice_out(n) -> dict:
    return {"id": n.id, "place": n.place_id, "number": n.number, "issued_by": n.issued_by,
            "title": n.title, "text": n.text, "effective_at": n.effective_at, "withdrawn_at": n.withdrawn_at,
            "replaced_by": {"id": n.replaced_by_id, "number": n.replaced_by.number} if n.replaced_by_id else None,
            "replaces": [{"id": r.id, "number": r.number} for r in n.replaces.all()]}


@router.post("/zones/notices/{pk}/withdraw", response=NoticeOut)
def withdraw_notice(request, pk: int, body: NoticeWithdrawIn):
    """Withdraw a notice, or mark it corrected by `replaced_by`. It lifts nothing: the zones
    it published stay in force until an adjustment under another notice lifts them. 409
    `open_adjustment` while a draft or scheduled adjustment is filed under it."""
    n = queries.get_notice(request.scope, pk, access.MANAGE)
    by = queries.get_notice(request.scope, body.replaced_by, access.MANAGE) if body.replaced_by else None
    notice_actions.withdraw(actor_of(request), n, by)
    return notice_out(queries.get_notice(request.scope, pk))


@router.get("/zones/notices/{pk}", response=NoticeDetailOut)
def notice(request, pk: int):
    """A notice, and what it zones for the caller: the places of their area, or above it,
    it names (never another community's). 404 for a notice that zones nothing of theirs.
    A zone it gave that a later notice lifted or changed has `ended` (when, by which
    notice, lifted or changed to which type); null while in force. A lift has `after`:
    the zone the place falls back to (a compound above still zoning it), null for none."""
    n = queries.get_notice(request.scope, pk)
    items = queries.notice_items(request.scope, n)
    flaws = {a.id: a for a in (it.adjustment for it in items) if a.lift_flaws}
    return {**notice_out(n), "lift_flaws": [x for a in flaws.values() for x in lift_flaws.said(a)], "places": [
        {"place": it.place_id, "place_name": it.label, "op": it.op,
         "zone_type": it.zone_type.code if it.zone_type_id else None,
         "zone_name": it.zone_type.name if it.zone_type_id else None,
         "from_type": it.designation.zone_type.code if it.designation_id else None,
         "state": it.adjustment.state, "effective_at": it.adjustment.effective_at,
         "ended": _ended_item(it.ended), "after": _after_item(it.after)}
        for it in items]}


def _after_item(a) -> dict | None:
    """A lifted place's zone after the lift (`queries.lifted_after`); None: no zone."""
    if a is None:
        return None
    return {"zone_type": a.zone_type.code, "zone_name": a.zone_type.name, "place": a.place.id,
            "place_name": a.place.name}


def _ended_item(d) -> dict | None:
    """A notice's zone ended since: when, and by which notice (lifted, or changed to another)."""
    if d is None:
        return None
    a, later = d.ended_by, d.ended_op
    return {"at": d.ends_at, "adjustment": a.id, "notice": a.notice_id,
            "notice_number": a.notice.number if a.notice_id else None,
            "op": later.op if later else pub.Op.LIFT,
            "zone_type": later.zone_type.code if later and later.zone_type_id else None}


@router.post("/zones/notices", response={201: NoticeOut})
def create_notice(request, body: NoticeIn):
    p = _place(request, body.place)
    n = pub.create_notice(actor_of(request), p, body.model_dump())
    return Status(201, notice_out(n))


@router.get("/zones/designations", response=list[DesignationOut])
def designations(request, place: int, current: bool = True):
    p = _place(request, place)
    return [designation_out(d) for d in queries.designations(request.scope, p, current=current)[:LIMIT]]


@router.get("/zones/figures", response=list[ZoneFigureOut])
def figures(request, place: int):
    p = _place(request, place)
    return [{"zone_type": f["zone_type"].code, "zone_name": f["zone_type"].name, "kind": f["zone_type"].kind,
             "households": f["households"], "people": f["people"]} for f in queries.figures(p)]


# --- adjustments -------------------------------------------------------------------------

@router.get("/zones/adjustments", response=list[AdjustmentOut])
def adjustments(request, place: int, state: str | None = None):
    p = _place(request, place)
    from . import engine

    qs = queries.adjustments(request.scope, [state] if state else None).filter(
        engine.under_q(p) | engine.under_q(p, "place__"))
    return [adjustment_out(a) for a in qs[:100]]


def _add(request, adj, item: AdjustmentItemIn):
    p = _place(request, item.place)
    pub.add_item(actor_of(request), adj, item.op, p, _type_by_code(item.zone_type))


@router.post("/zones/adjustments", response={201: AdjustmentOut})
def draft(request, body: AdjustmentIn):
    p = _place(request, body.place)
    notice = queries.get_notice(request.scope, body.notice, access.MANAGE) if body.notice else None
    with transaction.atomic():  # all its places or none
        adj = pub.draft(actor_of(request), p, body.title, notice=notice)
        for item in body.items:
            _add(request, adj, item)
    return Status(201, adjustment_out(adj))


@router.get("/zones/adjustments/{pk}", response=AdjustmentOut)
def adjustment(request, pk: int):
    return adjustment_out(queries.get_adjustment(request.scope, pk))


@router.post("/zones/adjustments/{pk}/items", response=AdjustmentOut)
def add_item(request, pk: int, body: AdjustmentItemIn):
    adj = queries.get_adjustment(request.scope, pk)
    _add(request, adj, body)
    return adjustment_out(adj)


@router.delete("/zones/adjustments/{pk}/items/{item}", response=AdjustmentOut)
def remove_item(request, pk: int, item: int):
    adj = queries.get_adjustment(request.scope, pk)
    pub.remove_item(actor_of(request), adj, item)
    return adjustment_out(adj)


@router.post("/zones/adjustments/{pk}/notice", response=AdjustmentOut)
def attach(request, pk: int, body: NoticeRef):
    adj = queries.get_adjustment(request.scope, pk)
    access.require(request.scope, access.MANAGE, adj)
    pub.set_notice(actor_of(request), adj, queries.get_notice(request.scope, body.notice, access.MANAGE))
    return adjustment_out(adj)


@router.get("/zones/adjustments/{pk}/diff", response=DiffOut)
def diff(request, pk: int):
    adj = queries.get_adjustment(request.scope, pk)
    d = queries.diff(adj, limit=LIMIT)
    return {"households": d["households"], "people": d["people"],
            "transitions": [{"from_type": t["from"].code if t["from"] else None,
                             "to_type": t["to"].code if t["to"] else None,
                             "households": t["households"], "people": t["people"]} for t in d["transitions"]],
            "household_ids": [r["household"].id for r in d["rows"]],
            "households_shown": [{"id": r["household"].id, "address": r["address"], "people": r["people"],
                                  "from_type": r["from"].code if r["from"] else None,
                                  "to_type": r["to"].code if r["to"] else None} for r in d["rows"]],
            **_overlaps(adj)}


def _overlaps(adj) -> dict:
    """What the draft will not do as it says (`overlaps.overlaps`), and the other adjustments involved."""
    found = overlaps.overlaps(adj)
    return {"conflicts": sorted({c["adjustment"].id for c in found if c["adjustment"]}),
            "overlaps": [c["sentence"] for c in found]}


_CONFIRM_BODY = {"requestBody": {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"confirm": {
        "type": "boolean", "default": False,
        "description": "Lift or step down a zone against its lifting rule anyway."}}}}}}}


def _confirmed(request) -> bool:
    """`{"confirm": true}` in a JSON body. Any other body, or none, confirms nothing (and is
    no error: clients that sent one before publish as they did, unless it needs confirming)."""
    if not request.body or not (request.content_type or "").endswith("json"):
        return False
    try:
        data = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("confirm") is True


@router.post("/zones/adjustments/{pk}/publish", response=AdjustmentOut, openapi_extra=_CONFIRM_BODY)
def publish(request, pk: int, from_notice: bool = Query(
        False, description="In force from the notice's minute, when that has passed (the notice "
                           "was entered late): refused (400, too_early / notice_ahead) when it is in "
                           "the future, more than 7 days ago or before a later change already "
                           "written, saying from when at the earliest. Left out: from now.")):
    """Publish now; `?from_notice=true` as from the notice's minute (a query parameter: a
    client that sends no body publishes from now). A zone it lifts or steps down while its
    lifting rule is not met answers 409 `against_rule` with `places` (each place, its zone,
    what is unmet, the sentence), nothing written — as the web asks "规则未满足，确定仍要解除？"
    — unless the body says `{"confirm": true}`; published so, the answer's `against_rule`
    says it ("不符合解除规则发布")."""
    adj = queries.get_adjustment(request.scope, pk)
    return adjustment_out(pub.publish(actor_of(request), adj, from_notice=from_notice,
                                      confirm_against=_confirmed(request)))


@router.post("/zones/adjustments/{pk}/schedule", response=AdjustmentOut)
def schedule(request, pk: int, body: ScheduleIn):
    """Publish by itself at `at`. As publishing now: a zone it lifts or steps down while its
    lifting rule is not met on that day answers 409 `against_rule` unless `confirm` is true."""
    adj = queries.get_adjustment(request.scope, pk)
    return adjustment_out(pub.schedule(actor_of(request), adj, body.at, confirm_against=body.confirm))


@router.post("/zones/adjustments/{pk}/submit", response=AdjustmentOut)
def submit(request, pk: int):
    """Submit a lift needing the level above (a 封控区 lifted or stepped down, by the policy:
    `lift_approval`) to the street's command: `awaiting`, told at once; publishing or
    scheduling it before it is approved answers 409 `approval_required`. 409
    `no_approval_needed` for a draft that needs none."""
    adj = queries.get_adjustment(request.scope, pk)
    return adjustment_out(approval_actions.submit(actor_of(request), adj))


@router.post("/zones/adjustments/{pk}/approve", response=AdjustmentOut)
def approve(request, pk: int):
    """The street's (or district's) command approves a lift awaiting it: a draft again, which
    may be published or scheduled. 403 for a reader who is not the level above; 409
    `not_awaiting` for one not awaiting approval."""
    adj = queries.get_adjustment(request.scope, pk)
    return adjustment_out(approval_actions.approve(actor_of(request), adj))


@router.post("/zones/adjustments/{pk}/return", response=AdjustmentOut)
def return_(request, pk: int, body: ReturnIn):
    """The street's command returns a lift awaiting it with `reason` (required): a draft
    again, not approved; its staff are told why."""
    adj = queries.get_adjustment(request.scope, pk)
    return adjustment_out(approval_actions.return_(actor_of(request), adj, body.reason))


@router.post("/zones/adjustments/{pk}/cancel", response=AdjustmentOut)
def cancel(request, pk: int):
    adj = queries.get_adjustment(request.scope, pk)
    return adjustment_out(pub.cancel(actor_of(request), adj))


# --- households, lifting, cases ----------------------------------------------------------

@router.get("/zones/households/{pk}", response=HouseholdZonesOut)
def household(request, pk: int):
    hh = _get(Household, pk)
    history = queries.history(request.scope, hh)
    now = next((z for z in history if z.until is None), None)
    if now is not None:
        now.ended = queries.ended_into(now)
    means = family_words.means_now(now.zone_type, now.designation.place.name) if now else None
    return {"household": hh.id, "now": hz_out(now) if now else None, "history": [hz_out(z) for z in history],
            "means": means, "next_steps": family_words.next_steps(now, hh) if now else []}


@router.get("/zones/lifting", response=list[RecommendationOut])
def recommendations(request, place: int):
    """The lifting advice of each zone in force at or under the place, then of each zone over it
    from above holding its households (`above`: "随光明小区", with `households_here`)."""
    p = _place(request, place)
    recs = above.recommendations(request.scope, p)
    return [{"designation": r.designation.id, "place": r.designation.place_id,
             "place_name": r.designation.place.name, "zone_type": r.designation.zone_type.code,
             "action": r.action, "to": r.to.code if r.to else None, "day": r.day,
             "counted_from": r.counted_from, "earliest": r.earliest, "reasons": r.reasons,
             "advice": r.label, "earliest_words": r.earliest_words, "ends_in": _ends_in(r),
             "final_round": r.round and {"name": r.round.name, "day": r.round.day, "sampled": r.round.sampled,
                                         "to_sample": r.round.to_sample, "missing": r.round.missing,
                                         "finished": r.round.finished, "all_negative": r.round.all_negative},
             "above": r.above, "households_here": getattr(r.designation, "households", None) if r.above else None}
            for r in recs]


def _ends_in(r) -> dict | None:
    """The zone over the place that holds its households once its zone ends (`lifting.ends_in`)."""
    zone, over = r.after
    if zone is None or over is None:
        return None
    return {"zone_type": zone.code, "zone_name": zone.name, "place": over.place_id, "place_name": over.place.name}


@router.post("/zones/designations/{pk}/lift-draft", response={201: AdjustmentOut})
def lift_draft(request, pk: int):
    d = queries.get_designation(request.scope, pk)
    return Status(201, adjustment_out(lift_actions.draft_from(actor_of(request), d)))


@router.post("/zones/cases", response={201: CaseOut, 200: CaseOut})
def report_case(request, body: CaseIn):
    """A case reported by hand (`escalate.record_case`): 201. Reported before — the same
    `client_id` (a retry), or the same person and source while the case is open — 200 with
    that case, `already_reported` and `message`; nothing recorded, nobody told again."""
    r = _get(Resident, body.resident)
    case, proposal = escalate.record_case(actor_of(request), r, confirmed_at=body.confirmed_at,
                                          source=body.source[:80], client_id=body.client_id)
    again = getattr(case, "reported_before", False)
    return Status(200 if again else 201, {
        "id": case.id, "resident": r.id, "confirmed_at": case.confirmed_at,
        "proposal": proposal.id if proposal else None, "already_reported": again,
        "message": escalate.already_words(case) if again else "",
        "lift_flaws": [] if again else [lift_flaws.sentence(f, case.confirmed_at)
                                        for f in lift_flaws.find(case.levels().values(), case.confirmed_at)]})


# --- health codes and the checkpoint -------------------------------------------------------

@router.post("/zones/health-codes", response={201: ObservationOut})
def observe(request, body: ObservationIn):
    r = _get(Resident, body.resident)
    place = _place(request, body.place, access.GATE) if body.place else None
    o = gate.observe_code(actor_of(request), r, body.colour, source=body.source, place=place,
                          at=body.observed_at, client_id=body.client_id, confirmed=body.confirm)
    return Status(201, {"id": o.id, "resident": r.id, "colour": o.colour, "source": o.source,
                        "observed_at": o.observed_at, "current": o.current})


def gate_out(e) -> dict:
    return {"id": e.id, "gate": e.gate_id, "resident": e.resident_id, "name": e.name,
            "direction": e.direction, "colour": e.colour, "temperature": e.temperature,
            "allowed": e.allowed, "reason": e.reason, "zone_kind": e.zone_kind, "hold": e.hold,
            "terms": e.terms, "at": e.at}


@router.post("/zones/checkpoints/{pk}/events", response={201: GateOut})
def pass_gate(request, pk: int, body: GateIn):
    """One person at the gate, by the page's rule (`actions.gate.pass_gate`): `colour` is what
    the guard saw; left empty, the person's code on record applies (none on record: 400 on
    `colour`). A colour milder than an observed code on record answers 409 `confirm_code` with
    `known` (colour, source, observed_at), nothing written; sent again with `confirm: true` it
    applies and is recorded as seen at the gate. A code imported from the city's data is never
    overruled (`confirm` or not): the person is judged by it, the event is recorded (refused
    when the code says so), the colour seen is kept as an observation, the community's staff
    are told, and the answer is 409 `code_imported` with `known` and the recorded `event`.
    An exit of someone kept in whatever their code and zone is refused with `hold` (case, contact,
    held, held_antigen: `gate_rules.holds`) and its reason, the staff told once a day; an exit let
    through on terms (a controlled area's collector) says them in `terms`."""
    g = _place(request, pk, access.GATE)
    person = None
    if body.resident is not None:
        person = _get(Resident, body.resident)
    elif body.person:
        try:
            person = queries.person_at_gate(request.scope, body.person)
        except NotFound as e:
            raise Invalid(fields={"person": [str(e.message)]}) from None
    e = gate.pass_gate(actor_of(request), g, direction=body.direction, client_id=body.client_id,
                       resident=person, name=body.name, colour=body.colour,
                       temperature=body.temperature, at=body.at, confirm=body.confirm)
    known = getattr(e, "disputed", None)
    if known is not None:
        raise Conflict(gate.disputed_words(e, known), code="code_imported", extra={
            "known": {"colour": known.colour, "source": known.source,
                      "observed_at": known.observed_at.isoformat()},
            "event": {"id": e.id, "allowed": e.allowed, "reason": e.reason, "colour": e.colour}})
    return Status(201, gate_out(e))


@router.get("/zones/checkpoints/{pk}/events", response=list[GateOut])
def gate_log(request, pk: int, q: str = "", limit: int = Query(100, ge=1, le=LIMIT)):
    g = _place(request, pk, access.GATE)
    return [gate_out(e) for e in queries.gate_log(request.scope, g, q=q[:40])[:limit]]


# --- the map --------------------------------------------------------------------------------

@router.get("/zones/map", response=dict)
def map_features(request, place: int):
    """The buildings and compounds under `place` that are drawn, as a GeoJSON
    FeatureCollection: each with its zone, colour and households and people per zone."""
    return queries.map_features(_place(request, place))


def shape_out(p: Place, shape) -> dict:
    return {"place": p.id, "name": p.name, "geometry": shape.geometry if shape else None,
            "updated_at": shape.updated_at if shape else None}


@router.put("/zones/places/{pk}/shape", response=ShapeOut)
def save_shape(request, pk: int, body: ShapeIn):
    p = _place(request, pk)
    return shape_out(p, shape_actions.save_shape(actor_of(request), p, body.geometry))


@router.delete("/zones/places/{pk}/shape", response=ShapeOut)
def remove_shape(request, pk: int):
    p = _place(request, pk)
    shape_actions.remove_shape(actor_of(request), p)
    return shape_out(p, None)
