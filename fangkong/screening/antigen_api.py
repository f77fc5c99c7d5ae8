"""Antigen rounds over JSON (/api/v1/screening/…), registered on the screening router.

- POST …/rounds/{id}/kits: kits handed over at a household's door (idempotent on client_id).
- POST …/rounds/{id}/antigen-results: one person's result, multipart (a photo of the
  cassette as `photo`); at the door, or self-reported by the household's resident (photo
  required). 200 with the stored result; a resent submission changes nothing.
- GET …/rounds/{id}/antigen-households/{household_id}: members and their results, kits.
- GET …/rounds/{id}/antigen-coverage: expected / reported / missing, households, kits,
  positives under `place`, and the same by unit.
- POST …/rounds/{id}/antigen-remind: 「提醒未报告的家庭」 (`actions.remind`, as the page).
- POST …/rounds/{id}/antigen-results/{result_id}/correct: the community staff correct a
  positive (`actions.antigen_correct`, as the overview's 更正).
"""

from django.urls import reverse
from ninja import File, Form, Status
from ninja.files import UploadedFile

from fangkong.accounts.roles import Perm
from fangkong.core.access import ids as row_ids
from fangkong.core.actor import actor_of
from fangkong.core.shedding import check_rate
from fangkong.registry import queries as reg_queries

from . import antigen, figures
from .actions import antigen as antigen_actions
from .api_common import router
from .schemas import (
    AntigenCorrectIn,
    AntigenCoverageOut,
    AntigenHouseholdOut,
    AntigenRemindOut,
    AntigenResultOut,
    KitIn,
    KitOut,
    RemindIn,
)


def result_out(a, changed=True) -> dict:
    return {"id": a.id, "resident": a.resident_id, "result": a.result, "source": a.source,
            "tested_at": a.tested_at, "photo": reverse("screening_antigen_photo", args=[a.id])
            if a.photo else "", "changed": changed,
            "corrected_at": a.corrected_at if a.corrected else None,
            "correction_reason": a.correction_reason if a.corrected else "",
            "positive_photo": reverse("screening_antigen_positive_photo", args=[a.id]) if a.positive_photo else ""}


@router.post("/screening/rounds/{round_id}/antigen-results/{result_id}/correct", response=AntigenResultOut)
def antigen_correct(request, round_id: int, result_id: int, payload: AntigenCorrectIn):
    """The community staff correct a positive antigen result ({result: negative | invalid,
    reason, confirm}). Without `confirm: true`: 409 `confirm_correction` with `effect` (what
    it would do: the hold lifted, the PCR re-test visit taken off), nothing changed. A hold
    the PCR re-test decides (its swab taken, or a case): 400 `retest_decides`; a result not
    positive: 400 `not_positive`. A grid worker or volunteer: 403 (the door's ordinary
    result refuses a positive's change: `positive_kept`)."""
    from .actions import antigen_correct as correcting

    rnd = antigen.get_round(request.scope, round_id)
    row = antigen.get_result(request.scope, rnd, result_id)
    row = correcting.correct_positive(actor_of(request), rnd, row, payload.result, payload.reason,
                                      confirm=payload.confirm)
    return result_out(row)


@router.post("/screening/rounds/{round_id}/kits", response={201: KitOut, 200: KitOut})
def kits_issue(request, round_id: int, payload: KitIn):
    """Kits handed over at a household's door: {household, count, client_id, note,
    issued_at} (issued_at: when it was entered, for a phone that was offline; else now)."""
    actor = actor_of(request)
    rnd = antigen.get_round_for_door(actor, round_id)
    _rnd, hh, _door = antigen.get_round_for_household(actor, rnd.id, payload.household)
    before = antigen.household_kits(rnd, [hh.id]).get(hh.id, (0, None))[0]
    k = antigen_actions.issue_kits(actor, rnd, hh, payload.count, client_id=payload.client_id,
                           note=payload.note, issued_at=payload.issued_at)
    total = antigen.household_kits(rnd, [hh.id])[hh.id][0]
    return Status(201 if total != before else 200,
                  {"id": k.id, "household": hh.id, "count": k.count, "total": total,
                   "issued_at": k.issued_at})


@router.post("/screening/rounds/{round_id}/antigen-results", response=AntigenResultOut)
def antigen_result(request, round_id: int, resident: Form[int], result: Form[str],
                   client_id: Form[str] = "", tested_at: Form[str] = "",
                   photo: File[UploadedFile] = None):
    """One person's antigen result (multipart). Staff, grid workers and assigned volunteers
    at the door; the household's resident for their own members, with `photo`. A positive
    result starts the urgent PCR re-test and notifies staff at once."""
    actor = actor_of(request)
    row_ids([resident])  # a number no row can have: not found
    r = reg_queries.get_resident(_whole(), resident)
    rnd, _hh, _door = antigen.get_round_for_household(actor, round_id, r.household_id)
    a, changed = antigen_actions.record_result(actor, rnd, r, result, photo=photo,
                                       client_id=client_id or None, tested_at=tested_at or None)
    return result_out(a, changed)


def _whole():
    """The person is looked up unscoped and then checked against the round and the
    household (`get_round_for_household`): a volunteer at the door has no registry scope."""
    from fangkong.core.actor import SystemScope

    return SystemScope()


@router.get("/screening/rounds/{round_id}/antigen-households/{household_id}",
            response=AntigenHouseholdOut)
def antigen_household(request, round_id: int, household_id: int):
    """The household at the door (names only), each member's result, and its kits."""
    rnd, hh, _door = antigen.get_round_for_household(actor_of(request), round_id, household_id)
    st = antigen.household_status(rnd, hh)
    return {"household": hh.id, "door": hh.door, "kits": st["kits"], "kits_last": st["kits_last"],
            "people": [{"id": p.id, "name": p.name,
                        "result": p.antigen.result if p.antigen else "",
                        "source": p.antigen.source if p.antigen else ""} for p in st["people"]]}


@router.get("/screening/rounds/{round_id}/antigen-coverage", response=AntigenCoverageOut)
def antigen_coverage(request, round_id: int, place: int | None = None):
    rnd = antigen.get_round(request.scope, round_id)
    node = rnd.place if place is None else reg_queries.get_place(request.scope, place,
                                                                  Perm.SCREENING_VIEW)
    check_rate(request, "coverage")  # after the access checks: a refused round is 404 always
    return {"place": node.id, **figures.coverage(rnd, node), "units": antigen.by_unit(rnd, node)}


@router.post("/screening/rounds/{round_id}/antigen-remind", response=AntigenRemindOut)
def antigen_remind(request, round_id: int, payload: RemindIn):
    """Remind, in their inbox, the family accounts of the households under `place` (default:
    your part of the round) with someone who has not reported an antigen result. Without
    `confirm: true`: 409 `confirm_remind` with `households` (would be told), `recent`
    (reminded in the last 2 hours: not again) and `door`, nothing sent. A household reminded
    in the last 2 hours is not reminded again. `door`: households without any family
    account, to visit (the round's door page). For whoever runs the round's people (staff;
    a grid worker for their grid); a round over: 400."""
    from .actions import remind as remind_actions
    from .queries import round_node

    rnd = antigen.get_round(request.scope, round_id)
    node = round_node(request.scope, rnd, payload.place)
    done = remind_actions.remind(actor_of(request), rnd, node, confirm=payload.confirm)
    return {"households": len(done["told"]), "notified": done["notified"], "recent": len(done["recent"]),
            "door": [{"household": hh.id, "door": hh.door, "address": hh.address, "names": hh.names,
                      "door_page": reverse("screening_antigen_door", args=[rnd.id]) + f"?household={hh.id}"}
                     for hh in done["door"]],
            "message": " ".join(remind_actions.said(done))}
