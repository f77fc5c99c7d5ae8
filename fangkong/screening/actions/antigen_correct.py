"""A positive antigen result corrected by the community staff (更正阳性结果).

The door's ordinary form never replaces a positive (`antigen.record_result`: refused, code
`positive_kept`, whoever fills it in): the family was told that only the community staff can
change it. The correction, page and API alike:
- is the staff's (`access.require_correct_positive`: SCREENING_CORRECT over the person; a grid
  worker, who sees the result, is answered 403);
- is asked first: without `confirm` it raises the Conflict `confirm_correction` saying what it
  would do (`effect`: the page's confirm step, the API's 409), nothing written; confirmed, it
  needs the corrected result (negative or invalid) and a reason;
- settles the person's hold at once, in the same transaction: awaiting the PCR re-test (no
  swab taken yet) → released (`FollowUp.corrected_at`: "released: the staff corrected the
  positive"), the urgent re-test visit off the home list; a re-test swab already taken
  (awaiting the lab) or a confirmed case → refused (`retest_decides`): the PCR re-test decides;
  released by a negative re-test → stays so;
- keeps the positive's cassette photo with the correction (`AntigenResult.positive_photo`;
  the row's `photo` is then the new result's, if one is sent later);
- is audited (`screening.antigen.correct`: positive → new result, reason, released) and told
  to the community's staff and the person's grid workers (told of the positive) and to the
  family's logins, in each reader's language.
The positives' figure and list (`figures.antigen_positive_q`) count the person until corrected.
"""

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Invalid, NotFound

from .. import access, checks
from ..antigen import require_antigen
from ..models import AntigenResult, FollowUp, HomeVisit, Result, Round, result_word
from .common import user_of

CORRECTED_TO = (Result.NEGATIVE, Result.INVALID)


def check(result, reason) -> tuple[str, str]:
    """The corrected result (negative or invalid, never positive) and the reason (required,
    at most the field's length) → clean values, or Invalid by field."""
    errors = {}
    value = str(result or "").strip()
    try:
        value = checks.check_result(value)
    except ValueError:
        value = ""
    if value not in CORRECTED_TO:
        errors["result"] = [_("Choose the corrected result: negative, or invalid (to test again).")]
    reason = checks.kept_text(reason, AntigenResult, "correction_reason", errors, name="reason")
    if not reason and "reason" not in errors:
        errors["reason"] = [_("Say why the positive result is corrected (for example: entered for the "
                              "wrong person, the cassette shows one line).")]
    if errors:
        raise Invalid(fields=errors)
    return value, reason


def refuse_decided(fu: FollowUp | None, name: str) -> None:
    """A hold the PCR re-test decides (its swab taken, or a case): not corrected here."""
    if fu is None:
        return
    if fu.status == FollowUp.Status.RESAMPLED:
        raise Invalid(_("The PCR re-test swab of %(name)s has been taken: its result decides. The positive "
                        "antigen result is not corrected now.") % {"name": name}, code="retest_decides")
    if fu.status == FollowUp.Status.CASE:
        raise Invalid(_("%(name)s is a confirmed case (PCR re-test positive): the positive antigen result "
                        "is not corrected.") % {"name": name}, code="retest_decides")


def effect(row: AntigenResult, fu: FollowUp | None, value: str | None) -> list[str]:
    """What correcting `row` to `value` (None: not chosen yet) does, one sentence each (the
    question and the messages say them)."""
    name = row.resident.name
    out = []
    if fu is not None and fu.status == FollowUp.Status.AWAITING:
        out.append(_("%(name)s is no longer held: the urgent PCR re-test at the door is taken off the "
                     "home-sampling list.") % {"name": name})
    elif fu is not None and fu.status == FollowUp.Status.RELEASED:
        out.append(_("%(name)s was already released by the PCR re-test.") % {"name": name})
    if value == Result.INVALID:
        out.append(_("%(name)s is to test again with a new kit.") % {"name": name})
    if row.photo:
        out.append(_("The cassette photo of the positive is kept with the correction."))
    return out


def asked(rnd: Round, row: AntigenResult) -> list[str]:
    """What the question says the correction does, before the result is chosen (`effect`).
    One query."""
    return effect(row, FollowUp.objects.filter(round=rnd, resident_id=row.resident_id).first(), None)


def correct_positive(actor, rnd: Round, row: AntigenResult, result, reason, *, confirm=False) -> AntigenResult:
    """Correct the positive antigen result `row` of round `rnd` to `result` (negative or
    invalid), for `reason` (see the module's docstring). Without `confirm`: the Conflict
    `confirm_correction` (its `effect`, nothing written; `result` and `reason` not checked
    yet). Sent again once done (the same result and reason) it answers the corrected row."""
    require_antigen(rnd)
    if row.round_id != rnd.id or rnd.erased_at is not None:
        raise NotFound()
    access.require_correct_positive(actor, row)
    value = None
    if confirm:
        value, reason = check(result, reason)
    name = row.resident.name
    with transaction.atomic():
        row = AntigenResult.objects.select_for_update().select_related("resident").get(pk=row.pk)
        if row.result != Result.POSITIVE:
            if value and row.corrected and row.result == value and row.correction_reason == reason:
                return row  # the same correction, sent again
            raise Invalid(_("The result of %(name)s is not positive: there is nothing to correct.")
                          % {"name": name}, code="not_positive")
        fu = FollowUp.objects.select_for_update().filter(round=rnd, resident_id=row.resident_id).first()
        refuse_decided(fu, name)
        if not confirm:
            said = effect(row, fu, None)
            raise Conflict(" ".join([_("Correct the positive antigen result of %(name)s? Choose the "
                                       "corrected result, give the reason and confirm.") % {"name": name},
                                     *said]), code="confirm_correction", extra={"effect": said})
        now = timezone.now()
        old_positive = row.positive_photo.name if row.photo and row.positive_photo else ""
        if row.photo:  # the positive's evidence, kept with the correction
            row.positive_photo.name, row.photo.name = row.photo.name, ""
        row.result, row.corrected_at, row.corrected_by, row.correction_reason = value, now, user_of(actor), reason
        row.save(update_fields=["result", "photo", "positive_photo", "corrected_at", "corrected_by",
                                "correction_reason"])
        released = fu is not None and fu.status == FollowUp.Status.AWAITING
        if released:
            fu.status, fu.closed_at, fu.corrected_at = FollowUp.Status.RELEASED, now, now
            fu.save(update_fields=["status", "closed_at", "corrected_at"])
            HomeVisit.objects.filter(round=rnd, resident_id=row.resident_id, source=HomeVisit.Source.RETEST,
                                     status=HomeVisit.Status.OPEN).update(status=HomeVisit.Status.CANCELLED)
        record(actor, "screening.antigen.correct", row.resident, {
            "round": rnd.id, "result": [Result.POSITIVE.value, value], "reason": reason,
            "released": int(released), "photo": bool(row.positive_photo)})
        _tell(actor, rnd, row, value, reason, released)
    row.released = released  # the page says so
    if old_positive:  # an earlier positive's photo, replaced by this one's
        from django.core.files.storage import default_storage

        transaction.on_commit(lambda: default_storage.delete(old_positive))
    return row


def _tell(actor, rnd: Round, row: AntigenResult, value: str, reason: str, released: bool) -> None:
    """The community's staff and the person's grid workers (told of the positive), and the
    family's logins: once a correction (its time in the key), in each reader's language."""
    from fangkong.notify.actions import notify

    r = row.resident
    stamp = int(row.corrected_at.timestamp())
    staff = set(Membership.objects.filter(is_active=True).filter(
        Q(role=Role.STAFF, place_id=r.community_id) | Q(role=Role.GRID, place_id=r.grid_id))
        .values_list("user_id", flat=True))
    notify(actor, staff, kind="screening.antigen_corrected",
           title=lambda: _("Antigen positive corrected: %(name)s, now %(result)s")
           % {"name": r.name, "result": result_word(value)},
           body=lambda: " ".join([_("The positive antigen result of %(name)s was corrected to %(result)s. "
                                    "Reason: %(reason)s.") % {"name": r.name, "result": result_word(value),
                                                              "reason": reason},
                                  *([_("The hold is lifted: no PCR re-test at the door.")] if released else []),
                                  _("Round: %(round)s.") % {"round": rnd.name}]),
           url=reverse("screening_antigen", args=[rnd.id]) + "#positives",
           key=f"screening.antigen.corrected.{row.id}.{stamp}")
    families = set(Membership.objects.filter(household_id=r.household_id, role=Role.RESIDENT, is_active=True)
                   .values_list("user_id", flat=True))
    if families:
        notify(actor, families, kind="screening.family_antigen_corrected",
               title=lambda: _("%(name)s: the positive antigen result was corrected") % {"name": r.name},
               body=lambda: " ".join([
                   _("The community staff corrected the antigen result of %(name)s from positive to %(result)s.")
                   % {"name": r.name, "result": result_word(value)},
                   *([_("Nobody at home is held for it any more: the PCR re-test at your door is not "
                        "needed.")] if released else []),
                   *([_("Test %(name)s again with a new kit and report the result with a photo.")
                      % {"name": r.name}] if value == Result.INVALID else [])]),
               url=reverse("household", args=[r.household_id]),
               key=f"screening.family.antigen_corrected.{row.id}.{stamp}")
