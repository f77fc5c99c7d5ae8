"""Antigen rounds, the writes: kits issued at the door, one result per person, a positive
sent on to an urgent PCR re-test.

- Kits and results at the door: whoever may sample in the round (`access.can_sample`:
  staff and grid workers by role, volunteers through a `Sampler` assignment in that round),
  for households in the round's area (like the station, names only, no phones).
- Self-report: a resident, through their household login (`access.can_self_report`), for
  the members of that household, with a photo of the cassette (required).
- A positive result holds the person (`FollowUp` without a tube), lists an urgent PCR
  re-test at home (`HomeVisit`, source re-test) and notifies the community staff and the
  grid worker at once; the re-test then runs through the follow-up page like a pooled one.
- One result per person and round. A later entry replaces the earlier one, except that a
  self-report never replaces a result entered at the door, and a positive is never replaced
  here, whoever enters it (`positive_kept`): only the community staff's correction, asked
  first and with a reason, replaces it and settles the hold (`actions.antigen_correct`).
"""

import uuid

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.audit.actions import record
from fangkong.core.errors import FileRefused, Invalid, NotFound
from fangkong.core.tree import levels_of
from fangkong.core.uploads import check_image
from fangkong.registry.models import Household, Place, Presence, Resident

from .. import access, areas, checks
from ..antigen import require_antigen
from ..figures import EXEMPT_PRESENCE
from ..models import (
    AntigenResult,
    Exemption,
    FollowUp,
    HomeVisit,
    KitIssue,
    Result,
    Round,
    RoundCounter,
)
from .common import require_open, user_of

MAX_KITS = 20


# --- checks ------------------------------------------------------------------------

def check_count(value) -> int:
    try:
        n = int(str(value).strip())
        if not 1 <= n <= MAX_KITS:
            raise ValueError
    except (ValueError, TypeError):
        raise Invalid(fields={"count": [_("Kits: a whole number from 1 to %(n)d.") % {"n": MAX_KITS}]}) \
            from None
    return n


def check_result(value) -> str:
    try:
        return checks.check_result(value)
    except ValueError as e:
        raise Invalid(fields={"result": [str(e)]}) from None


def check_photo(upload) -> str:
    """A photo of the cassette, checked by core.uploads.check_image (JPEG, PNG or WebP,
    within FANGKONG_PHOTO_MAX_BYTES and FANGKONG_UPLOAD_MAX_PIXELS, header and structure
    read without decoding the pixels). Returns the extension to store it under; "" for none."""
    if upload is None:
        return ""
    return check_image(upload, field="photo")


def _client_id(value):
    return checks.check_client_id(value) if value not in (None, "") else uuid.uuid4()


# --- kits and results -------------------------------------------------------------------------

def issue_kits(actor, rnd: Round, household: Household, count, *, client_id=None, note="",
               issued_at=None) -> KitIssue:
    """Kits handed over at a household's door. Idempotent on `client_id`. `issued_at` is
    when the volunteer entered it (a phone that was offline sends it later); never in the
    future, else now."""
    require_antigen(rnd)
    access.require_sample(actor, rnd)
    require_open(rnd)
    if not areas.in_round(rnd, household):
        raise NotFound()
    errors = {}
    try:
        n = check_count(count)
    except Invalid as e:
        errors.update(e.fields)
    when = checks.check_datetime(issued_at, "issued_at", errors, required=False)
    note = checks.kept_text(note, KitIssue, "note", errors)
    if errors:
        raise Invalid(fields=errors)
    now = timezone.now()
    when = min(when or now, now)
    cid = _client_id(client_id)
    done = KitIssue.objects.filter(client_id=cid).first()
    if done is not None:
        if done.round_id != rnd.id or done.household_id != household.id:
            raise Invalid(fields={"client_id": [_("This client id was used for something else.")]})
        return done
    k = KitIssue(round=rnd, household=household, count=n, issued_by=user_of(actor),
                 issued_at=when, client_id=cid, note=note)
    k.copy_levels(household)
    with transaction.atomic():
        try:
            with transaction.atomic():
                k.save()
        except IntegrityError:  # the same submission, concurrently
            return KitIssue.objects.get(client_id=cid)
        record(actor, "screening.antigen.kits", household, {"round": rnd.id, "count": n})
    return k


def record_result(actor, rnd: Round, resident: Resident, result, *, photo=None, client_id=None,
                  tested_at=None) -> tuple[AntigenResult, bool]:
    """One person's antigen result. At the door (anyone who may sample in the round) or
    self-reported by the household's resident (photo required). Returns (row, changed):
    a resent submission (same client_id, or the same result again) changes nothing."""
    require_antigen(rnd)
    at_door = access.can_sample(actor, rnd)
    if not at_door:
        if not access.can_self_report(actor.scope, resident.household_id):
            access.require_sample(actor, rnd)  # Forbidden if seen, else NotFound
    require_open(rnd)
    if not areas.in_round(rnd, resident) or resident.presence == Presence.MOVED_OUT:
        raise NotFound()
    errors = {}
    try:
        value = check_result(result)
    except Invalid as e:
        errors.update(e.fields)
        value = None
    when = checks.check_datetime(tested_at, "tested_at", errors, required=False)
    refused = None
    try:
        ext = check_photo(photo)
    except FileRefused as e:  # the photo arrived but cannot be used: 422, with the rest
        refused, ext = e, ""
    if not at_door and photo is None:
        errors.setdefault("photo", [_("Add a photo of the test cassette.")])
    if refused is not None:
        refused.fields.update(errors)
        raise refused
    if errors:
        raise Invalid(fields=errors)
    now = timezone.now()
    when = min(when or now, now)
    cid = _client_id(client_id)
    same = AntigenResult.objects.filter(client_id=cid).first()
    if same is not None:
        if same.round_id != rnd.id or same.resident_id != resident.id:
            raise Invalid(fields={"client_id": [_("This client id was used for something else.")]})
        return same, False
    source = AntigenResult.Source.DOOR if at_door else AntigenResult.Source.SELF
    prev = AntigenResult.objects.filter(round=rnd, resident=resident).first()
    if prev is not None:
        if prev.result == value and not ext:
            return prev, False
        if source == AntigenResult.Source.SELF and prev.source == AntigenResult.Source.DOOR:
            raise Invalid(_("A result entered at the door is already recorded for %(name)s.")
                          % {"name": resident.name}, code="already_entered")
        if prev.result == Result.POSITIVE and value != Result.POSITIVE:
            # a tap on the wrong card must not erase a positive: the staff's correction does,
            # with a reason, and settles the hold (`antigen_correct`)
            raise Invalid(_("%(name)s has a positive result: it is kept. Only the community staff can "
                            "correct a positive result, with a reason.") % {"name": resident.name},
                          code="positive_kept")
        if prev.result == Result.POSITIVE and (not ext or prev.photo):
            return prev, False  # positive again: nothing to change, its cassette photo kept
    row = prev or AntigenResult(round=rnd, resident=resident, household_id=resident.household_id)
    row.copy_levels(resident)
    before = prev.result if prev else ""
    old_photo = prev.photo.name if prev and prev.photo and ext else ""
    row.result, row.source, row.tested_at = value, source, when
    row.entered_by, row.client_id, row.created_at = user_of(actor), cid, now
    saved_name = ""
    if ext:
        saved_name = default_storage.save(f"antigen/{rnd.id}/{uuid.uuid4().hex}.{ext}", photo)
        row.photo.name = saved_name
    try:
        with transaction.atomic():
            row.save()
            if prev is None:
                _count_done(rnd, resident)
            if value == Result.POSITIVE and before != Result.POSITIVE:
                _positive(actor, rnd, resident)
            record(actor, "screening.antigen.result", resident, {
                "round": rnd.id, "result": [before, value] if before else value, "source": source,
                "photo": bool(row.photo)})
    except IntegrityError:  # the person's row was written meanwhile by another entry
        if saved_name:
            default_storage.delete(saved_name)
        raise Invalid(_("A result for %(name)s was just recorded: reload and check it.")
                      % {"name": resident.name}, code="already_entered") from None
    except Exception:
        if saved_name:
            default_storage.delete(saved_name)
        raise
    if old_photo:
        transaction.on_commit(lambda: default_storage.delete(old_photo))
    return row, True


def _count_done(rnd: Round, r: Resident):
    """A first result makes the person done: their community's counter gets done + 1 and,
    if they were exempt, exempt - 1 (`figures`, `counters`)."""
    ex = r.presence in EXEMPT_PRESENCE or Exemption.objects.filter(round=rnd, resident=r).exists()
    RoundCounter.objects.filter(round=rnd, community_id=r.community_id or 0).update(
        sampled=F("sampled") + 1, exempt=F("exempt") - int(ex))


def _positive(actor, rnd: Round, r: Resident):
    """Hold the person, list an urgent PCR re-test at home, tell staff and grid worker, the
    building's leader and the family (once each: the notification's key)."""
    fu, created = FollowUp.objects.get_or_create(
        round=rnd, resident=r, defaults={"household_id": r.household_id, "tube": None,
                                         **levels_of(r)})
    if not created and fu.status == FollowUp.Status.RELEASED and fu.corrected_at is not None:
        # released by the staff's correction, positive again: held again, its visit back
        fu.status, fu.closed_at, fu.corrected_at = FollowUp.Status.AWAITING, None, None
        fu.save(update_fields=["status", "closed_at", "corrected_at"])
        HomeVisit.objects.filter(round=rnd, resident=r, source=HomeVisit.Source.RETEST,
                                 status=HomeVisit.Status.CANCELLED).update(status=HomeVisit.Status.OPEN)
    elif not created and fu.status in (FollowUp.Status.RELEASED, FollowUp.Status.CASE):
        return
    hv = HomeVisit(round=rnd, resident=r, household_id=r.household_id,
                   source=HomeVisit.Source.RETEST,
                   note=HomeVisit.ANTIGEN_NOTE)  # words: note_text()
    hv.copy_levels(r)
    HomeVisit.objects.bulk_create([hv], ignore_conflicts=True)
    users = set(Membership.objects.filter(is_active=True).filter(
        Q(role=Role.STAFF, place_id=r.community_id) | Q(role=Role.GRID, place_id=r.grid_id))
        .values_list("user_id", flat=True))
    from fangkong.notify.actions import notify

    place = Place.objects.filter(pk=r.community_id).first() if r.community_id else rnd.place
    from fangkong.registry.queries import address_labels

    h = r.household
    door = f"{address_labels([h]).get(h.place_id, '')} {h.door}".strip()  # whose door, in the message
    notify(actor, users, kind="screening.antigen_positive",
           title=lambda: _("Antigen positive: %(name)s needs an urgent PCR re-test") % {"name": r.name},
           body=lambda: _("%(door)s. Hold the household at home and take a PCR sample at the door. Round: "
                          "%(round)s.") % {"round": rnd.name, "door": door},
           url=reverse("screening_followups", args=[rnd.id]) + f"#fu-r{r.id}", place=place,
           key=f"screening.antigen.{rnd.id}.{r.id}")
    # the building's leader (who sees to its doors) and the family, each in their own words
    leaders = set(Membership.objects.filter(is_active=True, user__is_active=True, role=Role.LEADER,
                                            household=None, place_id__in=[r.building_id or 0, r.unit_id or 0])
                  .values_list("user_id", flat=True)) - users
    if leaders:
        notify(actor, leaders, kind="screening.antigen_positive_leader",
               title=lambda: _("Antigen positive in your building: %(name)s") % {"name": r.name},
               body=lambda: _("The household stays at home until a PCR re-test at the door comes back. "
                              "Hand over anything for it without contact: leave it at the door, step back "
                              "and call them."),
               url=reverse("household", args=[r.household_id]), place=place,
               key=f"screening.antigen.leader.{rnd.id}.{r.id}")
    from .families import antigen_positive

    antigen_positive(actor, rnd, r)


# --- a self-reported positive's photo, held while the resident is asked to confirm ---------

HELD_DIR = "antigen/held"
HELD_SECONDS = 30 * 60
_HELD_SALT = "fangkong.screening.antigen.held_photo"


def hold_photo(actor, rnd: Round, resident: Resident, upload) -> str:
    """A positive self-report asks first (the page's confirm step, no script needed); the
    cassette photo sent with it cannot be posted again by the browser, so it is checked
    now (a refused photo is said at once, before the question) and kept under HELD_DIR;
    the step posts back the returned token (signed: this account, this person, the file),
    and `take_held_photo` gives the photo to `record_result`. Held photos past
    HELD_SECONDS (the resident went back) are deleted by the worker's pass and when the
    next one is held (`drop_stale_held`)."""
    from django.core import signing

    require_antigen(rnd)
    if not access.can_self_report(actor.scope, resident.household_id):
        access.require_sample(actor, rnd)
    ext = check_photo(upload)
    if not ext:
        raise Invalid(fields={"photo": [_("Add a photo of the test cassette.")]})
    drop_stale_held()
    upload.seek(0)
    name = default_storage.save(f"{HELD_DIR}/{uuid.uuid4().hex}.{ext}", upload)
    return signing.dumps({"f": name, "u": getattr(user_of(actor), "pk", None), "r": resident.id},
                         salt=_HELD_SALT)


def take_held_photo(actor, resident: Resident, token: str):
    """The photo held by `hold_photo` for this account and person, as a file to record
    (the held copy is deleted once the transaction commits); None when it is no longer
    held (past HELD_SECONDS, or not theirs)."""
    from django.core import signing
    from django.core.files.base import ContentFile

    try:
        data = signing.loads(str(token or ""), salt=_HELD_SALT, max_age=HELD_SECONDS)
    except signing.BadSignature:
        return None
    name = str(data.get("f", ""))
    if (data.get("u") != getattr(user_of(actor), "pk", None) or data.get("r") != resident.id
            or not name.startswith(HELD_DIR + "/") or not default_storage.exists(name)):
        return None
    with default_storage.open(name, "rb") as f:
        photo = ContentFile(f.read(), name=name.rsplit("/", 1)[-1])
    transaction.on_commit(lambda: default_storage.delete(name))
    return photo


def drop_stale_held(now=None) -> int:
    """Held photos nobody confirmed, past HELD_SECONDS (their token's max age: no step can
    take them any more), deleted (best effort); a photo held more lately is left to its
    step. Run when a photo is held and by the worker's pass (`screening.tasks`
    `recover_screening`), so a resident who went back does not leave a photo behind.
    Returns how many were deleted."""
    import datetime

    try:
        _dirs, files = default_storage.listdir(HELD_DIR)
    except (FileNotFoundError, NotImplementedError, OSError):
        return 0
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=HELD_SECONDS)
    dropped = 0
    for fname in files:
        path = f"{HELD_DIR}/{fname}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                dropped += 1
        except (FileNotFoundError, NotImplementedError, OSError):
            continue
    return dropped
