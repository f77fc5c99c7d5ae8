"""Reads of the services app (never writes; never imports actions). Every list is scoped
through access.py; a row the user may not see is missing (NotFound).

Figures defined once here: a household's amount owed (`owed`: the received quantity of
each manifest line × its price — short lines count what came, damaged lines nothing, a
substitution what was listed; a door refused or not delivered nothing, `not_at_door`) and an order's share of it (`with_amount_due`, the same sum
over the order's own checked lines), the request queue's order (`QUEUE_ORDER`: overdue first,
then priority — 1 for a request staff marked urgent, `requests.triage` —, then the household's
vulnerability now, its people's tags in the registry weighed as the queue is read
(`marks.TAG_WEIGHT`: an elderly person living alone or bedridden most), then due time, the
needed-by staff may set)."""

from decimal import Decimal

from django.db.models import Case, Count, DecimalField, ExpressionWrapper, F, Min, Q, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from fangkong.core.errors import NotFound
from fangkong.registry.models import Household, Place, Tag
from fangkong.registry.queries import address_labels

from . import access
from .marks import household_weight, of_households, with_no_contact
from .models import (
    Batch,
    Category,
    CheckIn,
    Disinfection,
    DisinfectionRoutine,
    Feeding,
    GroupOrder,
    Item,
    Line,
    Order,
    Pet,
    Problem,
    Request,
    Run,
    Stop,
    Supplier,
)

CENT = Decimal("0.01")
# `weight`: the household's vulnerability now (`marks.household_weight`, annotated by `request_queue`)
QUEUE_ORDER = ("-overdue", "priority", "-weight", "due_at", "id")


def _get(qs, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    obj = next(iter(qs.filter(pk=pk).order_by()[:1]), None)  # by key: no ORDER BY to compile
    if obj is None:
        raise NotFound()
    return obj


# --- suppliers and catalogues ------------------------------------------------------------

def get_supplier(scope, pk) -> Supplier:
    s = _get(Supplier.objects.all(), pk)
    access.require_supplier(scope, s)
    return s


def suppliers(scope, household=None) -> list[Supplier]:
    """The suppliers serving a household's community (or those the user works with)."""
    qs = Supplier.objects.filter(is_active=True)
    if household is not None:
        return list(qs.filter(community_id=household.community_id).order_by("kind", "name"))
    q = access.levels_q(scope, access.VIEW) | Q(id__in=access.supplier_ids(scope))
    return list(qs.filter(q).order_by("kind", "name"))


def catalogue(supplier: Supplier) -> list[Item]:
    return list(Item.objects.filter(supplier=supplier, is_active=True))


def sells_medicine(supplier: Supplier, items: list[Item]) -> bool:
    """A supplier whose order form names a medicine (free text, a prescription photo): a
    pharmacy, or one with a medicine on sale in its catalogue (`items`, its `catalogue`)."""
    return supplier.kind == Supplier.Kind.PHARMACY or any(i.kind == Item.Kind.MEDICINE for i in items)


def get_household(scope, pk, *, order=False) -> Household:
    h = _get(Household.objects.all(), pk)
    access.require_household(scope, h, order=order)
    return h


def neighbours(household, unit, door) -> list[Household]:
    """The households of `household`'s building with this door (in unit `unit` when given:
    "2" names 2单元), at most 5: the neighbour a resident asks for
    (`requests.raise_for_neighbour`; its caller may ask for the household)."""
    if household.building_id is None:
        return []
    qs = Household.objects.filter(building_id=household.building_id, door__iexact=door)
    if unit:
        qs = qs.filter(place__name__in=[unit, f"{unit}单元"])
    return list(qs.select_related("place").order_by("place__sort_key", "id")[:5])


# --- orders -------------------------------------------------------------------------

def orders(scope, *, household=None, supplier=None, place=None, state=None, states=None):
    qs = Order.objects.filter(access.orders_q(scope))
    if states is not None:
        qs = qs.filter(state__in=states)
    if household is not None:
        qs = qs.filter(household=household)
    if supplier is not None:
        qs = qs.filter(supplier=supplier)
    if place is not None:
        qs = qs.filter(**_under(place))
    if state:
        qs = qs.filter(state=state)
    return with_amount_due(qs.select_related("supplier", "batch")).order_by("-is_medicine", "deadline",
                                                                    "-placed_at", "id")


def with_amount_due(qs):
    """Orders with `amount_due`: what the order comes to once its lines were checked at the
    gate (Σ received × price over its checked manifest lines, as `owed` counts them); None
    while none was checked (the order's `total` is what was ordered); and `listed_amount`: what
    its batch's manifest lists of it (Σ quantity × price, the supplier's file may change it,
    `order_changes`), None in no batch."""
    return qs.annotate(amount_due=Sum(
        Coalesce(F("manifest_lines__received"), 0) * Coalesce(charged("manifest_lines__"), 0),
        filter=Q(manifest_lines__isnull=False) & ~Q(manifest_lines__outcome=Line.Check.PENDING),
        output_field=DecimalField(max_digits=12, decimal_places=2)),
        listed_amount=Sum(F("manifest_lines__quantity") * F("manifest_lines__price"),
                          filter=Q(manifest_lines__isnull=False),
                          output_field=DecimalField(max_digits=12, decimal_places=2)))


# Still to come to the door (placed, in a batch, out, or with a problem not yet resolved):
# counted in what the household will receive and pay. A cancelled order never is.
COMING = (Order.State.PLACED, Order.State.IN_BATCH, Order.State.OUT, Order.State.PROBLEM)


def order_amount(o) -> Decimal:
    """What an order counts for in what the household receives and pays (the one definition:
    the household's page, the API's `amount`): nothing once cancelled; what came
    (`amount_due`, as `owed` counts it) once the gate checked it; what its batch's manifest
    lists until then (`listed_amount`: the supplier's file may change it); what was ordered
    in no batch."""
    if o.state == Order.State.CANCELLED:
        return Decimal(0).quantize(CENT)
    due = getattr(o, "amount_due", None)
    if due is None and o.batch_id:
        due = getattr(o, "listed_amount", None)
    return Decimal(o.total if due is None else due).quantize(CENT)


def household_orders(scope, household, *, limit=20) -> dict:
    """A household's orders for its page: `orders`, those that count (lines, gate notes), and
    `cancelled` apart (latest first, with when and why); `coming`, how many are still to come,
    and `coming_amount`, what they come to (Σ `order_amount`, over all of them)."""
    qs = orders(scope, household=household).select_related("batch").prefetch_related("lines")
    cancelled = Order.State.CANCELLED
    still = list(orders(scope, household=household, states=COMING)[:500])
    gone = list(qs.filter(state=cancelled).order_by(F("cancelled_at").desc(nulls_last=True), "-placed_at", "-id")[:limit])
    # an order its door did not get (`delivery.resolve_problem`): the door's reason with it
    back = not_at_door({o.batch_id for o in gone if o.cancelled_why == Order.Why.NOT_DELIVERED}, [household.id])
    for o in gone:
        o.door_reason = back.get((o.batch_id, household.id), "") if o.cancelled_why == Order.Why.NOT_DELIVERED else ""
    return {"orders": with_gate_notes(list(qs.exclude(state=cancelled)[:limit])),
            "cancelled": gone,
            "coming": len(still), "coming_amount": sum((order_amount(o) for o in still), Decimal(0)).quantize(CENT)}


def with_gate_notes(orders: list) -> list:
    """Each order with `.gate_notes`: what the gate's check found wrong with its lines, in
    words for the household ("蔬菜包：订 2，到 1，未到的不收费"), so "came to ¥…" is explained,
    and its door's reason when it was not delivered. Two queries."""
    from django.utils.translation import gettext as _

    for o in orders:
        o.gate_notes = []
    by_id = {o.id: o for o in orders}
    wrong = [Line.Check.SHORT, Line.Check.DAMAGED, Line.Check.SUBSTITUTED]
    for ln in Line.objects.filter(order_id__in=by_id, outcome__in=wrong).order_by("id"):
        if ln.outcome == Line.Check.SHORT:  # and what happens next: not charged (the supply evening)
            text = _("%(name)s: ordered %(q)d, %(r)d came; what did not come is not charged") % {
                "name": ln.name, "q": ln.quantity, "r": ln.received or 0}
        elif ln.outcome == Line.Check.DAMAGED:
            text = _("%(name)s: came damaged, not charged") % {"name": ln.name}
        elif ln.price_pending:  # never charged at what was ordered: its price is asked of the supplier
            text = _("%(name)s: replaced by %(other)s, price to be confirmed (not charged until then)") % {
                "name": ln.name, "other": ln.substitute or "–"}
        else:
            text = _("%(name)s: replaced by %(other)s") % {"name": ln.name, "other": ln.substitute or "–"}
        by_id[ln.order_id].gate_notes.append(text)
    # a door not delivered: why, and that it is not charged (its order waits at a problem)
    back = not_at_door({o.batch_id for o in orders if o.batch_id}, {o.household_id for o in orders})
    for o in orders:
        if o.state != Order.State.CANCELLED and (o.batch_id, o.household_id) in back:
            o.gate_notes.append(_("Not delivered: %(why)s; not charged") % {
                "why": back[(o.batch_id, o.household_id)] or "–"})
    return orders


def get_order(scope, pk) -> Order:
    o = _get(with_amount_due(Order.objects.select_related("supplier", "household", "batch")), pk)
    access.require_order(scope, o)
    return o


def _under(place: Place) -> dict:
    from fangkong.registry.models import LEVELS

    if place.kind in LEVELS:
        return {f"{place.kind}_id": place.id}
    return {"pk__in": []}


# --- group orders (社区集单) -------------------------------------------------------------

def group_orders(scope, building: Place):
    return GroupOrder.objects.filter(access.levels_q(scope, access.VIEW), place=building) \
        .select_related("supplier").annotate(orders_n=Count("orders", filter=~Q(orders__state="cancelled"))) \
        .order_by("-closes_at", "-id")


def get_group_order(scope, pk) -> GroupOrder:
    g = _get(GroupOrder.objects.select_related("supplier", "place"), pk)
    access.require(scope, access.VIEW, g)
    return g


def group_sheet(group: GroupOrder) -> list[dict]:
    """Every household of the group's building in carrying order (unit, floor, door) with
    its orders in this group (lines and state): the leader's sheet."""
    households = list(Household.objects.filter(building_id=group.place_id).select_related("place")
                      .order_by("place__sort_key", "sort_key", "id"))
    mine = {}
    for o in with_amount_due(Order.objects.filter(group=group).exclude(state=Order.State.CANCELLED)) \
            .select_related("batch").prefetch_related("lines").order_by("placed_at", "id"):
        mine.setdefault(o.household_id, []).append(o)
    return [{"household": h, "unit": h.place.name, "door": h.door, "orders": mine.get(h.id, [])}
            for h in households]


# --- batches and the manifest -----------------------------------------------------------

def batches(scope, *, place=None):
    qs = Batch.objects.filter(access.batches_q(scope))
    if place is not None:
        qs = qs.filter(**_under(place))
    return qs.select_related("supplier", "checkpoint").order_by("-due_at", "id")


def get_batch(scope, pk) -> Batch:
    b = _get(Batch.objects.select_related("supplier", "checkpoint"), pk)
    access.require_batch(scope, b)
    return b


def signed_by_my_team(scope, pk) -> bool:
    """Batch `pk` was checked by the user's team on duty and is signed since: it is closed
    to them (its addresses are its runs' once split), and they may be told so rather than
    "not found"."""
    teams = access.team_ids(scope)
    return bool(teams) and Batch.objects.filter(pk=pk, team_id__in=teams).exclude(
        state__in=[Batch.State.EXPECTED, Batch.State.CHECKING]).exists()


# the manifest's carrying order (building, unit, floor, door): the checkpoint's list follows
# the paper one (found counting at the gate: 101 of units 1, 2 and 3, then 102…)
MANIFEST_ORDER = ("household__building_id", "household__place__sort_key", "household__sort_key",
                  "household_id", "id")


def batch_lines(batch: Batch, *, pending_only=False):
    qs = Line.objects.filter(batch=batch).select_related("household").order_by(*MANIFEST_ORDER)
    if pending_only:
        qs = qs.filter(outcome=Line.Check.PENDING)
    return qs


def batch_figures(batch: Batch) -> dict:
    counts = dict(Line.objects.filter(batch=batch).values_list("outcome").annotate(n=Count("id")))
    items = Line.objects.filter(batch=batch).aggregate(n=Sum("quantity"))["n"] or 0
    return {"lines": sum(counts.values()), "items": items, **{c: counts.get(c, 0) for c in Line.Check.values},
            "households": Line.objects.filter(batch=batch).values("household_id").distinct().count()}


def door_labels(households) -> dict[int, str]:
    """{household id: "光明小区 3号楼 2单元 301"}."""
    households = list(households)
    places = address_labels(households)
    return {h.id: f"{places.get(h.place_id, '')} {h.door}".strip() for h in households}


# --- runs and stops -----------------------------------------------------------------------

def runs(scope, *, batch=None):
    qs = Run.objects.filter(access.runs_q(scope))
    if batch is not None:
        qs = qs.filter(batch=batch)
    return qs.select_related("place", "team", "batch").annotate(
        stops_n=Count("stops"), pending_n=Count("stops", filter=Q(stops__state=Stop.State.PENDING))
    ).order_by("batch_id", "id")


def get_run(scope, pk) -> Run:
    run = _get(Run.objects.select_related("place", "team", "batch__supplier"), pk)
    access.require_run(scope, run)
    return run


def run_teams(run: Run) -> list:
    """The teams a run may be given to (`handoff.assign_run`): its community's, by name."""
    from fangkong.volunteers.models import Team

    return list(Team.objects.filter(community_id=run.community_id).order_by("name", "id")[:100])


def run_team(run: Run, pk):
    """One of `run_teams` by its id from a form or a body, or None (not a number, not a team
    of the run's community)."""
    from fangkong.core.access import MAX_ID
    from fangkong.volunteers.models import Team

    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not 1 <= pk <= MAX_ID:
        return None
    return Team.objects.select_related("leader").filter(pk=pk, community_id=run.community_id).first()


def carried_and_done(scope, pk) -> bool:
    """Run `pk` is done and this user confirmed doors on it: they may be told it is
    finished (nothing of it shown; its addresses are closed to them once it is done)."""
    user = scope.user
    return bool(user is not None and getattr(user, "is_authenticated", False) and Stop.objects.filter(
        run_id=pk, run__state=Run.State.DONE, confirmed_by=user).exists())


def get_stop_photo(scope, pk) -> Stop:
    """A door's photo: for whoever sees its run (staff under it, its carriers while open)
    or confirmed it."""
    s = _get(Stop.objects.select_related("run").exclude(photo=""), pk)
    if not (scope.user is not None and s.confirmed_by_id == scope.user.id):
        access.require_run(scope, s.run)
    return s


def get_stop(scope, pk, client_id=None) -> Stop:
    """A stop of a run the user may see — or one they confirmed themselves with this
    client id (their phone's queue sending again after the run closed)."""
    s = _get(Stop.objects.select_related("run"), pk)
    if client_id and scope.user is not None and s.confirmed_by_id == scope.user.id \
            and str(s.client_id) == str(client_id):
        return s
    access.require_run(scope, s.run)
    return s


# --- exceptions and money ---------------------------------------------------------------

def problems(scope, *, place=None, batch=None, open_only=True):
    qs = Problem.objects.filter(access.levels_q(scope, access.VIEW))
    if place is not None:
        qs = qs.filter(**_under(place))
    if batch is not None:
        qs = qs.filter(batch=batch)
    if open_only:
        qs = qs.filter(resolved_at=None)
    return qs.select_related("household", "stop", "line").order_by("created_at", "id")


def get_problem(scope, pk) -> Problem:
    p = _get(Problem.objects.all(), pk)
    access.require(scope, access.VIEW, p)
    return p


def charged(prefix="") -> Case:
    """A manifest line's price as owed (`Line.charged_price`): a substitution's own price
    (`substitute_price`), NULL — 价格待定, nothing charged — while not known; else as listed."""
    return Case(When(**{f"{prefix}outcome": Line.Check.SUBSTITUTED}, then=F(f"{prefix}substitute_price")),
                default=F(f"{prefix}price"))


AMOUNT = ExpressionWrapper(Coalesce(F("received"), 0) * Coalesce(charged(), 0),
                           output_field=DecimalField(max_digits=12, decimal_places=2))
# lines substituted whose price is not known yet (价格待定): said beside the amount owed
PRICE_PENDING = Q(outcome=Line.Check.SUBSTITUTED, substitute_price=None)


def not_at_door(batch_ids, household_ids=None) -> dict:
    """{(batch id, household id): reason} of the doors a batch's goods did not reach: a stop
    confirmed not delivered (refused, nobody there…) and none of the household's stops of the
    batch delivered (a door "delivered after all" counts again). What came back is not owed
    (`owed`, the supplier's home, the manifest): found on the services evening, a refused
    door was charged in the amounts owed. One query."""
    qs = Stop.objects.filter(run__batch_id__in=list(batch_ids)).exclude(state=Stop.State.PENDING)
    if household_ids is not None:
        qs = qs.filter(household_id__in=list(household_ids))
    failed, delivered = {}, set()
    for bid, hid, state, reason in qs.values_list("run__batch_id", "household_id", "state", "reason"):
        if state == Stop.State.DELIVERED:
            delivered.add((bid, hid))
        else:
            failed[(bid, hid)] = reason
    return {k: v for k, v in failed.items() if k not in delivered}


def doors(batch_ids) -> dict:
    """{(batch id, household id): (delivered, reason)} of the doors confirmed: delivered
    (True, "") when a stop of the batch reached it, else not delivered (False, its reason,
    as `not_at_door` says it). A door not yet confirmed is missing. One query: the
    manifest page, its .xlsx and the API's lines say the same."""
    out = {}
    for bid, hid, state, reason in Stop.objects.filter(run__batch_id__in=list(batch_ids)).exclude(
            state=Stop.State.PENDING).values_list("run__batch_id", "household_id", "state", "reason"):
        if state == Stop.State.DELIVERED or out.get((bid, hid), (False,))[0]:
            out[(bid, hid)] = (True, "")
        else:
            out[(bid, hid)] = (False, reason)
    return out


def owed(scope, *, place=None, batch=None, household=None) -> list[dict]:
    """Amount owed per household: Σ received × price over its checked manifest lines of the
    doors its goods reached (the one definition; payment itself is outside Fangkong). A door
    not delivered or refused (`not_at_door`) owes nothing: its goods are `not_delivered`
    (with the door's `reason`), shown beside, never in the amount. A substitution is owed at
    the substitute's price (`charged`); one not known yet is counted in `price_pending`
    (价格待定), never at the price of what was ordered."""
    qs = Line.objects.exclude(outcome=Line.Check.PENDING)
    if household is not None:
        access.require_household(scope, household)
        qs = qs.filter(household=household)
    else:
        qs = qs.filter(batch__in=Batch.objects.filter(access.levels_q(scope, access.VIEW)
                                                      | Q(supplier_id__in=access.supplier_ids(scope))))
    if place is not None:
        qs = qs.filter(**{f"household__{k}": v for k, v in _under(place).items()})
    if batch is not None:
        qs = qs.filter(batch=batch)
    rows = list(qs.values("batch_id", "household_id", "batch__supplier__name")
                .annotate(amount=Sum(AMOUNT), pending=Count("id", filter=PRICE_PENDING))
                .order_by("household_id", "batch_id"))
    back = not_at_door({r["batch_id"] for r in rows}, {r["household_id"] for r in rows})
    hh = {h.id: h for h in Household.objects.filter(id__in={r["household_id"] for r in rows})}
    labels = door_labels(hh.values())
    out = {}
    for r in rows:
        row = out.setdefault((r["household_id"], r["batch__supplier__name"]), {
            "household": r["household_id"], "address": labels.get(r["household_id"], ""),
            "supplier": r["batch__supplier__name"], "amount": Decimal("0.00"), "not_delivered": Decimal("0.00"),
            "reason": "", "price_pending": 0})
        row["price_pending"] += r["pending"]  # 价格待定: a substitute's price not known, not in the amount
        amount = Decimal(r["amount"] or 0).quantize(CENT)
        key = (r["batch_id"], r["household_id"])
        if key in back:
            row["not_delivered"] += amount
            row["reason"] = back[key] or row["reason"]
        else:
            row["amount"] += amount
    return list(out.values())


# --- requests --------------------------------------------------------------------------

def categories() -> list[Category]:
    """What a household may ask for: its help form's categories (every one of the installation)."""
    return list(Category.objects.all())


def need_categories() -> list[Category]:
    """The kinds of help a morning call's "needs" offers: the help form's categories but 老人探视
    and 其他, for the page's last choice "其他（按老人探视处理）" files as a check-in
    (`actions.care.need_category`)."""
    return [c for c in categories() if c.code not in ("check_in", "other")]


def request_queue(scope, *, place=None, open_only=True, household=None, asked_from=None, limit=100):
    """`asked_from`: the requests a household asked for its neighbours (`access.asked_for`)."""
    qs = Request.objects.filter(access.requests_q(scope))
    if place is not None:
        qs = qs.filter(**_under(place))
    if household is not None:
        qs = qs.filter(household=household)
    if asked_from is not None:
        qs = qs.filter(asked_from=asked_from)
    if open_only:
        qs = qs.filter(state__in=Request.OPEN)
    return (qs.annotate(weight=household_weight()).select_related("category", "assignee", "team", "household")
            .order_by(*QUEUE_ORDER)[:limit])


def asked_for_neighbours(scope, household, limit=20) -> list:
    """The requests `household` asked for its neighbours that the user sees (the asker
    follows theirs: `access.asked_for`), the latest first, each with `.address`: the
    household's page lists them apart from its own."""
    qs = (Request.objects.filter(access.requests_q(scope), asked_from=household)
          .select_related("category", "assignee", "team", "household").order_by("-raised_at", "-id")[:limit])
    return with_doors(qs)


def waiting_confirmation(scope, *, place, limit=100) -> list:
    """Requests of `place` marked done and not yet confirmed by the household, the longest
    waiting first (the queue's "已办完，待住户确认": found on a night walk, a request done
    left the queue and nobody followed it up), each with `.address`."""
    qs = (Request.objects.filter(access.requests_q(scope), state=Request.State.DONE, **_under(place))
          .select_related("category", "assignee", "team", "household").order_by("done_at", "id")[:limit])
    return with_doors(qs)


def request_contacts(scope, req: Request) -> tuple[list, list]:
    """Whom to call about a request (found on a night walk: neither the worker nor the
    volunteer could call to check the medicine): the household's phone, then a resident's
    mobile (`registry.queries.door_phones`, as a delivery run's doors), through
    `audit.disclosure` — in clear where the reader may see phones there, or for a volunteer
    while the request is given to them (`access.assigned_to`), masked otherwise.
    ([{"name", "phone", "masked"}], what was shown in clear: the page audits it)."""
    from fangkong.audit.disclosure import show_phone
    from fangkong.registry.queries import door_phones

    assigned = access.assigned_to(scope, req.household_id)
    out, shown = [], []
    for c in door_phones([req.household]).get(req.household_id, []):
        text, masked = show_phone(scope, c["of"], c["phone"], assigned=assigned)
        out.append({"name": c["name"], "phone": text, "masked": masked})
        if not masked:
            shown.append(c["of"])
    return out, shown


def asker_contact(scope, req: Request) -> tuple[dict | None, list]:
    """The phone of the neighbour who asked it (`asked_from`: found on a walk, the page showed
    only the household's phones — the ones said to go unanswered — under the asker's name,
    and not the asker's own): their login's phone, said to be the asker's. Through
    `audit.disclosure` as a phone of the household they asked from (the resident of it with
    that number, when there is one): in clear where the reader may see phones there, or
    while the request is given to them; masked otherwise. (contact or None, what was shown
    in clear: the page audits it)."""
    import copy

    from fangkong.audit.disclosure import show_phone
    from fangkong.registry.models import Resident

    user = req.raised_by if req.raised_by_id else None
    if not req.asked_from_id or user is None or not user.phone:
        return None, []
    of = Resident.objects.filter(household_id=req.asked_from_id, phone=user.phone).order_by("id").first()
    if of is None:  # the household's login, not on its roll: its phone as the household's
        of = copy.copy(req.asked_from)
        of.phone = user.phone
    text, masked = show_phone(scope, of, user.phone, assigned=access.assigned_to(scope, req.household_id))
    return ({"name": user.display_name or user.username, "phone": text, "masked": masked},
            [] if masked else [of])


# what a request of a category may duplicate among the household's orders still coming
_SAME_KIND = {"medicine": Q(is_medicine=True)}


def orders_like(scope, req: Request, limit=5) -> list:
    """The household's orders still coming of the request's kind (a 买药 request beside a
    pharmacy order "已下单": it may be delivered twice), for whoever reads the request to
    decide; nothing for a category with no kind of order."""
    kind = _SAME_KIND.get(req.category.code)
    if kind is None:
        return []
    return list(Order.objects.filter(access.orders_q(scope), kind, household_id=req.household_id,
                                     state__in=COMING).select_related("supplier", "batch").prefetch_related("lines")
                .order_by("placed_at", "id")[:limit])


# A household's requests still to be done: open, or done and waiting for it to confirm
# (an elderly woman may not confirm by herself; the medicine may not have come)
STILL_TO_DO = (*Request.OPEN, Request.State.DONE)


def open_work(scope, household, *, limit=10) -> dict:
    """What is still to do for a household, the one definition (the staff's household page,
    the API's `/services/households/{id}/open-work`): its requests open or done and waiting
    for its confirmation, and its orders still to come (`COMING`: placed, in a delivery,
    out, or with a problem). `requests`, `orders` (at most `limit` each, the most urgent
    first), their counts `requests_n`, `orders_n` and `count`, the two together."""
    reqs = Request.objects.filter(access.requests_q(scope), household=household, state__in=STILL_TO_DO)
    coming = orders(scope, household=household, states=COMING)
    rows = list(reqs.select_related("category", "assignee", "team", "household")
                .order_by("-priority", "due_at", "id")[:limit])
    found = list(coming.prefetch_related("lines")[:limit])
    rn = len(rows) if len(rows) < limit else reqs.count()
    on = len(found) if len(found) < limit else coming.count()
    return {"requests": rows, "orders": found, "requests_n": rn, "orders_n": on, "count": rn + on}


def with_doors(reqs) -> list:
    """Requests each with `.address`, their household's door (光明小区 3号楼 2单元 302): the
    queue says where to go (found on a phone: its rows named no door); `.tag_codes` and
    `.tag_words`, its people's vulnerability tags now; `.weight`, the household's
    vulnerability now (`marks.of_households`, the queue's order); and `.no_contact`
    (`marks.with_no_contact`). The pages and the API read requests through here. Five queries."""

    reqs = list(reqs)
    labels = door_labels({r.household_id: r.household for r in reqs}.values())
    tags = household_tags({r.household_id for r in reqs})
    weight = of_households({r.household_id for r in reqs if not hasattr(r, "weight")})
    for r in reqs:
        r.address = labels.get(r.household_id, "")
        r.tag_codes = tags.get(r.household_id, [])
        r.tag_words = [str(Tag(t).label) for t in r.tag_codes]
        if not hasattr(r, "weight"):  # read with the queue (`request_queue`): the same sum
            r.weight = weight.get(r.household_id, 0)
    return with_no_contact(reqs)


def household_tags(household_ids) -> dict:
    """{household id: its people's vulnerability tags (独居老人, 卧床…), each once, in the
    registry's order}: the queue row, the request page and the API say why it ranks where
    it does (found on the lab walk: the request page did not say 独居老人). One query."""
    from fangkong.registry.models import Resident

    found = {}
    for hid, packed in Resident.objects.filter(household_id__in=list(household_ids)).exclude(tags="") \
            .values_list("household_id", "tags"):
        found.setdefault(hid, set()).update(t for t in packed.split(",") if t in Tag.values)
    return {hid: [t for t in Tag.values if t in got] for hid, got in found.items()}


def get_request(scope, pk) -> Request:
    r = _get(Request.objects.select_related("category", "assignee", "team", "household", "raised_by",
                                            "confirmed_by"), pk)
    access.require_request(scope, r)
    return r


def answerers(place, limit=3) -> list:
    """Whom to call about a place's requests and morning calls, for who may see but not act
    on them (a building's leader): those who answer them there (`access.answerer_ids`: its
    grid's workers, or its community's staff), active accounts, with their work phones."""
    from fangkong.accounts.models import User

    return list(User.objects.filter(id__in=access.answerer_ids(place, staff=False), is_active=True)
                .order_by("id")[:limit])


# --- care and disinfection -----------------------------------------------------------

def pets(scope, *, household=None, place=None):
    qs = Pet.objects.filter(scope.q(access.VIEW))
    if household is not None:
        qs = qs.filter(household=household)
    if place is not None:
        qs = qs.filter(**_under(place))
    return qs.order_by("household_id", "id")


def feedings(scope, *, day=None, place=None):
    q = access.levels_q(scope, access.VIEW) | access.given_q(scope, "volunteer")
    qs = Feeding.objects.filter(q, day=day or timezone.localdate())
    if place is not None:
        qs = qs.filter(**_under(place))
    return qs.select_related("pet", "volunteer", "done_by").order_by("stopped", "done_at", "id")


def my_services_work(scope) -> dict:
    """A volunteer's own services work for their home: today's feedings given to them
    (not stopped), the open runs they or their team carry, how many open requests are
    theirs, the hand-offs their team meets at the gate (expected or being checked)."""
    user = scope.user
    if user is None:
        return {"feedings": [], "runs": [], "requests": 0, "batches": []}
    mine = Feeding.objects.filter(access.given_q(scope, "volunteer"), day=timezone.localdate(), stopped=False)
    teams = access.team_ids(scope)
    carried = Q(state=Run.State.OPEN) & (access.given_q(scope, "carrier") | Q(team_id__in=teams))
    return {"feedings": list(mine.select_related("pet").order_by("done_at", "id")[:20]),
            "runs": list(Run.objects.filter(carried).select_related("place").annotate(
                stops_n=Count("stops"), pending_n=Count("stops", filter=Q(stops__state=Stop.State.PENDING)))
                .order_by("batch_id", "id")[:20]),
            "requests": Request.objects.filter(access.given_q(scope, "assignee") | Q(team_id__in=teams),
                                               state__in=Request.OPEN).count(),
            # the hand-offs their team meets at the gate, not yet signed (found on the services
            # evening: a team leader's home said "no tasks" with a 15:30 hand-off for the team)
            "batches": list(Batch.objects.filter(team_id__in=teams, state__in=[Batch.State.EXPECTED,
                                                                                Batch.State.CHECKING])
                            .select_related("checkpoint", "supplier")
                            .annotate(households=Count("lines__household", distinct=True))
                            .order_by("due_at", "id")[:10]) if teams else []}


def unassigned_feedings(scope, *, place=None):
    """Today's feedings nobody could be given (no volunteer on duty): an exception for staff."""
    return feedings(scope, place=place).filter(volunteer=None, done_at=None, stopped=False) \
        .select_related("pet__household")


def get_feeding(scope, pk) -> Feeding:
    f = _get(Feeding.objects.select_related("pet"), pk)
    if not access.given_to(scope, f, f.volunteer_id):
        access.require(scope, access.VIEW, f)
    return f


def check_ins(scope, *, day=None, place=None):
    qs = CheckIn.objects.filter(access.levels_q(scope, access.VIEW), day=day or timezone.localdate())
    if place is not None:
        qs = qs.filter(**_under(place))
    return qs.select_related("resident", "request__category").order_by("building_id", "household_id", "id")  # door order


def get_check_in(scope, pk) -> CheckIn:
    c = _get(CheckIn.objects.select_related("household"), pk)
    access.require(scope, access.VIEW, c)
    return c


def disinfections(scope, *, place=None, open_only=False):
    qs = Disinfection.objects.filter(access.levels_q(scope, access.VIEW))
    if place is not None:
        qs = qs.filter(**_under(place))
    if open_only:
        qs = qs.filter(done_at=None)
    return qs.select_related("place", "team").order_by("done_at", "due_at", "id")


def get_disinfection(scope, pk) -> Disinfection:
    d = _get(Disinfection.objects.select_related("place"), pk)
    access.require(scope, access.VIEW, d)
    return d


def routines(scope, *, place=None):
    """Routine disinfections under `place` the user sees, each with its next time still to
    do (`next_due`): running and paused first, then ended (latest first)."""
    qs = DisinfectionRoutine.objects.filter(access.levels_q(scope, access.VIEW))
    if place is not None:
        qs = qs.filter(**_under(place))
    return qs.select_related("place", "team").annotate(next_due=Min(
        "rows__due_at", filter=Q(rows__done_at=None, rows__due_at__gte=timezone.now()))).order_by(
        Case(When(state=DisinfectionRoutine.State.ENDED, then=1), default=0), "-id")


def get_routine(scope, pk) -> DisinfectionRoutine:
    r = _get(DisinfectionRoutine.objects.select_related("place", "team"), pk)
    access.require(scope, access.VIEW, r)
    return r


def overdue_disinfections(scope, place=None):
    return disinfections(scope, place=place, open_only=True).filter(due_at__lt=timezone.now())


def late_words(minutes: int) -> str:
    """A disinfection done past its due time, how late ("晚了 1 小时 5 分钟完成"): the page's
    words for `Disinfection.late_minutes` (the API and the .xlsx give the number); "" on time."""
    from django.utils.translation import gettext as _

    if minutes <= 0:
        return ""
    time = (_("%(m)d min") % {"m": minutes} if minutes < 60
            else _("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60})
    return _("Done %(time)s late") % {"time": time}
