"""Messages kept as a code and its parameters, to be said again in the reader's language.

A message that is stored and read later — an import's row errors, read days after by
someone who speaks the other language — must not be kept only as finished text in the
language of the request that made it. Here:

- `define(code, msgid)`: names an English msgid (marked `gettext_noop` where it is written,
  so the catalogue has it) once, when its module is imported; a message with a count is
  `ngettext_lazy(singular, plural, "n")` ("1 row", "2 rows": its form chosen by the
  parameter "n" when it is said);
- `said(code, **params)`: that message in the active language, a `str` (it goes wherever
  text goes: `ValidationError`, `Invalid` fields, templates) that remembers its `code` and
  `params`; a parameter may itself be a message (said in the same language), a list of
  them (joined by "; ") or a list of words (joined as the language writes a list:
  `core.text.join_words`);
- `kept(message)`: what to store of it, {"code", "params"} as JSON ({} for plain text);
- `say(code, params, fallback)`: the message again, in the language active now — the
  stored `fallback` text when the code is unknown or its parameters no longer fit (rows
  kept by an older version);
- `messages(error)`: a `ValidationError`'s messages, keeping the said ones (Django's
  `.messages` turns every message into plain `str`).
"""

import datetime

from django.utils.translation import gettext

from fangkong.core.text import join_words

CATALOGUE: dict[str, str] = {}


def define(code: str, msgid) -> str:
    """Register `msgid` under `code` (once; the same code twice must mean the same text).
    `msgid` is the English text, or `ngettext_lazy(singular, plural, "<count parameter>")`."""
    if CATALOGUE.setdefault(code, msgid) is not msgid and CATALOGUE[code] != msgid:
        raise ValueError(f"message code {code!r} is defined twice")
    return code


class Said(str):
    """Text in the language it was made in that remembers how it was made."""

    code: str = ""
    params: dict | None = None


def said(code: str, **params) -> Said:
    out = Said(_render(code, params))
    out.code, out.params = code, params
    return out


def _render(code: str, params: dict) -> str:
    msgid = CATALOGUE[code]
    if not isinstance(msgid, str):  # ngettext_lazy(…, "n"): the form for params["n"], translated now
        return str(msgid % {k: _spoken(v) for k, v in params.items()})
    text = gettext(msgid)
    if params:
        text = text % {k: _spoken(v) for k, v in params.items()}
    return text


def _spoken(value):
    """A parameter as it goes into its message in the active language."""
    if isinstance(value, Said):
        return str(value)
    if isinstance(value, dict) and "code" in value:  # a message kept inside a message
        return say(value["code"], value.get("params"), value.get("text", ""))
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, (Said, dict)) for v in value):  # clauses
            return "; ".join(str(_spoken(v)) for v in value)
        return join_words(value)
    return value


def _frozen(value):
    """A parameter as JSON: messages as {"code", "params", "text"}, dates as ISO text."""
    if isinstance(value, Said):
        return {"code": value.code, "params": _frozen(value.params or {}), "text": str(value)}
    if isinstance(value, dict):
        return {str(k): _frozen(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_frozen(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if value is None or type(value) in (bool, int, float, str):
        return value
    return str(value)


def kept(message) -> dict:
    """What to store of `message` to say it again later: {"code", "params"}, or {} for text
    that is not a said message."""
    if isinstance(message, Said) and message.code:
        return {"code": message.code, "params": _frozen(message.params or {})}
    return {}


def say(code, params=None, fallback="") -> str:
    """The message `code` with `params` in the active language; `fallback` (the text kept
    with it) when the code is not known or the parameters do not fit its text."""
    if not code or code not in CATALOGUE:
        return fallback
    try:
        return _render(code, params or {})
    except (KeyError, TypeError, ValueError):
        return fallback


def messages(error) -> list[str]:
    """The messages of a Django `ValidationError`, each a `Said` where it was one."""
    if hasattr(error, "error_dict"):
        errors = [e for group in error.error_dict.values() for e in group]
    else:
        errors = error.error_list
    out = []
    for e in errors:
        m = e.message
        if e.params:
            m = m % e.params
        out.append(m if isinstance(m, Said) else str(m))
    return out
