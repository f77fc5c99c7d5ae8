"""Testing rounds over JSON (/api/v1/screening/…). Thin glue over `queries` and `actions`
(the station page uses these same endpoints through its offline queue).

- POST …/rounds/{id}/scan: one scan from an online station; 200 with the tube's places
  left, or 409 with the refusal (code = its kind) in the user's language.
- POST …/rounds/{id}/sync: a batch of queued station events (open / scan / seal), each
  with a client UUID; idempotent; conflicts come back in the list, stored for review;
  malformed events come back `invalid` with their reason while the valid ones are saved.
- POST …/results: lab results by tube barcode (token auth for lab systems), all or nothing;
  a change of a recorded result only with `confirm_changes` (else 409 listing the changes).
- GET …/rounds/{id}/results: the round's tubes with the results saved for each.
"""

from collections import Counter

import orjson
from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import File, Form, Query, Status
from ninja.files import UploadedFile

from fangkong.accounts.roles import Perm
from fangkong.core.access import one
from fangkong.core.actor import actor_of
from fangkong.core.errors import FileRefused, FileRejected, Invalid, NotFound
from fangkong.core.paging import page_of
from fangkong.core.replica import on_replica
from fangkong.core.shedding import check_rate
from fangkong.registry import queries as reg_queries
from fangkong.registry.api import PageNumber, PageSize
from fangkong.registry.models import Place

from . import areas, figures, lab_template, labfile, pooling, queries, refusals
from .actions import lab, planning, station
from .actions.sync import sync as sync_batch
from .api_common import router, tube_out
from .models import Conflict, RoundKind
from .schemas import (
    AdvisorOut,
    ConflictOut,
    ConflictResolveIn,
    CoverageOut,
    EmergencyTeamIn,
    ExemptionIn,
    Outcome,
    PersonIn,
    PersonOut,
    ResultsIn,
    ResultsOut,
    RoundIn,
    RoundOut,
    ScanIn,
    SyncIn,
    SyncOut,
    TubeIn,
    TubeOut,
    TubeResultPage,
)


def round_out(r) -> dict:
    return {"id": r.id, "name": r.name, "kind": r.kind, "status": r.status, "place": r.place_id,
            "place_name": r.place.name, "starts_at": r.starts_at, "ends_at": r.ends_at,
            "pool_size": None if r.kind == RoundKind.ANTIGEN else r.pool_size,  # antigen: does not apply
            "emergency_team": r.emergency_team_id, "overrun": r.overrun,
            "home_listed": getattr(r, "home_listed", None), "home_left_out": getattr(r, "home_left_out", None),
            "home_asked": getattr(r, "home_asked", None)}


@router.post("/screening/rounds/{round_id}/emergency-team", response=RoundOut)
def round_emergency_team(request, round_id: int, payload: EmergencyTeamIn):
    """Name the volunteers' team that re-samples at home (told of positive pools), or none."""
    rnd = queries.get_round_to_run(request.scope, round_id)
    return round_out(planning.set_emergency_team(actor_of(request), rnd, payload.team))


@router.get("/screening/rounds", response=list[RoundOut])
def round_list(request):
    """Rounds you may see (by role, or as an assigned sampler), newest first."""
    return [round_out(r) for r in queries.visible_rounds(request.scope)[:100]]


@router.post("/screening/rounds", response={201: RoundOut})
def round_create(request, payload: RoundIn):
    """Plan a round. Another round of the same kind not ended over any of the same areas —
    an antigen round on any of the same days, a PCR round in an overlapping window — answers
    409 `round_overlap` with `rounds` (id, name, areas, starts_at, ends_at, status), nothing
    planned, unless `confirm_overlap` is true. A PCR round lists the people of its area whose
    zone is sampled at home (sealed) on its home-sampling list: `home_listed` says how many.
    A round whose `ends_at` is already past is refused (400 `ended_already`, at `ends_at`).
    An antigen round has no people per tube (`pool_size` ignored, answered null)."""
    scope = request.scope
    place = reg_queries.get_place(scope, payload.place)
    covered = [reg_queries.get_place(scope, a) for a in payload.areas]
    rnd = planning.plan_round(actor_of(request), place,
                              payload.model_dump(exclude={"place", "areas", "confirm_overlap"}),
                              areas=covered, confirm_overlap=payload.confirm_overlap, allow_past=False)
    return Status(201, round_out(rnd))


@router.get("/screening/rounds/{round_id}", response=RoundOut)
def round_detail(request, round_id: int):
    return round_out(queries.get_round_any(request.scope, round_id))


@router.get("/screening/rounds/{round_id}/coverage", response=CoverageOut)
def round_coverage(request, round_id: int, place: int | None = None):
    """The round's figures under `place` (default: the part of the round the user sees, as
    the round page and the missing list: the round's place, or a grid worker's grid, a
    building leader's building), PCR or antigen (`figures`: expected, sampled = done,
    exempt, missing people; households); and the round's tubes received at the lab more than
    `lab_hours` hours ago without a result (`at_lab_no_result`, the first 100 in
    `at_lab_no_result_tubes`)."""
    rnd = queries.get_round(request.scope, round_id)
    node = queries.round_node(request.scope, rnd, place)
    check_rate(request, "coverage")  # after the access checks: a refused round is 404 always
    # the figures may be a few seconds stale (core/replica.py)
    return {"place": node.id, **on_replica(figures.coverage, rnd, node), **_at_lab(rnd)}


def _at_lab(rnd) -> dict:
    """The round's tubes at the lab past FANGKONG_LAB_NO_RESULT_HOURS without a result
    (`queries.at_lab_no_result`), as the round page says them."""
    tubes = [] if rnd.kind == RoundKind.ANTIGEN else queries.at_lab_no_result(rnd)
    return {"at_lab_no_result": tubes[0].total if tubes else 0, "lab_hours": settings.FANGKONG_LAB_NO_RESULT_HOURS,
            "at_lab_no_result_tubes": [{"barcode": t.barcode, "retest": t.retest, "count": t.count,
                                        "box": t.box.code if t.box_id else None, "at_lab_at": t.at_lab_at}
                                       for t in tubes]}


@router.post("/screening/rounds/{round_id}/tubes", response={201: TubeOut, 200: TubeOut})
def tube_open(request, round_id: int, payload: TubeIn):
    actor = actor_of(request)
    rnd = queries.get_round_for_sampling(actor, round_id)
    tube, resumed = station.open_tube(actor, rnd, payload.barcode, capacity=payload.capacity,
                                      point=payload.point, table=payload.table,
                                      client_id=payload.client_id)
    return Status(200 if resumed else 201, tube_out(tube, resumed))


@router.post("/screening/rounds/{round_id}/tubes/{barcode}/seal", response=TubeOut)
def tube_seal(request, round_id: int, barcode: str):
    actor = actor_of(request)
    rnd = queries.get_round_for_sampling(actor, round_id)
    return tube_out(station.seal_tube(actor, queries.get_tube(actor, rnd, barcode)))


@router.post("/screening/rounds/{round_id}/scan", response=dict)
def scan(request, round_id: int, payload: ScanIn):
    """Register one person into an open tube. Idempotent on `client_id`. `person`: the
    sampling code (核酸码: what its QR carries, "FK1:<token>", in any form a scanner or a
    typist gives it), an ID number, or "r:<id>" from the look-up."""
    actor = actor_of(request)
    rnd = queries.get_round_for_sampling(actor, round_id)
    return station.scan(actor, rnd, client_id=payload.client_id, barcode=payload.barcode,
                        person=payload.person, confirm=payload.confirm, at=payload.at)


@router.post("/screening/rounds/{round_id}/sync", response=SyncOut)
def sync(request, round_id: int, payload: SyncIn):
    """A station's queued events, in any order, each {client_id, type: open|scan|seal,
    barcode, person, confirm, capacity, point, table, at}; an open naming no point is at the
    sampler's assigned point of the round. Sending the same batch again (or its second
    half after a cut) registers nothing twice. One result per event, in order: a malformed
    event comes back `invalid` with its `field`, `index` and reason, and every valid event
    of the batch is saved all the same."""
    actor = actor_of(request)
    rnd = queries.get_round_for_sampling(actor, round_id)
    results = sync_batch(actor, rnd, payload.events)
    # Written as JSON directly (the shape of SyncOut, every Outcome key present): checking
    # our own 2,000 outcome dicts through the schema cost more than the registrations;
    # orjson writes them in a fifth of the json module's time.
    blank = dict.fromkeys(OUTCOME_KEYS)
    counts = Counter(r["status"] for r in results)
    body = orjson.dumps({"ok": counts["ok"], "conflicts": counts["conflict"], "refused": counts["refused"],
                         "invalid": counts["invalid"], "results": [{**blank, **r} for r in results]},
                        default=str)
    return HttpResponse(body, content_type="application/json")


OUTCOME_KEYS = list(Outcome.model_fields)


@router.get("/screening/rounds/{round_id}/lookup", response=list[PersonOut])
def lookup(request, round_id: int, q: str = Query(..., max_length=300)):
    """Find a person of the round's area by name, pinyin, address or phone tail, for a
    station without their sampling code (a scanned sampling code finds its person too). Names and addresses
    only."""
    actor = actor_of(request)
    rnd = queries.get_round_for_sampling(actor, round_id)
    return station_lookup(rnd, q)


def station_lookup(rnd, q: str, limit=20) -> list[dict]:
    from fangkong.core.actor import SystemScope

    _kind, qs = reg_queries.search_queryset(SystemScope(), q)
    if qs is None:
        return []
    rows = list(qs.filter(areas.area_q(rnd)).exclude(presence="moved_out")
                .order_by(*reg_queries.place_order(within=rnd.place), "household__sort_key", "id")[:limit])
    labels = reg_queries.address_labels(rows)
    return [{"person": f"r:{r.id}", "name": r.name, "unverified": r.unverified,
             "address": f"{labels.get(r.household.place_id, '')} {r.household.door}".strip()}
            for r in rows]


@router.post("/screening/rounds/{round_id}/people", response={201: PersonOut})
def person_create(request, round_id: int, payload: PersonIn):
    """Register on the spot a person not in the registry (flagged unverified)."""
    actor = actor_of(request)
    rnd = queries.get_round_for_sampling(actor, round_id)
    try:
        place = Place.objects.get(pk=payload.place)
    except Place.DoesNotExist:
        raise NotFound() from None
    hh = station.household_for_door(actor, rnd, place, payload.door)
    r = station.register_unverified(actor, rnd, hh, payload.model_dump(exclude={"place", "door"}))
    label = reg_queries.address_labels([r]).get(hh.place_id, "")
    return Status(201, {"person": f"r:{r.id}", "name": r.name, "address": f"{label} {hh.door}",
                        "unverified": True})


@router.get("/screening/rounds/{round_id}/conflicts", response=list[ConflictOut])
def conflict_list(request, round_id: int):
    rnd = queries.get_round_to_run(request.scope, round_id)
    return [conflict_out(c) for c in queries.conflicts(rnd)]


def conflict_out(c) -> dict:
    return {"id": c.id, "client_id": str(c.client_id), "kind": c.kind, "status": c.status,
            "barcode": c.barcode, "name": c.resident.name if c.resident else "",
            "message": refusals.refusal_message(c.kind, barcode=c.barcode,
                                               where=refusals.where_of(c.kind, c.detail),
                                               name=c.resident.name if c.resident else "")}


@router.post("/screening/conflicts/{conflict_id}/resolve", response=ConflictOut)
def conflict_resolve(request, conflict_id: int, payload: ConflictResolveIn):
    c = one(Conflict.objects.select_related("round", "tube"), conflict_id)
    queries.get_round_to_run(request.scope, c.round_id)
    return conflict_out(station.resolve_conflict(actor_of(request), c, payload.accept))


@router.post("/screening/rounds/{round_id}/exemptions", response={201: dict})
def exemption_create(request, round_id: int, payload: ExemptionIn):
    rnd = queries.get_round_to_run(request.scope, round_id)
    r = reg_queries.get_resident(request.scope, payload.resident)
    ex = planning.add_exemption(actor_of(request), rnd, r, payload.reason, payload.note)
    return Status(201, {"id": ex.id, "resident": r.id, "reason": ex.reason})


@router.post("/screening/results", response=ResultsOut)
def results(request, payload: ResultsIn):
    """Lab results by tube barcode: {"results": [{barcode, result: negative|positive|invalid,
    ct_orf, ct_n, tested_at}], "confirm_changes": false}. `tested_at`: ISO, "2026/12/7 22:40"
    or "2026年12月7日 22:40", not before the tube was sealed. All or nothing: any bad row or
    unknown tube → 400 with every row error. The chain of custody is per row: a tube not
    sent to this lab, in a box not signed for here, or a pooled tube in no box is refused on
    its row (`refused`, what to do) and the rest saved; a refused positive is reported to the
    community (its people held, 来源待核实: `reported_positive`, `held_unverified`); every row
    refused → 422 `rows_refused` (nothing saved). A positive pooled tube starts the follow-up at
    once; an invalid one makes its people's swabs void (to be sampled again). Rows that
    change a result already recorded → 409 `confirm_changes` with `changes` (row, barcode,
    old → new, people held, cases, what it does) and `confirm`, nothing saved, unless
    `confirm_changes` is true (or that `confirm` fingerprint)."""
    actor = actor_of(request)
    if not actor.scope.has(Perm.SCREENING_LAB):
        raise NotFound()
    rows = [r.model_dump() for r in payload.results]
    for i, r in enumerate(rows, 1):
        r["_row"] = i
    return _saved(lab.record_results(actor, rows, source="api", confirm_changes=_confirm(payload.confirm_changes)))


def _saved(summary: dict) -> dict:
    """The summary of results taken; every row refused for the chain of custody and nothing
    saved (`lab.nothing_saved`): 422 `rows_refused`, each row's reason in `rows`, the refused
    positives reported to the community all the same (`reported_positive`, `held_unverified`)
    — a lab system that treats any 2xx as done would otherwise drop the file."""
    if not lab.nothing_saved(summary):
        return summary
    n = summary["reported_positive"]
    message = _("No result was saved: every row was refused (see each row).")
    if n:
        message += " " + ngettext(
            "%(n)d refused row was positive: the community has been told and the tube's people are held.",
            "%(n)d refused rows were positive: the community has been told and the tubes' people are held.",
            n) % {"n": n}
    raise Invalid(message, rows=summary["refused"], code="rows_refused", status=422,
                  extra={"reported_positive": n, "held_unverified": summary["held_unverified"]})


def _confirm(value) -> bool | str:
    """`confirm_changes` as sent: true (a boolean or its words) or the 409's fingerprint."""
    if isinstance(value, bool):
        return value
    text = str(value or "").strip()
    return True if text.lower() in ("true", "1", "yes") else text or False


@router.post("/screening/results/file", response=ResultsOut)
def results_file(request, file: File[UploadedFile], confirm_changes: Form[str] = ""):
    """A lab's results file (.xlsx, or .csv in UTF-8 or GB18030) with columns 管号 (tube),
    结果 (result), ORF1ab and N Ct values and 检测时间 (time), as uploaded on the lab page:
    all or nothing: a file that cannot be read answers 422 `invalid_file`, one whose rows have
    errors 422 `file_rejected` with every row error (`rows`, numbered as in the file); rows
    refused for the chain of custody as `POST …/results` (every row refused: 422
    `rows_refused`), one
    that changes results already recorded 409 `confirm_changes` (as `POST …/results`)
    unless the form field `confirm_changes` is "true" (or the 409's `confirm`)."""

    actor = actor_of(request)
    if not actor.scope.has(Perm.SCREENING_LAB):
        raise NotFound()
    rows = labfile.rows_of_upload(file)  # a file that cannot be used: 422 invalid_file
    try:
        summary = lab.record_results(actor, rows, source="upload", confirm_changes=_confirm(confirm_changes))
    except Invalid as e:  # its rows have errors: 422 file_rejected, every row error at once
        if isinstance(e, FileRefused) or not e.rows:
            raise
        raise FileRejected(e.message, rows=e.rows, fields=e.fields) from None
    return _saved(summary)


@router.get("/screening/results/template")
def results_template(request):
    """The results file to fill in (.xlsx): the columns `POST …/results/file` reads, headed
    in the caller's language, a row for each tube the lab has received and not yet reported
    (barcode, round, box; the results left to fill in), and a sheet saying what each column
    takes. For the lab; anyone else: 404."""
    if not request.scope.has(Perm.SCREENING_LAB):
        raise NotFound()
    return lab_template.download(request.scope)


@router.get("/screening/rounds/{round_id}/results", response=TubeResultPage)
def tube_results(request, round_id: int, result: str = "", page: int = PageNumber,
                 page_size: int | None = PageSize):
    """The round's tubes holding swabs and what the lab saved for each (the lab reads back
    its uploads): result, Ct values, time of test, when saved, corrections before it; single
    re-tests (单采复核, urgent) first. `result`: positive | negative | invalid | none (no
    result yet) | retest. For the lab (its own area's tubes) and whoever sees the round's
    figures, as far as they see them (`queries.results_part`: a building leader, the tubes
    holding a swab of someone in the building); anyone else: 404."""
    rnd = queries.get_round_results(request.scope, round_id)
    if result and result not in queries.RESULT_FILTERS:
        raise Invalid(fields={"result": [_("Choose positive, negative, invalid, none or retest.")]})
    count, size, rows = page_of(queries.tube_results(request.scope, rnd, result), page, page_size)
    return {"count": count, "page": page, "page_size": size, "results": [
        {"barcode": t.barcode, "retest": t.retest, "count": t.count, "state": t.state,
         "at_lab_at": t.at_lab_at, "result": t.result,
         "result_label": str(t.get_result_display()) if t.result else "",
         "ct_orf": float(t.ct_orf) if t.ct_orf is not None else None,
         "ct_n": float(t.ct_n) if t.ct_n is not None else None,
         "tested_at": t.result_at, "recorded_at": t.recorded_at,
         "corrections": max(0, t.results_n - 1)} for t in rows]}


@router.get("/screening/advisor", response=AdvisorOut)
def advisor(request, prevalence: float = Query(..., gt=0, lt=1)):
    """Dorfman: expected tests per person for each pool size at `prevalence`, and the best."""
    if not (request.scope.has(Perm.SCREENING_VIEW) or request.scope.has(Perm.SCREENING_LAB)):
        raise NotFound()
    try:
        return pooling.advisor(prevalence)
    except ValueError:
        raise Invalid(fields={"prevalence": [_("Enter a prevalence between 0 and 1.")]}) from None


from . import antigen_api, box_api, work_api  # noqa: E402, F401  (their routes on the same router)
