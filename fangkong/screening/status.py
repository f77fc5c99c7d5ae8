"""A household's testing now, person by person, in plain words with the next step: the
household's own page (the family's login) and the staff's household page show it at the top
(`panels.household_panel`). Reads only.

- The rounds "now" (`current_rounds`): those covering the household that are running or
  began in the last `RECENT`, and those in which one of its people was held by a positive
  pool or antigen test in the last `CONTACT_DAYS`.
- Each person's status in each of them is `figures.person_status` (the one definition); the
  most pressing one is shown (`PRESSING`), with the follow-up's detail (re-sampled, waiting
  for the lab), and beside it every other round open now that still asks something of the
  person (`ASKS`: today's PCR swab, at the door for the bedridden, beside an antigen report).
- A close contact (`close_contacts`): someone who shares a household with a confirmed case
  (a single re-test positive, or a case recorded in zones) of the last `CONTACT_DAYS`, not
  the case. Not released whatever their own result: the follow-up page, its API and the
  household's page say so.
"""

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.tree import ancestor_ids
from fangkong.core.when import short_time

from .models import CONTACT_DAYS, FollowUp, HomeVisit, Round, RoundKind, RoundStatus

RECENT = datetime.timedelta(hours=36)
# A case's housemates are close contacts for CONTACT_DAYS (`models`: `figures` reads it too).

# Most pressing first: the one a person's line says (ties: the newest round).
PRESSING = ("positive", "held", "held_antigen", "resample", "not_sampled", "pending",
            "negative", "exempt")


# --- close contacts -----------------------------------------------------------------------

def cases_by_household(household_ids, since=None) -> dict[int, set[int]]:
    """{household id: its people confirmed as cases since `since` (default: CONTACT_DAYS
    ago)} — a single re-test positive, or a case recorded in zones (the health authority's).
    Not scoped: callers show it only beside people the user already sees. Two queries."""
    from fangkong.zones.models import ZoneCase

    ids = list({h for h in household_ids if h})
    if not ids:
        return {}
    since = since or timezone.now() - datetime.timedelta(days=CONTACT_DAYS)
    out: dict[int, set[int]] = {}
    for hid, rid in FollowUp.objects.filter(household_id__in=ids, status=FollowUp.Status.CASE,
                                            closed_at__gte=since).values_list("household_id", "resident_id"):
        out.setdefault(hid, set()).add(rid)
    for hid, rid in ZoneCase.objects.filter(household_id__in=ids, confirmed_at__gte=since) \
            .values_list("household_id", "resident_id"):
        out.setdefault(hid, set()).add(rid)
    return out


def close_contacts(people, cases=None) -> set[int]:
    """The ids of `people` (residents, or rows with `resident_id` and `household_id`) who
    share a household with a recent case and are not one themselves."""
    pairs = [(getattr(p, "resident_id", None) or p.id, p.household_id) for p in people]
    cases = cases_by_household({h for _r, h in pairs}) if cases is None else cases
    return {rid for rid, hid in pairs if cases.get(hid) and rid not in cases[hid]}


def held_tubes(rnd: Round, limit=1000) -> list[str]:
    """Barcodes of the round's pooled tubes found positive (their people held): the station
    page's phone forgets whom it scanned into them, so one who comes back is answered by
    the server (go home at once), not by the phone's "already scanned here"."""
    from .models import Result, Tube

    return list(Tube.objects.filter(round=rnd, result=Result.POSITIVE, retest=False)
                .values_list("barcode", flat=True)[:limit])


def followup_state(f: FollowUp, contact: bool) -> tuple[str, str]:
    """(state, label) of a follow-up as the follow-up page and its API say it: the
    follow-up's status (awaiting | resampled | released | case), except "close_contact" for
    someone whose single re-test was negative (or whose hold the lab lifted) but who lives
    with a case — not released, whatever a reader of `status` alone would think."""
    if f.status == FollowUp.Status.RELEASED and contact:
        return "close_contact", str(_("Single re-test negative, not released")
                                    if f.corrected_at is None else _("Hold lifted, but a close contact: not released"))
    if f.status == FollowUp.Status.AWAITING and not f.tube_id:
        return f.status, str(_("Antigen positive, awaiting a single PCR re-test"))
    return f.status, f.status_text()


def overdue_text(f: FollowUp, hours: int) -> str:
    """An overdue hold (`figures.overdue_q`) in words: how long the person has been held and
    what is missing — the single swab, or its result. The follow-up page, the staff's home
    and the staff's message (`followup.tell_overdue`) say it so."""
    if f.status == FollowUp.Status.RESAMPLED:
        return ngettext("Overdue: held %(n)d hour, the single re-test has no result yet",
                        "Overdue: held %(n)d hours, the single re-test has no result yet", hours) % {"n": hours}
    return ngettext("Overdue: held %(n)d hour, the single re-test not sampled yet",
                    "Overdue: held %(n)d hours, the single re-test not sampled yet", hours) % {"n": hours}


def overrun_text(rnd: Round) -> str:
    """A round still running past its planned end (`Round.overrun`), as staff read it: the
    round page's line, the place panel's and the worker's message ("已过计划结束时间 14:00，
    请结束本轮"). The date is said when the end was not today."""
    end = timezone.localtime(rnd.ends_at)
    when = f"{end:%H:%M}" if end.date() == timezone.localdate() else short_time(end)
    return _("Past its planned end time %(end)s: please end this round.") % {"end": when}


def window_text(rnd: Round, now=None, dated=False) -> str:
    """A round's planned window as people read it, in the active language: "明天 07:00–14:00"
    ("今天…", or its date further off). `dated` adds the date after today / tomorrow
    ("明天（12月7日）07:00–14:00"), for a message read on another day than it was sent."""
    from django.utils.formats import date_format

    start, end = timezone.localtime(rnd.starts_at), timezone.localtime(rnd.ends_at)
    today = timezone.localdate(now)
    date = date_format(start.date(), "MONTH_DAY_FORMAT")
    until = f"{end:%H:%M}" if end.date() == start.date() else \
        f"{date_format(end.date(), 'MONTH_DAY_FORMAT')} {end:%H:%M}"
    times = {"start": f"{start:%H:%M}", "end": until}
    if start.date() not in (today, today + datetime.timedelta(days=1)):
        return _("%(day)s %(start)s–%(end)s") % {"day": date, **times}
    day = _("today") if start.date() == today else _("tomorrow")
    if dated:  # one sentence, so the translation sets the spacing around the brackets
        return _("%(day)s (%(date)s) %(start)s–%(end)s") % {"day": day, "date": date, **times}
    return _("%(day)s %(start)s–%(end)s") % {"day": day, **times}


def escalations(scope, resident_ids) -> dict:
    """{resident id: the zone escalation drafted after their recent case} for those the user
    may open (zones' view on it; cancelled ones left out, the newest kept). One query."""
    from fangkong.accounts.roles import Perm
    from fangkong.zones.models import Adjustment

    ids = list({r for r in resident_ids if r})
    if not ids:
        return {}
    since = timezone.now() - datetime.timedelta(days=CONTACT_DAYS)
    out = {}
    for adj in (Adjustment.objects.filter(case__resident_id__in=ids, case__confirmed_at__gte=since)
                .exclude(state=Adjustment.State.CANCELLED)
                .filter(scope.q(Perm.ZONES_VIEW, household_field="case__household_id"))
                .select_related("case").order_by("-created_at", "-id")):
        out.setdefault(adj.case.resident_id, adj)
    return out


# --- households to be served without contact -----------------------------------------------

def positive_households(household_ids) -> dict[int, str]:
    """{household id: "case" | "antigen" | "held"} for the households with someone confirmed
    as a case in the last CONTACT_DAYS, or held now by a positive antigen test or pooled tube
    (awaiting the re-test): whoever answers their requests or carries to their door hands
    over without contact (`no_contact_text`). The request page, the queue and a run's doors
    read it. Not scoped, names nobody: callers show it beside households the user already
    sees. Two queries."""
    from fangkong.zones.models import ZoneCase

    ids = list({h for h in household_ids if h})
    if not ids:
        return {}
    since = timezone.now() - datetime.timedelta(days=CONTACT_DAYS)
    out: dict[int, str] = {}
    rank = {"case": 0, "antigen": 1, "held": 2}
    open_ = (FollowUp.Status.AWAITING, FollowUp.Status.RESAMPLED)
    for hid, st, tube in FollowUp.objects.filter(household_id__in=ids).filter(
            Q(status__in=open_) | Q(status=FollowUp.Status.CASE, closed_at__gte=since)) \
            .values_list("household_id", "status", "tube_id"):
        code = "case" if st == FollowUp.Status.CASE else "held" if tube else "antigen"
        if rank[code] < rank.get(out.get(hid), 9):
            out[hid] = code
    for hid in ZoneCase.objects.filter(household_id__in=ids, confirmed_at__gte=since) \
            .values_list("household_id", flat=True):
        out[hid] = "case"
    return out


def no_contact_text(code) -> str:
    """What `positive_households` means for whoever goes to the door, in the reader's language."""
    if code == "case":
        return _("A confirmed case in this household: hand over without contact. Leave it at the "
                 "door, step back and call them to take it in.")
    if code == "antigen":
        return _("Antigen positive in this household, awaiting a PCR re-test: hand over without "
                 "contact. Leave it at the door, step back and call them to take it in.")
    if code == "held":
        return _("Pooled test positive in this household, awaiting a single re-test: hand over "
                 "without contact. Leave it at the door, step back and call them to take it in.")
    return ""


def reported_cases(resident_ids, since=None) -> set[int]:
    """Those of `resident_ids` confirmed as a case since `since` (default: CONTACT_DAYS ago)
    only by the health authority — a case reported by hand in zones (`ZoneCase`), with no
    single re-test positive of their own: their mark says "confirmed case (health
    authority)", never a re-test nobody took (`held_words`, `_words`). Two queries (none
    for no ids)."""
    from fangkong.zones.models import ZoneCase

    ids = list(set(resident_ids))
    if not ids:
        return set()
    since = since or timezone.now() - datetime.timedelta(days=CONTACT_DAYS)
    reported = set(ZoneCase.objects.filter(resident_id__in=ids, confirmed_at__gte=since)
                   .values_list("resident_id", flat=True))
    if not reported:
        return set()
    return reported - set(FollowUp.objects.filter(resident_id__in=reported, status=FollowUp.Status.CASE,
                                                  closed_at__gte=since).values_list("resident_id", flat=True))


HELD_CODES = ("case", "held", "held_antigen", "close_contact")  # `held_codes`' values, worst first
# a follow-up that holds its person now: the re-test still to take or its result still to come
OPEN_HOLD = (FollowUp.Status.AWAITING, FollowUp.Status.RESAMPLED)


def held_kinds(resident_ids) -> dict[int, str]:
    """{resident id: "held" | "held_antigen"} for those of `resident_ids` held now by a
    positive test awaiting the re-test: an open follow-up (`OPEN_HOLD`) of a positive pooled
    tube ("held") or of a positive antigen test (no tube: "held_antigen"); of several, the
    newest says it. The one definition of the hold: `held_codes` (the missing list, the
    family's page, what a row may record) and the gate (`gate_hold.held`, one person) read
    it. One query, by the follow-ups' resident index."""
    ids = list({int(i) for i in resident_ids})
    if not ids:
        return {}
    out = {}
    for rid, tube_id in (FollowUp.objects.filter(resident_id__in=ids, status__in=OPEN_HOLD)
                         .order_by("created_at", "id").values_list("resident_id", "tube_id")):
        out[rid] = "held" if tube_id else "held_antigen"  # the newest last: kept
    return out


def held_codes(rows, cases=None) -> dict[int, str]:
    """{resident id: "case" | "held" | "held_antigen" | "close_contact"} for those of `rows`
    (residents) confirmed as a case in the last CONTACT_DAYS, held now by a positive pooled
    tube ("held") or antigen test ("held_antigen", awaiting the re-test), or living with a
    case: the family's page no longer asks them to the sampling point ("held" and
    "held_antigen": `held_kinds`, as the gate says them). The missing list's
    mark (`missing_marks`: page, .xlsx, API) and what its row may record for them
    (`access.HELD_OUTCOMES`, the actions' `held_code`) read this one definition. Three queries."""
    if not rows:
        return {}
    cases = cases_by_household([r.household_id for r in rows]) if cases is None else cases
    held = held_kinds(r.id for r in rows)
    contacts = close_contacts(rows, cases)
    out = {}
    for r in rows:
        if r.id in cases.get(r.household_id, ()):
            out[r.id] = "case"
        elif r.id in held:
            out[r.id] = held[r.id]
        elif r.id in contacts:
            out[r.id] = "close_contact"
    return out


def held_code(resident) -> str:
    """`held_codes` for one person ("" when none): what an action asks before recording a
    missing-list outcome for them (`access.require_outcome`)."""
    return held_codes([resident]).get(resident.id, "")


def held_words(code, reported=False) -> tuple[str, str]:
    """(the mark, the next step) of a `held_codes` code in the reader's language: the
    missing list's badge and line, its .xlsx's columns and its API's `held_label` and
    `held_step` say these words. `reported`: a case only the health authority reported
    (`reported_cases`), not a single re-test positive."""
    if code == "case":
        return (case_label(reported),
                _("A confirmed case: follow the case procedure (transfer, sealing, close contacts)."))
    if code in ("held", "held_antigen"):
        return (_("Pooled tube positive: waiting for a single re-test") if code == "held"
                else _("Antigen test positive: waiting for a PCR re-test"),
                _("Next: a single-tube swab at home (follow-up page). Do not call them to "
                  "the sampling point."))
    if code == "close_contact":
        return (_("Lives with a confirmed case: close contact"),
                _("Next: stays at home; a single-tube swab at the door. Do not call them to "
                  "the sampling point."))
    return "", ""


def case_label(reported=False) -> str:
    """A confirmed case's mark: a single re-test positive, or a case the health authority
    reported (`reported_cases`: no re-test was taken)."""
    return _("Confirmed case (health authority)") if reported else _("Confirmed positive (single re-test)")


MARK_CHUNK = 2000  # rows marked per batch of reads (the page shows 2,000; the .xlsx any number)


def missing_marks(rows) -> None:
    """The missing list's rows as the household's page reads them (`household_now`), the
    one definition of its mark for the page, its .xlsx and its API: each row's `.no_contact`
    (`positive_households`' words for the door) and `.held_code` (`held_codes`) with
    `.held_label`, `.held_step` (`held_words`: the next step, a single tube at the door, not
    the sampling point) and `.held`. What the row may record for them is
    `access.HELD_OUTCOMES`'. A case the health authority reported is marked as such
    (`reported_cases`), not as a re-test. Five to seven queries per `MARK_CHUNK` rows."""
    for i in range(0, len(rows), MARK_CHUNK):
        part = rows[i:i + MARK_CHUNK]
        hh = positive_households([r.household_id for r in part])
        codes = held_codes(part)
        reported = reported_cases([rid for rid, c in codes.items() if c == "case"])
        for r in part:
            r.no_contact = no_contact_text(hh.get(r.household_id))
            r.held_code = codes.get(r.id, "")
            r.held_label, r.held_step = held_words(r.held_code, reported=r.id in reported)
            r.held = bool(r.held_code)


def mark_columns() -> list[str]:
    """The missing list's .xlsx columns of `missing_marks` (`mark_cells`): the page's badge,
    its next step and its no-contact line, as the API's `held_label`, `held_step`, `no_contact`."""
    return [_("Positive or held"), _("Next step"), _("No contact")]


def mark_cells(r) -> list[str]:
    """A row's `mark_columns`, after `missing_marks`."""
    return [r.held_label, r.held_step, r.no_contact]


# --- the rounds now -----------------------------------------------------------------------

def current_rounds(household, people_ids, limit=5) -> list[Round]:
    """The rounds whose status a household's page shows now (module docstring), newest first."""
    now = timezone.now()
    begun = Q(starts_at__lte=now) | ~Q(status=RoundStatus.PLANNED)
    covering = Round.objects.filter(begun, areas__place_id__in=ancestor_ids(household))
    recent = list(covering.filter(Q(status=RoundStatus.RUNNING) | Q(starts_at__gte=now - RECENT))
                  .distinct().order_by("-starts_at")[:limit])
    since = now - datetime.timedelta(days=CONTACT_DAYS)
    held = FollowUp.objects.filter(resident_id__in=list(people_ids)).filter(
        Q(closed_at=None) | Q(closed_at__gte=since)).values("round_id")
    seen = {r.id for r in recent}
    more = list(Round.objects.filter(id__in=held).exclude(id__in=seen).order_by("-starts_at")[:limit])
    return sorted(recent + more, key=lambda r: r.starts_at, reverse=True)


def coming_lines(household, zone=None, limit=2) -> list[dict]:
    """The planned rounds covering the household that have not begun ("明天 07:00–14:00 第4轮核酸"),
    soonest first, with what the family does: be ready at the start, with its sampling code
    (核酸码, the one name of the FK1 code: never 健康码, the province's app) at the round's
    point nearest it (`points_near`), or at home when its zone samples at home. Two queries."""
    from .points_near import for_household

    now = timezone.now()
    rounds = list(Round.objects.filter(status=RoundStatus.PLANNED, starts_at__gt=now,
                                       areas__place_id__in=ancestor_ids(household))
                  .distinct().order_by("starts_at", "id")[:limit])
    home = bool(zone and zone.zone_type.home_sampling)
    points = for_household(rounds, household) if rounds and not home else {}
    out = []
    for r in rounds:
        start = f"{timezone.localtime(r.starts_at):%H:%M}"
        if home:
            step = _("Stay at home from %(start)s: a health worker will come to the door to take the swab.")
        elif points.get(r.id):
            step = _("Go to %(point)s with your sampling code from %(start)s.")
        else:
            step = _("Go to the sampling point with your sampling code from %(start)s.")
        out.append({"round": r, "window": window_text(r),
                    "step": step % {"start": start, "point": points.get(r.id, "")}})
    return out


# --- a person's line ----------------------------------------------------------------------

def _pressing(codes, asks=lambda r: r.running()):
    """(code, round) most pressing of [(code, round)]: "not sampled" only in a round that
    still asks it (`asks`, default `Round.running`: a PCR round still running past its
    planned end, within `RUNNING_GRACE`, asks it, the station still registers people; an
    ended round's, one long past its end, or an antigen round's past its deadline, is
    history, shown only when nothing else is)."""
    live = [(c, r) for c, r in codes if not (c == "not_sampled" and not asks(r))]
    pool = live or codes
    return min(pool, key=lambda cr: PRESSING.index(cr[0]) if cr[0] in PRESSING else len(PRESSING))


def household_now(household, people) -> dict:
    """The household's testing now: {"rounds", "lines": [line per person], "case": bool,
    "zone"}. A line: {"person", "code", "round", "contact", "followup", "home", "tone",
    "more": [the person's other open rounds that ask something, each a line without "more"]}
    where code is one of PRESSING, or "resampled" (the single swab is taken), or "contact"
    (a close contact, whatever else), or "none" (no round now); tone is the colour:
    case, held, todo, wait, ok, muted. The same number of queries whatever the household's
    size (about a dozen: `figures.person_status` is most of them)."""
    from fangkong.zones.queries import household_zone

    from .figures import person_status
    from .points_near import for_household

    ids = [p.id for p in people]
    rnds = current_rounds(household, ids)
    status = person_status(rnds, ids) if rnds and ids else {}
    points = for_household(rnds, household) if rnds else {}  # where each round sends them
    fus = {(f.round_id, f.resident_id): f for f in FollowUp.objects.filter(
        round_id__in=[r.id for r in rnds], resident_id__in=ids).select_related("tube", "retest_tube")}
    home = set(HomeVisit.objects.filter(round_id__in=[r.id for r in rnds], resident_id__in=ids,
                                        status=HomeVisit.Status.OPEN)
               .values_list("round_id", "resident_id")) if rnds and ids else set()
    cases = cases_by_household([household.id])
    reported = reported_cases(cases.get(household.id, ()))
    contacts = close_contacts(people, cases)
    zone = household_zone(household.id)
    home_zone = bool(zone and zone.zone_type.home_sampling)
    lines = []
    for p in people:
        codes = [(status.get((r.id, p.id), "not_sampled"), r) for r in rnds]
        code, rnd = _pressing(codes) if codes else ("none", None)
        at_door = _at_door(p)
        if p.id in cases.get(household.id, ()):
            code = "positive"  # a case recorded in zones, too
        fu = fus.get((rnd.id, p.id)) if rnd else None
        if code == "held" and fu is not None and fu.status == FollowUp.Status.RESAMPLED:
            code = "resampled"
        contact, base = p.id in contacts, code
        if contact and code not in ("positive", "held", "held_antigen", "resampled"):
            code = "contact"  # not released, not sent to the sampling point
        lines.append(_line(p, code, rnd, home_zone or at_door or (rnd is not None and (rnd.id, p.id) in home),
                           contact=contact, base=base, followup=fu, reported=p.id in reported,
                           visit=rnd is not None and (rnd.id, p.id) in home,
                           point=points.get(rnd.id, "") if rnd is not None else ""))
        # every other round still running that still asks something of the person (the pressing
        # line names one round only: a PCR swab at the door beside an antigen report), unless
        # they are held or a case or a close contact (they stay at home whatever the round)
        lines[-1]["more"] = [] if TONES.get(code) in ("case", "held") else [
            _line(p, c, r, home_zone or at_door or (r.id, p.id) in home, visit=(r.id, p.id) in home,
                  point=points.get(r.id, ""))
            for c, r in codes if r is not rnd and r.running() and c in ASKS]
    return {"rounds": rnds, "lines": lines, "zone": zone,
            "case": any(line["code"] == "positive" for line in lines)}


# what a round open now still asks of a person: a swab (again), or an antigen report
ASKS = ("not_sampled", "resample")


def _door_to_come(rnd: Round, visit: bool) -> bool:
    """A PCR round still running (past its planned end too, within its grace: `Round.running`) in which the
    person has an open home visit (`visit`): a sampler is still coming to the door, so the
    family reads "核酸：等待上门采样" — not history."""
    return visit and rnd.kind != RoundKind.ANTIGEN and rnd.running()


def _at_door(person) -> bool:
    """Tagged bedridden or with limited mobility: a PCR swab is taken at the door (the round's
    home-sampling list takes them from these tags, `actions.followup.HOME_TAGS`)."""
    from fangkong.registry.models import Tag

    return bool(set(getattr(person, "tag_list", ())) & {Tag.BEDRIDDEN.value, Tag.LIMITED_MOBILITY.value})


def _line(p, code, rnd, home, *, contact=False, base=None, followup=None, reported=False,
          visit=False, point="") -> dict:
    """A person's status in one round (`household_now`), with its words; `reported`: a case
    only the health authority reported (`reported_cases`); `visit`: an open home visit of
    the person in the round (`door`: one still to come, `_door_to_come`); `point`: the
    round's sampling point(s) nearest the household, in words (`points_near`; "" none yet)."""
    line = {"person": p, "code": code, "base": base or code, "round": rnd, "contact": contact,
            "followup": followup, "reported": reported, "point": point,
            "door": rnd is not None and _door_to_come(rnd, visit),
            "antigen": rnd is not None and rnd.kind == RoundKind.ANTIGEN,
            # the door is for a swab: an antigen kit is tested by the family itself
            "home": bool(home) and not (rnd is not None and rnd.kind == RoundKind.ANTIGEN),
            "released": followup is not None and followup.status == FollowUp.Status.RELEASED,
            "tone": TONES.get(code, "muted")}
    line.update(words(line))
    line["when"] = when_text(line)
    return line


def when_text(line) -> str:
    """The time a round open now gives the person, said beside the step: the swab's window
    ("采样时间：今天 07:00–14:00"), or an antigen report's deadline ("请在今天 19:24 前上报")."""
    rnd = line["round"]
    if rnd is None or line["code"] not in ASKS or not rnd.open_now:
        return ""  # past its window, a door visit still to come gives no time
    if line["antigen"]:
        end = timezone.localtime(rnd.ends_at)
        day = _("today") if end.date() == timezone.localdate() else date_format(end.date(), "MONTH_DAY_FORMAT")
        return _("Report the result by %(day)s %(end)s.") % {"day": day, "end": f"{end:%H:%M}"}
    return _("Sampling time: %(window)s.") % {"window": window_text(rnd)}


TONES = {"positive": "case", "held": "held", "held_antigen": "held", "resampled": "held",
         "contact": "held", "resample": "held", "not_sampled": "todo", "pending": "wait",
         "negative": "ok", "exempt": "muted", "none": "muted"}


def words(line) -> dict:
    """{"label", "step", "staff", "staff_label"}: what the person's status is in plain words,
    what the household does next (said to the household), what the staff do (said to them),
    and the status as staff read it beside the close-contact marker."""
    out = _words(line, line["code"])
    out["staff_label"] = out["label"]
    if line["code"] == "contact":  # the staff's marker says close contact: the status as it is
        out["staff_label"] = _("Single re-test negative, not released") if line["released"] \
            else _words(line, line["base"])["label"]
    return out


def _words(line, code) -> dict:
    rnd = line["round"]
    end = timezone.localtime(rnd.ends_at).strftime("%H:%M") if rnd is not None else ""
    point = line.get("point", "")  # where a family goes (`points_near`)
    # still running (`Round.running`): a PCR round past its planned end still registers
    # people; an antigen round past its deadline is no longer asked for
    running = rnd is not None and rnd.running()
    late = running and not rnd.open_now  # past its planned end: no "before 14:00"
    if code == "positive":
        return {"label": case_label(line.get("reported", False)),
                "step": _("Stay at home: do not go out and do not go to the sampling point. Someone "
                          "from the community will call you soon about what happens next. Everyone "
                          "else at home stays in too."),
                "staff": _("A confirmed case: follow the case procedure (transfer, sealing, close contacts).")}
    if code == "held":
        return {"label": _("Pooled tube positive: waiting for a single re-test"),
                "step": _("This does not mean infection: someone else in the same tube may be "
                          "positive. Stay at home, do not go out and do not go to the sampling "
                          "point: a health worker will come to the door to take a single swab."),
                "staff": _("Held: take a single swab at the door and record its tube on the follow-up page.")}
    if code == "held_antigen":
        return {"label": _("Antigen test positive: waiting for a PCR re-test"),
                "step": _("Stay at home, do not go out and do not go to the sampling point: a health "
                          "worker will come to the door to take a PCR swab."),
                "staff": _("Held: take a single swab at the door and record its tube on the follow-up page.")}
    if code == "resampled":
        return {"label": _("Single swab taken: waiting for the lab"),
                "step": _("Stay at home until the result comes. You will see it here and get a message."),
                "staff": _("Single swab taken: waiting for the lab.")}
    if code == "contact":
        return {"label": _("Single re-test negative, but lives with a confirmed case: close contact")
                if line["released"] else _("Lives with a confirmed case: close contact"),
                "step": _("Stay at home, even with a negative result: do not go out and do not go "
                          "to the sampling point. The community will call you about quarantine "
                          "and testing."),
                "staff": _("Keep at home: not released, whatever the result.")}
    if code == "resample" and line["antigen"]:  # an antigen cassette is tested again, not re-sampled
        return {"label": _("Antigen test invalid: test again with a new kit"),
                "step": _("This is not a positive result: the cassette showed no line at C. Test again with a "
                          "new kit and report the result with a photo of the cassette.") if running else "",
                "staff": _("Invalid antigen test: to test again with a new kit.")}
    if code == "resample":
        return {"label": _("The sample could not be tested: a new swab is needed"),
                "step": _("This is not a positive result: the lab could not test the sample (for "
                          "example too little of it).") + " " + (
                    _("Stay at home: a health worker will come to the door to take a new swab.")
                    if line["home"] else (_("Please go to %(point)s again for a new swab.") % {"point": point}
                                          if point else _("Please go to the sampling point again for a new swab."))
                    if running else _("Please have a new swab taken in the next round.")),
                "staff": _("Invalid sample: sample this person again.")}
    if code == "not_sampled" and line["antigen"]:
        if not running:
            return {"label": _("No antigen result reported in the last round"), "step": "", "staff": ""}
        return {"label": _("Antigen result not reported yet"),
                "step": _("Test with a kit and report the result with a photo of the cassette."),
                "staff": ""}
    if code == "not_sampled":
        if not running:
            return {"label": _("Not sampled in the last round"), "step": "", "staff": ""}
        if line.get("door"):  # listed for the home visit, in a round still running
            return {"label": _("PCR: waiting for the swab at home"),
                    "step": _("Stay at home: a health worker will come to the door to take the swab."),
                    "staff": _("On the home-sampling list: not sampled yet in this round.")}
        if late:  # nobody ended the round: the station still registers people
            return {"label": _("Not sampled yet: sampling is still going on"),
                    "step": _("Stay at home: a health worker will come to the door to take the swab.")
                    if line["home"] else (_("Sampling is running past its planned end: please go to %(point)s "
                                            "with your sampling code as soon as you can.") % {"point": point}
                                          if point else _("Sampling is running past its planned end: please go "
                                                          "to the sampling point with your sampling code as soon "
                                                          "as you can.")),
                    "staff": _("Not sampled yet in this round.")}
        return {"label": _("Not sampled yet today"),
                "step": _("Stay at home: a health worker will come to the door to take the swab.")
                if line["home"] else (_("Please go to %(point)s with your sampling code before %(end)s.") if point
                                      else _("Please go to the sampling point with your sampling code before "
                                             "%(end)s.")) % {"end": end, "point": point},
                "staff": _("Not sampled yet in this round.")}
    if code == "pending":
        return {"label": _("Sampled: waiting for the result"), "step": _("Nothing to do now."), "staff": ""}
    if code == "negative":
        return {"label": _("Single re-test negative: released") if line["released"] else _("Negative"),
                "step": "", "staff": ""}
    if code == "exempt":
        return {"label": _("Exempt from this round"), "step": "", "staff": ""}
    return {"label": _("No testing round now"), "step": "", "staff": ""}
