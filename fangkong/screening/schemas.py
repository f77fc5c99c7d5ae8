"""Shapes of the screening API. Input schemas check JSON types only (unknown fields
refused); the rules on values live in `checks` and run inside the actions."""

import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict

from fangkong.registry.schemas import ClientId, ContactPhoneOut, Page, ResidentOut, StrictIn


class RoundIn(StrictIn):
    place: int
    name: str
    kind: str = "pcr"
    starts_at: str
    ends_at: str
    pool_size: int = 10
    areas: list[int] = []
    client_id: ClientId | None = None  # sent again (a retry), the round planned the first time answers
    # another round of the kind still open over the same areas on the same days: 409
    # `round_overlap` naming them (`rounds`) unless this is true
    confirm_overlap: bool = False


class RoundOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    place: int
    place_name: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    pool_size: int | None  # people per tube; null for an antigen round (does not apply)
    emergency_team: int | None = None  # volunteers' team told of positive pools
    overrun: bool = False  # still running past its planned end: nobody ended it (end it)
    # planning a PCR round: how many people of its sealed area (zones sampled at home) were
    # put on its home-sampling list; null when not planned by this call
    home_listed: int | None = None
    home_left_out: int | None = None  # of those, confirmed cases left out (access.HELD_OUTCOMES)
    # and the people of open home-sampling requests (上门采样, asked by their family) over its areas
    home_asked: int | None = None


class EmergencyTeamIn(Schema):
    model_config = ConfigDict(extra="forbid")
    team: int | None = None  # a volunteers' team of the round's area; null: none


class AtLabTubeOut(Schema):
    barcode: str
    retest: bool  # a single re-test tube (单采复核)
    count: int  # swabs in it
    box: str | None  # the box that brought it
    at_lab_at: datetime.datetime  # when its box was signed for at the lab


class CoverageOut(Schema):
    place: int
    expected: int
    sampled: int
    exempt: int
    missing: int
    to_sample: int
    percent: int | None
    households: int
    households_covered: int
    households_percent: int | None
    out_of_scope: int
    # tubes of the round received at the lab FANGKONG_LAB_NO_RESULT_HOURS (`lab_hours`) ago or
    # more with no result yet (the round page's "送达实验室超过 N 小时仍无结果"), and the first 100
    at_lab_no_result: int = 0
    at_lab_no_result_tubes: list[AtLabTubeOut] = []
    lab_hours: int = 0


class TubeIn(StrictIn):
    barcode: str
    capacity: int | None = None
    point: int | None = None
    table: int | None = None
    client_id: ClientId | None = None


class TubeOut(Schema):
    barcode: str
    capacity: int
    count: int
    left: int
    state: str
    resumed: bool = False


class ScanIn(StrictIn):
    client_id: ClientId
    barcode: str
    person: str
    confirm: bool = False
    at: str | None = None


class SyncIn(StrictIn):
    events: list[Any]


class Outcome(Schema):
    client_id: str  # as sent ("" when a malformed event had none)
    status: str  # ok | conflict (kept for review) | refused (online) | invalid (malformed)
    kind: str | None = None
    message: str | None = None
    name: str | None = None
    duplicate: bool | None = None
    conflict: int | None = None
    resolved: bool | None = None
    tube: dict | None = None
    field: str | None = None  # invalid: the event's field at fault
    index: int | None = None  # invalid: the event's place in the batch (from 0)


class SyncOut(Schema):
    ok: int
    conflicts: int
    refused: int
    invalid: int  # malformed events: not saved, listed with their reason
    results: list[Outcome]


class PersonIn(StrictIn):
    place: int  # the unit or building
    door: str
    name: str
    id_number: str = ""
    phone: str = ""
    sex: str = ""


class PersonOut(Schema):
    person: str  # what to scan/send as `person`: "r:<id>"
    name: str
    address: str
    unverified: bool


class ConflictResolveIn(StrictIn):
    accept: bool


class ConflictOut(Schema):
    id: int
    client_id: str
    kind: str
    status: str
    barcode: str
    message: str
    name: str


class ExemptionIn(StrictIn):
    resident: int
    reason: str
    note: str = ""


class ResultRow(Schema):
    model_config = ConfigDict(extra="forbid")
    barcode: str
    result: str
    ct_orf: float | str | None = None
    ct_n: float | str | None = None
    tested_at: str | None = None


class ResultsIn(StrictIn):
    results: list[ResultRow]
    # a file that changes results already recorded is applied only with this (else 409
    # `confirm_changes` listing the changes): true, or the `confirm` fingerprint of the 409
    confirm_changes: bool | str = False


class RefusedResultRow(Schema):
    row: int | None = None
    column: str = "barcode"
    value: Any = None  # the tube's barcode
    # why (not sent to this lab, a box not signed for here, a pooled tube in no box) and what
    # the lab can do; for a positive, that the community was told
    message: str
    positive: bool = False  # the row was positive: its tube's people are held all the same (来源待核实)


class ResultsOut(Schema):
    saved: int
    corrected: int
    unchanged: int  # rows recorded before with the same result (a file sent again)
    positive_pools: int  # pooled tubes positive now that were not
    followups: int  # people held by them now who were not (new follow-ups, not existing ones)
    lifted: int = 0  # people released because the lab corrected their pool away from positive
    invalid_pools: int = 0  # pooled tubes invalid now: their people are to be sampled again
    resample: int = 0  # those people (their registrations made void), to be sampled again
    # of their people, those not sampled again (no visit to the door): confirmed a case, in
    # hospital or isolation (void all the same)
    resample_left_out: int = 0
    restored: int = 0  # people of pools corrected away from invalid whose first swab counts again
    retests: int = 0  # single re-test results that closed a follow-up
    released: int = 0  # of them negative and released (not living with a case)
    close_contacts: int = 0  # of them negative but living with a case: close contacts, not released
    cases: int = 0  # of them positive: confirmed cases (the community's staff are told)
    # results for tubes no box hand-over brought to the lab: none now — a pooled tube in no
    # box is refused (`refused`), a single re-test tube from the door is not counted
    no_receipt: int = 0
    refused: list[RefusedResultRow] = []  # rows not saved, each with its reason; the others were saved
    # refused rows that were positive: reported to the community all the same (people held,
    # the tube marked 来源待核实 until a result for it is recorded), and the people held now by them
    reported_positive: int = 0
    held_unverified: int = 0


class TubeResultOut(Schema):
    barcode: str
    retest: bool  # a single re-test tube (单采复核)
    count: int  # swabs in it
    state: str  # open | sealed
    at_lab_at: datetime.datetime | None
    result: str  # negative | positive | invalid, or "" (none yet)
    result_label: str
    ct_orf: float | None
    ct_n: float | None
    tested_at: datetime.datetime | None
    recorded_at: datetime.datetime | None  # when this lab's latest result for it was saved
    corrections: int  # results recorded before the latest one (its history)


class TubeResultPage(Page):
    results: list[TubeResultOut]


class AdvisorRow(Schema):
    k: int
    tests_per_person: float
    tubes_per_1000: float
    positive_tubes_per_1000: float


class AdvisorOut(Schema):
    prevalence: float
    best: int  # fewest expected tests within max_pool
    rows: list[AdvisorRow]
    max_pool: int  # the setting FANGKONG_MAX_POOL_SIZE: a limit of sensitivity
    optimum: int  # fewest expected tests with no cap
    optimum_tests_per_person: float
    capped: bool  # the cap, not the arithmetic, is what stops the pool growing


# --- antigen rounds -------------------------------------------------------------------

class KitIn(StrictIn):
    household: int
    count: int | str
    client_id: ClientId | None = None
    note: str = ""
    issued_at: str | None = None


class KitOut(Schema):
    id: int
    household: int
    count: int
    total: int
    issued_at: datetime.datetime


class AntigenResultOut(Schema):
    id: int
    resident: int
    result: str
    source: str
    tested_at: datetime.datetime
    photo: str
    changed: bool
    # a positive the community staff corrected (`…/antigen-results/{id}/correct`): when, why,
    # and the positive's cassette photo kept with the correction ("" when none)
    corrected_at: datetime.datetime | None = None
    correction_reason: str = ""
    positive_photo: str = ""


class AntigenCorrectIn(StrictIn):
    result: str = ""  # the corrected result: negative or invalid
    reason: str = ""  # why (required when confirming)
    confirm: bool = False  # not true: 409 `confirm_correction` saying what it would do, nothing changed


class AntigenPersonOut(Schema):
    id: int
    name: str
    result: str
    source: str


class AntigenHouseholdOut(Schema):
    household: int
    door: str
    kits: int
    kits_last: datetime.datetime | None = None  # when the last kits were handed over
    people: list[AntigenPersonOut]


class AntigenUnitOut(Schema):
    """A unit's figures (`figures`: the same definitions as the round's)."""
    place: int
    label: str
    expected: int
    reported: int
    exempt: int
    missing: int
    to_sample: int
    kits: int
    percent: int | None


class AntigenCoverageOut(CoverageOut):
    reported: int
    kits: int
    households_with_kits: int
    positive: int
    units: list[AntigenUnitOut]


# --- the round's work lists and staffing (work_api.py) -------------------------------

class PersonToReach(ResidentOut):
    """A person on a work list: for someone without a phone, whom to call instead."""

    contact_phone: ContactPhoneOut | None = None
    # the household's notes in the registry (e.g. "无手机，联系子女"): on the follow-up list
    household_notes: str = ""


class DoorOut(Schema):
    """A home visit's last door outcome without a swab (`door.door_out`): the visit stays
    open for another attempt, the person on the missing list."""
    outcome: str  # no_answer | refused | not_here
    label: str  # the outcome in the user's language
    text: str  # as every list says it: outcome, time, sampler, attempts, note
    at: datetime.datetime | None
    by: str  # the sampler (or staff) who recorded it
    note: str
    attempts: int  # door outcomes recorded on this visit so far


class DoorIn(StrictIn):
    outcome: str  # no_answer | refused | not_here
    note: str = ""
    client_id: ClientId | None = None  # a UUID: sending it again records the outcome once


class DoorVisitOut(Schema):
    id: int  # the home visit
    round: int
    status: str  # open: the visit stays for another attempt
    door_outcome: DoorOut | None


class MissingPerson(PersonToReach):
    home_visit: bool  # listed for sampling at home
    # that visit's last door outcome (no answer, refused, not here); `door` is the household's
    door_outcome: DoorOut | None = None
    resample: bool = False  # sampled, but the lab found the tube invalid: to be sampled again
    # the page's mark (`status.missing_marks`): case | held | held_antigen | close_contact, or
    # None — someone marked is not sent to the sampling point (`access.HELD_OUTCOMES`)
    held: str | None = None
    held_label: str = ""  # the page's badge
    held_step: str = ""  # the page's next step
    no_contact: str = ""  # the household is served without contact, in the page's words


class MissingPage(Page):
    place: int
    results: list[MissingPerson]


class FollowUpOut(Schema):
    id: int
    # awaiting | resampled | released | close_contact | case: "close_contact" for someone whose
    # single re-test was negative (or whose hold the lab lifted) but who lives with a recent
    # case — not released (`status.followup_state`; before 2026-12-07 this said "released")
    status: str
    status_label: str
    # the follow-up's own status (awaiting | resampled | released | case): the single
    # re-test's outcome, whatever the household
    followup_status: str = ""
    # released and free to go: a negative single re-test (or a hold the lab lifted) of
    # someone who is no close contact; false for everyone else
    released: bool = False
    # shares a household with a recent case: a close contact, not released whatever the
    # follow-up's status (`status.close_contacts`; status_label says so too)
    close_contact: bool = False
    tube: str | None  # the positive pool's barcode (none after a positive antigen test)
    # the lab reported the pool positive but its row was refused for the chain of custody (no box,
    # a box not signed for at the lab, another lab's): held all the same, 来源待核实
    source_unverified: bool = False
    retest_tube: str | None
    # the lab corrected the positive pool (negative or invalid) then: the hold was lifted
    corrected_at: datetime.datetime | None = None
    created_at: datetime.datetime
    closed_at: datetime.datetime | None
    resident: PersonToReach
    # held FANGKONG_HOLD_OVERDUE_HOURS (12) or more and the single re-test not sampled or
    # without a result (`figures.overdue_q`): the page shows it in red
    overdue: bool = False
    # whole hours held so far, for someone held now (awaiting or re-sampled); else null
    held_hours: int | None = None


class FollowUpPage(Page):
    results: list[FollowUpOut]


class HomeVisitOut(Schema):
    id: int
    status: str  # open | done | cancelled
    source: str  # tags | manual | retest
    source_label: str
    urgent: bool
    note: str
    created_at: datetime.datetime
    resident: PersonToReach
    door_outcome: DoorOut | None = None  # the last door outcome without a swab


class HomeVisitPage(Page):
    results: list[HomeVisitOut]


class RetestIn(StrictIn):
    barcode: str  # the single tube
    client_id: ClientId | None = None  # a UUID: sending it again records the sample once


class RetestOut(Schema):
    followup: FollowUpOut
    tube: TubeOut


class RetestDetachIn(StrictIn):
    reason: str  # why it is taken off: 记错人 (recorded on the wrong person)…
    barcode: str | None = None  # the tube the caller saw on the person: another one now is a 409


class DetachedOut(Schema):
    barcode: str
    reason: str
    detached_at: datetime.datetime


class RetestDetachOut(Schema):
    followup: FollowUpOut  # waiting for the re-test again
    detached: DetachedOut


class PointIn(StrictIn):
    place: int  # a place of kind sampling_point in the round's area
    tables: int = 1


class SamplerOut(Schema):
    id: int
    user: int
    volunteer: int | None
    name: str
    point: int
    table: int


class PointOut(Schema):
    id: int
    place: int
    place_name: str
    tables: int
    samplers: list[SamplerOut]


class SamplerIn(StrictIn):
    volunteer: int  # an approved volunteer of the round's community
    point: int  # the round's sampling point (its id in …/points)
    table: int = 1


class HomeAssignIn(StrictIn):
    visits: list[int]  # home visits of the round, still to do
    sampler: int | None = None  # one of the round's samplers (its assignment's id); none: take back


class HomeListedOut(Schema):
    added: int  # people put on the home-sampling list by this call
    left_out: int = 0  # confirmed cases not listed (transferred or isolated: access.HELD_OUTCOMES)
    left_out_reason: str = ""  # why, in the user's language ("" for none)


class HomeAssignOut(Schema):
    assigned: list[int]
    sampler: int | None


class MyHomeVisitOut(Schema):
    id: int
    round: int
    round_name: str
    round_kind: str  # pcr | antigen
    source: str
    urgent: bool
    note: str
    tags: list[str]
    name: str
    address: str  # compound, building, unit and door
    phone: str  # the person's, else the household's or a housemate's
    phone_masked: bool
    next_url: str  # the station with the person looked up, the door page, or the follow-ups
    door_outcome: DoorOut | None = None  # the last door outcome without a swab (…/home-visits/{id}/door)


class RemindIn(StrictIn):
    place: int | None = None  # default: your part of the round (as the missing list)
    confirm: bool = False  # not true: 409 `confirm_remind` saying how many would be told, nothing sent


class RemindDoorOut(Schema):
    household: int
    door: str
    address: str
    names: list[str]
    door_page: str  # the round's door page for this household


class AntigenRemindOut(Schema):
    households: int  # reminded now (their family accounts' inbox)
    notified: int  # accounts told now
    recent: int  # households already reminded in the last 2 hours: not again
    door: list[RemindDoorOut]  # households without any family account: visit the door
    message: str


# --- transport boxes (box_api) ------------------------------------------------------------

class BoxLabOut(Schema):
    id: int  # the lab account's id: what `lab` takes
    name: str


class BoxOut(Schema):
    id: int
    code: str
    state: str  # packing | in_transit | at_lab
    state_label: str
    lab: BoxLabOut | None  # the lab the box is sent to (None: not named yet)
    tubes: int
    handovers: list[dict]  # [{stage, given_by, received_by, at}]


class BoxPage(Page):
    labs: list[BoxLabOut]  # the labs a box may be sent to (those serving the round's area); [] for a lab
    results: list[BoxOut]


class BoxIn(StrictIn):
    code: str
    lab: int | None = None  # one of `labs`; none: the round's only lab, if only one serves it


class BoxLabIn(StrictIn):
    lab: int


class BoxPackIn(StrictIn):
    barcodes: list[str]


class BoxHandoverIn(StrictIn):
    stage: str  # pickup (point → courier) | lab (courier → lab: the lab the box is sent to)
    given_by: str
    received_by: str
    # the lab's receipt only: barcodes of the box's tubes missing from it, or damaged (broken,
    # leaked) — recorded invalid, their people to be sampled again, the community told
    missing: list[str] = []
    damaged: list[str] = []
