"""The checkpoint (测体温、验两码) and health-code observations.

Every person through a gate is logged, refusals too, with the reason in words:
- red code: stop; yellow: no exit; a temperature of FANGKONG_FEVER_C or more: refused;
- a sealed household: nobody out (足不出户);
- a controlled household: out of the area refused; at a gate inside its area, one person per
  household every N days (the zone type's `collect_every_days`) may go to collect goods.
A retried submission (same `client_id`) writes once."""

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.clean import clean
from fangkong.core.clean import client_id as parse_client_id
from fangkong.core.errors import Invalid
from fangkong.registry.models import Place, Resident

from .. import access, engine
from ..models import (
    CheckpointEvent,
    CodeColour,
    HealthCode,
    HealthCodeObservation,
    HouseholdZone,
    Source,
)

Dir = CheckpointEvent.Direction


def _user(actor):
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None


def _client_id(value):
    """Required here: a gate event without one could not be told from its retry."""
    cid = parse_client_id(value)
    if cid is None:
        raise Invalid(fields={"client_id": [_("Not a valid client id.")]})
    return cid


def observe_code(actor, resident: Resident, colour: str, *, source=Source.MANUAL, place=None,
                 at=None, client_id=None) -> HealthCodeObservation:
    """Record a colour seen for a person; the person's current colour is the latest seen."""
    access.require(actor, access.GATE, resident)
    return record_observation(actor, resident, colour, source=source, place=place, at=at,
                              client_id=client_id)


def record_observation(actor, resident: Resident, colour: str, *, source=Source.MANUAL, place=None,
                       at=None, client_id=None) -> HealthCodeObservation:
    """`observe_code` for an action that has checked its own permission (the station)."""
    if colour not in CodeColour.values:
        raise Invalid(fields={"colour": [_("Choose green, yellow or red.")]})
    if source not in Source.values:
        raise Invalid(fields={"source": [_("Unknown source.")]})
    at = at or timezone.now()
    cid = _client_id(client_id) if client_id else None
    if cid is not None:
        found = HealthCodeObservation.objects.filter(client_id=cid).first()
        if found is not None:
            return found
    obs = HealthCodeObservation(resident=resident, colour=colour, observed_at=at, place=place,
                                source=source, recorded_by=_user(actor), client_id=cid)
    obs.copy_levels(resident)
    with transaction.atomic():
        obs.save()
        current = HealthCode.objects.select_for_update().filter(resident=resident).first()
        if current is None:
            HealthCode.objects.create(resident=resident, colour=colour, observed_at=at, source=source)
        elif current.observed_at <= at:
            current.colour, current.observed_at, current.source = colour, at, source
            current.save()
        record(actor, "zones.health_code", resident, {"colour": colour, "source": source})
    return obs


def _temperature(value):
    if value in (None, ""):
        return None
    try:
        t = Decimal(str(value).strip()).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise Invalid(fields={"temperature": [_("Enter the temperature in °C, e.g. 36.5.")]}) from None
    if not Decimal("34.0") <= t <= Decimal("43.0"):
        raise Invalid(fields={"temperature": [_("A body temperature is between 34 and 43 °C.")]})
    return t


def refusal(resident, household_zone, gate: Place, direction: str, colour: str, temperature,
            at) -> str:
    """Why the person may not pass ('' when they may)."""
    if colour == CodeColour.RED:
        return _("Red health code: stop. Call the community doctor; do not let the person through.")
    if colour == CodeColour.YELLOW and direction == Dir.OUT:
        return _("Yellow health code: may not go out until the code is green.")
    fever = Decimal(str(getattr(settings, "FANGKONG_FEVER_C", "37.3")))
    if temperature is not None and temperature >= fever:
        return _("Temperature %(t)s °C (%(limit)s or more): refer to the community doctor.") % {
            "t": temperature, "limit": fever}
    if household_zone is None or direction != Dir.OUT:
        return ""
    zt = household_zone.zone_type
    if not zt.may_leave_home:
        return _("%(zone)s: %(rule)s. Nobody of this household may go out.") % {
            "zone": zt.name, "rule": zt.movement}
    if not zt.may_leave_area:
        place = household_zone.designation.place
        inside = place.kind in engine.DEPTH and getattr(gate, f"{place.kind}_id", None) == place.id
        if not inside:
            return _("%(zone)s: %(rule)s. Leaving the area is not allowed.") % {
                "zone": zt.name, "rule": zt.movement}
        if zt.collect_every_days and resident is not None:
            since = at - datetime.timedelta(days=zt.collect_every_days)
            last = CheckpointEvent.objects.filter(
                household_id=resident.household_id, direction=Dir.OUT, allowed=True,
                at__gt=since, at__lte=at).order_by("-at").first()
            if last is not None:
                nxt = timezone.localtime(last.at + datetime.timedelta(days=zt.collect_every_days))
                return ngettext("One person per household every day: %(name)s went out %(when)s; "
                                "next from %(next)s.",
                                "One person per household every %(n)d days: %(name)s went out %(when)s; "
                                "next from %(next)s.", zt.collect_every_days) % {
                    "n": zt.collect_every_days, "name": last.name or "—",
                    "when": date_format(timezone.localtime(last.at), "SHORT_DATETIME_FORMAT"),
                    "next": date_format(nxt, "SHORT_DATETIME_FORMAT")}
    return ""


def pass_gate(actor, gate: Place, *, direction: str, client_id, resident: Resident | None = None,
              name="", colour="", temperature=None, at=None) -> CheckpointEvent:
    """Record one person at the gate: allowed, or refused with the reason."""
    access.require(actor, access.GATE, gate)
    errors = {}
    if direction not in Dir.values:
        errors["direction"] = [_("Choose entry or exit.")]
    if colour and colour not in CodeColour.values:
        errors["colour"] = [_("Choose green, yellow or red.")]
    name = clean(str(name or "")).strip()[:50]
    if resident is None and not name:
        errors["person"] = [_("Scan the person's code, type their ID number, or write their name.")]
    try:
        temperature = _temperature(temperature)
    except Invalid as e:
        errors.update(e.fields)
    cid = _client_id(client_id)
    if errors:
        raise Invalid(fields=errors)
    found = CheckpointEvent.objects.filter(client_id=cid).first()
    if found is not None:
        return found
    if resident is not None:
        access.require(actor, access.GATE, resident)
    at = at or timezone.now()
    hz = None
    if resident is not None:
        hz = HouseholdZone.objects.filter(household_id=resident.household_id, until=None) \
            .select_related("zone_type", "designation__place").first()
    reason = refusal(resident, hz, gate, direction, colour, temperature, at)
    ev = CheckpointEvent(gate=gate, resident=resident, household_id=resident.household_id if resident else None,
                         name=resident.name if resident else name, direction=direction, colour=colour,
                         temperature=temperature, allowed=not reason, reason=reason,
                         zone_kind=hz.kind if hz else "", recorded_by=_user(actor), at=at, client_id=cid)
    ev.copy_levels(gate)
    try:
        with transaction.atomic():
            ev.save()
            record(actor, "zones.gate", ev, {"direction": direction, "allowed": ev.allowed},
                   label=ev.name, levels_from=gate)
            if resident is not None and colour:
                observe_code(actor, resident, colour, source=Source.CHECKPOINT, place=gate, at=at)
    except IntegrityError:  # the same client id at the same instant
        return CheckpointEvent.objects.get(client_id=cid)
    return ev


# --- a city's health-code file -------------------------------------------------------------

COLOUR_WORDS = {"绿": "green", "绿码": "green", "green": "green", "黄": "yellow", "黄码": "yellow",
                "yellow": "yellow", "红": "red", "红码": "red", "red": "red"}
ID_HEADERS = {"身份证号", "身份证号码", "证件号码", "id number", "id_number"}
COLOUR_HEADERS = {"健康码", "健康码颜色", "颜色", "码色", "colour", "color"}


def import_codes(actor, place: Place, content: bytes) -> int:
    """A city's file of health-code colours (CSV: an ID-number column and a colour column,
    绿/黄/红 or green/yellow/red) for the people under `place` the user may check. All or
    nothing: every row's problem is named (row, column), and nothing is written while one
    remains. Returns how many colours were recorded."""
    from django.core.exceptions import ValidationError

    from fangkong.core import pii
    from fangkong.core.errors import FileRefused, FileRejected
    from fangkong.core.uploads import open_csv

    access.require(actor, access.GATE, place)
    csv_file = open_csv(content)
    records = csv_file.records(csv_file.encodings[0])
    header = next(records, None)
    names = [clean(str(v)).strip().lower() for v in header[1]] if header else []
    id_col = next((i for i, v in enumerate(names) if v in ID_HEADERS), None)
    colour_col = next((i for i, v in enumerate(names) if v in COLOUR_HEADERS), None)
    if id_col is None or colour_col is None:
        raise FileRefused(_("The first line must name the columns 身份证号 and 健康码."))
    base = Resident.objects.filter(actor.scope.q(access.GATE)).filter(engine.under_q(place))
    errors, found = [], []
    for line, values in records:
        if not any(v.strip() for v in values):
            continue
        raw_id = values[id_col] if id_col < len(values) else ""
        word = (values[colour_col] if colour_col < len(values) else "").strip().lower()
        colour = COLOUR_WORDS.get(word)
        if colour is None:
            errors.append({"row": line, "column": header[1][colour_col],
                           "message": _("Not a health-code colour: %(v)s (绿 / 黄 / 红).") % {"v": word[:20]}})
            continue
        try:
            number = pii.validate_id_number(raw_id)
        except ValidationError as e:
            errors.append({"row": line, "column": header[1][id_col], "message": str(e.messages[0])})
            continue
        person = base.filter(id_hash=pii.lookup_hash(number)).first()
        if person is None:
            errors.append({"row": line, "column": header[1][id_col],
                           "message": _("Nobody with this ID number lives here.")})
            continue
        found.append((person, colour))
    if errors:
        raise FileRejected(ngettext("Nothing was recorded: %(n)d row has a problem.",
                                    "Nothing was recorded: %(n)d rows have problems.", len(errors)) % {"n": len(errors)},
                           rows=errors)
    at = timezone.now()
    with transaction.atomic():
        for person, colour in found:
            record_observation(actor, person, colour, source=Source.IMPORT, at=at)
    return len(found)
