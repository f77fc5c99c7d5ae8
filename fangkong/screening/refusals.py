"""What the station says when it does not register a scan: one sentence that names the
person and the tube, in the user's language, for the single scan (409), the offline
batch's conflicts and malformed events, and the staff's conflicts page alike.

- `refusal_message(kind, name=, barcode=, where=)`: a scan refused by a rule
  (already sampled — who, when, where; tube full, sealed or never opened; out of the
  round's area; red/yellow code; nobody with that code);
- `already_where(code, at, point, table)`: the " (tube T0001 at 07:32, 光明广场 table 2)"
  of an earlier registration;
- `malformed(p, item)`: the outcome of an event the server cannot read (kept on the phone,
  never stored: a batch's valid events are saved all the same).
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Conflict

K = Conflict.Kind

REFUSALS = {
    K.ALREADY_SAMPLED: lambda d: _("%(who)s was already sampled in this round%(where)s.") % d,
    K.TUBE_FULL: lambda d: _("Tube %(barcode)s is full: %(who)s was not added.") % d,
    K.TUBE_SEALED: lambda d: _("Tube %(barcode)s is sealed: %(who)s was not added.") % d,
    K.TUBE_UNKNOWN: lambda d: _("Tube %(barcode)s has not been opened: %(who)s was not added.") % d,
    K.BARCODE_USED: lambda d: _("Tube %(barcode)s is already used in this round.") % d,
    K.OUT_OF_SCOPE: lambda d: _("%(name)s is not in this round's area: confirm to "
                                "sample anyway.") % d,
    K.SINGLE_TUBE: lambda d: _("%(name)s has a red or yellow code: use a single tube.") % d,
    K.UNKNOWN_PERSON: lambda d: _("Nobody has this code or ID number: not added to tube "
                                  "%(barcode)s. Check it, or register the person.") % d,
}


def refusal_message(kind, *, name="", barcode="", where="") -> str:
    who = name or _("this person")
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


def malformed(p, item) -> dict:
    """The outcome of event `p` (parsed from `item`) that could not be read: status
    "invalid", the field at fault and why, its place in the batch (`index`) and its client
    id as sent, so the phone lists it with the person and tube it was about."""
    field, message = p["error"]
    cid = item.get("client_id") if isinstance(item, dict) else None
    return {"status": "invalid", "kind": "malformed", "field": field, "message": message,
            "index": p["index"], "client_id": cid[:64] if isinstance(cid, str) else ""}
