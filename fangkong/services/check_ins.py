"""The morning check-ins' one figure and deadline (reads only).

- `deadline(day)`: the time of `day` by which each call is to be made,
  settings.FANGKONG_CHECK_IN_BY ("10:00", the site's time zone). Calls still open then are
  sent as one list per grid to its grid workers and the staff (`actions.care_late`); the
  check-in page shows the time and marks the open rows late after it.
- The figure, defined once here (晨间探视 应问 M，已问 N，未问 K，无人应答 J): of a day's
  check-ins (`CheckIn`, one per person watched over), **due** all of them, **done** those
  recorded (any result but open; as of a time: recorded by then), **open** due − done,
  **no answer** those recorded "no answer". `tally` counts a queryset of check-ins in one
  query; `AGGS` are the same counts for the dashboards' provider (`figures.compute`), so the
  services page, the place panel, the API (`/services/check-ins/figure`) and the reports
  say one figure.
"""

import datetime

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CheckIn

KEYS = ("check_ins_due", "check_ins_done", "check_ins_open", "check_ins_no_answer")


def by_time() -> datetime.time:
    """settings.FANGKONG_CHECK_IN_BY as a time (10:00 when unreadable)."""
    try:
        h, m = str(settings.FANGKONG_CHECK_IN_BY).strip().split(":")
        return datetime.time(int(h), int(m))
    except (TypeError, ValueError):
        return datetime.time(10, 0)


def deadline(day=None) -> datetime.datetime:
    """The aware moment on `day` (default today, site time) by which its calls are due."""
    day = day or timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(day, by_time()))


def past_deadline(now=None) -> bool:
    now = now or timezone.now()
    return now >= deadline(timezone.localdate(now))


def aggs(at=None) -> dict:
    """The counts of the figure over check-in rows (as of `at`: recorded by then)."""
    done = ~Q(result=CheckIn.Result.OPEN)
    no_answer = Q(result=CheckIn.Result.NO_ANSWER)
    if at is not None:
        done &= Q(done_at__lte=at)
        no_answer &= Q(done_at__lte=at)
    return {"check_ins_due": Count("id"), "check_ins_done": Count("id", filter=done),
            "check_ins_no_answer": Count("id", filter=no_answer)}


def finish(row: dict) -> dict:
    """Open is due − done (never counted apart, so the four always add up)."""
    row["check_ins_open"] = (row.get("check_ins_due") or 0) - (row.get("check_ins_done") or 0)
    return row


def tally(qs, at=None) -> dict:
    """{due, done, open, no_answer} of a queryset of check-ins (one query), with `by` the
    deadline of its day and `words` the figure as said on every page."""
    row = finish({k: v or 0 for k, v in qs.order_by().aggregate(**aggs(at)).items()})
    out = {"due": row["check_ins_due"], "done": row["check_ins_done"], "open": row["check_ins_open"],
           "no_answer": row["check_ins_no_answer"]}
    out["words"] = words(out)
    return out


def words(t: dict) -> str:
    """晨间探视 应问 M，已问 N，未问 K，无人应答 J (the reader's language)."""
    return _("Morning check-ins: %(figure)s") % {"figure": counts_words(t)}


def counts_words(t: dict) -> str:
    """The figure without its label, 应问 M，已问 N，未问 K，无人应答 J: under a heading that
    says 晨间探视 already (the services page's section)."""
    return _("due %(due)d, called %(done)d, not called %(open)d, no answer %(no_answer)d") % t


def page_context(qs, now=None) -> dict:
    """What the services page says of a day's check-ins (`qs`, today's the user sees): the
    figure, the deadline and whether it has passed (the open rows then marked overdue)."""
    now = now or timezone.now()
    by = deadline(timezone.localdate(now))
    figure = tally(qs)
    figure["counts"] = counts_words(figure)  # under the section's heading 晨间探视: not said twice
    return {"check_in_figure": figure, "check_in_by": by, "check_in_late": now >= by}
