"""The station's events as the server reads them: {client_id, type: open|scan|seal,
barcode, person, confirm, capacity, point, table, at}. An event that cannot be read keeps
its reason (`error`: field, message) and costs the batch nothing else."""

from django.utils.translation import gettext as _

from fangkong.core.errors import Invalid

from .. import checks

EVENT_TYPES = frozenset(("open", "scan", "seal"))
_PLAIN_BARCODE = checks.BARCODE  # ASCII letters, digits, dashes, 4–40: nothing to fold


def parse_batch(items, now, earliest=None) -> tuple[list[dict], list[dict]]:
    """(the readable events in the order they happened at the station, the malformed ones)."""
    parsed = [parse_event(i, it, now, earliest) for i, it in enumerate(items)]
    bad = [p for p in parsed if p.get("error")]
    if bad:
        parsed = [p for p in parsed if not p.get("error")]
    parsed.sort(key=lambda p: (p["at"], p["index"]))
    return parsed, bad


def parse_event(index, item, now, earliest=None) -> dict:
    p = {"index": index}
    if not isinstance(item, dict):
        p["error"] = ("event", str(_("Send a JSON object.")))
        return p
    get = item.get
    try:
        p["client_id"] = checks.client_key(get("client_id"))
        p["type"] = t = get("type") or "scan"
        if t not in EVENT_TYPES:
            raise Invalid(fields={"type": [_("Type must be open, scan or seal.")]})
        bc = get("barcode")
        if type(bc) is str and _PLAIN_BARCODE.fullmatch(bc):  # the usual: nothing to fold or trim
            p["barcode"] = bc.upper()
        else:
            p["barcode"] = checks.check_barcode(bc)
        if t == "open" and checks.is_id_number(p["barcode"]):
            checks.check_tube_barcode(p["barcode"])  # an ID number opens no tube (raises)
        errors = {}
        at = get("at")
        if at is None or at == "":  # the station's clock time is optional
            at = now
        else:
            at = checks.check_datetime(at, "at", errors, required=False) or now
            if errors:
                raise Invalid(fields=errors)
        # A station clock far ahead is not trusted beyond the server's now; one far behind
        # (before the round could have begun, `earliest`: a phone's clock at 1990 showed
        # "already sampled at 08:00" and a bar at 08:00 in the hourly chart) neither.
        p["at"] = at if at < now else now
        if earliest is not None and p["at"] < earliest:
            p["at"] = now
        p["confirm"] = bool(get("confirm"))
        p["capacity"] = p["point"] = p["table"] = None
        if t == "open" and get("capacity") not in (None, ""):
            p["capacity"] = checks.check_pool_size(item["capacity"], "capacity", errors)
        if "point" in item or "table" in item:
            p["point"] = checks.check_point_id(get("point"), errors)
            p["table"] = checks.check_table(get("table"), errors)
        if errors:
            raise Invalid(fields=errors)
        if t == "scan":
            try:
                p["person_kind"], p["person_key"] = checks.parse_person(get("person"))
            except Invalid:
                code = checks.tube_code(get("person"))
                if code is None:
                    raise
                # a tube's barcode scanned where a person was expected: a second tube
                raise Invalid(fields={"person": [
                    _("%(code)s is a tube, not a person: tube %(barcode)s is still open. Seal it "
                      "before opening the next one.") % {"code": code, "barcode": p["barcode"]}]}) \
                    from None
    except Invalid as e:
        field, msgs = next(iter(e.fields.items())) if e.fields else ("event", [e.message])
        p["error"] = (field, str(msgs[0]))
    return p
