"""Shapes of the services API (input strict: unknown fields are refused)."""

import datetime
from decimal import Decimal
from enum import StrEnum

from django.urls import reverse
from ninja import Field, Schema

from fangkong.registry.schemas import ClientId, StrictIn

from .actions.requests import DEFAULT_CATEGORIES
from .order_changes import with_sent
from .prescriptions import with_medicine
from .queries import COMING, order_amount
from .redeliveries import with_redeliveries


class SupplierOut(Schema):
    id: int
    name: str
    kind: str
    phone: str


class ItemIn(StrictIn):
    name: str
    kind: str = "item"
    unit: str = "份"
    price: Decimal | str
    contents: str = ""


class ItemPatch(StrictIn):
    name: str | None = None
    price: Decimal | str | None = None
    is_active: bool | None = None


class ItemOut(Schema):
    id: int
    supplier: int
    name: str
    kind: str
    unit: str
    price: Decimal
    contents: str


class LineIn(StrictIn):
    item: int
    quantity: int = 1


class OrderIn(StrictIn):
    household: int
    supplier: int
    lines: list[LineIn] = []
    medicine: str = ""
    deadline: datetime.datetime | None = None
    note: str = ""
    payer: str = Field("", description="Who pays for a medicine order: at_door (the household on delivery), "
                       "online (paid already), community (the community pays first), insurance (medical "
                       "insurance or other); empty when not said.")
    client_id: ClientId | None = None


class OrderLineOut(Schema):
    name: str
    quantity: int
    price: Decimal
    change: list[str] = Field([], description="What the supplier's manifest changed of the line ordered "
                              "(`order_changes`): quantity, price, removed (not sent: not in the total), "
                              "replaced (by this line), added.")
    change_text: str = Field("", description="The same in the reader's words, as the household's page says it.")
    was_name: str = ""
    was_quantity: int | None = None
    was_price: Decimal | None = None


class RedeliveryOut(Schema):
    """A follow-up order of 补送 (`POST /services/problems/{pk}/redeliver`, the request step
    `redeliver`) and where it stands."""

    order: int = Field(description="The follow-up order (`GET /services/orders/{pk}`).")
    status: str = Field(description="redelivering (补送中: waiting for or in a batch, on its way), redelivered "
                        "(已补送: delivered to the door), problem (its own delivery went wrong), cancelled.")
    status_text: str = Field(description="The same in the reader's words, as the pages say it.")
    what: str = Field(description="What it brings (\"大米 5kg × 1\").")


class OrderOut(Schema):
    id: int
    household: int
    supplier: int
    state: str
    is_medicine: bool
    medicine: str
    deadline: datetime.datetime | None
    payer: str = Field("", description="Who pays for a medicine order (see OrderIn.payer); empty when not said.")
    payer_text: str = Field("", description="Who pays, in words.")
    has_prescription: bool = Field(False, description="A prescription photo was given with the order.")
    prescription_url: str | None = Field(None, description="Where the photo is read (GET): for the pharmacy, "
                                         "staff and grid workers over the household, the household itself and "
                                         "the volunteer delivering it; 404 for anyone else.")
    medicine_price_pending: bool = Field(False, description="Its typed medicine has no price yet: the pharmacy "
                                         "fills it in (its manifest); not in `total` until then.")
    total: Decimal = Field(description="What the order comes to as the supplier sends it: its batch's manifest "
                                       "lines (the supplier's file may change them), else as ordered.")
    ordered_total: Decimal = Field(description="What the order came to as placed.")
    changed: bool = Field(False, description="The supplier's manifest changed a line of it (see `lines[].change`).")
    amount_due: Decimal | None = None  # once checked at the gate: what came × its price
    amount: Decimal  # what it counts for (queries.order_amount): 0 once cancelled
    coming: bool  # still to come to the door (queries.COMING): counted in what is on its way
    placed_at: datetime.datetime
    batch: int | None
    cancelled_at: datetime.datetime | None = None
    cancelled_why: str = ""  # by_hand, group_changed (replaced by a new order), group_emptied
    progress: str = Field("", description="Where it is, from its batch too: at_supplier, expected (at the gate "
                                          "at `expected_at`), at_gate (being checked), checked (waiting to be "
                                          "carried), to_door, delivered, problem, cancelled.")
    progress_text: str = Field("", description="The same in the reader's words, as the household's page says it.")
    expected_at: datetime.datetime | None = Field(None, description="When its delivery is due at the gate.")
    lines: list[OrderLineOut]
    redelivers: int | None = Field(None, description="补送: the order this one makes good (a line short or damaged "
                                   "at the gate, a door not delivered, or the family's report); null for an order "
                                   "placed as such.")
    redeliveries: list[RedeliveryOut] = Field(default_factory=list, description="Its follow-ups (补送): what it "
                                              "did not bring, sent again, and where each stands.")


def _cents(v):
    return None if v is None else Decimal(v).quantize(Decimal("0.01"))


def order_out(o, scope=None) -> dict:
    """An order as OrderOut: its lines as the supplier sends them (`order_changes.with_sent`,
    read here unless the caller read them for a list). `prescription_url` only for a reader
    who may open the photo (`access.prescriptions_seen` over `scope`; the API always gives
    its reader's scope)."""
    if not hasattr(o, "sent"):
        with_sent([o])
    if not hasattr(o, "follow_ups"):  # 补送 (a list reads them for all its rows at once)
        with_redeliveries([o])
    if not hasattr(o, "medicine_unpriced"):  # who pays, a price to come (a list reads them at once)
        with_medicine(scope, [o])
    return {"id": o.id, "household": o.household_id, "supplier": o.supplier_id, "state": o.state,
            "is_medicine": o.is_medicine, "medicine": o.medicine, "deadline": o.deadline, "total": o.sent_total,
            "payer": o.payer, "payer_text": o.payer_text, "has_prescription": bool(o.prescription),
            "prescription_url": reverse("api:services_order_prescription", args=[o.id])
            if o.prescription and o.prescription_url else None, "medicine_price_pending": o.medicine_unpriced,
            "ordered_total": o.total, "changed": o.changed,
            "amount_due": _cents(getattr(o, "amount_due", None)), "amount": order_amount(o),
            "coming": o.state in COMING, "placed_at": o.placed_at, "batch": o.batch_id,
            "cancelled_at": o.cancelled_at, "cancelled_why": o.cancelled_why,
            **dict(zip(("progress", "progress_text", "expected_at"), o.progress, strict=True)),
            "lines": [{"name": r["name"], "quantity": r["quantity"], "price": r["price"], "change": r["change"],
                       "change_text": r["words"], "was_name": r["was_name"], "was_quantity": r["was_quantity"],
                       "was_price": r["was_price"]} for r in o.sent],
            "redelivers": o.redelivers_id, "redeliveries": [redelivery_out(f) for f in o.follow_ups]}


def redelivery_out(f) -> dict:
    """A follow-up of 补送, described (`redeliveries.described`)."""
    return {"order": f.id, "status": f.status, "status_text": f.status_text, "what": f.what}


class BatchIn(StrictIn):
    supplier: int
    checkpoint: int
    due_at: datetime.datetime
    team: int | None = None
    orders: list[int] | None = None
    client_id: ClientId | None = None


class ManifestLineOut(Schema):
    id: int
    order: int
    household: int
    address: str
    name: str
    quantity: int
    outcome: str
    received: int | None
    substitute: str
    note: str
    order_note: str = Field("", description="The order's own note (\"冷藏\": keep cold), said with each of its "
                            "lines.")
    price: Decimal = Field(description="Each one's price as the manifest lists it.")
    amount: Decimal = Field(description="quantity × price, as listed (the manifest's 金额).")
    substitute_price: Decimal | None = Field(None, description="A substitution's own price; null while 价格待定.")
    price_pending: bool = False
    door: str = Field("", description="Its household's door: delivered, not_delivered, or empty while not "
                      "confirmed (as the manifest page and its .xlsx say it).")
    door_reason: str = Field("", description="Why its door was not delivered, while `door` is not_delivered.")


class DoorsOutcome(Schema):
    """How a batch's or a run's doors ended, as its page says it."""

    not_delivered: int = Field(0, description="Doors confirmed not delivered (a door delivered after all by "
                               "staff is delivered again).")
    unresolved: int = Field(0, description="Of them, those whose exception is still open: unfinished work.")
    outcome: str = Field("", description="The state in words, as the pages say it: once no door is left "
                         "\"已全部送达\" or \"配送结束，1 户未送达\" (`state` `done` means every door "
                         "was confirmed, delivered or not).")


class BatchOut(DoorsOutcome):
    id: int
    supplier: int
    supplier_name: str
    checkpoint: int
    checkpoint_name: str
    due_at: datetime.datetime
    state: str
    team: int | None
    supplier_signed_by: str
    supplier_signed_at: datetime.datetime | None = None
    checked_at: datetime.datetime | None
    figures: dict
    arrived_at: datetime.datetime | None = Field(None, description="已到达卡口: when the supplier (or the gate) said "
                                                 "the goods are at the checkpoint (`POST …/arrived`), beside `due_at`.")
    state_text: str = Field("", description="The state in words as the batch pages say it (an expected batch that "
                            "has arrived: \"已到达卡口 15:32\").")


class BatchDetailOut(BatchOut):
    lines: list[ManifestLineOut]
    manifest_amount: Decimal = Field(description="清单金额: Σ quantity × price of the lines, as the manifest page.")
    owed_amount: Decimal = Field(description="核对后应付: what came × its price (a substitute's own) of the doors "
                                             "reached (`queries.owed`'s definition).")
    undelivered_amount: Decimal = Field(description="未送达/拒收: what came of the doors not delivered, not owed.")
    price_pending: int = Field(0, description="Lines substituted whose price is not known yet (价格待定).")


class BatchMadeOut(BatchOut):
    # the orders this batch brings after their need-by, each said as the confirm step says
    # it ("药品订单 #25 需在 08:05 前送到，此批 15:30 到，晚 7 小时。")
    late: list[str] = []


class CheckIn_(StrictIn):
    outcome: str
    received: int | None = None
    substitute: str = ""
    substitute_price: str | None = Field(None, description="What the substitute costs each (optional): else "
                                         "the manifest's or the catalogue's price of it, else 价格待定.")
    note: str = ""


class PriceIn(StrictIn):
    substitute_price: str = Field(description="What the substitute costs each, in yuan (\"35\", \"35.50\").")


class LinePriceOut(Schema):
    id: int
    outcome: str
    received: int | None
    substitute: str
    substitute_price: str | None
    price_pending: bool


class SignIn(StrictIn):
    """What the batch page's sign form takes, in the same step (`handoff.sign`)."""
    supplier_name: str = Field("", description=(
        "Who signs for the supplier. The supplier's own login: empty signs with its login's name (as the page "
        "fills it in). The checkpoint: the driver's name, required unless the supplier has signed on its own "
        "login (then not asked, and its signature stays)."))


class SplitIn(StrictIn):
    teams: list[int] = Field([], description="Volunteer teams of the batch's community, given the runs in turn; none: the "
                             "batch's team on duty (as the page splits it).")


class RunAssignIn(StrictIn):
    team: int = Field(description="A volunteer team of the run's community (`GET /api/v1/services/runs/{pk}/"
                                  "teams`): the run is taken from the team and the person who had it.")


class RunTeamOut(Schema):
    id: int
    name: str
    current: bool  # has the run now


class RunOut(DoorsOutcome):
    id: int
    batch: int
    building: int
    building_name: str
    team: int | None
    carrier: int | None
    state: str
    stops: int
    pending: int
    told: int | None = Field(None, description="`assign` only: how many carry it now and were told (its team's "
                             "volunteers who may go out). 0: nobody may go out for that team and nobody was told. "
                             "Null in any other answer.")


class NoContactOut(Schema):
    """Hand over without contact at this door — the red line of the request page, the queue
    and the run page, from the same reading (`marks.with_no_contact`)."""

    required: bool = Field(False, description="Someone of the household is a confirmed case (in the last "
                           "14 days) or held by a positive antigen test or pooled tube, awaiting the re-test: "
                           "leave it at the door, step back and call them.")
    code: str = Field("", description="Why: case, antigen or held; \"\" when not required.")
    reason: str = Field("", description="The pages' words for it, in the reader's language; \"\" when not required.")


def no_contact_out(x) -> dict:
    """A row read through `marks.with_no_contact` (a request, a run's door) as NoContactOut."""
    code, words = (x["no_contact_code"], x["no_contact"]) if isinstance(x, dict) else (x.no_contact_code,
                                                                                       x.no_contact)
    return {"required": bool(code), "code": code, "reason": str(words)}


class DoorPhoneOut(Schema):
    name: str = Field(description="The resident's name; \"\" for the household's own phone.")
    phone: str = Field(description="In clear for the run's carriers and who may see phones there, masked "
                       "otherwise; shown in clear is audited.")
    masked: bool


class StopStepOut(Schema):
    at: datetime.datetime | None
    state: str = Field(description="delivered, failed (not delivered, `text` its reason), "
                       "delivered_after_all or settled (staff, `text` their note).")
    by: str
    text: str
    words: str = Field(description="The step as the run page says it (\"15:52 未送达（田晓燕）：敲门无人应答\").")


class StopOut(Schema):
    id: int
    position: int
    household: int
    address: str
    phone: str = Field(description="The first of `phones` (\"\" when none).")
    phones: list[DoorPhoneOut] = []
    state: str
    reason: str = Field(description="Why it was not delivered, while `state` is failed; empty otherwise.")
    why: str = Field("", description="As the carrier chose it, while `state` is failed: no_answer, refused, "
                     "wrong_address, other (empty: not said).")
    note: str = Field("", description="Staff's note once they settled a door not delivered (delivered after "
                      "all, or not).")
    history: list[StopStepOut] = []
    no_contact: NoContactOut = Field(default_factory=NoContactOut, description="Hand over without contact "
                                     "at this door (the run page's red line).")
    lines: list[dict]


class RunDetailOut(RunOut):
    checklist: list[StopOut]


class ConfirmIn(StrictIn):
    client_id: ClientId
    delivered: bool
    reason: str = ""
    why: str = Field("", description="A door not delivered: no_answer, refused, wrong_address or other (then "
                     "`reason` is needed). Only no_answer (or none said) raises the visit to someone watched "
                     "over; the others are exceptions for staff.")


class ConfirmOut(Schema):
    id: int
    state: str
    reason: str
    why: str = ""
    confirmed_at: datetime.datetime | None
    run_pending: int = Field(0, description="The run's doors still to confirm, as the server has them now.")
    run_outcome: str = Field("", description="The run in words now (\"共 24 户，还剩 3 户\", then \"已全部送达\" "
                             "or \"配送结束，1 户未送达\").")
    run_unresolved: int = 0


class ProblemOut(Schema):
    id: int
    batch: int
    household: int
    address: str = Field(description="The household's door: compound, building, unit, room.")
    run: int | None = Field(None, description="The run that carries (or carried) its door; null before the split.")
    kind: str
    text: str
    summary: str = Field(description="What happened as one phrase in the reader's language "
                         "(\"蔬菜包：破损\", \"未送达：敲门无人应答\"), as the place page says it.")
    resolution: str
    resolved_at: datetime.datetime | None
    redeliveries: list[int] = Field(default_factory=list, description="The follow-up orders 补送 made for it "
                                    "(`POST /services/problems/{pk}/redeliver`).")
    reports: list[int] = Field(default_factory=list, description="The household's requests \"这单有问题\" about "
                               "this door and line (`POST /services/orders/{pk}/problem`): resolving this exception "
                               "answers those still open with its resolution.")


class ProblemResolveIn(StrictIn):
    resolution: str
    delivered: bool = False


class RedeliverIn(StrictIn):
    """补送: `resolution`, what the household reads (empty: what is sent again)."""

    resolution: str = ""


class OwedOut(Schema):
    household: int
    address: str
    supplier: str
    amount: Decimal  # what reached the door
    not_delivered: Decimal  # what came back (a door refused or not delivered): not owed
    reason: str  # the door's reason, when it was not delivered
    price_pending: int = Field(0, description="Lines substituted at the gate whose price is not known yet "
                                             "(价格待定): not in `amount`.")


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    priority: int
    response_minutes: int


class CategoryPatch(StrictIn):
    name: str | None = None
    priority: int | None = None
    response_minutes: int | None = None


class RequestIn(StrictIn):
    household: int
    category: str = Field(description=(
        "The category's `code`: one of `GET /api/v1/services/categories` (installed: "
        + ", ".join(f"`{code}`" for code, *_rest in DEFAULT_CATEGORIES) + "). Any other is refused (400, `fields.category`)."))
    text: str
    client_id: ClientId | None = None
    people: list[int] | None = Field(None, description="`home_sampling` (上门采样) only: who of the household is "
                                     "to be sampled at home (resident ids, people at home). None: its bedridden, "
                                     "limited-mobility or elderly-living-alone people, or its one person at home. "
                                     "Anyone not of the household, not at home, or whose home sampling is asked for "
                                     "already and not done, is refused (400, `fields.people`).")
    room: str = Field("", description="For a neighbour of `household`'s building (\"为邻居求助\"): their room, "
                      "\"302\" or \"2单元302\"; the request is theirs, saying who asked (`asked_from`). A room the "
                      "building does not have, or has in several units, is refused (400, `fields.room`).")


class HomePersonOut(Schema):
    id: int
    name: str


class HomeLineOut(Schema):
    """Where a person of a home-sampling request stands on one round's home-sampling list."""
    resident: int
    name: str
    round: int
    round_name: str
    starts_at: datetime.datetime
    status: str = Field(description="open (on the list) | sampled (registered, the visit closing) | done | "
                                    "cancelled (taken off the list)")
    sampled_at: datetime.datetime | None = None
    door: str = Field("", description="The last door outcome without a swab, as every list says it.")
    text: str = Field(description="The line as the request page says it: \"苏霞：已列入 04-12 第3轮核酸 上门采样名单\".")


class TimelineOut(Schema):
    """Something that happened to a request on its way: a home visit with no swab at the door
    (`RequestEvent`), or, last, its withdrawal by those who asked (`withdrawn_at`)."""
    at: datetime.datetime
    kind: str = Field(description="door (no swab at a home visit's door) | withdrawn (by those who asked, no "
                                  "longer needed: `text` has their words)")
    outcome: str = Field("", description="no_answer | refused | not_here")
    resident: int | None = None
    text: str = Field(description="As the request page says it: \"苏霞：上门采样人员到门无人应答\".")


class RequestOut(Schema):
    id: int
    household: int
    address: str = Field("", description="The household's door: compound, building, unit, room.")
    category: str
    text: str
    priority: int
    urgent_why: str = Field("", description="Why an open repair request is urgent by its words (a burst pipe, gas, "
                            "fire: `services.emergency`), in the reader's language, as the request page says it; "
                            "\"\" when it is not, or was made urgent by hand or set back by the grid worker.")
    vulnerable: int | None = Field(None, description="The household's vulnerability now, its people's tags in the "
                                   "registry weighed (elderly living alone and bedridden most), as the queue orders "
                                   "it; null for the neighbour who asked it (`follower`).")
    tags: list[str] | None = Field(None, description="Its people's vulnerability tags now (elderly_alone, "
                                   "bedridden…); null for the neighbour who asked it.")
    state: str
    due_at: datetime.datetime
    overdue: bool
    assignee: int | None
    assignee_name: str  # who has it ("" when nobody): with `state` new, given to them, not taken yet
    team: int | None
    team_name: str
    told: int | None = Field(None, description="`assign` only: how many were told (the person; the team's "
                             "volunteers who may go out now). 0: nobody may go out for it and nobody was told — "
                             "give it to another team or a person. Null in any other answer.")
    taken_at: datetime.datetime | None
    result: str
    reopened_at: datetime.datetime | None = None
    reopen_reason: str = Field("", description="Why the household said it was not resolved (`reopen`).")
    asked_from: int | None = Field(None, description="The household of the same building that asked for it.")
    done_at: datetime.datetime | None = None
    confirmed_at: datetime.datetime | None = None
    awaits_goods: bool = Field(False, description="A report on an order (这单有问题) marked done on a promise while "
                               "its goods (its re-delivery, else its order) have neither reached the door nor been "
                               "cancelled: `result` is the community's answer, and `confirm` is refused (409) until "
                               "they come; `reopen` is not.")
    follower: bool = Field(False, description="Read by the neighbour who asked it: what they asked and what became "
                                              "of it, nothing else of the household.")
    no_contact: NoContactOut = Field(default_factory=NoContactOut, description="Hand over without contact at its "
                                     "door (the request page's and the queue's red line); never said to the neighbour "
                                     "who asked it (`follower`).")
    people: list[HomePersonOut] | None = Field(None, description="`home_sampling`: who is to be sampled at home; "
                                               "null for another category and for the neighbour who asked it.")
    home_sampling: list[HomeLineOut] | None = Field(None, description="`home_sampling`: each person on each round's "
                                                    "home-sampling list (none yet: the next round planned lists them); "
                                                    "done by itself once everyone is sampled at home. Null as `people`.")
    timeline: list[TimelineOut] | None = Field(None, description="`home_sampling`: what happened at the door on the "
                                               "way, oldest first (no answer, refused, not at this address: the "
                                               "family is told each once; then withdrawn, if it was). Null as "
                                               "`people`.")
    order: int | None = Field(None, description="\"这单有问题\": the order it is about.")
    order_line: int | None = Field(None, description="The manifest line of that order it names (null: the whole order).")
    order_what: str = Field("", description="short | damaged | wrong | missing (not received); \"\" for other requests.")
    redeliveries: list[RedeliveryOut] = Field(default_factory=list, description="\"这单有问题\" answered with 补送: "
                                              "the follow-ups sent for it and where each stands (已补送 once delivered).")
    withdrawn_at: datetime.datetime | None = Field(None, description="When those who asked for it withdrew it as no "
                                                   "longer needed (`POST …/withdraw`; `state` cancelled).")
    withdraw_reason: str = Field("", description="Their words when they withdrew it (\"\" if none, and for the "
                                                 "neighbour who asked it).")


class OrderProblemIn(StrictIn):
    """这单有问题: what was wrong with an order delivered or on its way."""
    what: str = Field(description="short | damaged | wrong | missing (not received at all).")
    line: int | None = Field(None, description="One of the order's manifest lines (`GET /services/batches/{pk}` "
                             "`lines`); null for the whole order.")
    text: str = Field("", description="Anything to add, up to 300 characters.")
    client_id: ClientId | None = None


class SealedHouseholdOut(Schema):
    id: int
    address: str
    weight: int = Field(description="Its people's vulnerability (elderly living alone and bedridden weigh most).")
    tags: list[str] = Field(description="Its people's vulnerability tags, in words.")


class SealedWithoutOrdersOut(Schema):
    """The sealed households under a place with no supplies coming (the services page's card)."""
    place: int
    sealed: int = Field(description="Sealed households the user sees there now.")
    n: int = Field(description="Of them, those with no order placed or on its way, nor delivered since yesterday.")
    households: list[SealedHouseholdOut] = Field(description="Up to 100 of them, the most vulnerable first.")


class OpenWorkOut(Schema):
    """What is still to do for a household (`queries.open_work`): as its staff page says it."""
    household: int
    count: int = Field(description="Requests still to do and orders still to come, together.")
    requests_n: int
    orders_n: int
    requests: list[RequestOut] = Field(description="Open, or done and waiting for the household to confirm.")
    orders: list[OrderOut] = Field(description="Placed, in a delivery, out, or with a problem.")


class RequestStep(StrEnum):
    """What `POST /services/requests/{pk}/{step}` does: take it (the one who calls has it),
    mark it done (`result` says what was done), confirm it (the household, or for it `how`), say it was not
    resolved (`reopen`, the household or staff for it: `reason` in a few words; open again
    with whoever had it, they and staff told), give it to a team or person (`team`,
    `assignee`: back to new until they take it), cancel it, or (`triage`, staff and grid
    workers) say how soon it is needed: `urgent` true puts it first in the queue (priority
    1; false: its category's priority), `due_at` its needed-by, a time still to come; or
    (`redeliver`, staff and grid workers, a "这单有问题" report) send what is missing again with
    the supplier's next batch (补送: its open exceptions re-delivered, else its line — `quantity`
    of it — or order; `result` what the household reads), answering it: `redeliveries`."""

    TAKE = "take"
    DONE = "done"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    ASSIGN = "assign"
    CANCEL = "cancel"
    TRIAGE = "triage"
    REDELIVER = "redeliver"


class StepIn(StrictIn):
    result: str = ""
    reason: str = ""
    how: str = Field("", description="`confirm` for the household by staff or a grid worker: how the household "
                                     "said it was answered (phone, door, family).")
    assignee: int | None = None
    team: int | None = None
    urgent: bool | None = Field(None, description="`triage`: put it first in the queue (true) or back to its "
                                "category's priority (false).")
    due_at: datetime.datetime | None = Field(None, description="`triage`: needed by (a time still to come).")
    quantity: int | None = Field(None, description="`redeliver` of a report on one line with no open exception: "
                                 "how many to send again (default: the whole line).")


class WithdrawIn(StrictIn):
    reason: str = Field("", description="Why it is no longer needed, in a few words (optional; at most 200 "
                                        "characters): whoever had it reads it.")


class PetIn(StrictIn):
    household: int
    name: str
    species: str
    care: str


class PetOut(Schema):
    id: int
    household: int
    name: str
    species: str
    care: str


class FeedingOut(Schema):
    id: int
    pet: int
    pet_name: str
    care: str
    day: datetime.date
    volunteer: int | None
    done_at: datetime.datetime | None
    stopped: bool


class NoteIn(StrictIn):
    note: str = ""


class CheckInOut(Schema):
    id: int
    resident: int
    name: str
    household: int
    day: datetime.date
    result: str
    note: str
    request: int | None
    category: str | None = None  # the code of the request's category


class CheckInFigureOut(Schema):
    due: int
    done: int
    open: int
    no_answer: int
    words: str  # 晨间探视 应问 M，已问 N，未问 K，无人应答 J
    by: datetime.datetime  # today's deadline: the calls still open then are listed to the grid workers


class CheckInIn(StrictIn):
    result: str
    note: str = ""
    category: str = ""  # "needs": the kind of help, a code of /services/categories ("other": a check-in)


class DisinfectionIn(StrictIn):
    place: int
    due_at: datetime.datetime
    team: int | None = None
    kind: str = "routine"


class DisinfectionOut(Schema):
    id: int
    place: int
    place_name: str
    kind: str
    due_at: datetime.datetime
    case: int | None
    team: int | None
    done_at: datetime.datetime | None
    area: str
    agent: str
    overdue: bool = Field(description="Still open and past its due time.")
    late: bool = Field(description="Done after its due time (kept once signed off), or open and past it.")
    late_minutes: int = Field(description="Whole minutes past the due time: when it was done, or now while "
                                          "open; 0 on time.")


class DisinfectionRoutineIn(StrictIn):
    place: int = Field(description="A building, a compound or the community.")
    times: list[str] = Field(description='Times of day, local time: ["08:00", "16:00"].')
    team: int | None = None
    while_sealed: bool = Field(False, description="Ends when the place's seal is lifted.")
    ends_on: datetime.date | None = Field(None, description="The last day (local), if any.")


class DisinfectionRoutineOut(Schema):
    id: int
    place: int
    place_name: str
    times: list[str]
    team: int | None
    team_name: str
    while_sealed: bool
    ends_on: datetime.date | None
    state: str = Field(description="active, paused or ended.")
    ended_why: str = Field(description="staff, lifted (seal lifted) or date (last day passed); '' until ended.")
    ended_at: datetime.datetime | None


class GiveTeamIn(StrictIn):
    team: int


class SignOffIn(StrictIn):
    area: str
    agent: str
    done_at: datetime.datetime | None = None


class ManifestImportOut(Schema):
    lines: int
    households: int
    orders: int
    released: int


class PhotoOut(Schema):
    id: int
    state: str
    photo: bool


class GroupIn(StrictIn):
    building: int
    supplier: int
    title: str
    closes_at: datetime.datetime | None = None


class GroupOut(Schema):
    id: int
    building: int
    supplier: int
    supplier_name: str
    title: str
    closes_at: datetime.datetime
    open: bool


class GroupEntryIn(StrictIn):
    household: int
    lines: list[LineIn]
    client_id: ClientId | None = None


class GroupEntriesIn(StrictIn):
    entries: list[GroupEntryIn]


class GroupHouseholdOut(Schema):
    household: int
    door: str
    orders: list[OrderOut]


class GroupDetailOut(GroupOut):
    households: list[GroupHouseholdOut]
