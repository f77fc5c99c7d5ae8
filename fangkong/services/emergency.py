"""A repair (维修) request whose words say an emergency — a burst pipe, water running, no
power, gas, fire — is urgent when raised (`requests._raise`): first in the queue
(priority 1), due within `MINUTES`, the staff told as for an urgent category; the request
page says why ("紧急：…", `why`). The grid worker can still change it (`requests.triage`).
The one list of such words is `WORDS`, Chinese and English, matched in the text as typed
(English as whole words, without regard to case); a word here is enough, so keep each one
plain but whole: 着火 and 起火, never 火 alone (火腿, 上火); "gas", never inside "gasket"."""

import re

from django.utils.translation import ngettext

CATEGORY = "repair"
MINUTES = 60
WORDS = (
    "漏水", "爆管", "水管破", "跑水", "淹水", "停电", "漏电", "燃气", "煤气", "冒烟", "着火", "起火", "失火",
    "火灾", "leak", "leaking", "burst", "flood", "flooding", "power cut", "no power", "gas",
    "smoke", "fire",
)
_ENGLISH = re.compile(r"\b(" + "|".join(re.escape(w) for w in WORDS if w.isascii()) + r")\b")


def word(category, text: str) -> str:
    """The first emergency word in a request's text, or "" (not a repair, or none)."""
    if getattr(category, "code", None) != CATEGORY:
        return ""
    text = text or ""
    found = next((w for w in WORDS if not w.isascii() and w in text), "")
    if found:
        return found
    match = _ENGLISH.search(text.lower())
    return match.group(1) if match else ""


def why(req) -> str:
    """Why an open repair request is urgent, in the reader's language ("" when it is not, or
    was made urgent by hand or set back by the grid worker)."""
    found = word(req.category, req.text) if req.priority == 1 else ""
    if not found:
        return ""
    return ngettext("Urgent: the repair request mentions “%(word)s”, an emergency; it is due within %(n)d minute.",
                    "Urgent: the repair request mentions “%(word)s”, an emergency; it is due within %(n)d minutes.",
                    MINUTES) % {"word": found, "n": MINUTES}
