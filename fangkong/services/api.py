"""Sealed-area services over JSON (/api/v1/services/…): catalogues, orders, hand-off
batches and their line checks, runs and door confirmations (idempotent with client ids),
exceptions, amounts owed, requests and their states, pets and feedings, check-ins,
disinfection. Thin glue over `queries` and `actions` (the pages call the same); anything
outside the user's reach is a 404 like a missing one."""

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from fangkong.core.actor import actor_of
from fangkong.core.errors import Invalid, NotFound
from fangkong.registry.models import Place

from . import (
    access,
    batch_queries,
    check_ins,
    delivery_queries,
    emergency,
    home_sampling,
    queries,
    redeliveries,
    supplier_queries,
)
from .actions import (
    arrival,
    care,
    catalogue,
    delivery,
    handoff,
    order_problem,
    orders,
    redelivery,
    requests,
)
from .actions import disinfection as dis
from .models import Category, Line, Request, Run, Stop
from .order_changes import with_sent
from .prescriptions import with_medicine
from .redeliveries import with_redeliveries
from .schemas import (
    BatchDetailOut,
    BatchIn,
    BatchMadeOut,
    BatchOut,
    CategoryOut,
    CategoryPatch,
    CheckIn_,
    CheckInFigureOut,
    CheckInIn,
    CheckInOut,
    ConfirmIn,
    ConfirmOut,
    DisinfectionIn,
    DisinfectionOut,
    FeedingOut,
    GiveTeamIn,
    ItemIn,
    ItemOut,
    ItemPatch,
    NoteIn,
    OpenWorkOut,
    OrderIn,
    OrderOut,
    OrderProblemIn,
    OwedOut,
    PetIn,
    PetOut,
    ProblemOut,
    ProblemResolveIn,
    RedeliverIn,
    RequestIn,
    RequestOut,
    RequestStep,
    RunAssignIn,
    RunDetailOut,
    RunOut,
    RunTeamOut,
    SignIn,
    SignOffIn,
    SplitIn,
    StepIn,
    SupplierOut,
    WithdrawIn,
    no_contact_out,
    order_out,
    redelivery_out,
)
from .views import audit_door_phones

router = Router(tags=["services"])
LIMIT = 500


def _mount():
    from .api_lockdown import router as lockdown  # 这单有问题, 已到达卡口, sealed without supplies
    from .api_routines import router as routines  # routine disinfection
    from .api_supplies import router as supplies  # manifest files, door photos, group orders

    router.add_router("/", supplies)
    router.add_router("/", routines)
    router.add_router("/", lockdown)



def _place(request, pk, perm=access.VIEW) -> Place:
    p = Place.objects.filter(pk=pk).first()
    if p is None:
        raise NotFound()
    access.require(request.scope, perm, p)
    return p


def _team(request, pk):
    if pk is None:
        return None
    from fangkong.volunteers.models import Team

    t = Team.objects.filter(pk=pk).first()
    if t is None or not request.scope.allows(access.RUN, t):
        raise Invalid(fields={"team": [_("No such team here.")]})
    return t


# --- catalogues ----------------------------------------------------------------------

@router.get("/services/suppliers", response=list[SupplierOut])
def supplier_list(request, household: int | None = None):
    hh = queries.get_household(request.scope, household) if household else None
    return [{"id": s.id, "name": s.name, "kind": s.kind, "phone": s.phone}
            for s in queries.suppliers(request.scope, hh)]


def item_out(i) -> dict:
    return {"id": i.id, "supplier": i.supplier_id, "name": i.name, "kind": i.kind, "unit": i.unit,
            "price": i.price, "contents": i.contents}


@router.get("/services/suppliers/{pk}/items", response=list[ItemOut])
def item_list(request, pk: int):
    return [item_out(i) for i in queries.catalogue(queries.get_supplier(request.scope, pk))]


@router.post("/services/suppliers/{pk}/items", response={201: ItemOut})
def item_add(request, pk: int, body: ItemIn):
    s = queries.get_supplier(request.scope, pk)
    return Status(201, item_out(catalogue.add_item(actor_of(request), s, body.dict())))


@router.patch("/services/items/{pk}", response=ItemOut)
def item_change(request, pk: int, body: ItemPatch):
    from .models import Item

    item = Item.objects.select_related("supplier").filter(pk=pk).first()
    if item is None:
        raise NotFound()
    access.require_supplier(request.scope, item.supplier)
    return item_out(catalogue.update_item(actor_of(request), item, body.dict(exclude_none=True)))


# --- orders ------------------------------------------------------------------------



@router.get("/services/orders", response=list[OrderOut])
def order_list(request, household: int | None = None, place: int | None = None, state: str = "",
               limit: int = Query(100, ge=1, le=LIMIT)):
    hh = queries.get_household(request.scope, household) if household else None
    p = _place(request, place) if place else None
    qs = queries.orders(request.scope, household=hh, place=p, state=state[:20]).prefetch_related("lines")
    return [order_out(o) for o in with_medicine(request.scope, with_redeliveries(with_sent(qs[:limit])))]


@router.post("/services/orders", response={201: OrderOut, 200: OrderOut})
def order_place(request, body: OrderIn):
    hh = queries.get_household(request.scope, body.household, order=True)
    from .models import Supplier

    s = Supplier.objects.filter(pk=body.supplier, community_id=hh.community_id).first()
    if s is None:
        raise Invalid(fields={"supplier": [_("This supplier does not serve this household.")]})
    o = orders.place_order(actor_of(request), hh, s, [(ln.item, ln.quantity) for ln in body.lines],
                           medicine=body.medicine, deadline=body.deadline, note=body.note,
                           client_id=body.client_id, payer=body.payer)
    return Status(201, order_out(o, request.scope))


@router.get("/services/orders/{pk}", response=OrderOut)
def order_get(request, pk: int):
    return order_out(queries.get_order(request.scope, pk), request.scope)


@router.post("/services/orders/{pk}/cancel", response=OrderOut)
def order_cancel(request, pk: int):
    return order_out(orders.cancel_order(actor_of(request), queries.get_order(request.scope, pk)), request.scope)


@router.post("/services/orders/{pk}/problem", response={201: RequestOut})
def order_problem_report(request, pk: int, body: OrderProblemIn):
    """这单有问题: a request (物资问题) about the household's order — delivered or on its way —,
    naming a line of it or not, and what was wrong; answered when staff resolve the gate's
    exception for that door and line. The same client id again answers the same request
    (201 with it); an order the user may not ask for is a 404."""
    o = queries.get_order(request.scope, pk)  # then who may ask for its household (the action's rule)
    req = order_problem.report(actor_of(request), o, what=body.what, line=body.line, text=body.text,
                               client_id=body.client_id)
    return Status(201, request_out(queries.get_request(request.scope, req.id), request.scope))


@router.get("/services/households/{pk}/open-work", response=OpenWorkOut)
def household_open_work(request, pk: int):
    """What is still to do for a household (`queries.open_work`, as its staff page says it):
    its requests open or done and waiting for its confirmation, its orders still to come."""
    hh = queries.get_household(request.scope, pk)
    work = queries.open_work(request.scope, hh, limit=LIMIT)
    return {"household": hh.id, "count": work["count"], "requests_n": work["requests_n"],
            "orders_n": work["orders_n"],
            "requests": [request_out(r, request.scope) for r in
                         redeliveries.with_awaits_goods(home_sampling.with_home_lines(
                             queries.with_doors(work["requests"])))],
            "orders": [order_out(o) for o in
                       with_medicine(request.scope, with_redeliveries(with_sent(work["orders"])))]}


# --- batches and checks ---------------------------------------------------------------

def batch_out(b, lines=None) -> dict:
    out = {"id": b.id, "supplier": b.supplier_id, "supplier_name": b.supplier.name,
           "checkpoint": b.checkpoint_id, "checkpoint_name": b.checkpoint.name, "due_at": b.due_at,
           "state": b.state, "team": b.team_id, "supplier_signed_by": b.supplier_signed_by,
           "supplier_signed_at": b.supplier_signed_at, "checked_at": b.checked_at, "figures": queries.batch_figures(b),
           "arrived_at": b.arrived_at, "state_text": b.state_text,
           **_ended(b)}
    if lines is not None:
        labels = queries.door_labels({ln.household_id: ln.household for ln in lines}.values())
        doors = queries.doors([b.id])  # the manifest's door outcome (`supplier_queries.door_outcome`)
        out["lines"] = [{"id": ln.id, "order": ln.order_id, "household": ln.household_id,
                         "address": labels.get(ln.household_id, ""), "name": ln.name,
                         "quantity": ln.quantity, "outcome": ln.outcome, "received": ln.received,
                         "substitute": ln.substitute, "note": ln.note, "order_note": ln.order_note,
                         "price": ln.price, "amount": (ln.price * ln.quantity).quantize(queries.CENT),
                         "substitute_price": ln.substitute_price, "price_pending": ln.price_pending,
                         **_door(doors.get((b.id, ln.household_id)))}
                        for ln in lines]
    return out


@router.get("/services/batches", response=list[BatchOut])
def batch_list(request, place: int | None = None,
               to_split: bool = Query(False, description="Only the batches signed at the checkpoint and "
                                      "waiting to be split into runs (`POST /services/batches/{pk}/split`), "
                                      "the longest waiting first (`checked_at`: signed)."),
               limit: int = Query(50, ge=1, le=LIMIT)):
    p = _place(request, place) if place else None
    qs = batch_queries.to_split(request.scope, place=p) if to_split else queries.batches(request.scope, place=p)
    return [batch_out(b) for b in delivery_queries.with_outcome(qs[:limit])]


@router.post("/services/batches", response={201: BatchMadeOut})
def batch_create(request, body: BatchIn):
    from .models import Supplier

    gate = _place(request, body.checkpoint, access.RUN)
    s = Supplier.objects.filter(pk=body.supplier, community_id=gate.community_id).first()
    if s is None:
        raise Invalid(fields={"supplier": [_("No such supplier here.")]})
    b = handoff.create_batch(actor_of(request), s, gate, due_at=body.due_at, team=_team(request, body.team),
                             orders=body.orders, client_id=body.client_id)
    return Status(201, {**batch_out(b), "late": getattr(b, "late", [])})


@router.get("/services/batches/{pk}", response=BatchDetailOut)
def batch_get(request, pk: int):
    b = queries.get_batch(request.scope, pk)
    # the amounts the manifest page prints, by its function (`supplier_queries.manifest_amounts`)
    return {**batch_out(b, list(queries.batch_lines(b))),
            **supplier_queries.manifest_amounts(supplier_queries.manifest(b))}


@router.post("/services/lines/{pk}/check", response=dict)
def line_check(request, pk: int, body: CheckIn_):
    ln = Line.objects.select_related("batch__supplier", "batch__checkpoint").filter(pk=pk).first()
    if ln is None:
        raise NotFound()
    access.require_batch(request.scope, ln.batch)
    ln = handoff.check_line(actor_of(request), ln, body.outcome, received=body.received,
                            substitute=body.substitute, note=body.note, substitute_price=body.substitute_price)
    return {"id": ln.id, "outcome": ln.outcome, "received": ln.received, "substitute": ln.substitute,
            "substitute_price": None if ln.substitute_price is None else str(ln.substitute_price),
            "price_pending": ln.price_pending}


@router.post("/services/batches/{pk}/receive-rest", response=dict)
def batch_receive_rest(request, pk: int):
    b = queries.get_batch(request.scope, pk)
    return {"received": handoff.receive_rest(actor_of(request), b)}


@router.post("/services/batches/{pk}/sign", response=BatchOut)
def batch_sign(request, pk: int, body: SignIn):
    b = queries.get_batch(request.scope, pk)
    return batch_out(handoff.sign(actor_of(request), b, supplier_name=body.supplier_name))


@router.post("/services/batches/{pk}/arrived", response=BatchOut)
def batch_arrived(request, pk: int):
    """已到达卡口: the supplier's own login, the team on duty at the gate or staff say the
    goods are at the checkpoint (while it is expected; again: the batch as it is)."""
    b = queries.get_batch(request.scope, pk)
    return batch_out(arrival.arrived(actor_of(request), b))


@router.post("/services/batches/{pk}/split", response=list[RunOut])
def batch_split(request, pk: int, body: SplitIn):
    b = queries.get_batch(request.scope, pk)
    teams = [_team(request, t) for t in body.teams[:50]]
    handoff.split(actor_of(request), b, teams=teams)  # none given: the batch's team, as the page
    return [run_out(r) for r in delivery_queries.with_outcome(queries.runs(request.scope, batch=b))]


@router.get("/services/batches/{pk}/owed", response=list[OwedOut])
def batch_owed(request, pk: int):
    b = queries.get_batch(request.scope, pk)
    access.require_owed(request.scope, b)  # the .xlsx's rule: its supplier, or the export right
    return queries.owed(request.scope, batch=b)


# --- runs and doors ------------------------------------------------------------------

def run_out(r) -> dict:
    return {"id": r.id, "batch": r.batch_id, "building": r.place_id, "building_name": r.place.name,
            "team": r.team_id, "carrier": r.carrier_id, "state": r.state,
            "stops": getattr(r, "stops_n", 0), "pending": getattr(r, "pending_n", 0), **_ended(r)}


def _door(found) -> dict:
    if found is None:
        return {"door": "", "door_reason": ""}
    return {"door": "delivered" if found[0] else "not_delivered", "door_reason": found[1]}


def _ended(x) -> dict:
    """How a batch or run went (`delivery_queries.with_outcome`, the pages' words)."""
    if not hasattr(x, "outcome"):
        delivery_queries.with_outcome([x])
    return {"not_delivered": x.failed_n, "unresolved": x.open_failed_n, "outcome": x.outcome}


@router.get("/services/runs", response=list[RunOut])
def run_list(request, batch: int | None = None):
    b = queries.get_batch(request.scope, batch) if batch else None
    return [run_out(r) for r in delivery_queries.with_outcome(queries.runs(request.scope, batch=b)[:LIMIT])]


@router.get("/services/runs/{pk}", response=RunDetailOut)
def run_get(request, pk: int):
    run = queries.get_run(request.scope, pk)
    rows = delivery_queries.checklist(request.scope, run)
    audit_door_phones(actor_of(request), run, rows)
    out = run_out(run)
    out["stops"] = len(rows)
    out["pending"] = sum(1 for x in rows if x["stop"].state == Stop.State.PENDING)
    out["checklist"] = [{"id": x["stop"].id, "position": x["stop"].position, "household": x["household"].id,
                         "address": x["label"], "phone": x["phone"], "phones": x["phones"],
                         "state": x["stop"].state,
                         # "delivered" after all does not keep the failure's reason: its history does
                         "reason": x["stop"].reason if x["stop"].state == Stop.State.FAILED else "",
                         "why": x["stop"].why if x["stop"].state == Stop.State.FAILED else "",
                         "note": x["history"][-1]["text"] if len(x["history"]) > 1 else "",
                         "history": x["history"], "no_contact": no_contact_out(x),
                         "lines": [{"name": ln.name, "quantity": ln.quantity, "outcome": ln.outcome,
                                    "received": ln.received, "substitute": ln.substitute,
                                    "order_note": ln.order_note}
                                   for ln in x["lines"]]} for x in rows]
    return out


@router.get("/services/runs/{pk}/teams", response=list[RunTeamOut])
def run_teams(request, pk: int):
    """The teams a run may be given to (its community's; the run page's select)."""
    run = queries.get_run(request.scope, pk)
    access.require_run(request.scope, run, manage=True)
    return [{"id": t.id, "name": t.name, "current": t.id == run.team_id} for t in queries.run_teams(run)]


@router.post("/services/runs/{pk}/assign", response=RunOut)
def run_assign(request, pk: int, body: RunAssignIn):
    """Give a run to a team of its community, or hand it over from the team that has it
    (the run page's "交给这个队"; the same action): 409 once every door is confirmed."""
    run = queries.get_run(request.scope, pk)
    access.require_run(request.scope, run, manage=True)
    team = queries.run_team(run, body.team)
    if team is None:
        raise Invalid(fields={"team": [_("No such team here.")]})
    given = handoff.assign_run(actor_of(request), run, team=team)
    return {**run_out(queries.runs(request.scope).get(pk=run.pk)), "told": given.told}  # as the page says


@router.post("/services/stops/{pk}/confirm", response={201: ConfirmOut, 200: ConfirmOut})
def stop_confirm(request, pk: int, body: ConfirmIn):
    stop = queries.get_stop(request.scope, pk, body.client_id)
    stop, created = delivery.confirm_stop(actor_of(request), stop, delivered=body.delivered,
                                          client_id=body.client_id, reason=body.reason, why=body.why)
    # the run as the server has it now: the carrier's page shows it after each door (a run done
    # is closed to its carriers, so this answer is their last word on it)
    (run,) = delivery_queries.with_outcome([Run.objects.get(pk=stop.run_id)])
    return Status(201 if created else 200, {"id": stop.id, "state": stop.state, "reason": stop.reason, "why": stop.why,
                                             "confirmed_at": stop.confirmed_at, "run_pending": run.pending_n,
                                             "run_outcome": run.outcome, "run_unresolved": run.open_failed_n})


def problem_out(p) -> dict:
    """One exception with its door (`delivery_queries.problem_rows`: address, run)."""
    return {"id": p.id, "batch": p.batch_id, "household": p.household_id, "address": p.address,
            "run": p.run_id, "kind": p.kind, "text": p.text, "summary": p.summary(),
            "resolution": p.resolution, "resolved_at": p.resolved_at,
            "reports": [r.id for r in getattr(p, "reports", [])],
            "redeliveries": [f.id for f in getattr(p, "follow_ups", [])]}


@router.get("/services/problems", response=list[ProblemOut])
def problem_list(request, place: int | None = None, open_only: bool = True):
    p = _place(request, place) if place else None
    rows = queries.problems(request.scope, place=p, open_only=open_only)[:LIMIT]
    return [problem_out(x) for x in delivery_queries.problem_rows(request.scope, rows)]


@router.post("/services/problems/{pk}/resolve", response=ProblemOut)
def problem_resolve(request, pk: int, body: ProblemResolveIn):
    p = queries.get_problem(request.scope, pk)
    p = delivery.resolve_problem(actor_of(request), p, resolution=body.resolution, delivered=body.delivered)
    return problem_out(delivery_queries.problem_rows(request.scope, [p])[0])


@router.post("/services/problems/{pk}/redeliver", response=ProblemOut)
def problem_redeliver(request, pk: int, body: RedeliverIn):
    """补送: what the exception's door did not get (a line short or damaged, a door not
    delivered) ordered again for the household, in the supplier's next batch — the place
    page's action. The exception is resolved with `resolution` (empty: what is sent again) and
    the family's reports of it answered; `redeliveries` names the follow-ups. Asked again, it
    answers the same follow-ups (nothing twice); an exception closed otherwise, or a
    substitution (nothing missing), is 409."""
    p = queries.get_problem(request.scope, pk)
    redelivery.redeliver(actor_of(request), p, resolution=body.resolution)
    p.refresh_from_db()
    return problem_out(redeliveries.for_problems(delivery_queries.problem_rows(request.scope, [p]))[0])


# --- requests ------------------------------------------------------------------------

def category_out(c) -> dict:
    return {"id": c.id, "code": c.code, "name": c.label, "priority": c.priority,
            "response_minutes": c.response_minutes}


@router.get("/services/categories", response=list[CategoryOut])
def category_list(request):
    return [category_out(c) for c in queries.categories()]


@router.patch("/services/categories/{pk}", response=CategoryOut)
def category_edit(request, pk: int, body: CategoryPatch):
    c = Category.objects.filter(pk=pk).first()
    if c is None:
        raise NotFound()
    return category_out(requests.edit_category(actor_of(request), c, body.dict(exclude_none=True)))


def request_out(r, scope) -> dict:
    """A request as `scope` reads it: the neighbour who asked it (`access.follows_only`)
    reads what they asked and what became of it, as on the page — not the household's
    vulnerable people, whether to go without contact, nor its words when it sent it back."""
    if not hasattr(r, "no_contact"):
        queries.with_doors([r])
    follower = access.follows_only(scope, r)
    home = not follower and home_sampling.is_home_sampling(r.category)
    if home and not hasattr(r, "home_lines"):  # a list reads them for all its rows at once
        home_sampling.with_home_lines([r])
    return {"id": r.id, "household": r.household_id, "address": r.address, "category": r.category.code,
            "text": r.message,
            "priority": r.priority, "urgent_why": emergency.why(r) if r.state in Request.OPEN else "",
            "vulnerable": None if follower else r.weight, "state": r.state,
            "tags": None if follower else getattr(r, "tag_codes", []),
            "due_at": r.due_at,
            "overdue": r.overdue or (r.state in r.OPEN and r.due_at < timezone.now()),
            "assignee": r.assignee_id, "team": r.team_id, "taken_at": r.taken_at, "result": r.result,
            "done_at": r.done_at, "confirmed_at": r.confirmed_at,
            "awaits_goods": r.awaits_goods if hasattr(r, "awaits_goods") else redeliveries.awaits_goods(r),
            "assignee_name": (r.assignee.display_name or r.assignee.username) if r.assignee_id else "",
            "team_name": r.team.name if r.team_id else "", "reopened_at": r.reopened_at,
            "reopen_reason": "" if follower else r.reopen_reason, "asked_from": r.asked_from_id,
            "follower": follower, "no_contact": {} if follower else no_contact_out(r),
            "people": [{"id": p.id, "name": p.name} for p in r.home_people] if home else None,
            "home_sampling": r.home_lines if home else None, "timeline": r.timeline if home else None,
            "order": r.order_id, "order_line": r.order_line_id, "order_what": r.order_what,
            "withdrawn_at": r.withdrawn_at, "withdraw_reason": "" if follower else r.withdraw_reason,
            "redeliveries": [] if follower or not r.order_id else
            [redelivery_out(f) for f in redeliveries.for_requests([r])[0].follow_ups]}


@router.get("/services/requests", response=list[RequestOut])
def request_list(request, place: int | None = None, household: int | None = None, asked_from: int | None = None,
                 open_only: bool = True, limit: int = Query(100, ge=1, le=LIMIT)):
    p = _place(request, place) if place else None
    hh = queries.get_household(request.scope, household) if household else None
    asker = queries.get_household(request.scope, asked_from) if asked_from else None
    return [request_out(r, request.scope) for r in redeliveries.with_awaits_goods(home_sampling.with_home_lines(
        queries.with_doors(queries.request_queue(request.scope, place=p, household=hh, asked_from=asker,
                                                 open_only=open_only, limit=limit))))]


@router.post("/services/requests", response={201: RequestOut})
def request_raise(request, body: RequestIn):
    hh = queries.get_household(request.scope, body.household, order=True)
    c = requests.category_of(body.category)
    if body.room.strip():  # for a neighbour of its building: the page's "为邻居求助"
        return Status(201, request_out(requests.raise_for_neighbour(actor_of(request), hh, body.room, c, body.text,
                                                                    client_id=body.client_id), request.scope))
    return Status(201, request_out(requests.raise_request(actor_of(request), hh, c, body.text,
                                                          client_id=body.client_id, people=body.people),
                                   request.scope))


@router.get("/services/requests/{pk}", response=RequestOut)
def request_get(request, pk: int):
    return request_out(queries.get_request(request.scope, pk), request.scope)


@router.post("/services/requests/{pk}/withdraw", response=RequestOut)
def request_withdraw(request, pk: int, body: WithdrawIn):
    """"撤回": the household's own login (or the neighbour who asked it) says the request is
    no longer needed, with `reason` in a few words if it likes, while it is not done yet
    (`new` or `taken`; done: 409). It is cancelled, whoever had it is told (the person who
    took it or was given it and their team, else those it was sent to) and audited
    (`services.request.withdrawn`); a retry answers it as it is. Staff and grid workers
    cancel a request instead (`cancel` step): 403 here."""
    r = requests.withdraw(actor_of(request), queries.get_request(request.scope, pk), body.reason)
    return request_out(queries.with_doors([r])[0], request.scope)


@router.post("/services/requests/{pk}/{step}", response=RequestOut)
def request_step(request, pk: int, step: RequestStep, body: StepIn):
    r = queries.get_request(request.scope, pk)
    a = actor_of(request)
    if step == RequestStep.TAKE:
        r = requests.take(a, r)
    elif step == RequestStep.DONE:
        r = requests.done(a, r, body.result)
    elif step == RequestStep.CONFIRM:
        r = requests.confirm(a, r, body.how)
    elif step == RequestStep.REOPEN:
        r = requests.reopen(a, r, body.reason)
    elif step == RequestStep.CANCEL:
        r = requests.cancel(a, r)
    elif step == RequestStep.TRIAGE:
        r = requests.triage(a, r, urgent=body.urgent, due_at=body.due_at)
    elif step == RequestStep.REDELIVER:  # 补送 answering "这单有问题" (the request page's action)
        redelivery.redeliver(a, r, resolution=body.result, quantity=body.quantity)
        r = queries.get_request(request.scope, r.pk)
    else:
        from fangkong.accounts.models import User

        user = User.objects.filter(pk=body.assignee).first() if body.assignee else None
        if body.assignee and user is None:  # as one of another community: nothing said of either
            raise Invalid(fields={"assignee": [requests.refused_assignee()]})
        team = None
        if body.team is not None:  # a team of its community, as the page offers (grid workers too)
            team = queries.run_team(r, body.team)
            if team is None:
                raise Invalid(fields={"team": [_("No such team here.")]})
        r = requests.assign(a, r, assignee=user, team=team)
        return {**request_out(queries.with_doors([r])[0], request.scope), "told": r.told}  # as the page says
    return request_out(queries.with_doors([r])[0], request.scope)


# --- pets, feedings, check-ins -------------------------------------------------------

@router.get("/services/pets", response=list[PetOut])
def pet_list(request, household: int | None = None, place: int | None = None):
    hh = queries.get_household(request.scope, household) if household else None
    p = _place(request, place) if place else None
    return [{"id": x.id, "household": x.household_id, "name": x.name, "species": x.species, "care": x.care}
            for x in queries.pets(request.scope, household=hh, place=p)[:LIMIT]]


@router.post("/services/pets", response={201: PetOut})
def pet_add(request, body: PetIn):
    hh = queries.get_household(request.scope, body.household, order=True)
    x = care.add_pet(actor_of(request), hh, body.dict())
    return Status(201, {"id": x.id, "household": x.household_id, "name": x.name, "species": x.species,
                        "care": x.care})


def feeding_out(f) -> dict:
    return {"id": f.id, "pet": f.pet_id, "pet_name": f.pet.name, "care": f.pet.care, "day": f.day,
            "volunteer": f.volunteer_id, "done_at": f.done_at, "stopped": f.stopped}


@router.get("/services/feedings", response=list[FeedingOut])
def feeding_list(request, place: int | None = None):
    p = _place(request, place) if place else None
    return [feeding_out(f) for f in queries.feedings(request.scope, place=p)[:LIMIT]]


@router.post("/services/feedings/{pk}/done", response=FeedingOut)
def feeding_done(request, pk: int, body: NoteIn):
    f = queries.get_feeding(request.scope, pk)
    return feeding_out(care.feed(actor_of(request), f, body.note))


def check_in_out(c) -> dict:
    return {"id": c.id, "resident": c.resident_id, "name": c.resident.name, "household": c.household_id,
            "day": c.day, "result": c.result, "note": c.note, "request": c.request_id,
            "category": c.request.category.code if c.request_id else None}


@router.get("/services/check-ins", response=list[CheckInOut])
def check_in_list(request, place: int | None = None):
    p = _place(request, place) if place else None
    return [check_in_out(c) for c in queries.check_ins(request.scope, place=p)[:LIMIT]]


@router.get("/services/check-ins/figure", response=CheckInFigureOut, description=(
    "Today's morning check-ins as one figure (the page's and the dashboard's): `due`, `done` (called), "
    "`open` (not called: due − done), `no_answer`, `words` (said in the reader's language) and `by`, the "
    "time they are due (10:00 unless the site sets another); `place`: under that place."))
def check_in_figure(request, place: int | None = None):
    p = _place(request, place) if place else None
    t = check_ins.tally(queries.check_ins(request.scope, place=p))
    return dict(t, by=check_ins.deadline())


@router.post("/services/check-ins/{pk}", response=CheckInOut)
def check_in_record(request, pk: int, body: CheckInIn):
    c = queries.get_check_in(request.scope, pk)
    c = care.record_check_in(actor_of(request), c, body.result, body.note, category=body.category)
    return check_in_out(c)


# --- disinfection ----------------------------------------------------------------------

def disinfection_out(d) -> dict:
    return {"id": d.id, "place": d.place_id, "place_name": d.place.name, "kind": d.kind, "due_at": d.due_at,
            "case": d.case_id, "team": d.team_id, "done_at": d.done_at, "area": d.area, "agent": d.agent,
            "overdue": d.done_at is None and d.due_at < timezone.now(),
            "late": d.late_minutes() > 0, "late_minutes": d.late_minutes()}


@router.get("/services/disinfections", response=list[DisinfectionOut])
def disinfection_list(request, place: int | None = None, open_only: bool = False):
    p = _place(request, place) if place else None
    return [disinfection_out(d) for d in queries.disinfections(request.scope, place=p,
                                                               open_only=open_only)[:LIMIT]]


@router.post("/services/disinfections", response={201: DisinfectionOut})
def disinfection_schedule(request, body: DisinfectionIn):
    p = _place(request, body.place)
    d = dis.schedule(actor_of(request), p, due_at=body.due_at, team=_team(request, body.team), kind=body.kind)
    return Status(201, disinfection_out(d))


@router.post("/services/disinfections/{pk}/done", response=DisinfectionOut)
def disinfection_done(request, pk: int, body: SignOffIn):
    d = queries.get_disinfection(request.scope, pk)
    return disinfection_out(dis.sign_off(actor_of(request), d, area=body.area, agent=body.agent,
                                         done_at=body.done_at))


@router.post("/services/disinfections/{pk}/team", response=DisinfectionOut)
def disinfection_team(request, pk: int, body: GiveTeamIn):
    from fangkong.volunteers.models import Team

    d = queries.get_disinfection(request.scope, pk)  # the action refuses a team of another community
    return disinfection_out(dis.give_team(actor_of(request), d, Team.objects.filter(pk=body.team).first())[0])


_mount()
