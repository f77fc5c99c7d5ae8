"""Samples to the lab and results back: boxes packed at the point, the two-signature
hand-overs (双签收) on the way (the lab's receipt marks a tube missing or damaged), and the
lab's results by tube barcode (an error of the file: all or nothing; the chain of custody:
per row, a refused positive reported all the same; a positive pool and a re-test's result go
on to `followup`)."""

import datetime
import secrets
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.accounts.roles import Perm
from fangkong.audit.actions import record
from fangkong.core import bulk
from fangkong.core.errors import Invalid
from fangkong.core.when import short_time

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
    Lost,
    Result,
    Round,
    Tube,
    TubeState,
    result_word,
)
from . import corrections, resample
from .common import user_of
from .followup import positive_pools, retest_results, unverified_positives

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


def hand_over(actor, box: Box, stage: str, given_by: str, received_by: str, *, missing=(), damaged=()) -> Handover:
    """双签收: both names are required. The lab stage marks every tube as arrived, but those
    the lab found `missing` from the box or `damaged` (barcodes of the box's tubes): each is
    recorded invalid at once (`_lost`: a result row, `Tube.lost`), so its people are sampled
    again as for any invalid pool (`resample.void_tubes`, the community told why) and a
    single re-test's person waits for another swab (`followup.retest_results`)."""
    rnd = box.round
    require_handover(actor, rnd, stage, box)
    errors = {}
    lost = _lost_marks(box, stage, missing, damaged, errors)
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
            _lost(actor, box, lost, now)
        record(actor, "screening.box.handover", rnd, {"box": box.code, "stage": stage, "lab": box.lab_id,
                                                      "given_by": given, "received_by": received,
                                                      **({"missing": [c for c, w in lost.items() if w == Lost.MISSING],
                                                          "damaged": [c for c, w in lost.items() if w == Lost.DAMAGED]}
                                                         if lost else {})},
               levels_from=rnd)
    return h


def _lost_marks(box: Box, stage: str, missing, damaged, errors) -> dict:
    """{barcode: Lost} of the tubes the lab marks when it signs for the box: each one of the
    box's tubes without a result, once, at the lab's stage only; else the field's error."""
    marks = {}
    for field, why in (("missing", Lost.MISSING), ("damaged", Lost.DAMAGED)):
        for raw in missing if field == "missing" else damaged:
            code = checks.text(raw, 60).upper()
            if code:
                if code in marks:
                    errors.setdefault(field, []).append(
                        _("Tube %(code)s is marked both missing and damaged: choose one.") % {"code": code})
                marks[code] = why
    if not marks:
        return {}
    if stage != Handover.Stage.LAB:
        errors.setdefault("missing", []).append(_("Only the lab marks a tube missing or damaged, when it "
                                                  "signs for the box."))
        return {}
    inside = dict(box.tubes.values_list("barcode", "result"))
    for code, why in marks.items():
        field = "missing" if why == Lost.MISSING else "damaged"
        if code not in inside:
            errors.setdefault(field, []).append(_("Tube %(code)s is not in box %(box)s.") % {"code": code, "box": box.code})
        elif inside[code]:
            errors.setdefault(field, []).append(_("Tube %(code)s has a result already.") % {"code": code})
    return marks


def _lost(actor, box: Box, lost: dict, now) -> None:
    """The tubes the lab found missing or damaged in the box it signed for: recorded invalid
    (a result row, source "receipt", kept in the tube's history; `Tube.lost` says why), so a
    pooled tube's people are sampled again (`resample.void_tubes`, the staff told the tube
    never reached the lab whole) and a single re-test's person waits for another swab."""
    if not lost:
        return
    tubes = list(Tube.objects.filter(box=box, barcode__in=list(lost)).select_related("round"))
    user = user_of(actor)
    for t in tubes:
        t.result, t.result_at, t.lost = Result.INVALID, now, lost[t.barcode]
        LabResult.objects.create(tube=t, result=Result.INVALID, tested_at=now, source="receipt",
                                 entered_by=user, created_at=now)
    Tube.objects.bulk_update(tubes, ["result", "result_at", "lost"])
    resample.void_tubes(actor, [t for t in tubes if not t.retest], lost={t.id: t.lost for t in tubes})
    retests = [t for t in tubes if t.retest]
    if retests:
        retest_results(actor, retests)


# --- lab results ------------------------------------------------------------------------

def record_results(actor, rows, *, source="upload", confirm_changes=False) -> dict:
    """Results by tube barcode. An error of the file itself is all or nothing: every row is
    checked (format, a tube twice, tube known and in this lab's area, not empty, sealed, a
    time of test not before the tube was sealed) before anything is written, and every error
    of every row comes back in one answer. The chain of custody is per row (`_custody`): a
    row for a tube that is not this lab's to write — sent to another lab, in a box the lab
    has not signed for, a pooled tube that came in no box (`unboxed`) — is refused alone
    (`refused`, each saying why and what the lab can do), the rest written; a refused
    POSITIVE still reaches the community at once (`_report_refused`: its people held, 来源待
    核实, the staff told to back-fill the box; `reported_positive` rows, `held_unverified`
    people held now). Every row refused and nothing written: `nothing_saved` (the page and
    the API answer 422). A result for a tube that already
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
    API), "refused" (the rows refused: row, column, value, message, positive),
    "reported_positive" (of them positive, reported to the community), "held_unverified"
    (people held by those now who were not)}."""
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
            continue
        t = found[0]
        if t.count == 0:
            tube_errors.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                                "message": _("Tube %(code)s holds no sample.") % {"code": r["barcode"]}})
        elif t.state == TubeState.OPEN:
            # its people may not all be registered yet (a phone still offline): a positive
            # would hold only some of them
            tube_errors.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                                "message": _("Tube %(code)s is still open at its sampling table: "
                                             "a result is taken once the tube is sealed (the "
                                             "table's phone may not have sent it yet).")
                                % {"code": r["barcode"]}})
        elif custody := _custody(actor, t):
            # chain of custody (双签收): a tube of the area not sent to this lab (another lab's
            # box, or no box where several labs serve), in a box the lab has not signed for,
            # or a pooled tube that came in no box — refused, this row only, the rest of the
            # file written; a positive one still reaches the community (`_report_refused`)
            refused.append({"row": r["row"], "column": "barcode", "value": r["barcode"], "kind": custody,
                            "positive": r["result"] == Result.POSITIVE, "tube": t})
        elif r["tested_at"] < (t.sealed_at or t.round.starts_at) - checks.CLOCK_SLACK:
            # a test before the swabs were in the tube: a date typed wrong (a year gone, a day off)
            tube_errors.append({"row": r["row"], "column": "tested_at",
                                "value": f"{timezone.localtime(r['tested_at']):%Y-%m-%d %H:%M}",
                                "message": _("The time of test is before the tube was sealed (%(sealed)s): "
                                             "check the date and time.")
                                % {"sealed": short_time(t.sealed_at or t.round.starts_at)}})
    if errors or tube_errors:
        raise Invalid(_("The results have errors: nothing was saved."),
                      rows=checks.sorted_row_errors(errors + tube_errors + _said(refused)),
                      code="invalid" if errors else "unknown_tubes")
    if refused:
        gone = {x["row"] for x in refused}
        clean = [r for r in clean if r["row"] not in gone]
        codes = [r["barcode"] for r in clean if r["barcode"]]
    user = user_of(actor)
    summary = dict.fromkeys(SUMMARY, 0)
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
            # a positive refused for the chain of custody stands for the tube's result until one
            # is recorded: negative or invalid now is a change, asked first and applied as a
            # correction (holds lifted, staff told); positive now confirms it
            reported = _Reported(t) if prev is None and t.source_unverified and \
                r["result"] != Result.POSITIVE else None
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
            before = prev or reported
            was = before.result if before else ""
            if was and was != r["result"]:
                reversed_.append((r["row"], t, before, r["result"]))
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
        for c in found:
            if c["recorded_id"] is None:  # a refused positive (`_Reported`), said so
                c["old_label"] = _("Positive reported, source to be checked")
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
        # a refused positive is not lost: its people held, the community told (来源待核实)
        summary["reported_positive"], summary["held_unverified"] = _report_refused(actor, refused)
        summary["refused"] = checks.sorted_row_errors(_said(refused))
        record(actor, "screening.results", None,
               {"source": source, **summary, "refused": [x["value"] for x in refused[:200]], "tubes": codes[:200],
                "reported_positive": [x["value"] for x in refused if x["positive"]][:200],
                "changes": [{"tube": c["barcode"], "from": c["old"], "to": c["new"]} for c in found[:200]]},
               levels_from=_levels_of(clean, tubes, refused), label=source)
    return summary


class _Reported:
    """A positive whose row the chain of custody refused (`Tube.source_unverified`), as the
    recorded result a later one changes (`corrections.changes` reads these fields)."""

    def __init__(self, tube: Tube):
        self.id, self.result, self.created_at = None, Result.POSITIVE, tube.unverified_positive_at
        self.ct_orf = self.ct_n = None


def nothing_saved(summary: dict) -> bool:
    """Every row of the file refused (chain of custody) and nothing of it written as a
    result: the page and the API answer 422 (a lab system that takes any 2xx as done
    would otherwise drop the file), the refused positives reported all the same."""
    return bool(summary["refused"]) and not (summary["saved"] or summary["corrected"] or summary["unchanged"])


def _levels_of(clean, tubes, refused):
    """The round whose levels the audit event of a file takes: its first written row's, else
    its first refused row's."""
    if clean:
        return tubes[clean[0]["barcode"]][0].round
    return refused[0]["tube"].round if refused else None


def _custody(actor, tube: Tube) -> str:
    """Why the chain of custody keeps this lab from writing the tube's result, or "":
    "elsewhere" (a tube of the area not sent to this lab: another lab's box, or no box where
    several labs serve), "not_received" (its box not signed for at the lab yet: at the
    point or with the courier), "unboxed" (a pooled tube that came in no box)."""
    if not is_lab_of(actor, tube, tube.round):
        return "elsewhere"
    if tube.box_id and tube.box.state != Box.State.AT_LAB:
        return "not_received"
    if unboxed(tube):
        return "unboxed"
    return ""


def _report_refused(actor, refused) -> tuple[int, int]:
    """The positive rows the chain of custody refused: their tubes' people held at once as
    any positive pool's, marked 来源待核实, the community told and asked to complete the box
    and its hand-overs (`followup.unverified_positives`). Returns (rows reported, people
    held now who were not); each row's `held` is how many its tube holds."""
    # a tube with a result recorded (by the lab it was sent to) is not held again on a row
    # another lab could not write: that row is refused, saying so (`custody_words`)
    positives = [x for x in refused if x["positive"] and not x["tube"].result]
    if not positives:
        return 0, 0
    tubes = {x["tube"].id: x["tube"] for x in positives}
    kinds = {x["tube"].id: x["kind"] for x in positives}
    held, new = unverified_positives(actor, list(tubes.values()), kinds)
    for x in positives:
        x["held"] = held.get(x["tube"].id, 0)
    return len(positives), new


def _said(refused) -> list[dict]:
    """The refused rows as the page and the API say them: row, column, value, message (why,
    what the lab can do, and for a positive that it was reported), `positive`."""
    return [{"row": x["row"], "column": x["column"], "value": x["value"], "positive": x["positive"],
             "message": custody_words(x["tube"], x["kind"], x["positive"], x.get("held"))} for x in refused]


def custody_words(tube: Tube, kind: str, positive=False, held=None) -> str:
    """A row refused for the chain of custody, in the reader's language: why, what the lab
    itself can do (a lab has no box form: it calls the sampling point, or signs for a box
    that has arrived), and for a positive that it was — reported to the community (`held`:
    how many the tube holds), or, the file refused for other errors, to be uploaded again
    at once."""
    code = tube.barcode
    box = tube.box.code if tube.box_id else ""
    if kind == "elsewhere":
        why = (_("Tube %(code)s was sent to another lab in box %(box)s") if box else
               _("Tube %(code)s came in no box, and several labs serve this area"))
        todo = _("Call the sampling point to find out which lab it was sent to")
    elif kind == "not_received" and tube.box.state == Box.State.IN_TRANSIT:
        why = _("Tube %(code)s is in box %(box)s, which the lab has not signed for yet")
        todo = _("If the box is here, sign for it (Boxes: receive the box), then upload this row again")
    elif kind == "not_received":
        why = _("Tube %(code)s is in box %(box)s, still at the sampling point (not handed to the courier)")
        todo = _("Call the sampling point: the box is handed to the courier and signed for here, then "
                 "upload this row again")
    else:
        why = _("Tube %(code)s came to the lab in no box (a pooled tube's result is taken only from a "
                "transport box signed for by the courier and the lab)")
        todo = _("Call the sampling point: the community records the box and its hand-overs, then "
                 "upload this row again")
    said = _("%(why)s: this row was not saved as a result. %(todo)s.") % {
        "why": why % {"code": code, "box": box}, "todo": todo}
    if not positive:
        return said
    if tube.result:  # recorded already by the lab it was sent to: not reported again
        return _("POSITIVE. %(said)s The tube already has a result recorded (%(result)s): the "
                 "community was not told of this row.") % {"said": said, "result": result_word(tube.result)}
    if held is None:  # the file was refused for other errors: nothing reported yet
        return _("POSITIVE. %(said)s Correct the file's errors and upload it again at once: the "
                 "community is told of this positive when the file is taken.") % {"said": said}
    return _("POSITIVE. %(said)s %(reported)s") % {"said": said, "reported": ngettext(
        "The community has been told at once: the %(n)d person in the tube is held for a single "
        "re-test, the result marked “source to be checked”.",
        "The community has been told at once: the %(n)d people in the tube are held for a single "
        "re-test, the result marked “source to be checked”.", held) % {"n": held}}


def unboxed(tube: Tube) -> bool:
    """A pooled tube that came to the lab in no box: its result is refused (every pooled tube
    travels in a transport box signed for by the courier and the lab, 双签收 — one rule for a
    round with one lab or several). Not a single re-test tube (单采复核: urgent, carried
    straight from the door, `followup.record_retest`), nor a tube whose result was taken
    before this rule (received already: its corrections are the lab's)."""
    return not tube.retest and not tube.box_id and tube.at_lab_at is None


SUMMARY = ("saved", "corrected", "unchanged", "positive_pools", "followups", "lifted", "invalid_pools",
           "resample", "resample_left_out", "restored", "retests", "released", "close_contacts", "cases",
           "no_receipt", "reported_positive", "held_unverified")


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
