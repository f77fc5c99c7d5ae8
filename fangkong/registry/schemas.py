"""Shapes of the registry API: what comes in and what goes out.

Input schemas only check JSON types (and refuse unknown fields); the rules on values
(ID numbers, phones, door numbers, tags…) live in `checks` and run inside the actions, so
the API, the pages and the importer give the same answers in the same words.

Output never carries an identifier in clear: `id_number` is always masked (the clear
value needs the audited reveal-id call), and a phone is masked unless the user's role may
see phones there (`phone_masked` says which).
"""

import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, model_validator

from fangkong.core.clean import in_utc


def _number_as_text(value):
    """A door or phone sent as a JSON number (101, 13812345678) is taken as its text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


NumberOrText = Annotated[str, BeforeValidator(_number_as_text)]


class StrictIn(Schema):
    """Every API input: unknown fields refused, date-times in UTC."""
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _moments_in_utc(self):
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, datetime.datetime):
                setattr(self, name, in_utc(value))
        return self


# --- places ------------------------------------------------------------------

class PlaceRef(Schema):
    id: int
    kind: str
    name: str


class PlaceOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    code: str
    parent: int | None
    depth: int
    household_count: int | None = Field(None, description=(
        "Households under the place that someone counts in (`registry.queries.counts`: "
        "everyone but people who moved out); a household everyone moved out of, or nobody "
        "lives in yet, is not counted. GET /households?place=…&counted=true lists exactly these."))
    resident_count: int | None = Field(None, description="People who count (not moved out).")
    duty_phone: str = Field("", description=(
        "The place's own duty phone (值班电话), \"\" when it has none; whom to call for a "
        "place is the nearest one up the tree (`effective_duty_phone` on GET /places/{id})."))


class PlaceDetail(PlaceOut):
    vulnerable_count: int | None = None
    effective_duty_phone: str = Field("", description=(
        "Whom to call for this place: its own duty phone or the nearest one above it, \"\" "
        "when none is set anywhere up the tree."))
    ancestors: list[PlaceRef]


class PlaceCreate(StrictIn):
    parent: int | None = None
    kind: str
    name: str
    code: str = ""


class PlaceRename(StrictIn):
    name: str


class PlaceMove(StrictIn):
    parent: int


class PlaceDutyPhone(StrictIn):
    """The place's duty phone: a mobile or a landline; "" or null clears it."""

    duty_phone: str | None = None


# --- households and residents ------------------------------------------------

class ContactPhoneOut(Schema):
    """For someone without a phone: whom to call instead (`queries.contact_phones`)."""

    phone: str
    phone_masked: bool
    of: str  # household | housemate
    name: str  # the housemate's ("" for the household's phone)


class ResidentOut(Schema):
    id: int
    household: int
    door: str
    place: int
    address: str
    name: str
    sex: str
    age: int | None
    phone: str
    phone_masked: bool
    id_number: str  # always masked
    relation: str
    presence: str
    tags: list[str]
    key_group: str  # "" or medical / quarantine / cold_chain / transport / service / other
    has_smartphone: bool | None  # null: not known (imported without the column)
    notes: str
    unverified: bool
    updated_at: datetime.datetime


class HouseholdOut(Schema):
    id: int
    place: int
    door: str
    address: str
    phone: str
    phone_masked: bool
    notes: str
    resident_count: int = Field(description="People in it who count (not moved out).")
    counted: bool = Field(description=(
        "Someone in it counts: the place's `household_count` counts this household."))
    updated_at: datetime.datetime


class HouseholdDetail(HouseholdOut):
    residents: list[ResidentOut]


class HouseholdCreate(StrictIn):
    place: int
    door: NumberOrText
    phone: NumberOrText = ""
    notes: str = ""


class HouseholdUpdate(StrictIn):
    """Only the fields sent change; send "" to clear the phone or the notes."""

    door: NumberOrText | None = None
    phone: NumberOrText | None = None
    notes: str | None = None


class ResidentFields(StrictIn):
    """Values as a person would type them: sex "M"/"F" or 男/女, relation and presence as
    their codes or Chinese words, tags as codes or words (独居老人…), birth date YYYY-MM-DD."""

    name: str | None = None
    id_number: str | None = None
    sex: str | None = None
    birth_date: str | None = None
    phone: NumberOrText | None = None
    relation: str | None = None
    presence: str | None = None
    has_smartphone: bool | None = None
    tags: list[str] | None = None
    key_group: str | None = None
    notes: str | None = None


class ResidentPatch(ResidentFields):
    """A resident's changes; `left_before_seal`: set away while their building is sealed,
    they left before the seal (without it: 409 `building_sealed`)."""

    left_before_seal: bool | None = None


class ResidentCreate(ResidentFields):
    household: int
    name: str


class ResidentMove(StrictIn):
    household: int


class RevealedId(Schema):
    id_number: str


class ReissuedCode(Schema):
    id: int
    code: str  # the text in the new QR code, "FK1:<token>" (see registry/cards.py)


class Page(Schema):
    count: int
    page: int
    page_size: int


class ResidentPage(Page):
    results: list[ResidentOut]


class HouseholdPage(Page):
    results: list[HouseholdOut]


# --- imports -----------------------------------------------------------------

class ImportRowError(Schema):
    row: int | None = None
    column: str | None = None
    value: Any = None  # as read from the cell: text, number or empty
    message: str  # in the language of the request that reads it (`importer.messages`)
    code: str = ""  # what the message says, e.g. "id_checksum", "import.id_twice" ("" if kept before codes)


class ImportRowWarning(ImportRowError):
    """A row imported that should be checked (someone tagged elderly living alone who does
    not live alone): the household it went into."""

    household: int | None = None
    address: str = ""  # "1号楼1单元401"


class ImportCounts(Schema):
    created: int
    updated: int
    unchanged: int
    households_created: int
    places_created: int
    joined: int = 0  # people added to households that already had residents
    kept: int = 0  # rows not imported: the person's record is newer than the file


class ImportChange(Schema):
    row: int | None = None
    name: str
    address: str  # "1号楼1单元401": the household they will be in
    fields: list[str]  # what changes: "phone", "tags", "household" (moves)…
    labels: list[str]  # the same, in the language of the request
    # each change as "手机号: 139****5678 → 139****2222" (identifiers masked), in the language
    # of the request; the household move is in `labels` only
    shown: list[str] = []


class ImportJoin(Schema):
    row: int
    name: str
    address: str


class ImportSummary(Schema):
    """What a checked import will write, counted by the plan that writes it."""

    counts: ImportCounts  # created, updated, unchanged, households_created, places_created, joined
    rows: int
    changes: list[ImportChange]  # the first few residents whose details change
    # rows not imported because the person's record was changed after the file was made:
    # what the file would have changed (kept as it is now; each also in rows_to_check)
    kept: list[ImportChange] = []
    joins: list[ImportJoin]  # the first few people joining occupied households
    places: list[str]  # the first few places to create
    warnings: int  # rows to check (listed in rows_to_check)
    rows_to_check: list[ImportRowWarning]
    ignored: list[str]  # columns not imported
    digest: str  # send it back with the confirmation: the summary you confirm


class ImportOut(Schema):
    id: int
    place: PlaceRef
    filename: str
    status: str
    status_label: str
    finished: bool
    percent: int
    total_rows: int
    processed_rows: int
    counts: ImportCounts
    error_count: int
    errors: list[ImportRowError]
    warnings: list[ImportRowWarning] = []  # rows imported that should be checked
    summary: ImportSummary | None = None  # status "checked": what confirming will write
    confirm: str | None = None  # status "checked": POST here to write it
    message: str
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
