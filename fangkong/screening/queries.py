"""Every scoped read of the screening app. `get_*` raise NotFound for missing and
forbidden alike. A round's figures (coverage, roll-ups, the missing list, home visits)
are `figures.py`'s, defined once there."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from fangkong.accounts.roles import Perm
from fangkong.core.errors import Forbidden, NotFound
from fangkong.core.tree import ancestor_ids, level_field, under
from fangkong.registry import codes
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import LEVELS, Household, Kind, Place, Presence
from fangkong.zones.models import ZoneCase

from . import day_cases, figures
from .access import (
    can_follow_up,
    can_sample,
    emergency_team_q,
    followup_task_q,
    received_elsewhere_q,
    round_allows,
    round_q,
    sampler_pool_q,
    sampler_rounds_q,
    sampler_rows,
    sees_followup,
    sent_elsewhere_q,
    work_round_q,
    works_on_round,
)
from .areas import area_q
from .models import (
    Box,
    Conflict,
    Exemption,
    FollowUp,
    HeldLabFile,
    HomeVisit,
    LabResult,
    Result,
    Round,
    RoundKind,
    RoundStatus,
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
    """Rounds the user may see: by role (view, sample, lab) or by a sampler assignment that
    counts (`access.sampler_counts`)."""
    q = round_q(scope, Perm.SCREENING_VIEW) | round_q(scope, Perm.SCREENING_SAMPLE) | round_q(
        scope, Perm.SCREENING_LAB)
    if scope.user is not None:
        q |= sampler_rounds_q(scope)
    return Round.objects.filter(q).select_related("place")


def my_sampling(scope, limit=10) -> list[Sampler]:
    """The user's places at a sampling table in rounds not yet ended (a volunteer's home
    shows them with a link to the station or the door-to-door page), soonest first; only
    those that count (`access.sampler_counts`: a role taken away shows none)."""
    if scope.user is None:
        return []
    rows = (sampler_rows(scope.user.id).exclude(round__status=RoundStatus.CLOSED)
            .select_related("round__place", "point__place").order_by("round__starts_at", "id"))
    return [s for s in rows[:100] if works_on_round(scope, s.round)][:limit]


def get_round(scope, pk, perm=Perm.SCREENING_VIEW) -> Round:
    try:
        return rounds(scope, perm).select_related("place").get(pk=int(pk))
    except (Round.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None


def get_round_to_run(scope, pk) -> Round:
    """A round the user may run: missing or unseen → NotFound; seen (command, a building
    leader) but not theirs to run → Forbidden, as every write on a visible round answers."""
    rnd = get_round(scope, pk)
    if not round_allows(scope, Perm.SCREENING_RUN, rnd):
        raise Forbidden()
    return rnd


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
              f"AND NOT EXISTS (SELECT 1 FROM volunteers_volunteer v WHERE v.user_id = %s "
              f"AND v.status <> 'approved') "
              f"FROM screening_round r JOIN registry_place p ON p.id = r.place_id WHERE r.id = %s")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608


def _round_for_station(pk: int, user_id) -> Round:
    """The round with its place, `sampler_here` (is the user assigned to sample in it, an
    assignment that counts as `access.sampler_rows` says; their role is the scope's) and,
    on PostgreSQL, its areas (`areas.area_keys`), in one query. Every station request
    starts here, so on PostgreSQL it is a prepared statement read into the models directly
    (the ORM spent ~0.8 ms a call compiling the select_related + Exists form); SQLite uses
    the ORM (its values need Django's converters)."""
    if connection.vendor != "postgresql":
        return (Round.objects.select_related("place")
                .annotate(sampler_here=Exists(sampler_rows(user_id).filter(round=OuterRef("pk"))))
                .get(pk=pk))
    from fangkong.core.db import prepared_cursor

    with prepared_cursor() as cur:
        cur.execute(_ROUND_SQL, [user_id, user_id, pk])
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
        rows = model.objects
        if related.get("sr"):
            rows = rows.select_related(*related["sr"])
        obj = rows.get(pk=int(pk))
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
    """A follow-up the actor may read and record the re-test of (`access.sees_followup`: who
    runs the person, who samples in the round by role, a volunteer whose task it is)."""
    try:
        fu = (FollowUp.objects.select_related("round", "resident__household__place", "tube")
              .annotate(overdue=figures.overdue_flag()).get(pk=int(pk)))
    except (FollowUp.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if not sees_followup(actor, fu):
        raise NotFound()
    return fu


def get_box(actor, rnd, pk) -> Box:
    """A box of the round; for a lab account that does not see the round's figures, only a
    box sent to it (another lab's is not found)."""
    qs = Box.objects.select_related("round", "lab")
    if lab_only(actor.scope, rnd):
        qs = qs.exclude(sent_elsewhere_q(actor.user, ""))
    try:
        return qs.get(pk=int(pk), round=rnd)
    except (Box.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None


def get_tube(actor, rnd, barcode) -> Tube:
    t = Tube.objects.filter(round=rnd, barcode=str(barcode).strip().upper()).first()
    if t is None:
        raise NotFound()
    return t


# --- figures: see figures.py (coverage, roll-ups, missing list, home visits, by hour) -------

def per_point(rnd: Round, node: Place | None = None) -> list[dict]:
    """Registrations per sampling point (under `node`), with the points' names and tables
    (0 when not given); registrations from a table that named no point are one row with
    `name` None. Two queries."""
    from .figures import node_q

    points = {p.id: p for p in SamplingPoint.objects.filter(round=rnd).select_related("place")}
    qs = Sample.objects.filter(round=rnd, retest=False)
    if node is not None:
        qs = qs.filter(node_q(node))
    rows = qs.values("point_id").annotate(n=Count("id")).order_by()
    out = []
    for r in rows:
        p = points.get(r["point_id"])
        out.append({"name": p.place.name if p else None, "n": r["n"], "tables": p.tables if p else 0})
    return sorted(out, key=lambda r: (r["name"] is None, -r["n"]))


def tubes_not_at_lab(rnd: Round, now=None, limit=500) -> list[Tube]:
    """Sealed tubes not yet received by the lab, single re-tests (urgent) first, then oldest
    first (at most `limit`; each row's `.total` is how many there are in all, counted in the
    same query); `.overdue` when sealed more than 4 h ago."""
    from django.db.models import Window

    now = now or timezone.now()
    rows = list(Tube.objects.filter(round=rnd, state=TubeState.SEALED, at_lab_at=None)
                .annotate(total=Window(Count("id")))
                .select_related("box").order_by("-retest", "sealed_at", "id")[:limit])
    for t in rows:
        t.overdue = t.sealed_at is not None and now - t.sealed_at > OVERDUE
    return rows


def at_lab_no_result(rnd: Round, now=None, limit=100) -> list[Tube]:
    """Tubes received at the lab (their box signed for) more than FANGKONG_LAB_NO_RESULT_HOURS
    ago that still have no result — lost, broken or forgotten at the lab: single re-tests
    first, then the longest waiting (at most `limit`; each row's `.total` is how many there
    are in all, counted in the same query). The round page and the coverage API list them."""
    from django.db.models import Window

    now = now or timezone.now()
    since = now - datetime.timedelta(hours=settings.FANGKONG_LAB_NO_RESULT_HOURS)
    return list(Tube.objects.filter(round=rnd, state=TubeState.SEALED, result="", at_lab_at__lt=since)
                .annotate(total=Window(Count("id"))).select_related("box", "box__lab")
                .order_by("-retest", "at_lab_at", "id")[:limit])


def at_lab_no_result_count(rnd: Round, place: Place, now=None) -> int:
    """How many of `at_lab_no_result`'s tubes hold a swab of someone under `place`: the
    staff's home says it (`panels.positive_alert`), the round page lists them. One query."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=settings.FANGKONG_LAB_NO_RESULT_HOURS)
    theirs = Sample.objects.filter(under(place), round_id=rnd.id).values("tube_id")
    return Tube.objects.filter(round=rnd, state=TubeState.SEALED, result="", at_lab_at__lt=since,
                               id__in=theirs).count()


def open_tubes(rnd: Round):
    """Tubes still open at the tables with swabs in them (an empty one, opened by mistake
    and left when the station moved on, holds nothing for the lab)."""
    return list(Tube.objects.filter(round=rnd, state=TubeState.OPEN, count__gt=0)
                .select_related("opened_by").order_by("opened_at")[:200])


def conflicts(rnd: Round, status=Conflict.Status.OPEN):
    return list(Conflict.objects.filter(round=rnd, status=status)
                .select_related("resident", "tube").order_by("created_at")[:500])


def get_round_for_followups(actor, pk) -> Round:
    """A round whose follow-ups the actor works (`access.can_follow_up`: who runs or samples
    in it, the members of its emergency sampling team); for anyone else it is not found."""
    try:
        rnd = Round.objects.select_related("place").get(pk=int(pk))
    except (Round.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if not can_follow_up(actor, rnd):
        raise NotFound()
    return rnd


def my_emergency_rounds(actor, limit=10) -> list[Round]:
    """The rounds not closed whose emergency sampling team the user is on
    (`access.on_emergency_team`) with someone awaiting a single re-test, each with
    `.awaiting` (how many: the team's follow-up list) — a volunteer's home lists them, the
    follow-up page a tap away. One query."""
    user = actor.user
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    from fangkong.volunteers.models import Volunteer

    on_team = Volunteer.objects.filter(emergency_team_q(OuterRef("emergency_team_id")), user_id=user.pk)
    rows = (Round.objects.filter(work_round_q(actor.scope), emergency_team__isnull=False)
            .exclude(status=RoundStatus.CLOSED).filter(Exists(on_team))
            .annotate(awaiting=Count("followups", filter=Q(followups__status=FollowUp.Status.AWAITING)))
            .filter(awaiting__gt=0).select_related("place").order_by("starts_at", "id"))
    return [r for r in rows[:limit] if works_on_round(actor.scope, r)]


def followups(actor, rnd: Round):
    return list(followups_query(actor, rnd))


def followups_query(actor, rnd: Round):
    """The round's held people (positive pools, positive antigen tests) the user may see:
    all of those they run the round for (staff, a grid worker: their people, whatever came
    of them), and for a volunteer only her task (`access.followup_task_q`: the re-tests given
    to her, or all awaiting one for the emergency team; while they wait). Her task is asked
    as an EXISTS, not a join: a join made the rows distinct and the DISTINCT over six joined
    tables cost ~10 ms of planning a request."""
    sees = actor.scope.q(Perm.SCREENING_RUN)
    if not actor.scope.allows(Perm.SCREENING_RUN, rnd):  # who runs the whole round sees all of it
        sees |= followup_task_q(actor, rnd)
    return (FollowUp.objects.filter(round=rnd).filter(sees)
            .select_related("resident__household__place", "tube", "retest_tube")
            .annotate(overdue=figures.overdue_flag())  # held too long without a result
            # in the order they were held: a row recorded stays where it was, under the
            # sampler's thumb (walk_lab 5: by status, it jumped to the bottom)
            .order_by("id"))


def awaiting_positives(scope, place: Place | None = None, limit=20) -> tuple[list[FollowUp], int]:
    """People held by a positive pooled tube or a positive antigen test whom nobody has
    re-sampled yet (FollowUp "awaiting"), that the user may see as people and as testing
    (`screening.view` and `registry.view` on them), under `place` if given; oldest first,
    each with `.address`, `.can_run` (may record the re-test). (rows, how many in all):
    two queries and one for the addresses."""
    qs = (FollowUp.objects.filter(status=FollowUp.Status.AWAITING)
          .filter(scope.q(Perm.SCREENING_VIEW)).filter(scope.q(Perm.VIEW_REGISTRY)))
    if place is not None:
        if place.kind not in LEVELS:
            return [], 0
        qs = qs.filter(under(place))
    rows = list(qs.select_related("resident__household__place", "round", "tube")
                .annotate(overdue=figures.overdue_flag()).order_by("created_at", "id")[:limit])
    total = len(rows) if len(rows) < limit else qs.count()
    labels = reg_queries.address_labels([f.resident for f in rows])
    for f in rows:
        f.address = labels.get(f.resident.household.place_id, "")
        f.can_run = scope.allows(Perm.SCREENING_RUN, f.round)  # as the follow-up page asks
        f.hours = figures.hours_held(f)
    return rows, total


def overdue_holds(scope, place: Place) -> list[tuple[Round, int]]:
    """[(round, how many)]: people under `place` held too long without a single re-test
    result (`figures.overdue_q`: not sampled, or sampled and no result), per round, newest
    round first, that the user may see as people and as testing — the staff's home counts
    them. One query and one for the rounds."""
    if place.kind not in LEVELS:
        return []
    counts = dict(FollowUp.objects.filter(figures.overdue_q(), under(place))
                  .filter(scope.q(Perm.SCREENING_VIEW)).filter(scope.q(Perm.VIEW_REGISTRY))
                  .values("round_id").annotate(n=Count("id")).values_list("round_id", "n").order_by())
    rnds = Round.objects.in_bulk(list(counts))
    return sorted(((rnds[rid], n) for rid, n in counts.items() if rid in rnds),
                  key=lambda rn: (rn[0].starts_at, rn[0].id), reverse=True)


CASE_ALERT_HOURS = 24  # a confirmed case stays on the staff's home this long


def recent_cases(scope, place: Place, limit=20) -> list:
    """The new cases under `place` in the last CASE_ALERT_HOURS, that the user may see as
    people and as testing, newest first: whom the figure `cases` counts (`day_cases.recent`,
    its one definition) — a single re-test positive (FollowUp "case") or a case the health
    authority reported by hand (zones' ZoneCase), each person once, by the record of their
    first confirmation. Each row has `.at` (when it became known), `.address`, `.by_hand`
    and, by hand, `.how` (the notice's source, in the reader's words). The re-sampled
    banner is gone by then: this is what replaces it on the staff's home. Three queries and
    one for the addresses."""
    if place.kind not in LEVELS:
        return []
    now = timezone.now()
    where = under(place) & scope.q(Perm.SCREENING_VIEW) & scope.q(Perm.VIEW_REGISTRY)
    found = day_cases.recent(where, now - datetime.timedelta(hours=CASE_ALERT_HOURS), now)[:limit]
    ids = defaultdict(list)
    for _rid, _when, kind, pk in found:
        ids[kind].append(pk)
    fus = (FollowUp.objects.select_related("resident__household__place", "round", "retest_tube")
           .in_bulk(ids[day_cases.FOLLOWUP]))
    cases = ZoneCase.objects.select_related("resident__household__place").in_bulk(ids[day_cases.CASE])
    rows = []
    for _rid, when, kind, pk in found:
        row = fus.get(pk) if kind == day_cases.FOLLOWUP else cases.get(pk)
        if row is not None:
            row.at, row.by_hand = when, kind == day_cases.CASE
            if row.by_hand:
                row.how = _case_source(row.source)
            rows.append(row)
    labels = reg_queries.address_labels([f.resident for f in rows])
    for f in rows:
        f.address = labels.get(f.resident.household.place_id, "")
    return rows


def _case_source(source: str) -> str:
    """A case's source in the reader's words: the one stored by default (a case reported
    without a source: zones' "Reported by the health authority", in the site's language)
    said in the reader's language; any other as typed."""
    with translation.override(settings.LANGUAGE_CODE):
        stock = gettext("Reported by the health authority")
    return gettext("Reported by the health authority") if source == stock else source


def lab_work(scope, limit=20) -> list[Round]:
    """A lab operator's work, per PCR round under the lab's node (newest first): the single
    re-test tubes (单采复核) without a result, urgent whether or not a box brought them
    (`.retests`, oldest first), the boxes with the courier, to receive and sign for
    (`.in_transit`), and how many tubes are at the lab without a result (`.awaiting`).
    Ended rounds only while something is left. Four queries."""
    rows = list(rounds(scope, Perm.SCREENING_LAB).exclude(kind=RoundKind.ANTIGEN)
                .select_related("place").order_by("-starts_at", "-id")[:limit])
    ids = [r.id for r in rows]
    in_transit = defaultdict(list)
    for b in (Box.objects.filter(round_id__in=ids, state=Box.State.IN_TRANSIT).exclude(sent_elsewhere_q(scope.user, ""))
              .annotate(n=Count("tubes")).order_by("created_at", "id")):
        in_transit[b.round_id].append(b)
    awaiting = dict(Tube.objects.filter(round_id__in=ids, state=TubeState.SEALED, result="")
                    .exclude(at_lab_at=None).exclude(received_elsewhere_q(scope))
                    .exclude(sent_elsewhere_q(scope.user)).values("round_id").annotate(n=Count("id"))
                    .values_list("round_id", "n").order_by())
    retests = defaultdict(list)
    for t in Tube.objects.filter(round_id__in=ids, retest=True, result="").order_by("sealed_at", "id"):
        retests[t.round_id].append(t)
    for r in rows:
        r.in_transit, r.awaiting = in_transit.get(r.id, []), awaiting.get(r.id, 0)
        r.retests = retests.get(r.id, [])
    return [r for r in rows if r.status != RoundStatus.CLOSED or r.in_transit or r.awaiting or r.retests]


def get_round_boxes(actor, pk) -> Round:
    """A round whose boxes the user works: the lab (`SCREENING_LAB` on it: its own boxes,
    `lab_only`), else whoever samples in it (403 for who only sees it, else 404)."""
    rnd = get_round_any(actor.scope, pk)
    if round_allows(actor.scope, Perm.SCREENING_LAB, rnd):
        return rnd
    return get_round_for_sampling(actor, pk)


def lab_only(scope, rnd: Round) -> bool:
    """A lab account on the round (not seeing its figures, not sampling): sees its own boxes."""
    return (round_allows(scope, Perm.SCREENING_LAB, rnd) and not round_allows(scope, Perm.SCREENING_VIEW, rnd)
            and not round_allows(scope, Perm.SCREENING_SAMPLE, rnd))


LAB_TEMPLATE_ROWS = 20_000  # tubes pre-filled in one template (the importer takes 100 000)


def tubes_to_report(scope, limit=LAB_TEMPLATE_ROWS) -> list[Tube]:
    """The tubes a lab holds and has not reported (sealed, no result; received at the lab —
    a box signed for — or a single re-test tube in no box, carried straight from the door and
    never signed for: `followup.record_retest`), in the PCR rounds under the lab's node: the
    rows of its results template, single re-tests (单采复核, urgent) first, then by round and
    barcode. One query."""
    ids = rounds(scope, Perm.SCREENING_LAB).exclude(kind=RoundKind.ANTIGEN).values("id")
    return list(Tube.objects.filter(round_id__in=ids, state=TubeState.SEALED, result="")
                .filter(Q(at_lab_at__isnull=False) | Q(retest=True, box=None))
                .exclude(received_elsewhere_q(scope)).exclude(sent_elsewhere_q(scope.user))
                .select_related("round", "box")
                .only("id", "barcode", "retest", "round__name", "box__code")
                .order_by("-retest", "round__starts_at", "round_id", "barcode")[:limit])


def held_lab_file(actor, token) -> list[dict] | None:
    """The rows of the results file held for this account's confirm step under `token`
    (`actions.lab.hold_file`); None when there is none for it: another account's, held past
    its time, or already applied or given up."""
    user = actor.user
    if not token or user is None or not getattr(user, "is_authenticated", False):
        return None
    return (HeldLabFile.objects.filter(user_id=user.pk, token=str(token)[:32], expires_at__gt=timezone.now())
            .values_list("rows", flat=True).first())


def boxes(rnd: Round, lab=None):
    """The round's boxes, newest first, each with the lab it is sent to; `lab` (a lab
    account that does not see the round's figures): only the boxes sent to it."""
    from django.db.models import Prefetch

    qs = Box.objects.filter(round=rnd)
    if lab is not None:
        qs = qs.exclude(sent_elsewhere_q(lab, ""))
    return list(qs.select_related("lab").annotate(n=Count("tubes")).prefetch_related(
        "handovers", Prefetch("tubes", queryset=Tube.objects.only("id", "barcode", "box_id", "retest")
                             .order_by("-retest", "barcode")))
        .order_by("-created_at"))


def tube_history(tube: Tube):
    return list(LabResult.objects.filter(tube=tube).order_by("created_at", "id"))


def void_tubes(rnd: Round, limit=1000) -> list[str]:
    """Barcodes of the round's pooled tubes the lab found invalid (their people to be sampled
    again): the station page's phone forgets whom it scanned into them."""
    return list(Tube.objects.filter(round=rnd, result=Result.INVALID, retest=False)
                .values_list("barcode", flat=True)[:limit])


def open_tubes_at(rnd: Round, point_id, table) -> list[dict]:
    """The pooled tubes the server holds open at this point's table (walk_lab 10: a second
    phone at 1号台, or the app reinstalled, showed "未开管" while GM00032 held 3 swabs; a new
    tube scanned there left it open, its people counted sampled and its result refused until
    sealed): barcode, count and capacity, oldest first, for the station to offer "继续装管".
    No one's data: barcodes and counts."""
    if not point_id or not table:
        return []
    return list(Tube.objects.filter(round=rnd, point_id=point_id, table=table, state=TubeState.OPEN, retest=False)
                .order_by("opened_at", "id").values("barcode", "count", "capacity")[:10])


def get_round_results(scope, pk) -> Round:
    """A PCR round whose tubes' results the user may read back: the lab's (`SCREENING_LAB`)
    or anyone who sees its figures (which tubes: `tube_results`, as far as they see them);
    for anyone else it is not found."""
    rnd = get_round_any(scope, pk)
    if rnd.kind == RoundKind.ANTIGEN or not (round_allows(scope, Perm.SCREENING_LAB, rnd)
                                            or round_allows(scope, Perm.SCREENING_VIEW, rnd)):
        raise NotFound()
    return rnd


RESULT_FILTERS = ("positive", "negative", "invalid", "none", "retest")


def results_part(scope, rnd: Round) -> list[Place] | None:
    """The part of `rnd` whose tubes' results the user reads, as the round's figures are
    counted for them (`round_node`): None for the whole round (who sees the round itself:
    its staff, the command above it); else the places the user sees testing on inside it
    (a grid worker's grid, a building leader's building, a community in a district's
    round). Never the rest of the round: a pooled tube's result is its people's, and a
    single re-test's one person's."""
    if scope.allows(Perm.SCREENING_VIEW, rnd) or not round_allows(scope, Perm.SCREENING_VIEW, rnd):
        return None
    field = level_field(rnd.place)
    return [p for p in scope.roots(Perm.SCREENING_VIEW) if getattr(p, field, None) == rnd.place_id]


def tube_results(scope, rnd: Round, which: str = ""):
    """The round's tubes holding swabs with what the lab saved for each: the latest result
    (the tube's), its Ct values and when it was saved (`recorded_at`), how many results
    before it (`corrections`). Single re-tests (单采复核, urgent) first, then by barcode;
    `which`: one of RESULT_FILTERS ("none": no result yet). Who sees a part of the round
    (`results_part`) reads the tubes holding a swab of someone there — a registration, or one
    made void by an invalid result — as its figures count them; a lab operator the tubes of
    its own area (as it uploads them); one who is both, either."""
    from django.db.models import IntegerField, Subquery
    from django.db.models.functions import Coalesce

    from .models import VoidSample

    latest = LabResult.objects.filter(tube=OuterRef("pk")).order_by("-created_at", "-id")
    n = (LabResult.objects.filter(tube=OuterRef("pk")).order_by().values("tube")
         .annotate(n=Count("id")).values("n"))
    qs = Tube.objects.filter(round=rnd, count__gt=0)
    if not scope.allows(Perm.SCREENING_VIEW, rnd):
        seen = Q(pk__in=[])
        for place in results_part(scope, rnd) or ():  # the tubes with someone of the user's part
            seen |= Q(pk__in=Sample.objects.filter(under(place), round_id=rnd.id).values("tube_id"))
            seen |= Q(pk__in=VoidSample.objects.filter(under(place), round_id=rnd.id).values("tube_id"))
        if round_allows(scope, Perm.SCREENING_LAB, rnd):  # the lab's own tubes
            seen |= scope.q(Perm.SCREENING_LAB) & ~received_elsewhere_q(scope) & ~sent_elsewhere_q(scope.user)
        qs = qs.filter(seen)
    if which == "none":
        qs = qs.filter(result="")
    elif which == "retest":
        qs = qs.filter(retest=True)
    elif which in RESULT_FILTERS:
        qs = qs.filter(result=which)
    return (qs.annotate(ct_orf=Subquery(latest.values("ct_orf")[:1]), ct_n=Subquery(latest.values("ct_n")[:1]),
                        recorded_at=Subquery(latest.values("created_at")[:1]),
                        results_n=Coalesce(Subquery(n, output_field=IntegerField()), 0))
            .order_by("-retest", "barcode", "id"))


# --- results for people ----------------------------------------------------------------

def result_labels():
    from django.utils.translation import gettext as _

    return {"negative": _("Negative"), "positive": _("Positive"),
            "held": _("Pooled positive, awaiting single re-test"),
            "held_antigen": _("Antigen positive, awaiting the PCR re-test"), "pending": _("Waiting for the lab"),
            "resample": _("Sample invalid: to be sampled again"), "exempt": _("Exempt"), "not_sampled": _("Not sampled"),
            "not_reported": _("No result reported")}  # an antigen round's "not_sampled"


def household_results(scope, household: Household, limit=10):
    """The recent rounds covering a household, with each member's status in each
    (`figures.person_status`: the same definitions as the round's figures)."""
    from .figures import is_antigen, person_status

    people = list(reg_queries.residents(scope).filter(household=household)
                  .filter(reg_queries.counts()).order_by("relation", "id"))
    # a round planned for later is not listed as "not sampled" yet (found walking the demo)
    begun = Q(starts_at__lte=timezone.now()) | ~Q(status=RoundStatus.PLANNED)
    rnds = list(Round.objects.filter(begun, areas__place_id__in=ancestor_ids(household)).distinct()
                .order_by("-starts_at")[:limit])
    res = person_status(rnds, [p.id for p in people])
    labels = result_labels()

    def label(rnd, code):  # an antigen test is reported, not sampled (found walking the demo)
        return labels["not_reported" if code == "not_sampled" and is_antigen(rnd) else code]

    return people, [(rnd, [(p, label(rnd, res.get((rnd.id, p.id), "not_sampled")),
                            res.get((rnd.id, p.id), "not_sampled")) for p in people]) for rnd in rnds]


# --- what a round's pages show ---------------------------------------------------------

def round_node(scope, rnd: Round, place=None) -> Place:
    """The node whose figures a round's page shows: `place` (the page's `?place=`), else the
    round's own place, else (a district round seen by community staff, a community round by
    a grid worker) the viewer's own part of it, so the figures and the lists are of the same
    people."""
    if place:
        return reg_queries.get_place(scope, place, Perm.SCREENING_VIEW)
    if scope.allows(Perm.SCREENING_VIEW, rnd):
        return rnd.place
    field = level_field(rnd.place)
    return next((p for p in scope.roots(Perm.SCREENING_VIEW)
                 if getattr(p, field, None) == rnd.place_id), rnd.place)


def round_units(rnd: Round, limit=3000) -> list[Place]:
    """Units and buildings of the round's area, labelled "光明小区 1号楼 2单元" (`.label`): the
    station's and the door-to-door page's pickers."""
    rows = list(Place.objects.filter(area_q(rnd), kind__in=[Kind.UNIT, Kind.BUILDING])
                # a building, then its units, each in natural order (`place_order`)
                .order_by(*reg_queries.place_order(within=rnd.place), "id")[:limit])
    labels = reg_queries.place_labels(rows)
    for p in rows:
        p.label = labels[p.id]
    return rows


def moved_out_name(actor, rnd, kind: str, key: str) -> str | None:
    """The name of the resident whose code (kind "token"), ID number ("id": its lookup hash)
    or row id a station scanned, when the roll says they moved out: in the round's area and
    among the people the station's user may sample, else None (nothing is said of anyone
    else)."""
    qs = reg_queries.residents(actor.scope, Perm.SCREENING_SAMPLE).filter(area_q(rnd), presence=Presence.MOVED_OUT)
    if kind == "token":  # the key as every code is looked up (look-alikes folded, the index)
        qs = codes.residents_by_token(qs, [key])
    else:
        qs = qs.filter(id_hash=key) if kind == "id" else qs.filter(id=int(key))
    return qs.values_list("name", flat=True).first()


# --- sampling points and who samples where (the round's points page and the API) -------

def samplers_by_point(rnd: Round) -> dict:
    """{point id: [sampler]}, each with `.volunteer_id` (the volunteer the account belongs
    to, if any), by table."""
    from fangkong.volunteers.models import Volunteer

    rows = list(rnd.samplers.select_related("user").order_by("point_id", "table", "id"))
    vols = dict(Volunteer.objects.filter(user_id__in=[s.user_id for s in rows])
                .values_list("user_id", "id"))
    out = {}
    for s in rows:
        s.volunteer_id = vols.get(s.user_id)
        out.setdefault(s.point_id, []).append(s)
    return out


def round_points(rnd: Round) -> list[SamplingPoint]:
    """The round's sampling points, each with `.assigned` (its samplers, by table)."""
    by_point = samplers_by_point(rnd)
    points = list(rnd.points.select_related("place").order_by("place__name", "id"))
    for p in points:
        p.assigned = by_point.get(p.id, [])
    return points


def free_points(rnd: Round) -> list[Place]:
    """Sampling points of the registry under the round's place that it does not use yet."""
    return list(Place.objects.filter(under(rnd.place), kind=Kind.SAMPLING_POINT)
                .exclude(id__in=rnd.points.values("place_id")).order_by("name", "id")[:200])


def sampler_candidates(scope, rnd: Round):
    """The volunteers this user sees who may be given a table in the round
    (`access.sampler_pool_q`: approved, with an account, of its community)."""
    from fangkong.volunteers import queries as vol_queries

    return vol_queries.volunteers(scope).filter(sampler_pool_q(rnd)).order_by("name", "id")


def running_alongside(rnd: Round) -> list[Round]:
    """Other running rounds over the same people (planned on this round's place, above it or
    under it): what starting this one early should mention."""
    return list(Round.objects.filter(status=RoundStatus.RUNNING).exclude(pk=rnd.pk)
                .filter(Q(place_id__in=ancestor_ids(rnd.place)) | under(rnd.place))
                .order_by("starts_at")[:5])


def my_home_visits(scope) -> list[HomeVisit]:
    """The home visits given to the user (`actions.home_assign`) in rounds not closed where
    their sampler assignment counts (`access.sampler_counts`), still to do: open, and the
    person not yet sampled (a re-test: until its tube is recorded) — the list a sampler's
    landing page shows. Each with `.address` (full: compound, building, unit and door)."""
    if scope.user is None:
        return []
    mine = (Round.objects.filter(sampler_rounds_q(scope)).exclude(status=RoundStatus.CLOSED)
            .select_related("place").order_by("starts_at", "id"))
    out = []
    for rnd in mine[:20]:
        if not works_on_round(scope, rnd):
            continue
        rows = (HomeVisit.objects.filter(round=rnd, assignee_id=scope.user.id, status=HomeVisit.Status.OPEN)
                .filter(figures.still_to_visit_q(rnd))
                .select_related("resident__household__place", "door_by")  # door_by: `door_text`
                .order_by(*reg_queries.place_order(within=rnd.place), "id"))
        for hv in rows:
            hv.round = rnd
            out.append(hv)
    labels = reg_queries.address_labels([h.resident for h in out])
    for h in out:
        h.address = " ".join(x for x in (labels.get(h.resident.household.place_id, ""),
                                         h.resident.household.door) if x)
    return out


def visits_given_to(scope, rnd: Round) -> set[int]:
    """The people of `rnd` whose open home visit is given to the user while their sampler
    assignment counts (as `my_home_visits`): a task at their door now, so their phones are
    shown in clear to them (`home_views.with_reach`) on every list, not only their own."""
    if scope.user is None or not works_on_round(scope, rnd) or \
            not sampler_rows(scope.user.id).filter(round_id=rnd.id).exists():
        return set()
    return set(HomeVisit.objects.filter(round=rnd, assignee_id=scope.user.id, status=HomeVisit.Status.OPEN)
               .values_list("resident_id", flat=True))


def get_my_home_visit(actor, rnd: Round, pk) -> HomeVisit:
    """A visit of `rnd` the station is opened for: the sampler's own (given to them, still
    to do), or one of the round's that the user runs screening for; anyone else: NotFound."""
    try:
        hv = HomeVisit.objects.select_related("resident").get(pk=int(pk), round=rnd)
    except (HomeVisit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    user = actor.user
    if user is not None and hv.assignee_id == user.id and hv.status == HomeVisit.Status.OPEN:
        return hv
    if actor.scope.allows(Perm.SCREENING_RUN, hv):
        return hv
    raise NotFound()
