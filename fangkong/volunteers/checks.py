"""Validation of volunteer input: one set of rules for the pages and the API.

`check_*` take raw values (form strings or JSON values) and return clean values or raise
Invalid with messages per field, in the user's language. They never write.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time
from django.utils.translation import gettext as _

from fangkong.core import pii
from fangkong.core.clean import bounded, in_utc, limit_of
from fangkong.core.clean import clean as clean_text
from fangkong.core.errors import Invalid

from .models import Audience, Call, Day, Skill, Task, Team, Volunteer

MAX_SLOTS = 500
MAX_BRIEFING = 2000  # the briefing is a TextField: its limit is here


def text(value, limit) -> str:
    """Short codes (a 6-digit code, a token): clean, spaces collapsed, cut to `limit` —
    whatever was cut could not have matched anyway. Free text goes through `bounded`,
    which refuses what is too long instead."""
    if value is None:
        return ""
    return " ".join(clean_text(str(value)).split())[:limit]


def _choices(values, allowed, field, errors, label):
    if values is None or values == "":
        return []
    if isinstance(values, str):
        values = [v for v in values.replace("，", ",").split(",") if v.strip()]
    if not isinstance(values, (list, tuple)):
        errors[field] = [_("Send a list.")]
        return []
    out = []
    for v in values:
        v = str(v).strip()
        if v not in allowed:
            errors.setdefault(field, []).append(_("Unknown %(what)s: “%(value)s”.") % {
                "what": label, "value": v[:30]})
        else:
            out.append(v)
    return out


def _truthy(value) -> bool:
    return value in (True, 1, "1", "true", "on", "yes", "True")


def check_registration(data: dict) -> dict:
    """A registration form: name, phone, ID number, household, work unit, Party, skills,
    availability, consent. The phone code is checked by the action."""
    errors, clean = {}, {}
    name = bounded(data.get("name"), limit_of(Volunteer, "name"), "name", errors)
    if not name:
        errors["name"] = [_("Name is required.")]
    clean["name"] = name
    try:
        clean["phone"] = pii.validate_phone(data.get("phone"), required=True)
        if clean["phone"] and not clean["phone"].startswith("1"):
            raise ValidationError(_("Give a mobile number: the code is sent by text message."))
    except ValidationError as e:
        errors["phone"] = e.messages
    try:
        clean["id_number"] = pii.validate_id_number(data.get("id_number"))
    except ValidationError as e:
        errors["id_number"] = e.messages
    hh = data.get("household")
    try:
        clean["household"] = int(hh)
    except (TypeError, ValueError):
        errors["household"] = [_("Choose your home address from the list.")]
    clean["work_unit"] = bounded(data.get("work_unit"), limit_of(Volunteer, "work_unit"),
                                 "work_unit", errors)
    clean["party_member"] = _truthy(data.get("party_member"))
    clean["party_branch"] = bounded(data.get("party_branch"), limit_of(Volunteer, "party_branch"),
                                    "party_branch", errors)
    if clean["party_member"] and not clean["party_branch"]:
        errors["party_branch"] = [_("Party members name their Party branch.")]
    if not clean["party_member"]:
        clean["party_branch"] = ""
    clean["skills"] = _choices(data.get("skills"), Skill.values, "skills", errors, _("skill"))
    clean["days"] = _choices(data.get("days"), Day.values, "days", errors, _("day"))
    for key in ("hours_from", "hours_to"):
        raw = data.get(key)
        if raw in (None, ""):
            clean[key] = None
            continue
        t = parse_time(str(raw)) if not isinstance(raw, datetime.time) else raw
        if t is None:
            errors[key] = [_("Enter a time like 08:00.")]
        clean[key] = t
    # 22:00 to 06:00 is a night shift (past midnight), not a mistake; only no hours at all is
    if clean.get("hours_from") and clean.get("hours_to") and clean["hours_from"] == clean["hours_to"]:
        errors["hours_to"] = [_("The start and the end of your hours are the same time.")]
    if not _truthy(data.get("consent")):
        errors["consent"] = [_("Registration needs your consent to the use of your data.")]
    code = text(data.get("code"), 10)
    if not code.isdigit() or len(code) != 6:
        errors["code"] = [_("Enter the 6-digit code sent to your phone.")]
    clean["code"] = code
    if errors:
        raise Invalid(fields=errors)
    return clean


_CLOCK = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


def parse_when(raw, field, errors, label, *, near=None):
    """A date and time from a form or JSON value (aware); None with a message in `errors`
    under `field` when it cannot be read. With `near` (an aware moment), a clock time
    alone ("20:27", what a phone's time field sends) is taken on the day that puts it
    nearest `near` (a shift's start: 00:30 is the night after a 22:00 start)."""
    if isinstance(raw, datetime.datetime):
        value = raw
    else:
        text = str(raw or "").strip()
        clock = _CLOCK.match(text) if near is not None else None
        if clock:
            return _nearest(int(clock[1]), int(clock[2]), near)
        value = parse_datetime(text.replace(" ", "T")) if raw else None
    if value is None:
        errors[field] = [_("Enter %(what)s as a date and time, e.g. 2022-04-18 07:00.")
                         % {"what": label}]
        return None
    return in_utc(value)


def _nearest(hour, minute, near):
    """The moment at hour:minute in the site's time zone on the day before, of or after
    `near`'s that is nearest to it (in UTC)."""
    local = timezone.localtime(near)
    options = []
    for days in (-1, 0, 1):
        day = local.date() + datetime.timedelta(days=days)
        options.append(timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute))))
    return in_utc(min(options, key=lambda t: abs(t - near)))


def check_call(data: dict, *, now=None, late_sign_up=False) -> dict:
    """A call: task, title, place (id), start, end, slots, skills, briefing, deadline,
    audience (+ team / skill / building). `late_sign_up`: a published call being changed,
    whose sign-up may stay open after its start, until its end (people short at 05:50 for
    06:00 are still wanted at 06:30)."""
    now = now or timezone.now()
    errors, clean = {}, {}
    task = str(data.get("task") or "")
    if task not in Task.values:
        errors["task"] = [_("Choose the task.")]
    clean["task"] = task
    title = bounded(data.get("title"), limit_of(Call, "title"), "title", errors)
    clean["title"] = title  # empty: the kind at the place (actions.notices.default_title)
    try:
        clean["place"] = int(data.get("place"))
    except (TypeError, ValueError):
        errors["place"] = [_("Choose the place.")]
    starts = parse_when(data.get("starts_at"), "starts_at", errors, _("the start"))
    ends = parse_when(data.get("ends_at"), "ends_at", errors, _("the end"))
    if starts and ends and ends <= starts:
        errors["ends_at"] = [_("The end must be after the start.")]
    if starts and ends and (ends - starts) > datetime.timedelta(hours=24):
        errors["ends_at"] = [_("A call lasts at most 24 hours; make one call per shift.")]
    if ends and ends <= now:
        errors.setdefault("ends_at", []).append(_("The end is already past."))
    deadline_raw = data.get("deadline")
    # An urgent call for a shift already under way stays open for sign-up until its end (it
    # had closed at its past start: texted to everyone, and nobody could answer).
    started = bool(starts and starts <= now)
    deadline = parse_when(deadline_raw, "deadline", errors, _("the deadline")) if deadline_raw \
        else (ends if started else starts)
    if deadline and starts and deadline > starts and not ((started or late_sign_up) and ends and deadline <= ends):
        errors["deadline"] = [_("Sign-up must close by the end.") if late_sign_up
                              else _("Sign-up must close by the start.")]
    clean.update(starts_at=starts, ends_at=ends, deadline=deadline)
    try:
        slots = int(data.get("slots"))
        if not 1 <= slots <= MAX_SLOTS:
            raise ValueError
        clean["slots"] = slots
    except (TypeError, ValueError):
        errors["slots"] = [_("Enter how many people are needed (1 to %(n)d).") % {"n": MAX_SLOTS}]
    clean["skills"] = _choices(data.get("skills"), Skill.values, "skills", errors, _("skill"))
    clean["briefing"] = bounded(data.get("briefing"), MAX_BRIEFING, "briefing", errors,
                                single_line=False)
    audience = str(data.get("audience") or Audience.COMMUNITY)
    if audience not in Audience.values:
        errors["audience"] = [_("Choose who is called.")]
    clean["audience"] = audience
    clean["team"] = clean["audience_skill"] = clean["audience_place"] = None
    if audience == Audience.TEAM:
        try:
            clean["team"] = int(data.get("team"))
        except (TypeError, ValueError):
            errors["team"] = [_("Choose the team.")]
    elif audience == Audience.SKILL:
        skill = str(data.get("audience_skill") or "")
        if skill not in Skill.values:
            errors["audience_skill"] = [_("Choose the skill.")]
        clean["audience_skill"] = skill
    elif audience == Audience.BUILDING:
        try:
            clean["audience_place"] = int(data.get("audience_place"))
        except (TypeError, ValueError):
            errors["audience_place"] = [_("Choose the building.")]
    if errors:
        raise Invalid(fields=errors)
    return clean


def check_reason(reason, field="reason") -> str:
    reason = bounded(reason, limit_of(Volunteer, "reason"), field)
    if len(reason) < 2:
        raise Invalid(fields={field: [_("Give a reason.")]})
    return reason


def check_team_name(name) -> str:
    name = bounded(name, limit_of(Team, "name"), "name")
    if not name:
        raise Invalid(fields={"name": [_("Give the team a name.")]})
    return name
