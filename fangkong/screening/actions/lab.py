"""Samples to the lab and results back: boxes packed at the point, the two-signature
hand-overs (双签收) on the way, and the lab's results by tube barcode (all or nothing; a
positive pool and a re-test's result go on to `followup`)."""

import datetime
import secrets
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm
from fangkong.audit.actions import record
from fangkong.core import bulk
from fangkong.core.errors import Invalid

from .. import checks
from ..access import (
    is_lab_of,
    lab_users_q,
    only_lab_id,
    require_handover,
    require_lab,
    require_sample,
    sent_to,
)
from ..models import (
    Box,
    FollowUp,
    Handover,
    HeldLabFile,
    LabResult,
    Result,
    Round,
    Tube,
    TubeState,
)
from . import corrections, resample
from .common import user_of
from .followup import positive_pools, retest_results

# --- transport -------------------------------------------------------------------------

def check_lab(rnd: Round, lab, errors=None):
    """A lab account serving the round's area (`access.lab_users_q`), by id or user; blank:
    None. Anything else: Invalid on the field `lab`."""
    from fangkong.accounts.models import User

    if lab in (None, ""):
        return None
    try:
        pk = lab.pk if isinstance(lab, User) else int(lab)
        return User.objects.filter(lab_users_q(rnd)).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Invalid(fields={"lab": [_("Choose one of the labs that serve this round's area.")]}) from None


def create_box(actor, rnd: Round, code, point=None, lab=None) -> Box:
    """A new box at the point, sent to `lab` (`check_lab`); none chosen: the round's only lab."""
    require_sample(actor, rnd)
    code = checks.check_barcode(code, "code")
    lab = check_lab(rnd, lab)
    box = Box(round=rnd, code=code, point=point, created_by=user_of(actor),
              lab_id=lab.pk if lab else only_lab_id(rnd))
    with transaction.atomic():
        try:
            with transaction.atomic():
                box.save()
        except IntegrityError:
            raise Invalid(fields={"code": [_("Box %(code)s already exists.") % {"code": code}]}) from None
        record(actor, "screening.box.create", rnd, {"box": code, "lab": box.lab_id}, levels_from=rnd)
    return box


def send_box(actor, box: Box, lab) -> Box:
    """Name (or change) the lab a box is sent to, until the lab signed for it: whoever packs
    the round's boxes; the lab one of `check_lab`'s."""
    rnd = box.round
    require_sample(actor, rnd)
    lab = check_lab(rnd, lab)
    if lab is None:
        raise Invalid(fields={"lab": [_("Choose the lab the box is sent to.")]})
    with transaction.atomic():
        box = Box.objects.select_for_update().get(pk=box.pk)
        if box.state == Box.State.AT_LAB:
            raise Invalid(_("This box has been received at the lab already."), code="box_at_lab")
        before, box.lab = box.lab_id, lab
        box.save(update_fields=["lab"])
        record(actor, "screening.box.send", rnd, {"box": box.code, "lab": lab.pk, "lab_name": str(lab),
                                                   "before": before}, levels_from=rnd)
    return box


def pack_tubes(actor, box: Box, barcodes) -> int:
    """Put sealed tubes in a box that is still being packed. All or nothing."""
    rnd = box.round
    require_sample(actor, rnd)
    if box.state != Box.State.PACKING:
        raise Invalid(_("This box has left the point."), code="box_closed")
    codes = [checks.check_barcode(b) for b in barcodes if checks.text(b)]
    found = {t.barcode: t for t in Tube.objects.filter(round=rnd, barcode__in=codes)}
    rows = []
    for i, code in enumerate(codes, 1):
        t = found.get(code)
        if t is None:
            rows.append({"row": i, "column": "barcode", "value": code,
                         "message": _("Tube %(code)s is not in this round.") % {"code": code}})
        elif t.state != TubeState.SEALED:
            rows.append({"row": i, "column": "barcode", "value": code,
                         "message": _("Tube %(code)s is not sealed yet.") % {"code": code}})
        elif t.box_id and t.box_id != box.id:
            rows.append({"row": i, "column": "barcode", "value": code,
                         "message": _("Tube %(code)s is already in another box.") % {"code": code}})
    if rows:
        raise Invalid(_("Nothing was packed."), rows=rows)
    with transaction.atomic():
        n = Tube.objects.filter(round=rnd, barcode__in=codes).update(box=box)
        record(actor, "screening.box.pack", rnd, {"box": box.code, "tubes": codes[:200]},
               levels_from=rnd)
    return n


def hand_over(actor, box: Box, stage: str, given_by: str, received_by: str) -> Handover:
    """双签收: both names are required. The lab stage marks every tube as arrived."""
    rnd = box.round
    require_handover(actor, rnd, stage, box)
    errors = {}
    if stage not in Handover.Stage.values:
        errors["stage"] = [_("Unknown hand-over.")]
    given = checks.kept_text(given_by, Handover, "given_by", errors)
    received = checks.kept_text(received_by, Handover, "received_by", errors)
    if not given:
        errors["given_by"] = [_("Who handed it over?")]
    if not received:
        errors["received_by"] = [_("Who received it?")]
    if errors:
        raise Invalid(fields=errors)
    expected = Box.State.PACKING if stage == Handover.Stage.PICKUP else Box.State.IN_TRANSIT
    if box.state != expected:
        raise Invalid(_("This box is not at that step."), code="wrong_step")
    if stage == Handover.Stage.PICKUP and not box.tubes.exists():
        raise Invalid(_("The box is empty."), code="box_empty")
    if stage == Handover.Stage.PICKUP and sent_to(box, rnd) is None:
        raise Invalid(fields={"lab": [_("Choose the lab the box is sent to before the courier takes it.")]},
                      code="no_lab")
    now = timezone.now()
    with transaction.atomic():
        h = Handover.objects.create(box=box, stage=stage, given_by=given, received_by=received,
                                    recorded_by=user_of(actor), at=now)
        box.state = Box.State.IN_TRANSIT if stage == Handover.Stage.PICKUP else Box.State.AT_LAB
        box.lab_id = box.lab_id or sent_to(box, rnd)  # the round's only lab, named now
        box.save(update_fields=["state", "lab"])
        if stage == Handover.Stage.LAB:
            Tube.objects.filter(box=box, at_lab_at=None).update(at_lab_at=now)
        record(actor, "screening.box.handover", rnd, {"box": box.code, "stage": stage, "lab": box.lab_id,
                                                      "given_by": given, "received_by": received},
               levels_from=rnd)
    return h


# --- lab results ------------------------------------------------------------------------

def record_results(actor, rows, *, source="upload", confirm_changes=False) -> dict:
    """Results by tube barcode, all or nothing: every row is checked (format, a tube twice,
    tube known and in this lab's area, tube not empty) before anything is written, and
    every error of every row comes back in one answer. A row for a tube that is not this
    lab's to write — a pooled tube that came in no box (`unboxed`), a tube sent to another
    lab — is refused alone (`refused`), the rest written. A result for a tube that already
    has one is a correction: a new row replaces it, the old one stays in the history. A
    file that changes a recorded result (negative → positive, positive → negative…) is
    applied only once the lab confirms those changes (`confirm_changes`: True, or the
    fingerprint the 409 gave); otherwise `corrections.ask` answers 409 listing them.
    Returns {"saved", "corrected", "unchanged" (recorded before, the same),
    "positive_pools" (tubes positive now that were not), "followups" (people held by them
    now that were not), "lifted" (people a pool corrected away from positive released),
    "invalid_pools" (pooled tubes invalid now), "resample" (their people, to be sampled
    again), "resample_left_out" (their people not sampled again: confirmed a case, in
    hospital or isolation — `resample.left_out`), "retests" (single re-test results that
    closed a follow-up), "released" (of them negative and released), "close_contacts" (of
    them negative but living with a case: not released), "cases" (of them positive:
    confirmed cases, staff told), "restored" (people of pools corrected away from invalid
    whose first swab counts again), "no_receipt" (tubes no signed box brought, but a single
    re-test tube never boxed: none since a pooled tube in no box is refused — kept for the
    API), "refused" (the rows refused)}."""
    clean, errors = checks.check_lab_rows(rows)
    codes = [r["barcode"] for r in clean if r["barcode"]]
    tubes = defaultdict(list)
    rounds = {}  # one Round a round: its own lab is read once (`access.only_lab_id`)
    for t in Tube.objects.filter(barcode__in=codes).select_related("round", "round__place", "box"):
        if actor.scope.allows(Perm.SCREENING_LAB, t):
            t.round = rounds.setdefault(t.round_id, t.round)
            tubes[t.barcode].append(t)
    # a tube in no box that a lab wrote before is that lab's (it corrects its own results)
    loose = [t.id for ts in tubes.values() for t in ts if not t.box_id]
    first = {}
    for tube_id, by in (LabResult.objects.filter(tube_id__in=loose).exclude(entered_by=None)
                        .order_by("-created_at", "-id").values_list("tube_id", "entered_by_id")):
        first[tube_id] = by  # the earliest last
    for ts in tubes.values():
        for t in ts:
            t.first_lab_id = first.get(t.id)
    tube_errors, refused = [], []
    for r in clean:
        found = tubes.get(r["barcode"], [])
        if r["barcode"] is None or r.get("duplicate"):
            continue
        if len(found) > 1:
            # The same barcode in two rounds: the newest round's sealed tube is the one.
            found.sort(key=lambda t: (t.round.starts_at, t.id), reverse=True)
        if not found:
            # unknown, or another lab's: the same answer (a lab learns nothing of others' tubes)
            tube_errors.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                                "message": _("Tube %(code)s is not in any round of this lab's "
                                             "area: check the barcode.") % {"code": r["barcode"]}})
        if found and found[0].count == 0:
            tube_errors.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                                "message": _("Tube %(code)s holds no sample.") % {"code": r["barcode"]}})
        elif found and not is_lab_of(actor, found[0], found[0].round):
            # a tube of the area not sent to this lab (another lab's box, or no box where
            # several labs serve): refused, this row only — the rest of the file is written
            refused.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                            "message": _not_sent_here(found[0])})
        elif found and found[0].box_id and found[0].box.state != Box.State.AT_LAB:
            # 双签收: a box is the lab's once it signed for it; before that its tubes are at
            # the point or with the courier, and a result for one is a wrong barcode
            tube_errors.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                                "message": _("Tube %(code)s has not been received at the lab: its box "
                                             "%(box)s is %(where)s. Sign for the box on the round's "
                                             "boxes page first, then upload the result.")
                                % {"code": r["barcode"], "box": found[0].box.code,
                                   "where": _box_where(found[0].box)}})
        elif found and found[0].state == TubeState.OPEN:
            # its people may not all be registered yet (a phone still offline): a positive
            # would hold only some of them
            tube_errors.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                                "message": _("Tube %(code)s is still open at its sampling table: "
                                             "a result is taken once the tube is sealed (the "
                                             "table's phone may not have sent it yet).")
                                % {"code": r["barcode"]}})
        elif found and unboxed(found[0]):
            # chain of custody: a pooled tube reaches the lab in a box both hand-overs signed
            # for, whether one lab serves the round or several; refused, this row only
            refused.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                            "message": _unboxed_words(found[0])})
    if errors or tube_errors:
        raise Invalid(_("The results have errors: nothing was saved."),
                      rows=checks.sorted_row_errors(errors + tube_errors + refused),
                      code="invalid" if errors else "unknown_tubes")
    if refused:
        gone = {x["row"] for x in refused}
        clean = [r for r in clean if r["row"] not in gone]
        codes = [r["barcode"] for r in clean if r["barcode"]]
    user = user_of(actor)
    summary = dict.fromkeys(SUMMARY, 0)
    summary["refused"] = checks.sorted_row_errors(refused)
    with transaction.atomic():
        # Set-based: one read of the tubes' latest results, one insert of the new results
        # (COPY on PostgreSQL), one UPDATE … FROM (VALUES …) of the tubes a 1,000, the
        # positive pools' follow-ups in one go (the city's 20,000 tubes wrote two statements
        # a tube before: ~200 tubes/s).
        latest = {}
        ids = [tubes[r["barcode"]][0].id for r in clean]
        for lr in LabResult.objects.filter(tube_id__in=ids).order_by("created_at", "id"):
            latest[lr.tube_id] = lr
        now = timezone.now()
        new_result = bulk.prototype(LabResult, tube_id=0, result="", tested_at=now, source=source,
                                    entered_by=user, created_at=now)
        written, changed, retests, reversed_ = [], [], [], []
        pools = defaultdict(list)  # what each pooled tube's new result does: see below
        for r in clean:
            t = tubes[r["barcode"]][0]
            prev = latest.get(t.id)
            if prev and prev.result == r["result"] and prev.ct_orf == r["ct_orf"] \
                    and prev.ct_n == r["ct_n"]:
                summary["unchanged"] += 1  # the same result again (a resent file): nothing new
                continue
            lr = new_result()
            lr.tube_id, lr.result, lr.ct_orf, lr.ct_n = t.id, r["result"], r["ct_orf"], r["ct_n"]
            lr.tested_at, lr.replaces_id = r["tested_at"], prev.id if prev else None
            written.append(lr)
            if t.at_lab_at is None and not (t.retest and t.box_id is None):
                # no box signed for at the lab: kept, and said, to be checked — but a single
                # re-test tube recorded at the door and never boxed is carried straight to the
                # lab (urgent, `record_retest`): no box to sign for, nothing to check
                summary["no_receipt"] += 1
            t.result, t.result_at, t.at_lab_at = r["result"], r["tested_at"], t.at_lab_at or now
            changed.append(t)
            summary["corrected" if prev else "saved"] += 1
            was = prev.result if prev else ""
            if was and was != r["result"]:
                reversed_.append((r["row"], t, prev, r["result"]))
            if t.retest:
                retests.append(t)
                continue
            new = r["result"]
            if new != was:  # a pool positive now, no longer positive, invalid now, no longer invalid
                for what, happens in (("positive", new == Result.POSITIVE), ("lift", was == Result.POSITIVE),
                                      ("void", new == Result.INVALID), ("restore", was == Result.INVALID)):
                    if happens:
                        pools[what].append(t)
        # a change of a recorded result is applied only when the lab confirmed it
        found = corrections.changes(reversed_)
        corrections.ask(found, confirm_changes, source)
        bulk.insert(LabResult, written)
        bulk.update(Tube, changed, ["result", "result_at", "at_lab_at"])
        summary["lifted"] = corrections.lift_holds(pools["lift"])
        summary["restored"] = resample.restore_tubes(actor, pools["restore"])
        if pools["positive"]:
            positives = pools["positive"]
            before = FollowUp.objects.filter(tube__in=positives).count()
            again = corrections.rehold(positives)
            positive_pools(actor, positives)
            summary["positive_pools"] = len(positives)
            # the people held now who were not: new follow-ups and those a correction had released
            summary["followups"] = FollowUp.objects.filter(tube__in=positives).count() - before + again
        if pools["void"]:
            summary["invalid_pools"] = len(pools["void"])
            summary["resample"], summary["resample_left_out"] = resample.void_tubes(actor, pools["void"])
        if retests:
            for k, v in retest_results(actor, retests).items():
                summary[k] += v
        corrections.tell(actor, found, {t.barcode: t for t in changed})
        record(actor, "screening.results", None,
               {"source": source, **summary, "refused": [x["value"] for x in refused[:200]], "tubes": codes[:200],
                "changes": [{"tube": c["barcode"], "from": c["old"], "to": c["new"]} for c in found[:200]]},
               levels_from=clean and tubes[clean[0]["barcode"]][0].round, label=source)
    return summary


def unboxed(tube: Tube) -> bool:
    """A pooled tube that came to the lab in no box: its result is refused (every pooled tube
    travels in a transport box signed for by the courier and the lab, 双签收 — one rule for a
    round with one lab or several). Not a single re-test tube (单采复核: urgent, carried
    straight from the door, `followup.record_retest`), nor a tube whose result was taken
    before this rule (received already: its corrections are the lab's)."""
    return not tube.retest and not tube.box_id and tube.at_lab_at is None


def _unboxed_words(tube: Tube) -> str:
    return _("Tube %(code)s came to the lab in no box: a pooled tube's result is taken only once "
             "the tube arrived in a transport box signed for by the courier and the lab. Pack it "
             "in a box on the round's boxes page and sign for the box, then upload its result: "
             "this row was not saved.") % {"code": tube.barcode}


def _not_sent_here(tube: Tube) -> str:
    """The per-row refusal of a tube of the lab's area that was not sent to it."""
    if tube.box_id:
        why = _("its box %(box)s was sent to another lab") % {"box": tube.box.code}
    else:
        why = _("it came in no box, and several labs serve this area: pack it in a box sent "
                "to your lab, or ask the sampling point which lab it went to")
    return _("Tube %(code)s was not sent to this lab (%(why)s): this row was not saved.") % {
        "code": tube.barcode, "why": why}


def _box_where(box: Box) -> str:
    return _("still at the sampling point") if box.state == Box.State.PACKING else _("still with the courier")


SUMMARY = ("saved", "corrected", "unchanged", "positive_pools", "followups", "lifted", "invalid_pools",
           "resample", "resample_left_out", "restored", "retests", "released", "close_contacts", "cases",
           "no_receipt")


# --- a file held for the lab's confirm step ----------------------------------------------

HELD_MINUTES = 30  # a file whose changes the lab is asked to confirm is kept this long


def hold_file(actor, rows, token: str = "") -> str:  # nosec B107 -- the held file's key (a random id), not a password
    """Keep the rows of a results file for its uploader while they are asked to confirm the
    changes it makes to recorded results (the confirm step cannot post a file again), for
    HELD_MINUTES; returns the token the step posts back (`queries.held_lab_file` reads it
    for the same account only). Asked again (the changes differ from those confirmed), the
    same token is kept. In the database, so the answer may reach any app server; the files
    held past their time, anyone's, are deleted first. A scratch row, not an event: what
    the file does is audited when it is applied (`record_results`)."""
    require_lab(actor)
    now = timezone.now()
    values = {"rows": _json_safe(rows), "created_at": now,
              "expires_at": now + datetime.timedelta(minutes=HELD_MINUTES)}
    with transaction.atomic():
        drop_expired(now)
        if token and HeldLabFile.objects.filter(user_id=actor.user.pk, token=token).update(**values):
            return token
        token = secrets.token_urlsafe(12)
        HeldLabFile.objects.create(user_id=actor.user.pk, token=token, **values)
    return token


def drop_held(actor, token: str) -> int:
    """The held file is done with: applied, or the lab went back without it. Only the
    account's own; returns how many rows went (0 or 1)."""
    require_lab(actor)
    if not token:
        return 0
    return HeldLabFile.objects.filter(user_id=actor.user.pk, token=token).delete()[0]


def drop_expired(now=None) -> int:
    """Files held past their time, whoever uploaded them: never applied, deleted (on the next
    upload held and by the worker's pass, `screening.tasks.recover_screening`)."""
    return HeldLabFile.objects.filter(expires_at__lte=now or timezone.now()).delete()[0]


def _json_safe(rows) -> list[dict]:
    """The rows as JSON keeps them, read back by the checks as they were: a date and time
    of a spreadsheet as ISO text (microseconds and zone kept: `checks.check_datetime`
    reads it back the same), any other non-JSON value as its text."""
    def value(v):
        if v is None or isinstance(v, (str, bool, int, float)):
            return v
        if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
            return v.isoformat()
        return str(v)

    return [{str(k): value(v) for k, v in row.items()} for row in rows]
