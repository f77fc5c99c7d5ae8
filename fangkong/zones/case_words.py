"""A case in words, said in the reader's language when read: its source (the stock one, kept
in the site's language, said in the reader's) and the reason the escalation it drafted keeps
(`Adjustment.why_said`: a message code and its parameters — "12-07 16:00 确诊病例：夏明（区疾控中心
报告）。" for a Chinese reader, "Case confirmed …: 夏明 (…)." for an English one — on the draft's
page and the API's `why`). A reason kept before as text only (`Adjustment.why`) is shown as
it was kept."""

import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fangkong.core.said import define, say

CASE_CONFIRMED = define("zones.why.case", gettext_noop("Case confirmed %(when)s: %(name)s (%(source)s)."))


def default_source() -> str:
    """The source of a case reported by hand without one, stored in the site's language
    (settings.LANGUAGE_CODE), never the reporter's: the same case reported in another
    language is still the same source."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Reported by the health authority")


def source_words(source: str) -> str:
    """A case's source as said to a reader: the stock one in their language."""
    return _("Reported by the health authority") if source == default_source() else source


def case_why(case, name: str) -> dict:
    """What an escalation keeps of the case that drafted it (`Adjustment.why_said`)."""
    return {"code": CASE_CONFIRMED, "params": {"at": case.confirmed_at.isoformat(), "name": name,
                                               "source": case.source}}


def why_text(adj) -> str:
    """Why `adj` was drafted, in the language active now: its kept code said again (the time and
    the stock source in the reader's words), else the text kept (`why`)."""
    kept = adj.why_said or {}
    params = dict(kept.get("params") or {})
    if kept.get("code") == CASE_CONFIRMED:
        try:
            at = datetime.datetime.fromisoformat(params.pop("at"))
        except (KeyError, TypeError, ValueError):
            return adj.why
        params["when"] = date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")
        params["source"] = source_words(params.get("source", ""))
    return say(kept.get("code"), params, adj.why)
