"""When the station does not register a scan, and what it says then: one sentence that
names the person and the tube, in the user's language, for the single scan (409), the
offline batch's conflicts and malformed events, and the staff's conflicts page alike.

- `refusal(tube, person, sampled, red, in_area, confirm, limit, held)`: THE order of the
  station's rules, for the single scan (`scanning`) and the batch (`actions.sync`) alike —
  someone held by a positive test first ("go home at once", `Conflict.Kind.HELD`);
- `explain(kind, name=, barcode=, sampled=)` / `refused(...)`: the sentence (and the
  outcome of a scan refused on the spot), with "already sampled at…" built here only;
- `refusal_message(kind, name=, barcode=, where=)`: a scan refused by a rule
  (already sampled — who, when, where; tube full, sealed or never opened; out of the
  round's area; red/yellow code; nobody with that code);
- `already_where(code, at, point, table)`: the " (tube T0001 at 07:32, 光明广场 table 2)"
  of an earlier registration;
- `detail_of(kind, sampled=, zone=)` / `where_of(kind, detail)`: what a kept conflict
  stores of "where" (`Conflict.detail`: the facts, as JSON) and the words made of it in the
  reader's language (a conflict kept during a Chinese sync reads in English on an English
  page);
- `malformed(p, item)`: the outcome of an event the server cannot read (kept on the phone,
  never stored: a batch's valid events are saved all the same).
"""

import datetime
import json

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Conflict, TubeState

K = Conflict.Kind
OPEN = TubeState.OPEN


def refusal(tube, person, sampled, red, in_area, confirm, limit=None, held=False):
    """The refusal for a scan (a `Conflict.Kind`), or None: register it. The rules, in
    order: someone held by a positive test is never sampled at a point (said first, whatever
    else is wrong: they must go home at once), the tube was opened, the person is known, not
    registered in this round yet, the tube has room and is open, a red or yellow code goes
    in a single tube, someone outside the round's area only when the sampler confirms.

    `tube`: None, or its (count, capacity, state); `person`: None when nobody has the code;
    `sampled`: registered in the round already; `red`: a red or yellow health code;
    `in_area`: in the round's area; `confirm`: the sampler confirmed out of area; `limit`:
    the most people per tube the person's zone allows (`zones.queries.pool_limit`), None
    outside any zone; `held`: the person is held (a positive pool or antigen test, awaiting
    or after the single swab, no result yet: `FollowUp` awaiting or re-sampled, any round)."""
    if held and person is not None:
        return K.HELD
    if tube is None:
        return K.TUBE_UNKNOWN
    if person is None:
        return K.UNKNOWN_PERSON
    if sampled:
        return K.ALREADY_SAMPLED
    count, capacity, state = tube
    if count >= capacity:
        return K.TUBE_FULL
    if state != OPEN:
        return K.TUBE_SEALED
    if red and capacity > 1:
        return K.SINGLE_TUBE
    if limit is not None and capacity > limit:
        return K.ZONE_TUBE
    if not in_area and not confirm:
        return K.OUT_OF_SCOPE
    return None


def explain(kind, *, name="", barcode="", sampled=None, zone=None, held=None) -> tuple[str, str]:
    """(the sentence, where): `where` is " (tube T0001 at 07:32, 光明广场 table 2)" for
    someone already sampled whose registration `sampled` = (tube, time[, point, table]) is
    known, or the zone's rule ("lives in a 封控区: single tube") for a person whose zone
    `zone` = (zone name, people per tube) forbids this tube, or why someone is held
    (`held`: "pool" or "antigen", `held_why`), else ""; the conflict keeps it
    (`Conflict.detail`) for the staff's page."""
    where = ""
    if sampled is not None and kind == K.ALREADY_SAMPLED:
        where = already_where(*sampled)
    elif zone is not None and kind == K.ZONE_TUBE:
        where = zone_rule(*zone)
    elif kind == K.HELD:
        where = held_why(held)
    return refusal_message(kind, name=name, barcode=barcode, where=where), where


def held_why(held) -> str:
    """Why a person is held: a positive pooled tube ("pool", the default) or a positive
    antigen test ("antigen"), awaiting the single re-test."""
    if held == "antigen":
        return _("antigen test positive, awaiting a PCR re-test")
    return _("pooled tube positive, awaiting a single re-test")


def zone_rule(zone, size, key=False) -> str:
    """What a person's zone (or, `key`, their key group `zone`) asks of the tube: a single
    tube, or at most `size` a tube."""
    if key:
        if size <= 1:
            return _("is in a key group (%(group)s): single tube, one person per tube") % {"group": zone}
        return _("is in a key group (%(group)s): at most %(size)d people per tube") % {
            "group": zone, "size": size}
    if size <= 1:
        return _("lives in a %(zone)s: single tube, one person per tube") % {"zone": zone}
    return _("lives in a %(zone)s: at most %(size)d people per tube") % {"zone": zone, "size": size}


def refused(kind, *, name="", barcode="", sampled=None, zone=None, held=None) -> dict:
    """The outcome of a scan refused on the spot (online: nothing is stored)."""
    out = {"status": "refused", "kind": str(kind), "name": name,
           "message": explain(kind, name=name, barcode=barcode, sampled=sampled, zone=zone,
                              held=held)[0]}
    if zone is not None and kind == K.ZONE_TUBE:
        out["pool_size"] = zone[1]  # the station may open a tube of this size for the person
    return out

REFUSALS = {
    K.HELD: lambda d: _("%(who)s: %(where)s. Do not sample here. Ask them to go home at once: a "
                        "health worker will come to the door for the single swab.") % d,
    K.ALREADY_SAMPLED: lambda d: _("%(who)s was already sampled in this round%(where)s.") % d,
    K.TUBE_FULL: lambda d: _("Tube %(barcode)s is full: %(who)s was not added.") % d,
    K.TUBE_SEALED: lambda d: _("Tube %(barcode)s is sealed: %(who)s was not added.") % d,
    K.TUBE_UNKNOWN: lambda d: _("Tube %(barcode)s has not been opened: %(who)s was not added.") % d,
    K.BARCODE_USED: lambda d: _("Tube %(barcode)s is already used in this round.") % d,
    K.OUT_OF_SCOPE: lambda d: _("%(name)s is not in this round's area: confirm to "
                                "sample anyway.") % d,
    K.SINGLE_TUBE: lambda d: _("%(name)s has a red or yellow code: use a single tube.") % d,
    K.ZONE_TUBE: lambda d: _("%(who)s %(where)s: not added to the pooled tube %(barcode)s. "
                             "Open a separate tube for this person.") % d,
    K.UNKNOWN_PERSON: lambda d: _("Nobody has this code or ID number: not added to tube "
                                  "%(barcode)s. Check it, or register the person.") % d,
}


def refusal_message(kind, *, name="", barcode="", where="") -> str:
    who = name or _("this person")
    if kind == K.ZONE_TUBE and not where:
        where = _("lives in a zone that needs a single or smaller tube")
    if kind == K.HELD and not where:
        where = held_why("pool")
    return str(REFUSALS[kind]({"name": who, "who": who, "barcode": barcode, "where": where}))


def already_where(code, at, point="", table=None) -> str:
    """Where and when someone was sampled before: tube, time, and the point and table."""
    place = point or ""
    if point and table:
        place = _("%(point)s table %(table)s") % {"point": point, "table": table}
    if place:
        return _(" (tube %(code)s at %(time)s, %(place)s)") % {
            "code": code, "time": timezone.localtime(at).strftime("%H:%M"), "place": place}
    return _(" (tube %(code)s at %(time)s)") % {
        "code": code, "time": timezone.localtime(at).strftime("%H:%M")}


def detail_of(kind, *, sampled=None, zone=None, held=None) -> str:
    """The facts of a conflict's "where", kept on the conflict (`Conflict.detail`, 200
    characters): the earlier registration (tube, time, point, table) of someone already
    sampled, the zone (name, people per tube[, key group]) that forbids the tube, or why
    someone is held ("pool" or "antigen")."""
    if kind == K.HELD:
        facts = {"h": "antigen" if held == "antigen" else "pool"}
    elif sampled is not None and kind == K.ALREADY_SAMPLED:
        code, at, *rest = sampled
        point = (rest[0] or "")[:60] if rest else ""
        table = rest[1] if len(rest) > 1 else None
        facts = {"s": [str(code)[:40], at.isoformat(), point, table]}
    elif zone is not None and kind == K.ZONE_TUBE:
        facts = {"z": [str(zone[0])[:60], *zone[1:]]}
    else:
        return ""
    return json.dumps(facts, ensure_ascii=False, separators=(",", ":"))


def where_of(kind, detail: str) -> str:
    """The words for a conflict's stored "where", in the language of whoever reads it. A
    detail stored as words by an older version is shown as it was kept."""
    if not detail or not detail.startswith("{"):
        return detail or ""
    try:
        facts = json.loads(detail)
        if "s" in facts and kind == K.ALREADY_SAMPLED:
            code, at, point, table = facts["s"]
            return already_where(code, datetime.datetime.fromisoformat(at), point, table)
        if "z" in facts and kind == K.ZONE_TUBE:
            return zone_rule(*facts["z"])
        if "h" in facts and kind == K.HELD:
            return held_why(facts["h"])
    except (ValueError, TypeError, KeyError):
        pass
    return ""


def malformed(p, item) -> dict:
    """The outcome of event `p` (parsed from `item`) that could not be read: status
    "invalid", the field at fault and why, its place in the batch (`index`) and its client
    id as sent, so the phone lists it with the person and tube it was about."""
    field, message = p["error"]
    cid = item.get("client_id") if isinstance(item, dict) else None
    return {"status": "invalid", "kind": "malformed", "field": field, "message": message,
            "index": p["index"], "client_id": cid[:64] if isinstance(cid, str) else ""}
