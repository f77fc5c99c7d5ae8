"""A testing round's figures, defined once. Every page, the API, the exports and the running
counters (`counters.py`) read them through this module, so the same node at the same time
shows the same numbers everywhere (tests/screening/test_figures.py renders each of them).

| figure      | who                                                                          |
|-------------|------------------------------------------------------------------------------|
| expected    | residents who count (`registry.queries.counts`: not moved out) under the node |
|             | and in the round's areas                                                      |
| done        | expected people with a registration (PCR; a re-test does not count) or with |
|             | a result in (antigen: at the door or self-reported, whatever the result).    |
|             | A registration in a pooled tube the lab found invalid is void (moved to      |
|             | `VoidSample`, `actions.resample`): not done, to be sampled again (`resample`)|
| exempt      | expected people not done, with an exemption in the round or away, in        |
|             | quarantine or in hospital (`EXEMPT_PRESENCE`)                                |
| missing     | expected − done − exempt: exactly the people on the missing list             |
| to_sample   | expected − exempt; `percent` = done ÷ to_sample                              |
| households  | households with at least one expected person who is not exempt (a household |
|             | whose expected members are all exempt is neither to test nor covered);      |
|             | covered: every expected member done or exempt, and at least one done         |
| out_of_scope| PCR registrations under the node of people outside the round's areas (shown |
|             | beside the figures, never in them)                                           |

`done` keeps the key `sampled` in the dicts (pages, API and counters name it so). The
per-community roll-up of a district or street is read from the running counters
(`counters.rollup`, which derive their figures here); an erased round shows the figures
kept at its erasure (`kept_coverage`); an antigen round adds kits and positives
(`antigen_extras`).
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from fangkong.accounts.roles import Perm
from fangkong.core.figures import percent  # None for 0 / 0: pages "–", the API null
from fangkong.core.replica import read_connection
from fangkong.core.tree import UPPER_LEVELS, level_field, under
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import LEVELS, Place, Presence, Resident
from fangkong.zones.models import ZoneCase

from .areas import area_q
from .models import (
    CONTACT_DAYS,
    AntigenResult,
    Exemption,
    ExemptReason,
    FollowUp,
    HomeVisit,
    KitIssue,
    Result,
    Round,
    RoundCounter,
    RoundKind,
    Sample,
    Tube,
    VoidSample,
)

# Presence that exempts a person without an explicit exemption.
EXEMPT_PRESENCE = (Presence.QUARANTINE, Presence.HOSPITAL, Presence.AWAY)

KEYS = ("expected", "sampled", "exempt", "missing", "to_sample", "percent", "households",
        "households_covered", "households_percent", "out_of_scope")


# --- the definitions ------------------------------------------------------------------

def is_antigen(rnd: Round) -> bool:
    return rnd.kind == RoundKind.ANTIGEN


def done_rows(rnd: Round):
    """The rows that make a person done: their registration (PCR, not a re-test) or their
    antigen result. A registration whose pooled tube the lab found invalid is no longer one
    (`VoidSample`): the person is not done, by this and every read of registrations."""
    if is_antigen(rnd):
        return AntigenResult.objects.filter(round=rnd)
    return Sample.objects.filter(round=rnd, retest=False)


def done(rnd: Round, ref="id"):
    """Exists(...) on OuterRef(`ref`), the resident's id."""
    return Exists(done_rows(rnd).filter(resident_id=OuterRef(ref)))


def exempted(rnd: Round, ref="id", prefix="") -> Q:
    """Exempt by presence or by an exemption in the round (before `done` is considered)."""
    return Q(**{f"{prefix}presence__in": EXEMPT_PRESENCE}) | Q(
        Exists(Exemption.objects.filter(round=rnd, resident_id=OuterRef(ref))))


def node_q(node: Place, prefix="") -> Q:
    return under(node, prefix)


def expected(rnd: Round, node: Place | None = None):
    """The expected people (no scope: callers check who may see the figures)."""
    qs = Resident.objects.filter(reg_queries.counts()).filter(area_q(rnd))
    return qs if node is None else qs.filter(node_q(node))


def resampled(rnd: Round, ref="id") -> ExpressionWrapper:
    """The person's swab was made void in this round (their tube invalid) and is to be taken
    again — why someone not done is listed again ("样本无效，需复采"); nothing for an antigen
    round. Not a confirmed case (`confirmed_case`): a case is transferred or isolated, never
    swabbed again at the door (`access.HELD_OUTCOMES`; the missing list marks them a case)."""
    void = Exists(VoidSample.objects.filter(round=rnd, resident_id=OuterRef(ref)))
    return ExpressionWrapper(Q(void) & ~confirmed_case(ref), output_field=BooleanField())


def confirmed_case(ref="id") -> Q:
    """The person (resident id at `ref`) was confirmed a case in the last `CONTACT_DAYS`: a
    single re-test positive or a case the health authority reported (zones' `ZoneCase`) —
    `status.cases_by_household`'s definition (the missing list's "case" mark), per person,
    as two probes of indexes on the person."""
    since = timezone.now() - datetime.timedelta(days=CONTACT_DAYS)
    return Q(Exists(FollowUp.objects.filter(resident_id=OuterRef(ref), status=FollowUp.Status.CASE,
                                            closed_at__gte=since))) | \
        Q(Exists(ZoneCase.objects.filter(resident_id=OuterRef(ref), confirmed_at__gte=since)))


# Someone whose void swab is not taken again at the door: a confirmed case, someone in
# hospital or centralized quarantine, or exempt from the round as in isolation or hospital.
NO_RESAMPLE_PRESENCE = (Presence.HOSPITAL, Presence.QUARANTINE)
NO_RESAMPLE_REASONS = (ExemptReason.ISOLATION, ExemptReason.HOSPITAL)


def not_resampled_q(rnd: Round, ref="id") -> Q:
    """Filter on residents: not to be swabbed again at the door after their tube was found
    invalid — a confirmed case (`confirmed_case`), in hospital or in centralized quarantine,
    or exempt from the round as in isolation or in hospital. The one rule of
    `actions.resample.void_tubes` (no re-sample visit, said apart and counted) and of the
    round page's `resample_left_out`."""
    return confirmed_case(ref) | Q(presence__in=NO_RESAMPLE_PRESENCE) | Q(Exists(Exemption.objects.filter(
        round=rnd, resident_id=OuterRef(ref), reason__in=NO_RESAMPLE_REASONS)))


def missing_q(rnd: Round, ref="id", prefix="") -> Q:
    """Filter for the missing (expected, not done, not exempt): on residents, or on rows
    whose resident id is `ref` and resident at `prefix` (e.g. a home visit's)."""
    return (reg_queries.counts(prefix) & area_q(rnd, prefix) & ~Q(done(rnd, ref))
            & ~exempted(rnd, ref, prefix))


# --- counting: one statement ------------------------------------------------------------

_SQL = """
SELECT {outer_keys}COALESCE(SUM(CASE WHEN ne < n THEN 1 ELSE 0 END), 0), COALESCE(SUM(n), 0),
       COALESCE(SUM(nd), 0), COALESCE(SUM(ne), 0),
       COALESCE(SUM(CASE WHEN nd > 0 AND nd + ne >= n THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN ne >= n THEN 1 ELSE 0 END), 0){extra}
FROM (SELECT {inner_keys}q.household_id, COUNT(*) AS n, SUM(q.dn) AS nd,
             SUM(CASE WHEN q.dn = 0 AND (q.ex = 1 OR q.presence IN ({exempt}))
                      THEN 1 ELSE 0 END) AS ne
        FROM (SELECT {person_keys}p.household_id, p.presence,
                     CASE WHEN EXISTS (SELECT 1 FROM {done} d WHERE d.round_id = %s
                                       AND d.resident_id = p.id{done_cond}) THEN 1 ELSE 0 END AS dn,
                     CASE WHEN EXISTS (SELECT 1 FROM screening_exemption e WHERE e.round_id = %s
                                       AND e.resident_id = p.id{exempt_cond}) THEN 1 ELSE 0 END AS ex
                FROM ({people}) p{fence}) q
       GROUP BY {inner_keys}q.household_id) h
{group}
"""
# Why EXISTS and not LEFT JOIN: each person's done row and exemption are one probe of the
# (round, resident) unique index (or one hash of the round's rows), whatever the planner
# believes. With a LEFT JOIN, statistics taken before a round's first big burst said "this
# round has 1 sample": PostgreSQL materialised the round's rows and compared every person
# with every one of them (200,000 × 197,000) — a district's coverage ran past 60 s until
# autovacuum analysed the table (bench/run replay, 2026-12-05). `OFFSET 0` (PostgreSQL)
# keeps the subquery whole so each EXISTS runs once a person.

_OUT_OF_SCOPE = (", (SELECT COUNT(*) FROM screening_sample o WHERE o.round_id = %s "
                 "AND o.out_of_scope AND o.{level} = %s{at})")


def done_at(rnd: Round) -> str:
    """The column that dates a done row (figures as of a time count rows up to it)."""
    return "tested_at" if is_antigen(rnd) else "sampled_at"


def _count(rnd: Round, people, keys=(), *, out_of_scope: Place | None = None, at=None) -> list[tuple]:
    """Rows of (*keys, households to test, expected, done, exempt, households covered,
    households with nobody to test[, out of scope]) for the people of `people` (a Resident queryset), grouped by `keys` (columns
    of the resident, or annotations). One statement summed in the database: each person
    probes the (round, resident) unique indexes of the done rows and of the exemptions
    once, grouped by household, then by `keys`. With `at`, as of that time: only the done
    rows dated (`done_at`) and the exemptions made up to it count."""
    cols = list(dict.fromkeys(["id", "household_id", "presence", *keys]))
    try:
        sql, params = people.order_by().values(*cols).query.sql_with_params()
    except EmptyResultSet:  # a round without areas
        return []
    table = "screening_antigenresult" if is_antigen(rnd) else "screening_sample"
    inner = "".join(f"q.{k}, " for k in keys)
    person = "".join(f"p.{k}, " for k in keys if k not in ("household_id", "presence"))
    outer = "".join(f"h.{k}, " for k in keys)
    extra, extra_params = "", []
    if out_of_scope is not None and not is_antigen(rnd):
        extra = _OUT_OF_SCOPE.format(level=level_field(out_of_scope),
                                     at="" if at is None else " AND o.sampled_at <= %s")
        extra_params = [rnd.id, out_of_scope.id,
                        *([] if at is None else [connection.ops.adapt_datetimefield_value(at)])]
    done_cond = "" if is_antigen(rnd) else " AND NOT d.retest"
    if at is not None:
        done_cond += f" AND d.{done_at(rnd)} <= %s"
    conn = read_connection()  # the replica inside using_replica() (core/replica.py)
    text = _SQL.format(outer_keys=outer, inner_keys=inner, person_keys=person, extra=extra,
                       people=sql, done=table, done_cond=done_cond,
                       fence=" OFFSET 0" if conn.vendor == "postgresql" else "",
                       exempt_cond="" if at is None else " AND e.created_at <= %s",
                       exempt=", ".join(["%s"] * len(EXEMPT_PRESENCE)),
                       group=f"GROUP BY {', '.join(f'h.{k}' for k in keys)}" if keys else "")
    with conn.cursor() as cur:
        stamp = [] if at is None else [connection.ops.adapt_datetimefield_value(at)]
        cur.execute(text, [*extra_params, *EXEMPT_PRESENCE, rnd.id, *stamp, rnd.id, *stamp, *params])
        return cur.fetchall()


def derive(hh=0, n=0, nd=0, ne=0, covered=0, none=0, oos=0) -> dict:
    """The derived figures from the counted ones (also for the counters' rows). `none`:
    households of the area with nobody to test (everyone away, in hospital, in quarantine or
    exempt): counted by the registry, not in the round's `households` — the round page says
    so beside its figure."""
    out = {"expected": int(n), "sampled": int(nd), "exempt": int(ne), "households": int(hh),
           "households_covered": int(covered), "out_of_scope": int(oos or 0),
           "households_none": int(none or 0)}
    out["missing"] = out["expected"] - out["sampled"] - out["exempt"]
    out["to_sample"] = out["expected"] - out["exempt"]
    out["percent"] = percent(out["sampled"], out["to_sample"])
    out["households_percent"] = percent(out["households_covered"], out["households"])
    return out




def coverage(rnd: Round, node: Place, at=None) -> dict:
    """The round's figures under `node` (see the table above), PCR or antigen; an antigen
    round adds kits handed out and positives (live). With `at`, as of that time. One statement for the figures (~4 ms for
    2,000 residents and ~15–30 ms for 10,000 on PostgreSQL, docs/benchmarks.md). An erased
    round's figures are those kept at its erasure (screening.erasure)."""
    if rnd.erased_at is not None:
        return kept_coverage(rnd, node)
    rows = _count(rnd, expected(rnd, node), out_of_scope=node, at=at) if node.kind in LEVELS else []
    out = derive(*rows[0]) if rows else derive()
    if is_antigen(rnd):
        out.update(antigen_extras(rnd, node))
        out["reported"] = out["sampled"]
    return out


def to_sample_at(rnd: Round, places) -> dict[int, int]:
    """{place id: how many people the round expects to test there (expected less exempt)}
    for level `places`, one grouped statement per kind of place (a planned round's message
    to each grid worker and building leader)."""
    out = {p.id: 0 for p in places}
    kinds = {}
    for p in places:
        if p.kind in LEVELS:
            kinds.setdefault(str(p.kind), []).append(p.id)
    for kind, ids in kinds.items():
        key = f"{kind}_id"
        for pid, _hh, n, _nd, ne, *_rest in _count(rnd, expected(rnd).filter(**{f"{key}__in": ids}),
                                                     keys=(key,)):
            out[pid] = int(n) - int(ne)
    return out


def done_before_q(rnd: Round, since, ref="id") -> Q:
    """Filter for people done in the round before `since` (a day's start): a round that
    runs over midnight counts them on the day they were done, not again the next day."""
    return Q(Exists(done_rows(rnd).filter(resident_id=OuterRef(ref), **{f"{done_at(rnd)}__lt": since})))


def counted_by(rnd: Round, people, keys, at=None, since=None) -> dict:
    """{key values: figures} for `people` grouped by `keys` (one statement), as of `at`; with
    `since` (the start of the day counted), a round begun before it leaves out the people
    done before it (neither expected nor done that day: `done_before_q`)."""
    if since is not None and rnd.starts_at < since:
        people = people.exclude(done_before_q(rnd, since))
    n = len(keys)
    return {row[:n] if n > 1 else row[0]: derive(*row[n:]) for row in _count(rnd, people, keys, at=at)}


def by_unit(rnd: Round, node: Place) -> list[dict]:
    """The figures per unit (or building without units) under `node`, labelled like the
    missing list, in building order: one statement and one for the labels. (None for an
    erased round: only its per-community figures were kept.)"""
    if rnd.erased_at is not None:
        return []
    people = expected(rnd, node).annotate(hp=F("household__place_id"))
    rows = counted_by(rnd, people, ["hp"])
    # in the missing list's order (`reg_queries.place_order`): compound, building, unit by
    # their natural order, a level's id after its name, none first
    places = {p.id: p for p in Place.objects.filter(id__in=list(rows)).order_by(
        *reg_queries.place_order(within=node), "id")}
    labels = reg_queries.place_labels(places.values())
    return [{"place": pid, "label": labels.get(pid, ""), **rows[pid]} for pid in places]


def antigen_positive_q(rnd: Round) -> Q:
    """Filter on the round's antigen results: the positives — the one definition of the
    antigen overview's 阳性 figure and list and the API's `positive`. A result recorded
    positive, or a person its positive still holds or held (their `FollowUp` in the round,
    not settled by the staff's correction: `corrected_at` empty) whatever the row says now,
    so the figure agrees with the follow-up: only a correction (`actions.antigen_correct`,
    which releases the hold) takes a positive off it."""
    return Q(result=Result.POSITIVE) | Q(Exists(FollowUp.objects.filter(
        round=rnd, resident_id=OuterRef("resident_id"), tube=None, corrected_at=None)))


def antigen_extras(rnd: Round, node: Place) -> dict:
    """What an antigen round shows beside its figures (`coverage`): kits handed out
    and to how many households, and positives (`antigen_positive_q`), under `node`. Two
    queries."""
    kits = KitIssue.objects.filter(round=rnd).filter(node_q(node)).aggregate(
        kits=Sum("count"), households=Count("household_id", distinct=True))
    return {"kits": kits["kits"] or 0, "households_with_kits": kits["households"] or 0,
            "positive": AntigenResult.objects.filter(round=rnd).filter(node_q(node))
            .filter(antigen_positive_q(rnd)).count()}


# The figures an erased round keeps per community (`RoundCounter.figures`, `erasure`).
KEPT = ("expected", "sampled", "exempt", "households", "households_covered", "out_of_scope",
        "kits", "households_with_kits", "positive")


def kept_coverage(rnd: Round, node) -> dict:
    """The coverage of an erased round under `node`, from the kept per-community figures
    (none were kept below a community: zeros there, with `erased`)."""
    qs = RoundCounter.objects.filter(round=rnd)
    if node.pk != rnd.place_id:
        if node.kind in UPPER_LEVELS:
            qs = qs.filter(under(node))
        else:
            qs = qs.none()
    kept = dict.fromkeys(KEPT, 0)
    for row in qs.values_list("figures", flat=True):
        for k in KEPT:
            kept[k] += (row or {}).get(k, 0)
    out = derive(kept["households"], kept["expected"], kept["sampled"], kept["exempt"],
                   kept["households_covered"], oos=kept["out_of_scope"])
    if is_antigen(rnd):
        out.update(kits=kept["kits"], households_with_kits=kept["households_with_kits"],
                   positive=kept["positive"], reported=out["sampled"])
    out["erased"] = True
    return out


# --- lists ------------------------------------------------------------------------------

def missing_people(scope, rnd: Round, node: Place, resample=False):
    """The missing people under `node` (exactly those counted as missing), as a queryset by
    building, unit and door, each with `.home` (listed for home sampling) and `.resample`
    (their swab was made void: the tube was invalid): for the
    missing-list page, its export and the API; with `resample`, only the latter (exactly
    `to_resample`). Scoped by VIEW_REGISTRY (phones per role
    where shown). Nobody for an erased round: who was done is gone with its rows."""
    if rnd.erased_at is not None:
        return reg_queries.residents(scope).none()
    qs = reg_queries.residents(scope).filter(node_q(node)).filter(missing_q(rnd))
    if resample:
        qs = qs.filter(resampled(rnd))
    return (qs.annotate(home=Exists(HomeVisit.objects.filter(round=rnd, resident_id=OuterRef("id"),
                                                             status=HomeVisit.Status.OPEN)),
                        resample=resampled(rnd))
            .select_related("household__place")
            .order_by(*reg_queries.place_order(within=node), "household__sort_key", "household_id", "id"))


def exempt_q(rnd: Round) -> Q:
    """Filter for the exempt on residents: expected, not done, and exempt by presence or by
    an exemption in the round — exactly whom `coverage`'s `exempt` counts."""
    return reg_queries.counts() & area_q(rnd) & ~Q(done(rnd)) & exempted(rnd)


def exempt_people(scope, rnd: Round, node: Place, limit=2000) -> list[Resident]:
    """The exempt people under `node` (exactly those the round page's 免检 figure counts),
    by building, unit and door, each with `.exemption` (the round's exemption, None when
    their presence — away, in quarantine, in hospital — exempts them) and `.why` (the
    reason's label): for the exemptions page. Scoped by VIEW_REGISTRY. Two queries."""
    if rnd.erased_at is not None:
        return []
    rows = list(reg_queries.residents(scope).filter(node_q(node)).filter(exempt_q(rnd))
                .select_related("household__place")
                .order_by(*reg_queries.place_order(within=node), "household__sort_key", "household_id", "id")[:limit])
    ex = {e.resident_id: e for e in Exemption.objects.filter(round=rnd, resident_id__in=[r.id for r in rows])}
    for r in rows:
        r.exemption = ex.get(r.id)
        r.why = r.exemption.get_reason_display() if r.exemption else r.get_presence_display()
    return rows


def missing(scope, rnd: Round, node: Place, limit=2000, resample=False):
    """`missing_people` grouped by building and unit: [(label, [resident with .home])], and
    whether the list was cut at `limit`. Three queries."""
    rows = list(missing_people(scope, rnd, node, resample)[:limit])
    labels = reg_queries.address_labels(rows)
    groups, order = defaultdict(list), []
    for r in rows:
        key = labels.get(r.household.place_id, "")
        if key not in groups:
            order.append(key)
        groups[key].append(r)
    return [(k, groups[k]) for k in order], len(rows) >= limit


def home_visits_query(scope, rnd: Round, status=HomeVisit.Status.OPEN):
    """The people to sample at home who still need it: an open re-test (until its sample is
    taken), or someone listed from the tags or by hand who is still missing (not done at a
    station or the door, not exempt, not moved out). Urgent re-tests first (oldest first),
    then those whose tube was invalid, then the rest in building and unit order; each with
    `.resample` (their swab made void: say why). A queryset (the page and the API)."""
    first = Case(When(source=HomeVisit.Source.RETEST, then=Value(0)),
                 When(source=HomeVisit.Source.RESAMPLE, then=Value(1)), default=Value(2),
                 output_field=IntegerField())
    qs = HomeVisit.objects.filter(round=rnd, status=status).filter(scope.q(Perm.SCREENING_RUN))
    if status == HomeVisit.Status.OPEN:
        qs = qs.filter(still_to_visit_q(rnd))
    return (qs.annotate(resample=resampled(rnd, "resident_id"))
            .select_related("resident__household__place", "door_by")  # door_by: `door_text`
            .order_by(first, *reg_queries.place_order(within=rnd.place), "id"))


def still_to_visit_q(rnd: Round) -> Q:
    """Filter on open home visits: those still to make — a re-test (until its sample is
    taken), or anyone else still missing; a re-sample visit (their tube invalid) not for
    someone confirmed a case since (`confirmed_case`: transferred or isolated, not swabbed
    again at the door). The home-sampling list (page, API) and a sampler's own list."""
    return Q(source=HomeVisit.Source.RETEST) | (
        missing_q(rnd, "resident_id", "resident__")
        & ~(Q(source=HomeVisit.Source.RESAMPLE) & confirmed_case("resident_id")))


def home_visits(scope, rnd: Round, status=HomeVisit.Status.OPEN):
    """`home_visits_query` as a list, each with `.address` and `.source_text`."""
    rows = list(home_visits_query(scope, rnd, status))
    labels = reg_queries.address_labels([h.resident for h in rows])
    for h in rows:
        h.address = labels.get(h.resident.household.place_id, "")
        h.source_text = h.source_label(rnd)
    return rows


def progress_by_hour(rnd: Round, node: Place | None = None, until=None, since=None) -> list[dict]:
    """Registrations (PCR) or results (antigen, by when tested) per hour, local time,
    under `node` (from `since` and up to `until` if given): grouped in the database."""
    from django.db.models.functions import TruncHour

    qs, at = (AntigenResult.objects.filter(round=rnd), "tested_at") if is_antigen(rnd) else \
        (Sample.objects.filter(round=rnd, retest=False), "sampled_at")
    if node is not None:
        qs = qs.filter(node_q(node))
    if until is not None:
        qs = qs.filter(**{f"{at}__lte": until})
    if since is not None:
        qs = qs.filter(**{f"{at}__gte": since})
    rows = (qs.annotate(h=TruncHour(at, tzinfo=timezone.get_current_timezone()))
            .values("h").annotate(n=Count("id")).order_by("h"))
    counts = [(timezone.localtime(r["h"]) if timezone.is_aware(r["h"]) else r["h"], r["n"]) for r in rows]
    top = max((n for _h, n in counts), default=0)
    return [{"hour": h, "n": n, "width": int(n * 100 / top) if top else 0} for h, n in counts]


# --- after the lab: positive pools, held people, cases, swabs to take again ------------------
#
# | figure          | as of `at` (default now)                                               |
# |-----------------|------------------------------------------------------------------------|
# | positive_pools  | pooled tubes positive now with someone under the node held by them     |
# | held            | people held by a positive pool or antigen test, not closed by `at`     |
# |                 | (awaiting their single swab, or swabbed and waiting for the lab)       |
# | awaiting_retest | of them, not re-sampled by `at` (the dashboard's "awaiting re-test")   |
# | overdue         | of the held, held FANGKONG_HOLD_OVERDUE_HOURS (12) or more by `at`:    |
# |                 | their single swab not taken, or its result not back, in time            |
# | cases           | single re-test positive by `at`                                        |
# | to_resample     | missing people whose swab the lab made void (invalid tube): exactly    |
# |                 | the missing list's "样本无效，需复采" (`missing_people(resample=True)`); |
# |                 | never a confirmed case (`resampled`)                                   |
# | resample_left_out | people made void, not done, not swabbed again at the door: a case,   |
# |                 | in hospital or isolation (`not_resampled_q`)                           |

def held_q(at=None) -> Q:
    """Follow-ups holding their person as of `at` (default now)."""
    at = at or timezone.now()
    return Q(created_at__lte=at) & (Q(closed_at=None) | Q(closed_at__gt=at))


def awaiting_q(at=None) -> Q:
    """Held people not re-sampled as of `at`: no single swab taken by then (or its result
    was invalid: another swab is awaited). Now, exactly the follow-ups "awaiting"."""
    at = at or timezone.now()
    return held_q(at) & (Q(retest_tube=None) | Q(retest_tube__opened_at__gt=at)
                         | Q(status=FollowUp.Status.AWAITING))


def overdue_since(at=None):
    """Holds that began at or before this time are overdue at `at` (default now)."""
    return (at or timezone.now()) - datetime.timedelta(hours=settings.FANGKONG_HOLD_OVERDUE_HOURS)


def overdue_q(at=None) -> Q:
    """Held people (`held_q`) whose single re-test is not sampled, or has no result yet,
    FANGKONG_HOLD_OVERDUE_HOURS after they were held, as of `at` (default now): the follow-up
    page's red line, the round page's and the staff's home's count, the API's `overdue`, and
    the staff's one message (`actions.followup.tell_overdue`)."""
    at = at or timezone.now()
    return held_q(at) & Q(created_at__lte=overdue_since(at))


def overdue_flag(at=None) -> ExpressionWrapper:
    """`overdue_q` as a column of each follow-up (`.annotate(overdue=overdue_flag())`)."""
    return ExpressionWrapper(overdue_q(at), output_field=BooleanField())


def hours_held(fu: FollowUp, at=None) -> int:
    """How many whole hours `fu`'s person has been held by `at` (default now): how late an
    overdue hold is, in words."""
    return max(0, int(((at or timezone.now()) - fu.created_at).total_seconds() // 3600))


def case_q(at=None, since=None, after=None) -> Q:
    """Single re-tests positive by `at` (default now): confirmed cases (`since`: confirmed
    from then on, e.g. the day's cases on the dashboard and its chart; `after`: strictly
    after then, a nightly report's window from the previous day's cut-off)."""
    at = at or timezone.now()
    q = Q(status=FollowUp.Status.CASE, closed_at__lte=at)
    if after is not None:
        q &= Q(closed_at__gt=after)
    return q if since is None else q & Q(closed_at__gte=since)


def after_lab(rnd: Round, node: Place) -> dict:
    """What the lab's results ask of the round under `node` now (the table above): the
    round page's line. One statement (each figure a counted subquery)."""
    fus = FollowUp.objects.filter(round=rnd).filter(node_q(node))
    pools = Tube.objects.filter(id__in=fus.values("tube_id"), retest=False, result=Result.POSITIVE)
    # a positive whose row the chain of custody refused: its people held, 来源待核实
    unverified = Tube.objects.filter(id__in=fus.values("tube_id"), unverified_positive_at__isnull=False, result="")
    figures = {"positive_pools": _n(pools), "unverified_pools": _n(unverified), "held": _n(fus.filter(held_q())),
               "awaiting_retest": _n(fus.filter(awaiting_q())), "overdue": _n(fus.filter(overdue_q())),
               "cases": _n(fus.filter(case_q())),
               "to_resample": _n(_resample_people(rnd, node)),
               "resample_left_out": _n(_resample_left_out(rnd, node))}
    return Round.objects.filter(pk=rnd.pk).values(**figures).first() or dict.fromkeys(figures, 0)


def _n(qs):
    """How many rows `qs` has, as a scalar subquery."""
    return Coalesce(Subquery(qs.order_by().annotate(one=Value(1)).values("one")
                             .annotate(n=Count("pk")).values("n")[:1]), 0)


def _resample_people(rnd: Round, node: Place):
    """The missing people under `node` whose swab the lab made void (`to_resample`)."""
    if is_antigen(rnd) or rnd.erased_at is not None:
        return Resident.objects.none()
    return expected(rnd, node).filter(missing_q(rnd)).filter(resampled(rnd))


def _resample_left_out(rnd: Round, node: Place):
    """The people under `node` whose swab the lab made void, not done since, who are not to
    be swabbed again at the door (`not_resampled_q`: a case, in hospital or isolation):
    `resample_left_out`, said beside `to_resample`."""
    if is_antigen(rnd) or rnd.erased_at is not None:
        return Resident.objects.none()
    return (expected(rnd, node).filter(~Q(done(rnd)))
            .filter(Exists(VoidSample.objects.filter(round=rnd, resident_id=OuterRef("id"))))
            .filter(not_resampled_q(rnd)))


def to_resample(rnd: Round, node: Place) -> int:
    """Missing people under `node` whose swab the lab made void: to be sampled again —
    exactly the missing list's `resample` (`missing_people(resample=True)`). One query."""
    return _resample_people(rnd, node).count()


# --- a person's status --------------------------------------------------------------------

def person_status(rnds, resident_ids) -> dict:
    """{(round id, resident id): status} for these people (who count) in these rounds, by the
    same definitions: negative, positive (a case), held (pooled positive or antigen positive
    (held_antigen) awaiting the PCR re-test), pending (registered, no result yet),
    resample (their tube invalid: not registered again since), exempt, not_sampled."""
    rnds = list(rnds)
    pcr = [r.id for r in rnds if not is_antigen(r)]
    ag = [r.id for r in rnds if is_antigen(r)]
    ids = list(resident_ids)
    out = {}
    names = {Result.NEGATIVE: "negative", Result.POSITIVE: "held", Result.INVALID: "resample"}
    for rid, res, rnd_id in (Sample.objects.filter(round_id__in=pcr, resident_id__in=ids, retest=False)
                             .values_list("resident_id", "tube__result", "round_id")):
        out[(rnd_id, rid)] = names.get(res, "pending")
    for rid, rnd_id in VoidSample.objects.filter(round_id__in=pcr, resident_id__in=ids) \
            .values_list("resident_id", "round_id"):
        out.setdefault((rnd_id, rid), "resample")  # void, not registered again yet
    held = dict.fromkeys(pcr, "held") | dict.fromkeys(ag, "held_antigen")
    for rid, res, rnd_id in (AntigenResult.objects.filter(round_id__in=ag, resident_id__in=ids)
                             .values_list("resident_id", "result", "round_id")):
        out[(rnd_id, rid)] = names.get(res, "pending") if res != Result.POSITIVE else "held_antigen"
    # an antigen hold the staff's correction released says nothing: the corrected result does
    for rid, rnd_id, status in (FollowUp.objects.filter(round_id__in=pcr + ag, resident_id__in=ids)
                                .exclude(tube=None, status=FollowUp.Status.RELEASED, corrected_at__isnull=False)
                                .values_list("resident_id", "round_id", "status")):
        out[(rnd_id, rid)] = {FollowUp.Status.RELEASED: "negative", FollowUp.Status.CASE: "positive"}.get(
            status, held[rnd_id])
    for rid, rnd_id in (Exemption.objects.filter(round_id__in=pcr + ag, resident_id__in=ids)
                        .values_list("resident_id", "round_id")):
        out.setdefault((rnd_id, rid), "exempt")
    away = set(Resident.objects.filter(id__in=ids, presence__in=EXEMPT_PRESENCE).values_list("id", flat=True))
    for r in rnds:
        for rid in away:
            out.setdefault((r.id, rid), "exempt")
    return out
