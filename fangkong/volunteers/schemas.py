"""Shapes of the volunteers API. Input schemas check JSON types only (unknown fields are
refused); the rules on values live in `checks` and run inside the actions, so the pages and
the API answer alike. Output carries phones only to staff (VOLUNTEERS_VIEW) and ID numbers
masked, always."""

import datetime

from ninja import Field, Schema

from fangkong.registry.schemas import ClientId, NumberOrText, StrictIn


class CallIn(StrictIn):
    community: int
    task: str
    title: str = ""
    place: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    slots: int
    skills: list[str] = []
    briefing: str = ""
    deadline: datetime.datetime | None = None
    audience: str = "community"
    team: int | None = None
    audience_skill: str | None = None
    audience_place: int | None = None
    client_id: ClientId | None = None  # sent again (a retry), the call made the first time answers


class CallOut(Schema):
    id: int
    community: int
    place: int
    place_name: str
    task: str
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    deadline: datetime.datetime
    slots: int
    confirmed: int
    status: str
    cancel_reason: str = ""  # said when status is `cancelled`
    released: list[str] = []  # a move: who went back to the waitlist for a clash, and why
    skills: list[str]
    briefing: str
    audience: str
    team: int | None
    published_at: datetime.datetime
    filled_at: datetime.datetime | None
    time_to_fill_seconds: int | None
    notified: int
    my_status: str | None = None


class AssignmentOut(Schema):
    id: int
    call: int
    call_title: str
    volunteer: int
    volunteer_name: str
    status: str
    via: str
    waitlist_rank: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    check_in_at: datetime.datetime | None
    check_out_at: datetime.datetime | None
    late_minutes: int
    minutes: int
    state: str = Field("", description=(
        "The attendance of a confirmed place: `due` (not checked in yet), `in` (not checked out), "
        "`out` (checked out), `absent` (the shift over without a check-in), `corrected` (hours set "
        "by staff) — the exports' status column."))
    settled_at: datetime.datetime | None = None  # settled by staff after the shift (核定)


class CallDetail(CallOut):
    confirmed_people: list[AssignmentOut] | None = Field(None, description=(
        "The confirmed places the user reads (staff, leaders): those not arrived first."))
    waitlist: list[AssignmentOut] | None = None
    checked_in: int | None = Field(None, description=(
        "Of `confirmed_people`: how many have checked in (the call page's 已到); null without a roster."))
    not_arrived: int | None = Field(None, description="Of `confirmed_people`: how many have not (未到).")


class UnsettledOut(AssignmentOut):
    why: str = Field(description=(
        "Why it waits to be settled: `absent` (nobody checked in), `open` (never checked out), "
        "`long` (credited longer than the shift)."))


class AssignIn(StrictIn):
    volunteer: int
    confirm: bool = False  # assign someone without the call's required skills


class TokenIn(StrictIn):
    token: str


class CheckOutIn(TokenIn):
    # true once the person has said yes: a check-out soon after the check-in answers 409
    # "check_out_soon" without it
    confirm: bool = False


class AttendIn(StrictIn):
    check_in_at: datetime.datetime | None = None  # when they arrived (default: now)
    check_out_at: datetime.datetime | None = None  # when they left, as given
    # check out at the default time instead: now, or the shift's end once it is over
    check_out_now: bool = False
    # true once the person confirming has said yes: a check-out soon after the check-in
    # answers 409 "check_out_soon" without it
    confirm: bool = False


class SettleIn(StrictIn):
    check_in_at: datetime.datetime | None = None  # when they came (a place nobody checked in to)
    check_out_at: datetime.datetime | None = None  # when they left
    absent: bool = False  # instead: they did not come
    confirm: bool = False  # credit more than the shift (409 "long_credit" without it)


class ReasonIn(StrictIn):
    reason: str


class VolunteerOut(Schema):
    id: int
    name: str
    phone: str
    id_number: str  # always masked
    community: int
    status: str
    work_unit: str
    party_member: bool
    party_branch: str
    skills: list[str]
    days: list[str]
    hours: float
    reason: str
    created_at: datetime.datetime
    lent_until: datetime.datetime | None = Field(None, description=(
        "Lent to the listed community by their home community (`community`, named `lent_from`) "
        "until then, as the people page's 借调自 mark; null for the community's own volunteers."))
    lent_from: str = Field("", description="Their home community's name while lent (`lent_until`), else \"\".")


class VolunteerPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[VolunteerOut]


class PhoneIn(StrictIn):
    phone: NumberOrText


class RegistrationIn(StrictIn):
    name: str
    phone: NumberOrText
    code: NumberOrText
    id_number: str
    household: int
    work_unit: str = ""
    party_member: bool = False
    party_branch: str = ""
    skills: list[str] = []
    days: list[str] = []
    hours_from: str | None = None
    hours_to: str | None = None
    consent: bool


class RegistrationOut(Schema):
    id: int
    name: str
    status: str
    created: bool


class Sent(Schema):
    sent: bool


class JoinLinkOut(Schema):
    community: int
    token: str
    url: str  # the registration page (the poster's QR code): share it or print it
    register_api: str  # POST here (no account) with the form, after …/code sends the text code


class MessageIn(StrictIn):
    text: str  # to everyone who answered the call (confirmed and waiting), up to 500 characters
    client_id: ClientId | None = None  # sent again (a retry) with the same id, nobody is told twice


class Told(Schema):
    notified: int  # people told now (0: a retry of a message already sent)


class CallChangeIn(StrictIn):
    starts_at: datetime.datetime | None = None  # left out: as it is
    ends_at: datetime.datetime | None = None
    place: int | None = None
    deadline: datetime.datetime | None = None  # left out: sign-up closes at the (new) start
    confirm: bool = False  # release to the waitlist those the move makes clash (409 moved_clash)


class RefillIn(StrictIn):
    add: int  # places more
    from_slots: int | None = None  # the number needed as you saw it: sent again after it was done, nothing more


class RefillOut(CallOut):
    told: int  # volunteers told now (0: a retry, or nobody free who had not answered)
    skipped: list[str] = []  # people on the waitlist passed over for a clash, and why
    repeated: bool = False  # done already (a retry with the same `from_slots`)
