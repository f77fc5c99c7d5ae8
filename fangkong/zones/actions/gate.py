"""The checkpoint (测体温、验两码) and health-code observations.

Every person through a gate is logged, refusals too, with the reason in words:
- red code: stop; yellow: no exit; a temperature of FANGKONG_FEVER_C or more: refused;
- the code applied is the one the guard chose or, when none was chosen, the person's known
  code (`HealthCode`: the city's file or an earlier observation); a colour milder than the
  known one is applied only once the guard confirmed it (`code_to_apply`), and asked first
  (`pass_gate` raises Conflict `confirm_code`, nothing written); nothing known and nothing
  chosen: the guard must look and choose;
- a code imported from the city's data is never overruled at the gate: a milder colour seen
  on the phone is recorded as an observation (not the current code), the person is judged by
  the imported code, and the community's staff are told (once per person a day);
- kept in whatever the code and the zone (`gate_rules.holds`, checked first): an open
  confirmed case, anyone of its household, someone held by a positive pooled tube or antigen
  test awaiting the re-test; the community's staff and grid worker are told (once per person
  a day);
- a sealed household: nobody out (足不出户);
- a controlled household: out of the area refused; at a gate inside its area, only to collect
  goods (`gate_rules.exit_terms`: where, not leaving the area, back by when — kept on the
  event as its `terms` and said to the guard), within the type's collection hours
  (`gate_rules.outside_hours`), one person per household every N days (the zone type's
  `collect_every_days`).
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
from fangkong.core.clean import clean, client_id_words
from fangkong.core.clean import client_id as parse_client_id
from fangkong.core.errors import Conflict, Invalid
from fangkong.core.when import short_time
from fangkong.registry.models import Place, Resident

from .. import access, engine, gate_rules
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
        raise Invalid(fields={"client_id": [client_id_words()]})
    return cid


SEVERITY = {CodeColour.GREEN: 0, CodeColour.YELLOW: 1, CodeColour.RED: 2}


def milder(colour: str, than: str) -> bool:
    return SEVERITY.get(colour, 0) < SEVERITY.get(than, 0)


def replaces(current: HealthCode | None, colour: str, source: str, at, confirmed=False) -> bool:
    """Does a colour observed at `at` become the person's current code? The newer wins, except
    that an observation (station, gate, by hand) never makes an imported code of the same day
    milder without a confirmation (a green seen at the gate does not undo the city's red of
    that morning in silence), and one seen at the gate never makes an imported code milder
    at all; a newer import always wins."""
    if current is None:
        return True
    if current.observed_at > at:
        return False
    if source == Source.CHECKPOINT and current.source == Source.IMPORT and milder(colour, current.colour):
        return False  # the gate never overrules the city's data, confirmed or not, any day
    if (source != Source.IMPORT and current.source == Source.IMPORT and milder(colour, current.colour)
            and not confirmed
            and timezone.localtime(current.observed_at).date() == timezone.localtime(at).date()):
        return False
    return True


def observe_code(actor, resident: Resident, colour: str, *, source=Source.MANUAL, place=None,
                 at=None, client_id=None, confirmed=False) -> HealthCodeObservation:
    """Record a colour seen for a person; it becomes the current colour by `replaces`."""
    access.require(actor, access.GATE, resident)
    return record_observation(actor, resident, colour, source=source, place=place, at=at,
                              client_id=client_id, confirmed=confirmed)


def record_observation(actor, resident: Resident, colour: str, *, source=Source.MANUAL, place=None,
                       at=None, client_id=None, confirmed=False) -> HealthCodeObservation:
    """`observe_code` for an action that has checked its own permission (the station). Every
    observation is kept and audited (with the code it replaced, or `current: False` when the
    known code stays); `obs.current` says whether it is now the person's code."""
    if colour not in CodeColour.values:
        raise Invalid(fields={"colour": [_("Choose green, yellow or red.")]})
    if source not in Source.values:
        raise Invalid(fields={"source": [_("Unknown source.")]})
    at = at or timezone.now()
    cid = _client_id(client_id) if client_id else None
    if cid is not None:
        found = HealthCodeObservation.objects.filter(client_id=cid).first()
        if found is not None:
            found.current = HealthCode.objects.filter(resident=resident, colour=found.colour,
                                                      observed_at=found.observed_at).exists()
            return found
    obs = HealthCodeObservation(resident=resident, colour=colour, observed_at=at, place=place,
                                source=source, recorded_by=_user(actor), client_id=cid)
    obs.copy_levels(resident)
    with transaction.atomic():
        obs.save()
        current = HealthCode.objects.select_for_update().filter(resident=resident).first()
        details = {"colour": colour, "source": source}
        obs.current = replaces(current, colour, source, at, confirmed)
        if current is None:
            HealthCode.objects.create(resident=resident, colour=colour, observed_at=at, source=source)
        elif obs.current:
            if current.colour != colour:
                details["was"] = current.colour
            current.colour, current.observed_at, current.source = colour, at, source
            current.save()
        else:
            details["current"] = False
        if confirmed:
            details["confirmed"] = True
        record(actor, "zones.health_code", resident, details)
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


def code_to_apply(colour: str, known: HealthCode | None, confirmed=False) -> str:
    """The colour the gate acts on: the one the guard chose, or the known code when none was
    chosen; a colour milder than the known one only once the guard confirmed it."""
    if not colour:
        return known.colour if known is not None else ""
    if known is not None and milder(colour, known.colour) and not confirmed:
        return known.colour
    return colour


def source_words(source: str) -> str:
    return str(dict(Source.choices).get(source, source or "—"))


def known_words(known: HealthCode) -> str:
    """'City file import, 06/12/2026 21:00': where a known code comes from and when."""
    return _("%(source)s, %(when)s") % {
        "source": source_words(known.source),
        "when": date_format(timezone.localtime(known.observed_at), "SHORT_DATETIME_FORMAT")}


def refusal(resident, household_zone, gate: Place, direction: str, colour: str, temperature,
            at, known: HealthCode | None = None, confirmed=False, hold: str = "") -> str:
    """Why the person may not pass ('' when they may). `colour` is what the guard chose ('' for
    none), `known` the person's current code: the code applied is `code_to_apply`. `hold`
    (`gate_rules.holds`: a case, a case's housemate, a positive test awaiting the re-test)
    keeps the person in first, whatever the code and the zone."""
    if hold and direction == Dir.OUT:
        return gate_rules.hold_words(hold)
    code = code_to_apply(colour, known, confirmed)
    on_record = known is not None and code == known.colour and code != colour
    if code == CodeColour.RED:
        if on_record:
            return _("Red health code on record (%(known)s): stop. Call the community doctor; "
                     "do not let the person through.") % {"known": known_words(known)}
        return _("Red health code: stop. Call the community doctor; do not let the person through.")
    if code == CodeColour.YELLOW and direction == Dir.OUT:
        if on_record:
            return _("Yellow health code on record (%(known)s): may not go out until the code is "
                     "green.") % {"known": known_words(known)}
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
        if not gate_rules.inside(household_zone, gate):
            return _("%(zone)s: %(rule)s. Leaving the area is not allowed.") % {
                "zone": zt.name, "rule": zt.movement}
        late = gate_rules.outside_hours(household_zone, at)
        if late:
            return late
        if zt.collect_every_days and resident is not None:
            since = at - datetime.timedelta(days=zt.collect_every_days)
            last = CheckpointEvent.objects.filter(
                household_id=resident.household_id, direction=Dir.OUT, allowed=True,
                at__gt=since, at__lte=at).order_by("-at").first()
            if last is not None:
                # the next turn, at the collection hours' opening when it falls outside them
                nxt = gate_rules.next_open(zt, last.at + datetime.timedelta(days=zt.collect_every_days))
                return ngettext("One person per household every day: %(name)s went out %(when)s; "
                                "next from %(next)s.",
                                "One person per household every %(n)d days: %(name)s went out %(when)s; "
                                "next from %(next)s.", zt.collect_every_days) % {
                    "n": zt.collect_every_days, "name": last.name or "—",
                    "when": short_time(last.at), "next": short_time(nxt)}
    return ""


def exit_terms(household_zone, gate: Place, direction: str, at) -> str:
    """The terms of an exit let through ("" for none): a controlled area's collector at a
    gate inside the area (`gate_rules.exit_terms`)."""
    if household_zone is None or direction != Dir.OUT:
        return ""
    zt = household_zone.zone_type
    if not zt.may_leave_home or zt.may_leave_area or not gate_rules.inside(household_zone, gate):
        return ""
    return gate_rules.exit_terms(household_zone, gate, at)


def ask_to_confirm(resident: Resident, colour: str, known: HealthCode) -> Conflict:
    """A colour milder than the person's known code: asked before anything is written."""
    return Conflict(
        _("%(name)s's health code on record is %(known)s (%(where)s); you chose %(colour)s. Check the "
          "code on their phone: only if it is %(colour)s, confirm, and it is recorded as seen at the gate.")
        % {"name": resident.name, "known": known.get_colour_display(), "where": known_words(known),
           "colour": CodeColour(colour).label},
        code="confirm_code", extra={"known": {"colour": known.colour, "source": known.source,
                                              "observed_at": known.observed_at.isoformat()}})


def pass_gate(actor, gate: Place, *, direction: str, client_id, resident: Resident | None = None,
              name="", colour="", temperature=None, at=None, confirm=False) -> CheckpointEvent:
    """Record one person at the gate: allowed, or refused with the reason. The code applied:
    see `code_to_apply`; a colour milder than the known code without `confirm` raises
    Conflict `confirm_code` (nothing written); no colour and none known: Invalid."""
    access.require(actor, access.GATE, gate)
    errors = {}
    if direction not in Dir.values:
        errors["direction"] = [_("Choose entry or exit.")]
    if colour and colour not in CodeColour.values:
        errors["colour"] = [_("Choose green, yellow or red.")]
    name = clean(str(name or "")).strip()[:50]
    if resident is None and not name:
        errors["person"] = [_("Scan the person's sampling code, type their ID number, or write their name.")]
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
    hz = known = None
    hold = ""
    if resident is not None:
        hz = HouseholdZone.objects.filter(household_id=resident.household_id, until=None) \
            .select_related("zone_type", "designation__place").first()
        known = HealthCode.objects.filter(resident=resident).first()
        if direction == Dir.OUT:
            hold = gate_rules.holds(resident, at)
    if not colour and known is None:
        raise Invalid(fields={"colour": [_("No health code is on record for this person: look at it and "
                                           "choose its colour.")]})
    disputed = bool(colour) and known is not None and known.source == Source.IMPORT \
        and milder(colour, known.colour)
    confirmed = bool(confirm and colour) and known is not None and milder(colour, known.colour) \
        and not disputed
    if colour and known is not None and milder(colour, known.colour) and not confirmed and not disputed:
        raise ask_to_confirm(resident, colour, known)
    reason = refusal(resident, hz, gate, direction, colour, temperature, at, known=known,
                     confirmed=confirmed, hold=hold)
    applied = code_to_apply(colour, known, confirmed)
    ev = CheckpointEvent(gate=gate, resident=resident, household_id=resident.household_id if resident else None,
                         name=resident.name if resident else name, direction=direction, colour=applied,
                         temperature=temperature, allowed=not reason, reason=reason[:200],
                         zone_kind=hz.kind if hz else "", hold=hold,
                         terms="" if reason else exit_terms(hz, gate, direction, at)[:200],
                         recorded_by=_user(actor), at=at, client_id=cid)
    ev.copy_levels(gate)
    try:
        with transaction.atomic():
            ev.save()
            record(actor, "zones.gate", ev, {"direction": direction, "allowed": ev.allowed},
                   label=ev.name, levels_from=gate)
            if resident is not None and colour:
                observe_code(actor, resident, colour, source=Source.CHECKPOINT, place=gate, at=at,
                             confirmed=confirmed)
            if disputed:
                _tell_disputed(actor, resident, colour, known, ev)
            if hold:
                _tell_held(actor, resident, hold, ev, gate)
    except IntegrityError:  # the same client id at the same instant
        return CheckpointEvent.objects.get(client_id=cid)
    ev.disputed = known if disputed else None
    return ev


def disputed_words(ev: CheckpointEvent, known: HealthCode) -> str:
    """What the guard is told when the phone showed a milder colour than the city's code."""
    words = {"known": known.get_colour_display(), "where": known_words(known)}
    if ev.allowed:
        return _("The city's data says %(known)s (%(where)s): the gate cannot overrule it. The colour "
                 "you saw is recorded and the community's staff have been told.") % words
    return _("Not let through. The city's data says %(known)s (%(where)s) and the gate cannot overrule "
             "it. The colour you saw is recorded and the community's staff have been told: ask the "
             "person to wait, or to call the number their health code gives.") % words


def _tell_disputed(actor, resident: Resident, colour: str, known: HealthCode, ev: CheckpointEvent):
    """The gate saw a milder colour than the city's imported code: the community's staff
    are told (inbox and text, once per person a day), in each reader's language."""
    from django.urls import reverse

    from ..signals import tell

    users = _staff_and_grid(resident)
    if not users:
        return
    name, allowed = resident.name, ev.allowed
    seen, city = CodeColour(colour), CodeColour(known.colour)

    def body():
        words = {"name": name, "seen": seen.label, "known": city.label}
        if allowed:
            return _("The checkpoint saw %(name)s's health code as %(seen)s, but the city's data "
                     "says %(known)s; handled by the city's code. Please check.") % words
        return _("The checkpoint saw %(name)s's health code as %(seen)s, but the city's data "
                 "says %(known)s; not let through. Please check.") % words

    day = timezone.localtime(ev.at).date().isoformat()
    tell.send(sender=CheckpointEvent, adjustment=None, actor=actor, messages=[{
        "users": users, "kind": "zones.code_disputed",
        "title": lambda: _("Health code disputed at the gate: %(name)s") % {"name": name},
        "body": body, "url": reverse("zones_household", args=[resident.household_id]),
        "place": Place.objects.filter(pk=resident.community_id).first(),
        "key": f"zones.code_disputed.{resident.id}.{day}"}])


def _staff_and_grid(resident: Resident) -> set[int]:
    """The community's staff and the grid worker of `resident`: whom the gate tells."""
    from django.db.models import Q

    from fangkong.accounts.models import Membership
    from fangkong.accounts.roles import Role

    return set(Membership.objects.filter(is_active=True).filter(
        Q(role=Role.STAFF, place_id=resident.community_id) | Q(role=Role.GRID, place_id=resident.grid_id))
        .values_list("user_id", flat=True))


def _tell_held(actor, resident: Resident, hold: str, ev: CheckpointEvent, gate: Place):
    """Someone kept in (`gate_rules.holds`) tried to go out: the community's staff and the
    grid worker are told at once (inbox and text, kind `zones.gate_held`), once per person a
    day however often they try, in each reader's language."""
    from django.urls import reverse

    from ..signals import tell

    users = _staff_and_grid(resident)
    if not users:
        return
    name, where, at = resident.name, gate.name, ev.at

    def body():
        return _("%(name)s (%(why)s) tried to go out at %(gate)s at %(when)s and was not let through. "
                 "Please call the family.") % {"name": name, "why": gate_rules.hold_label(hold),
                                               "gate": where, "when": short_time(at)}

    day = timezone.localtime(ev.at).date().isoformat()
    tell.send(sender=CheckpointEvent, adjustment=None, actor=actor, messages=[{
        "users": users, "kind": "zones.gate_held",
        "title": lambda: _("Kept in at the gate: %(name)s tried to go out") % {"name": name},
        "body": body, "url": reverse("zones_household", args=[resident.household_id]),
        "place": Place.objects.filter(pk=resident.community_id).first(),
        "key": f"zones.gate_held.{resident.id}.{day}"}])


# --- a city's health-code file -------------------------------------------------------------

COLOUR_WORDS = {"绿": "green", "绿码": "green", "green": "green", "黄": "yellow", "黄码": "yellow",
                "yellow": "yellow", "红": "red", "红码": "red", "red": "red"}
ID_HEADERS = {"身份证号", "身份证号码", "证件号码", "id number", "id_number"}
COLOUR_HEADERS = {"健康码", "健康码颜色", "颜色", "码色", "colour", "color"}


def import_codes(actor, place: Place, content: bytes) -> tuple[int, int]:
    """A city's file of health-code colours (CSV: an ID-number column and a colour column,
    绿/黄/红 or green/yellow/red) for the people under `place` the user may check. A city's
    file holds people from elsewhere: a valid ID of nobody here (not a resident under `place`,
    or not one the user may check) is skipped and counted. A malformed row (an ID number that
    is not one, a colour that is not one) refuses the whole file: every such row is named
    (row, column), and nothing is written while one remains. Returns (recorded, skipped)."""
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
    errors, found, skipped = [], [], 0
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
        if person is None:  # someone from elsewhere: the city's file holds everyone
            skipped += 1
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
    return len(found), skipped
