"""Shapes of the zones API. Inputs check JSON types only (unknown fields refused); the rules
on values run inside the actions, so the pages and the API answer alike."""

import datetime
from decimal import Decimal

from ninja import Schema

from fangkong.registry.schemas import ClientId, StrictIn


class LiftRuleOut(Schema):
    after: str | None
    clean_days: int
    round_day: int | None
    outcome: str
    to: str | None
    words: str  # the rule said from its numbers, in the caller's language
    note: str  # free text written beside it


class ZoneTypeOut(Schema):
    id: int
    code: str
    kind: str
    name: str
    name_zh: str
    name_en: str
    severity: int
    colour: str
    movement: str
    cadence: str
    cadence_note: str
    pcr_per_week: int
    antigen_per_week: int
    pool_size: int
    door_services: bool
    home_sampling: bool
    may_leave_home: bool
    may_leave_area: bool
    collect_every_days: int | None
    collect_place: str
    collect_place_zh: str
    collect_place_en: str
    collect_from: str
    collect_until: str
    called_out: bool
    escalate_to: str | None
    escalate_scope: str
    lift_approval: bool = False  # lifting or stepping it down needs the street's approval
    lift_rules: list[LiftRuleOut]


class PolicyOut(Schema):
    code: str
    name: str
    basis: str
    is_active: bool
    types: list[ZoneTypeOut]


class ZoneTypeIn(StrictIn):
    name_zh: str | None = None
    name_en: str | None = None
    severity: int | None = None
    colour: str | None = None
    movement_zh: str | None = None
    movement_en: str | None = None
    cadence_zh: str | None = None
    cadence_en: str | None = None
    pcr_per_week: int | None = None
    antigen_per_week: int | None = None
    pool_size: int | None = None
    door_services: bool | None = None
    home_sampling: bool | None = None
    may_leave_home: bool | None = None
    may_leave_area: bool | None = None
    collect_every_days: int | None = None
    collect_place_zh: str | None = None  # where the collector goes (empty: the gate's own point)
    collect_place_en: str | None = None
    collect_from: str | None = None  # collection hours "HH:MM"–"HH:MM" (both empty: any hour)
    collect_until: str | None = None
    called_out: bool | None = None
    escalate_to: str | None = None  # a zone type's code of the same policy: stricter, or the type itself
    escalate_scope: str | None = None  # building, unit or designation
    lift_approval: bool | None = None  # lifting or stepping it down needs the street's approval
    lift_clean_days: int | None = None  # the type's own lifting rule: days without a new case (1..60)
    lift_round_day: int | None = None  # an all-negative round on or after this day of the count (null: none)
    lift_outcome: str | None = None  # lift or step_down
    lift_to: str | None = None  # step down to this less strict type's code
    effective_from: datetime.datetime | None = None  # the change takes effect then (now if absent)


class NoticeIn(StrictIn):
    place: int
    number: str
    issued_by: str
    title: str
    text: str = ""
    effective_at: datetime.datetime


class NoticeLink(Schema):
    id: int
    number: str


class NoticeOut(Schema):
    id: int
    place: int
    number: str
    issued_by: str
    title: str
    text: str
    effective_at: datetime.datetime
    withdrawn_at: datetime.datetime | None = None  # withdrawn (its zones stay in force until lifted)
    replaced_by: NoticeLink | None = None  # "已被第22号更正"
    replaces: list[NoticeLink] = []  # "更正第19号"


class NoticeWithdrawIn(StrictIn):
    replaced_by: int | None = None  # the correcting notice; none: just withdrawn


class NoticePlaceEndedOut(Schema):
    """A notice's zone ended since by a later adjustment."""

    at: datetime.datetime
    adjustment: int
    notice: int | None
    notice_number: str | None  # "第21号"
    op: str  # lift | change: what the later one did to the place
    zone_type: str | None  # changed to (None: lifted)


class NoticePlaceAfterOut(Schema):
    """The zone a lifted place falls back to: one above it still zoning it."""

    zone_type: str
    zone_name: str
    place: int  # the place whose zone it is ("随光明小区")
    place_name: str


class NoticePlaceOut(Schema):
    place: int
    place_name: str  # with the parents that tell it apart ("光明小区 5号楼")
    op: str  # create | change | lift
    zone_type: str | None  # the zone it is given (None: lifted)
    zone_name: str | None
    from_type: str | None  # the zone it had (change, lift)
    state: str  # scheduled | published
    effective_at: datetime.datetime | None
    ended: NoticePlaceEndedOut | None = None  # lifted or changed since by a later notice
    after: NoticePlaceAfterOut | None = None  # a lift: the zone the place falls back to (None: no zone)


class NoticeDetailOut(NoticeOut):
    places: list[NoticePlaceOut]  # what it zones for the caller: their area and above it
    # a lift of it that rested on wrong facts: "解除依据有误：12-07 16:00 确诊病例于 12-07 18:50 补报"
    lift_flaws: list[str] = []


class DesignationOut(Schema):
    id: int
    place: int
    place_name: str
    zone_type: str
    zone_name: str
    notice: str | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None


class AdjustmentItemIn(StrictIn):
    op: str
    place: int
    zone_type: str | None = None  # the code of a type of the active policy


class AdjustmentItemOut(Schema):
    id: int
    op: str
    place: int
    place_name: str
    zone_type: str | None
    designation: int | None


class AdjustmentIn(StrictIn):
    place: int
    title: str
    notice: int | None = None
    items: list[AdjustmentItemIn] = []


class AgainstPlaceOut(Schema):
    place: int | None
    place_name: str
    zone_type: str | None  # the zone lifted or stepped down
    unmet: list[str]  # what of its lifting rule was not met ([]: the rule allowed a lesser change)
    sentence: str  # "1号楼（封控区）：规则未满足：无新增第0/14天、…"


class AgainstRuleOut(Schema):
    said: str  # "不符合解除规则发布"
    places: list[AgainstPlaceOut]


class ApprovalOut(Schema):
    """Lifting or stepping down a zone that needs the level above (a 封控区 by default)."""

    needed: bool  # it lifts or steps down such a zone
    what: str  # "3号楼（封控区）"
    said: str  # where it stands, in the reader's language ("等待街道审批…", "已由…批准", "被…退回：…")
    submitted_at: datetime.datetime | None = None
    approved_at: datetime.datetime | None = None
    returned_at: datetime.datetime | None = None
    return_reason: str = ""


class ReturnIn(StrictIn):
    reason: str  # why the street's command returns it: said on the draft and to its staff


class AdjustmentOut(Schema):
    id: int
    place: int
    title: str
    state: str
    reason: str
    why: str
    notice: int | None
    effective_at: datetime.datetime | None
    published_at: datetime.datetime | None
    households_changed: int
    failure: str
    # published lifting or stepping down a zone against its lifting rule (confirmed):
    # {"said": "不符合解除规则发布", "places": [...]}; null within the rules
    against_rule: AgainstRuleOut | None = None
    items: list[AdjustmentItemOut]
    # an escalation re-sealing a place lifted on wrong facts: first in the lists, red at once
    urgent: bool = False
    # on a lift: it rested on wrong facts (a case confirmed before it, reported after); on an
    # escalation: the lift it re-seals and why — each a sentence in the reader's language
    lift_flaws: list[str] = []
    approval: ApprovalOut | None = None  # null: it needs no approval and none was asked


class NoticeRef(StrictIn):
    notice: int


class ScheduleIn(StrictIn):
    at: datetime.datetime
    confirm: bool = False  # lifting or stepping down a zone against its lifting rule: go ahead


class TransitionOut(Schema):
    from_type: str | None
    to_type: str | None
    households: int
    people: int


class DiffHouseholdOut(Schema):
    id: int
    address: str  # "光明小区 5号楼 1单元 101"
    people: int
    from_type: str | None
    to_type: str | None


class DiffOut(Schema):
    households: int
    people: int
    transitions: list[TransitionOut]
    household_ids: list[int]
    households_shown: list[DiffHouseholdOut]  # the first households, each with its full address
    conflicts: list[int]  # other open adjustments in `overlaps`
    overlaps: list[str]  # what this draft will not do as it says (a more severe zone above, one place twice)



class EndedZoneOut(Schema):
    """The zone whose lifting put the household in its zone now (its building's seal lifted
    while the compound stays zoned): where, which, when it ended and the notice that ended it
    (`notice_at`: the time that notice states, which may differ from `at`, its publication)."""

    place: str
    zone_type: str
    zone_name: str
    at: datetime.datetime
    notice: str | None
    notice_at: datetime.datetime | None


class HouseholdZoneOut(Schema):
    """`since`: when the household came into this zone; `place`, `designation_since` and
    `notice`: the designation it follows (the compound's, from its own start); `ended`: for the
    zone now, the zone whose lifting brought it here, or null."""

    zone_type: str
    zone_name: str
    kind: str
    designation: int
    notice: str | None
    since: datetime.datetime
    until: datetime.datetime | None
    place: str
    designation_since: datetime.datetime
    ended: EndedZoneOut | None = None


class HouseholdZonesOut(Schema):
    """`means`: what the zone now asks of the family, in one plain sentence (its movement
    rules); `next_steps`: what comes next — the day count, the earliest day it may end or step
    down and to which zone (the compound's, when a building's seal is lifted inside it) — the
    household page's words (`zones.family_words`)."""

    household: int
    now: HouseholdZoneOut | None
    history: list[HouseholdZoneOut]
    means: str | None = None
    next_steps: list[str] = []


class FinalRoundOut(Schema):
    """The final round the lifting rule read: its coverage of the zone (已检/应检) and whether
    it counts as the zone's all-negative round (everyone tested, every result negative)."""

    name: str
    day: datetime.date
    sampled: int | None
    to_sample: int | None
    missing: int | None
    finished: bool
    all_negative: bool


class EndsInOut(Schema):
    zone_type: str  # its code
    zone_name: str
    place: int
    place_name: str


class RecommendationOut(Schema):
    designation: int
    place: int
    place_name: str
    zone_type: str
    action: str
    to: str | None
    day: int
    counted_from: datetime.date
    # the earliest day it may end (or change to its rule's milder zone) by its rule — the
    # date the family's household page says; None without a lifting rule, and None when
    # kept past that day (the final round is missing: `reasons` say what is unmet)
    earliest: datetime.date | None = None
    reasons: list[str]
    # the day's advice in the reader's words ("维持", "解除", "降为管控区"; "转为管控区（随光明小区）"
    # when a zone over the place holds its households once its own zone ends: `ends_in`)
    advice: str = ""
    # "最早 12月21日 可以转为管控区（随光明小区）。", or what is unmet when kept past that day; "" without a rule
    earliest_words: str = ""
    # the zone over the place that its households stay in once this zone ends (the compound's
    # 管控区 around a sealed building); null when they fall to no zone or to the rule's milder zone
    ends_in: EndsInOut | None = None
    final_round: FinalRoundOut | None = None
    # a zone over the place from above holding its households ("随光明小区"), with the
    # households of the place it holds; False: a zone at or under the place
    above: bool = False
    households_here: int | None = None


class ObservationIn(StrictIn):
    resident: int
    colour: str
    source: str = "manual"
    place: int | None = None
    observed_at: datetime.datetime | None = None
    client_id: ClientId | None = None
    confirm: bool = False  # a milder colour over an import of the same day becomes the current code


class ObservationOut(Schema):
    id: int
    resident: int
    colour: str
    source: str
    observed_at: datetime.datetime
    current: bool  # it is now the person's code (false: the known code stays; it is kept in the history)


class GateIn(StrictIn):
    direction: str
    client_id: ClientId
    person: str | None = None  # a scanned code or a typed ID number
    resident: int | None = None
    name: str = ""
    colour: str = ""
    temperature: Decimal | str | None = None
    at: datetime.datetime | None = None
    confirm: bool = False  # the guard checked: a colour milder than the code on record applies


class GateOut(Schema):
    id: int
    gate: int
    resident: int | None
    name: str
    direction: str
    colour: str
    temperature: Decimal | None
    allowed: bool
    reason: str
    zone_kind: str
    hold: str = ""  # kept in whatever the code and zone: case | contact | held | held_antigen
    terms: str = ""  # an exit let through on terms: where to, back by when
    at: datetime.datetime


class CaseIn(StrictIn):
    resident: int
    confirmed_at: datetime.datetime | None = None
    source: str = ""
    # a UUID: sent again (a retry), the case recorded the first time answers (200), nothing
    # recorded or told again; so does the same person from the same source while the case is open
    client_id: ClientId | None = None


class CaseOut(Schema):
    id: int
    resident: int
    confirmed_at: datetime.datetime
    proposal: int | None
    already_reported: bool = False  # True (status 200): reported before, nothing done now
    message: str = ""  # then: "薛桂芳已于12:47上报过。", in the user's language
    # confirmed before a lift of a zone over the home, reported after it: the lift rested on
    # wrong facts (the escalation is urgent), each a sentence in the user's language
    lift_flaws: list[str] = []


class ZoneFigureOut(Schema):
    zone_type: str
    zone_name: str
    kind: str
    households: int
    people: int


class ShapeIn(StrictIn):
    """A place's outline (GeoJSON Polygon; the ring is closed if it is not) or point, in
    [longitude, latitude] positions."""

    geometry: dict


class ShapeOut(Schema):
    place: int
    name: str
    geometry: dict | None
    updated_at: datetime.datetime | None
