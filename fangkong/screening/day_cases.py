"""The day's positive cases: the one definition of the figure `cases` (the dashboard, the
nightly report, their API and .xlsx, `node_figures.compute`) and of its chart "每日阳性病例"
(`node_figures.cases_chart`).

A person is confirmed as a case either way:
- by screening: a single re-test positive (`FollowUp` CASE, at its `closed_at`);
- by the health authority, reported by hand (`zones.models.ZoneCase`, when it became known:
  the later of its `confirmed_at` and its `created_at`, so that a notice typed in with a past
  confirmation time counts in the window it was entered in, never in a day already reported:
  `/zones/p/<id>/cases/new/`, `POST /api/v1/zones/cases`). Screening's re-test positives are
  recorded there too (with a `source_ref`), at the same minute — unless the person's case is
  open there already (the health authority's notice came first): the re-test then confirms
  that case (`zones.actions.escalate.case_confirmed`: it takes the re-test's `source_ref`,
  keeps its time; no second case, alarm or proposal).

A person counts once: a confirmation is a new case only when the same person had no
confirmation in the `CASE_OPEN_DAYS` before it (the same person found both ways — the
re-test and the health authority's notice —, or reported twice, is one case, on the day of
the first). A day's figure counts the new cases confirmed in its window (`since`: from the
dashboard's midnight; `after`: strictly after a nightly report's previous cut-off), grouped
by the level column of the rows. Two queries (each source over the window and the open
days before it, under the nodes). The staff's home alert of new cases (`recent`,
`queries.recent_cases`) lists the same people, each with the record of their first
confirmation."""

import datetime

from django.db.models import Q
from django.db.models.functions import Greatest
from django.utils import timezone

from fangkong.zones.models import CASE_OPEN_DAYS, ZoneCase

from .models import FollowUp

OPEN = datetime.timedelta(days=CASE_OPEN_DAYS)


FOLLOWUP, CASE = "followup", "case"  # a confirmation's record: screening's, zones'


def confirmations(where: Q, start: datetime.datetime, at: datetime.datetime, col: str) -> list[tuple]:
    """(group, resident id, when, (FOLLOWUP or CASE, the row's id)) of every confirmation
    under `where` (a filter over level columns) from `start` − OPEN to `at`, both ways, oldest
    first (at the same time, screening's first); `group` is the row's `col`."""
    lo = start - OPEN
    rows = [(g, rid, when, (FOLLOWUP, pk)) for g, rid, when, pk in FollowUp.objects.filter(
        where, status=FollowUp.Status.CASE, closed_at__gte=lo, closed_at__lte=at)
        .values_list(col, "resident_id", "closed_at", "id").order_by()]
    # a notice counts when it became known: typed in on day D with a past confirmation time
    # (D−1 15:00, after D−1's report was locked) it is D's, not a day already reported
    known = ZoneCase.objects.annotate(known=Greatest("confirmed_at", "created_at"))
    rows += [(g, rid, when, (CASE, pk)) for g, rid, when, pk in known.filter(
        where, known__gte=lo, known__lte=at, confirmed_at__lte=at)
        .values_list(col, "resident_id", "known", "id").order_by()]
    return sorted(rows, key=lambda r: (r[2], r[1]))


def new_cases(rows) -> list[tuple]:
    """The rows (oldest first) that are new cases: the person's first confirmation, or one
    more than OPEN after the one before."""
    last, out = {}, []
    for row in rows:
        rid, when = row[1], row[2]
        before = last.get(rid)
        if before is None or when - before >= OPEN:
            out.append(row)
        last[rid] = when
    return out


def counted(where: Q, col: str, at, since=None, after=None) -> tuple[dict, int]:
    """({group: people newly confirmed in the window}, people in all): the window is from
    `since` (inclusive) or strictly after `after`, to `at`. A person is in one group."""
    start = after if after is not None else since
    by_group, people = {}, set()
    for group, rid, when, _ref in new_cases(confirmations(where, start, at, col)):
        if when < start or (after is not None and when <= after):
            continue
        by_group.setdefault(group, set()).add(rid)
        people.add(rid)
    return {g: len(ids) for g, ids in by_group.items()}, len(people)


def by_day(where: Q, first: datetime.datetime, at) -> dict[datetime.date, int]:
    """{local date: people newly confirmed that day} from `first` to `at` (the chart)."""
    out: dict[datetime.date, set] = {}
    for _g, rid, when, _ref in new_cases(confirmations(where, first, at, "resident_id")):
        if when >= first:
            out.setdefault(timezone.localtime(when).date(), set()).add(rid)
    return {d: len(ids) for d, ids in out.items()}


def recent(where: Q, since: datetime.datetime, at) -> list[tuple]:
    """[(resident id, when, FOLLOWUP or CASE, the row's id)]: the people under `where` newly
    confirmed from `since` to `at` — whom the figure counts over that window (`counted`),
    each once, with the record of their first confirmation (the re-test's follow-up, or the
    case reported by hand) —, newest first (the staff's home alert, `queries.recent_cases`)."""
    rows = [(rid, when, *ref) for _g, rid, when, ref in new_cases(confirmations(where, since, at, "resident_id"))
            if when >= since]
    return sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)
