"""Input checks of the services app: each raises Invalid with the field's message."""

from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from fangkong.core import clean
from fangkong.core.clean import in_utc
from fangkong.core.errors import Invalid


def text(value, field, *, max_length, required=True) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise Invalid(fields={field: [_("This field is required.")]})
    if len(value) > max_length:
        raise Invalid(fields={field: [_("At most %(n)d characters.") % {"n": max_length}]})
    return value


def money(value, field="price") -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid(fields={field: [_("Enter an amount such as 25.50.")]}) from None
    if d.is_finite() and d < 0:
        raise Invalid(fields={field: [_("The amount cannot be negative.")]})
    if not d.is_finite() or d < 0 or d > Decimal("9999999") or d != d.quantize(Decimal("0.01")):
        raise Invalid(fields={field: [_("Enter an amount such as 25.50.")]})
    return d


def quantity(value, field="quantity", *, low=1, high=999) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        raise Invalid(fields={field: [_("Enter a whole number.")]}) from None
    if n < low or n > high:
        raise Invalid(fields={field: [_("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}]})
    return n


def when(value, field):
    if value in (None, ""):
        return None
    if hasattr(value, "tzinfo"):
        dt = value
    else:
        try:  # "25:99" is well formed but no time: parse_datetime raises
            dt = parse_datetime(str(value).strip()) if isinstance(value, str) else None
        except ValueError:
            dt = None
    if dt is None:
        raise Invalid(fields={field: [_("Enter a date and time.")]})
    return in_utc(dt)


client_id = clean.client_id  # one rule for every app (core.clean)


def choice(value, field, choices) -> str:
    if value not in dict(choices):
        raise Invalid(fields={field: [_("Choose one of the options.")]})
    return value


ROOM = r"(?:(?:unit\s*)?(\d{1,3})\s*(?:单元|-|/|,|\s)\s*)?([0-9A-Za-z]{1,20})"


def room(value, field="room") -> tuple[str | None, str]:
    """A neighbour's door typed by a resident: "302", "2单元302", "2-302", "2 302", and on an
    English page "Unit 2 302" → (unit number or None, door). Anything else is refused,
    saying how to write it in the reader's words (`room_example`)."""
    import re

    text = (value or "").strip().translate(str.maketrans("０１２３４５６７８９－／　，", "0123456789-/ ,")) \
        if isinstance(value, str) else ""
    m = re.fullmatch(ROOM, text, flags=re.IGNORECASE)
    if m is None:
        raise Invalid(fields={field: [_("Write the room number, like 302, or the unit and the room, like "
                                        "%(example)s.") % {"example": room_example("302")}]})
    return m.group(1), m.group(2)


def room_example(door: str) -> str:
    """How to write unit 2's `door` in the reader's language (found on the family walk: an
    English page asked for "2单元201"): "2-201 (unit 2, room 201)" in English, "2单元201 或
    2-201" in Chinese — both forms `room` reads."""
    return _("2-%(door)s (unit 2, room %(door)s)") % {"door": door}
