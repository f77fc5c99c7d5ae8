"""Short dates and times on pages (no year): one format per language, in
`fangkong/formats/<lang>/formats.py` (`DAY_FORMAT`, `DAY_TIME_FORMAT`). English says the
month in letters ("7 Dec 13:09": "12-07" reads as 12 July to many); Chinese keeps the
month-day its pages have always written ("12-07 13:09"). Templates: `|date:"DAY_TIME_FORMAT"`.
Not for files and API values (machine columns keep ISO dates)."""

import datetime
import re

from django.utils import formats, timezone

_FALLBACK = {"DAY_FORMAT": "Y-m-d", "DAY_TIME_FORMAT": "Y-m-d H:i"}


def _fmt(name: str) -> str:
    fmt = formats.get_format(name)
    return _FALLBACK[name] if fmt == name else fmt  # a language without the format: the full date


def short_day(d: datetime.date | datetime.datetime) -> str:
    """A day without its year, in the reader's language ("7 Dec", "12-07")."""
    if isinstance(d, datetime.datetime) and timezone.is_aware(d):
        d = timezone.localtime(d)
    return formats.date_format(d, _fmt("DAY_FORMAT"))


def short_time(at: datetime.datetime) -> str:
    """A date-time without its year, in the site's zone and the reader's language
    ("7 Dec 13:09", "12-07 13:09")."""
    if timezone.is_aware(at):
        at = timezone.localtime(at)
    return formats.date_format(at, _fmt("DAY_TIME_FORMAT"))



def short_end(start: datetime.datetime, end: datetime.datetime) -> str:
    """The end of a window that starts at `start`: its time alone on the same day ("15:00"),
    else with its day ("8 Dec 02:00", "12-08 02:00")."""
    s, e = timezone.localtime(start), timezone.localtime(end)
    return f"{e:%H:%M}" if s.date() == e.date() else short_time(e)


def short_span(start: datetime.datetime, end: datetime.datetime) -> str:
    """A window from `start` to `end` in the reader's language: "7 Dec 13:09–15:00"
    ("12-07 13:09–15:00"), with the end's day when it is another ("12-06 22:00–12-07 02:00"):
    a night shift never reads as ending before it began. Messages, pages (`|until`) alike."""
    return f"{short_time(start)}–{short_end(start, end)}"


def names_day(text: str, d: datetime.date | datetime.datetime) -> bool:
    """Whether `text` (a name staff typed, like "12月7日 抗原自测" or "Antigen 7 Dec") already
    says the day `d`: a page then does not write the day again beside it ("抗原自测 12-07 12-07")."""
    if isinstance(d, datetime.datetime):
        d = timezone.localtime(d).date() if timezone.is_aware(d) else d.date()
    m, n = d.month, d.day
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    forms = (rf"{m}月{n}日", rf"{m}月{n}号", rf"0?{m}[-/.]0?{n}", rf"{n} {months[m - 1]}", rf"{months[m - 1]}\w* 0?{n}")
    return any(re.search(rf"(?<!\d){f}(?!\d)", text or "", re.IGNORECASE) for f in forms)
