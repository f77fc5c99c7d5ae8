"""Every scoped read of the screening app. `get_*` raise NotFound for missing and
forbidden alike. Coverage is computed on level columns copied onto the registrations
(one indexed equality + GROUP BY, no join to the registry); roll-ups over many
communities read the running counters."""

import datetime
from collections import defaultdict

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from fangkong.accounts.roles import Perm
from fangkong.core.errors import Forbidden, NotFound
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import LEVELS, Household, Place, Presence, Resident

from .actions import EXEMPT_PRESENCE, area_q, can_sample, round_allows, round_q
from .models import (
    Box,
    Conflict,
    Exemption,
    FollowUp,
    HomeVisit,
    LabResult,
    Result,
    Round,
    RoundCounter,
    Sample,
    Sampler,
    SamplingPoint,
    Tube,
    TubeState,
)

OVERDUE = datetime.timedelta(hours=4)


def rounds(scope, perm=Perm.SCREENING_VIEW):
    return Round.objects.filter(round_q(scope, perm))


def visible_rounds(scope):
    """Rounds the user may see: by role (view, sample, lab) or by a sampler assignment."""
    q = round_q(scope, Perm.SCREENING_VIEW) | round_q(scope, Perm.SCREENING_SAMPLE) | round_q(
        scope, Perm.SCREENING_LAB)
    if scope.user is not None:
        q |= Q(id__in=Sampler.objects.filter(user=scope.user).values("round_id"))
    return Round.objects.filter(q).select_related("place")


def get_round(scope, pk, perm=Perm.SCREENING_VIEW) -> Round:
    try:
        return rounds(scope, perm).select_related("place").get(pk=int(pk))
    except (Round.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None


def get_round_for_sampling(actor, pk) -> Round:
    """The round, if the actor may register samples in it (role or sampler assignment)."""
    user = actor.user
    uid = user.id if user is not None and getattr(user, "is_authenticated", False) else None
    try:
        rnd = _round_for_station(int(pk), uid)
    except (Round.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    actor.__dict__.setdefault("_sampler_rounds", {})[rnd.id] = rnd.sampler_here
    if can_sample(actor, rnd):
        return rnd
    if round_allows(actor.scope, Perm.SCREENING_VIEW, rnd):
        raise Forbidden()
    raise NotFound()


_ROUND_FIELDS = [f for f in Round._meta.concrete_fields]
_PLACE_FIELDS = [f for f in Place._meta.concrete_fields]
_ROUND_SQL = (f"SELECT {', '.join('r.' + f.column for f in _ROUND_FIELDS)}, "
              f"{', '.join('p.' + f.column for f in _PLACE_FIELDS)}, "
              f"(SELECT string_agg(ap.kind || ':' || ap.id, ',') FROM screening_roundarea ra "
              f"JOIN registry_place ap ON ap.id = ra.place_id WHERE ra.round_id = r.id), "
              f"EXISTS (SELECT 1 FROM screening_sampler s WHERE s.round_id = r.id AND s.user_id = %s) "
              f"FROM screening_round r JOIN registry_place p ON p.id = r.place_id WHERE r.id = %s")


def _round_for_station(pk: int, user_id) -> Round:
    """The round with its place, `sampler_here` (is the user assigned to sample in it) and,
    on PostgreSQL, its areas (`actions.area_keys`), in one query. Every station request
    starts here, so on PostgreSQL it is a prepared statement read into the models directly
    (the ORM spent ~0.8 ms a call compiling the select_related + Exists form); SQLite uses
    the ORM (its values need Django's converters)."""
    if connection.vendor != "postgresql":
        return (Round.objects.select_related("place")
                .annotate(sampler_here=Exists(Sampler.objects.filter(round=OuterRef("pk"), user_id=user_id)))
                .get(pk=pk))
    from fangkong.core.db import prepared_cursor

    with prepared_cursor() as cur:
        cur.execute(_ROUND_SQL, [user_id, pk])
        row = cur.fetchone()
    if row is None:
        raise Round.DoesNotExist
    n = len(_ROUND_FIELDS)
    rnd = Round.from_db(connection.alias, [f.attname for f in _ROUND_FIELDS], row[:n])
    place = Place.from_db(connection.alias, [f.attname for f in _PLACE_FIELDS],
                          row[n:n + len(_PLACE_FIELDS)])
    Round.place.field.set_cached_value(rnd, place)
    rnd.sampler_here = bool(row[-1])
    rnd._area_keys = [(k, int(pid)) for k, pid in (a.split(":") for a in (row[-2] or "").split(",") if a)]
    return rnd


def get_round_any(scope, pk) -> Round:
    try:
        return visible_rounds(scope).get(pk=int(pk))
    except (Round.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None


def _get(model, scope, pk, perm, **related):
    try:
        obj = model.objects.select_related(*related.get("sr", ())).get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    target = obj if hasattr(obj, "community_id") else obj.round
    if not scope.allows(perm, target):
        raise NotFound()
    return obj


def get_exemption(scope, pk):
    return _get(Exemption, scope, pk, Perm.SCREENING_RUN)


def get_home_visit(scope, pk):
    return _get(HomeVisit, scope, pk, Perm.SCREENING_RUN)


def get_conflict(scope, pk):
    return _get(Conflict, scope, pk, Perm.SCREENING_RUN, sr=("round", "tube"))


def get_followup(actor, pk) -> FollowUp:
    try:
        fu = FollowUp.objects.select_related("round", "resident").get(pk=int(pk))
    except (FollowUp.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if not (actor.scope.allows(Perm.SCREENING_RUN, fu) or can_sample(actor, fu.round)):
        raise NotFound()
    return fu


def get_box(actor, rnd, pk) -> Box:
    try:
        return Box.objects.select_related("round").get(pk=int(pk), round=rnd)
    except (Box.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None


def get_tube(actor, rnd, barcode) -> Tube:
    t = Tube.objects.filter(round=rnd, barcode=str(barcode).strip().upper()).first()
    if t is None:
        raise NotFound()
    return t


# --- coverage ------------------------------------------------------------------------

def _node_q(node: Place, prefix=""):
    if node.kind in LEVELS:
        return Q(**{f"{prefix}{node.kind}_id": node.id})
    return Q(pk__in=[])


_COVERAGE_SQL = """
SELECT COUNT(*), COALESCE(SUM(n), 0), COALESCE(SUM(ns), 0), COALESCE(SUM(ne), 0),
       COALESCE(SUM(CASE WHEN ns + ne >= n THEN 1 ELSE 0 END), 0),
       (SELECT COUNT(*) FROM screening_sample o
         WHERE o.round_id = %s AND o.out_of_scope AND o.{level} = %s)
FROM (SELECT p.household_id, COUNT(*) AS n,
             SUM(CASE WHEN s.resident_id IS NOT NULL THEN 1 ELSE 0 END) AS ns,
             SUM(CASE WHEN s.resident_id IS NULL AND (e.resident_id IS NOT NULL
                      OR p.presence IN ({exempt})) THEN 1 ELSE 0 END) AS ne
        FROM ({people}) p
        LEFT JOIN screening_sample s ON s.round_id = %s AND s.resident_id = p.id AND NOT s.retest
        LEFT JOIN screening_exemption e ON e.round_id = %s AND e.resident_id = p.id
       GROUP BY p.household_id) h
"""


def coverage(rnd: Round, node: Place) -> dict:
    """People and households of `node` in the round: expected, sampled, exempt, missing.
    A household is covered when every expected member is sampled or exempt.

    One statement, summed in the database (only one row comes back): the expected people
    of the node (its level column, the round's areas, not moved out) each probe the
    (round, resident) unique index of the registrations and of the exemptions once, are
    grouped by household, and the households are summed. ~4 ms for 2,000 residents and
    ~15 ms for 10,000 on PostgreSQL (docs/benchmarks.md)."""
    if rnd.erased_at is not None:
        from .erasure import kept_coverage

        return kept_coverage(rnd, node)
    out = {"expected": 0, "sampled": 0, "exempt": 0, "missing": 0, "households": 0,
           "households_covered": 0, "out_of_scope": 0}
    if node.kind in LEVELS:
        people = (Resident.objects.filter(_node_q(node)).filter(area_q(rnd))
                  .exclude(presence=Presence.MOVED_OUT).order_by().values("id", "household_id", "presence"))
        try:
            sql, params = people.query.sql_with_params()
        except EmptyResultSet:  # a round without areas
            sql = None
        if sql is not None:
            text = _COVERAGE_SQL.format(level=f"{node.kind}_id", people=sql,
                                        exempt=", ".join(["%s"] * len(EXEMPT_PRESENCE)))
            with connection.cursor() as cur:
                cur.execute(text, [rnd.id, node.id, *EXEMPT_PRESENCE, *params, rnd.id, rnd.id])
                hh, n, ns, ne, covered, oos = (int(v or 0) for v in cur.fetchone())
            out.update(expected=n, sampled=ns, exempt=ne, households=hh, households_covered=covered,
                       out_of_scope=oos)
    out["missing"] = out["expected"] - out["sampled"] - out["exempt"]
    out["to_sample"] = out["expected"] - out["exempt"]
    out["percent"] = _pct(out["sampled"], out["to_sample"])
    out["households_percent"] = _pct(out["households_covered"], out["households"])
    return out


def _pct(a, b):
    return 100 if b <= 0 else min(100, int(a * 100 / b))


def rollup(rnd: Round, node: Place) -> list[dict]:
    """Per-community coverage under `node` from the running counters: one query however
    many communities, after `counters.refresh` has recounted the communities whose
    registry or exemptions changed since the last count (one read of the audit trail when
    nothing changed)."""
    from . import counters

    counters.refresh(rnd)
    q = Q(round=rnd)
    if node.kind in ("district", "street", "community"):
        q &= Q(**{f"{node.kind}_id" if node.kind != "community" else "community_id": node.id})
    else:
        return []
    rows = list(RoundCounter.objects.filter(q).order_by("community_id")
                .values("community_id", "expected", "exempt", "sampled"))
    names = dict(Place.objects.filter(id__in=[r["community_id"] for r in rows]).values_list("id", "name"))
    for r in rows:
        r["name"] = names.get(r["community_id"], "")
        r["missing"] = max(0, r["expected"] - r["exempt"] - r["sampled"])
        r["percent"] = _pct(r["sampled"], r["expected"] - r["exempt"])
    return rows


def rollup_totals(rnd: Round, node: Place) -> dict:
    """The same, summed in the database (for the benchmark and the district head line)."""
    from django.db.models import Sum

    from . import counters

    key = {"district": "district_id", "street": "street_id", "community": "community_id"}.get(node.kind)
    if key is None:
        return {}
    counters.refresh(rnd)
    return RoundCounter.objects.filter(round=rnd, **{key: node.id}).aggregate(
        expected=Sum("expected"), exempt=Sum("exempt"), sampled=Sum("sampled"), communities=Count("id"))


def missing(scope, rnd: Round, node: Place, limit=2000, *, done=None):
    """People still to sample under `node`, grouped by building and unit:
    [(label, [resident with .home])], and whether the list was cut at `limit`. Scoped by
    VIEW_REGISTRY (phones per role in the template). `done`: the subquery (on OuterRef("id"))
    of what takes a person off the list — their registration by default, an antigen result
    for an antigen round (`antigen.missing`). Three queries."""
    if rnd.erased_at is not None:  # who was sampled is gone: no one to list
        return [], False
    if done is None:
        done = Sample.objects.filter(round=rnd, retest=False, resident_id=OuterRef("id"))
    qs = (reg_queries.residents(scope).filter(_node_q(node)).filter(area_q(rnd))
          .exclude(presence=Presence.MOVED_OUT).exclude(presence__in=EXEMPT_PRESENCE)
          .exclude(Exists(done))
          .exclude(Exists(Exemption.objects.filter(round=rnd, resident_id=OuterRef("id"))))
          .annotate(home=Exists(HomeVisit.objects.filter(round=rnd, resident_id=OuterRef("id"),
                                                         status=HomeVisit.Status.OPEN)))
          .select_related("household__place")
          .order_by("building_id", "unit_id", "household__sort_key", "household_id", "id"))
    rows = list(qs[:limit])
    labels = reg_queries.address_labels(rows)
    groups, order = defaultdict(list), []
    for r in rows:
        key = labels.get(r.household.place_id, "")
        if key not in groups:
            order.append(key)
        groups[key].append(r)
    return [(k, groups[k]) for k in order], len(rows) >= limit


def progress_by_hour(rnd: Round, node: Place | None = None) -> list[dict]:
    """Registrations per hour (local time) under `node`: grouped in the database."""
    from django.db.models.functions import TruncHour

    qs = Sample.objects.filter(round=rnd, retest=False)
    if node is not None:
        qs = qs.filter(_node_q(node))
    rows = (qs.annotate(h=TruncHour("sampled_at", tzinfo=timezone.get_current_timezone()))
            .values("h").annotate(n=Count("id")).order_by("h"))
    counts = [(timezone.localtime(r["h"]) if timezone.is_aware(r["h"]) else r["h"], r["n"]) for r in rows]
    top = max((n for _h, n in counts), default=0)
    return [{"hour": h, "n": n, "width": int(n * 100 / top) if top else 0} for h, n in counts]


def per_point(rnd: Round, node: Place | None = None) -> list[dict]:
    """Registrations per sampling point (under `node`), with the points' names: two queries."""
    points = {p.id: p for p in SamplingPoint.objects.filter(round=rnd).select_related("place")}
    qs = Sample.objects.filter(round=rnd, retest=False)
    if node is not None:
        qs = qs.filter(_node_q(node))
    rows = qs.values("point_id").annotate(n=Count("id")).order_by()
    out = []
    for r in rows:
        p = points.get(r["point_id"])
        out.append({"name": p.place.name if p else "—", "n": r["n"], "tables": p.tables if p else 0})
    return sorted(out, key=lambda r: -r["n"])


def tubes_not_at_lab(rnd: Round, now=None, limit=500) -> list[Tube]:
    """Sealed tubes not yet received by the lab, oldest first (at most `limit`; each row's
    `.total` is how many there are in all, counted in the same query); `.overdue` when
    sealed more than 4 h ago."""
    from django.db.models import Window

    now = now or timezone.now()
    rows = list(Tube.objects.filter(round=rnd, state=TubeState.SEALED, at_lab_at=None)
                .annotate(total=Window(Count("id")))
                .select_related("box").order_by("sealed_at", "id")[:limit])
    for t in rows:
        t.overdue = t.sealed_at is not None and now - t.sealed_at > OVERDUE
    return rows


def open_tubes(rnd: Round):
    return list(Tube.objects.filter(round=rnd, state=TubeState.OPEN).order_by("opened_at")[:200])


def conflicts(rnd: Round, status=Conflict.Status.OPEN):
    return list(Conflict.objects.filter(round=rnd, status=status)
                .select_related("resident", "tube").order_by("created_at")[:500])


def followups(scope, rnd: Round):
    return list(FollowUp.objects.filter(round=rnd).filter(scope.q(Perm.SCREENING_RUN) | Q(
        round__samplers__user=scope.user) if scope.user else scope.q(Perm.SCREENING_RUN))
        .select_related("resident__household__place", "tube", "retest_tube").distinct()
        .order_by("status", "id"))


def home_visits(scope, rnd: Round, status=HomeVisit.Status.OPEN):
    """The people to sample at home: urgent re-tests first (oldest first), then the rest in
    building and unit order."""
    from django.db.models import Case, IntegerField, Value, When

    first = Case(When(source=HomeVisit.Source.RETEST, then=Value(0)), default=Value(1),
                 output_field=IntegerField())
    rows = list(HomeVisit.objects.filter(round=rnd, status=status).filter(scope.q(Perm.SCREENING_RUN))
                .select_related("resident__household__place")
                .order_by(first, "building_id", "unit_id", "id"))
    labels = reg_queries.address_labels([h.resident for h in rows])
    for h in rows:
        h.address = labels.get(h.resident.household.place_id, "")
    return rows


def exemptions(scope, rnd: Round):
    return list(Exemption.objects.filter(round=rnd).filter(scope.q(Perm.SCREENING_RUN))
                .select_related("resident").order_by("-created_at")[:1000])


def boxes(rnd: Round):
    return list(Box.objects.filter(round=rnd).annotate(n=Count("tubes")).prefetch_related("handovers")
                .order_by("-created_at"))


def tube_history(tube: Tube):
    return list(LabResult.objects.filter(tube=tube).order_by("created_at", "id"))


# --- results for people ----------------------------------------------------------------

def person_results(rnd_ids, resident_ids) -> dict:
    """{(round_id, resident_id): status} derived from tubes, re-tests and exemptions:
    negative, positive (a case), held (pooled positive awaiting re-test), pending,
    resample (invalid), exempt, not_sampled."""
    out = {}
    for rid, res, rnd_id, retest in (Sample.objects.filter(round_id__in=rnd_ids, resident_id__in=resident_ids)
                                     .values_list("resident_id", "tube__result", "round_id", "retest")):
        if retest:
            continue
        out[(rnd_id, rid)] = {Result.NEGATIVE: "negative", Result.POSITIVE: "held",
                              Result.INVALID: "resample"}.get(res, "pending")
    for rid, rnd_id, status in (FollowUp.objects.filter(round_id__in=rnd_ids, resident_id__in=resident_ids)
                                .values_list("resident_id", "round_id", "status")):
        out[(rnd_id, rid)] = {FollowUp.Status.RELEASED: "negative", FollowUp.Status.CASE: "positive"}.get(
            status, "held")
    for rid, rnd_id in (Exemption.objects.filter(round_id__in=rnd_ids, resident_id__in=resident_ids)
                        .values_list("resident_id", "round_id")):
        out.setdefault((rnd_id, rid), "exempt")
    return out


RESULT_LABELS = None


def result_labels():
    from django.utils.translation import gettext as _

    return {"negative": _("Negative"), "positive": _("Positive"),
            "held": _("Pooled positive, awaiting single re-test"), "pending": _("Waiting for the lab"),
            "resample": _("Invalid, re-sample"), "exempt": _("Exempt"), "not_sampled": _("Not sampled")}


def household_results(scope, household: Household, limit=10):
    """The recent rounds covering a household, with each member's result."""
    people = list(reg_queries.residents(scope).filter(household=household)
                  .exclude(presence=Presence.MOVED_OUT).order_by("relation", "id"))
    q = Q(pk__in=[])
    for kind in LEVELS:
        pid = getattr(household, f"{kind}_id")
        if pid:
            q |= Q(areas__place_id=pid)
    rnds = list(Round.objects.filter(q).distinct().order_by("-starts_at")[:limit])
    res = person_results([r.id for r in rnds], [p.id for p in people])
    labels = result_labels()
    return people, [(rnd, [(p, labels[res.get((rnd.id, p.id), "not_sampled")],
                            res.get((rnd.id, p.id), "not_sampled")) for p in people]) for rnd in rnds]
