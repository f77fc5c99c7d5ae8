"""Antigen rounds: kits issued at the door, results per person, positives to PCR, coverage.

An antigen round is a `Round` of kind antigen. Who does what:
- Kits and results at the door: whoever may sample in the round (`access.can_sample`:
  staff and grid workers by role, volunteers through a `Sampler` assignment in that round),
  for households in the round's area (like the station, names only, no phones).
- Self-report: a resident, through their household login (RESIDENT grant on the household),
  for the members of that household, with a photo of the cassette (required).
- A positive result holds the person (`FollowUp` without a tube), lists an urgent PCR
  re-test at home (`HomeVisit`, source re-test) and notifies the community staff and the
  grid worker at once; the re-test then runs through the follow-up page like a pooled one.
- One result per person and round. A later entry replaces the earlier one, except that a
  self-report never replaces a result entered at the door, and a positive is corrected only
  by staff who run the round (audited with before/after).

Reads (coverage, missing list, by unit) use the level columns copied onto each result, as
the PCR coverage does on registrations.
"""

import uuid

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Perm, Role
from fangkong.audit.actions import record
from fangkong.core.errors import FileRefused, Forbidden, Invalid, NotFound
from fangkong.core.tree import ancestor_ids, under
from fangkong.core.uploads import check_image
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import Household, Kind, Place, Presence, Resident

from . import access, areas, checks, figures
from .actions import common
from .models import (
    AntigenResult,
    Exemption,
    FollowUp,
    HomeVisit,
    KitIssue,
    Result,
    Round,
    RoundCounter,
    RoundKind,
    RoundStatus,
)

MAX_KITS = 20


# --- who may do what --------------------------------------------------------------

def _antigen(rnd: Round):
    if rnd.kind != RoundKind.ANTIGEN:
        raise NotFound()


def resident_households(scope) -> list[int]:
    return [g.household_id for g in scope.grants if g.role == Role.RESIDENT and g.household_id]


def can_self_report(scope, household_id) -> bool:
    return household_id in resident_households(scope)


def get_round(scope, pk, perm=Perm.SCREENING_VIEW) -> Round:
    """An antigen round the user may see (staff, command, leaders): NotFound otherwise."""
    from . import queries

    rnd = queries.get_round(scope, pk, perm)
    _antigen(rnd)
    return rnd


def get_round_for_door(actor, pk) -> Round:
    """An antigen round the actor may work at the door in (403 when only seen)."""
    from . import queries

    rnd = queries.get_round_for_sampling(actor, pk)
    _antigen(rnd)
    return rnd


def get_round_for_household(actor, pk, household_id) -> tuple[Round, Household, bool]:
    """(round, household, at_door) for the door page / API or the household's own resident.
    NotFound for anything outside both; Forbidden for command or a leader (they see the
    round but do not work the doors)."""
    try:
        rnd = Round.objects.select_related("place").get(pk=int(pk), kind=RoundKind.ANTIGEN)
        hh = Household.objects.select_related("place").get(pk=int(household_id))
    except (Round.DoesNotExist, Household.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if not areas.in_round(rnd, hh):
        raise NotFound()
    if access.can_sample(actor, rnd):
        return rnd, hh, True
    if can_self_report(actor.scope, hh.id):
        return rnd, hh, False
    if access.round_allows(actor.scope, Perm.SCREENING_VIEW, rnd):
        raise Forbidden()
    raise NotFound()


def own_rounds(scope) -> list[tuple[Household, list[Round]]]:
    """For a resident: each of their households with the antigen rounds covering it that
    are not finished (newest first)."""
    out = []
    for hh in Household.objects.filter(id__in=resident_households(scope)).select_related("place"):
        rnds = list(Round.objects.filter(areas__place_id__in=ancestor_ids(hh), kind=RoundKind.ANTIGEN).exclude(
            status=RoundStatus.CLOSED).distinct().order_by("-starts_at")[:5])
        out.append((hh, rnds))
    return out


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


def _open(rnd: Round):
    if rnd.status == RoundStatus.CLOSED:
        raise Invalid(_("This round is closed."), code="round_closed")


# --- writes -------------------------------------------------------------------------

def issue_kits(actor, rnd: Round, household: Household, count, *, client_id=None, note="",
               issued_at=None) -> KitIssue:
    """Kits handed over at a household's door. Idempotent on `client_id`. `issued_at` is
    when the volunteer entered it (a phone that was offline sends it later); never in the
    future, else now."""
    _antigen(rnd)
    access.require_sample(actor, rnd)
    _open(rnd)
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
    k = KitIssue(round=rnd, household=household, count=n, issued_by=common.user_of(actor),
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
    _antigen(rnd)
    at_door = access.can_sample(actor, rnd)
    if not at_door:
        if not can_self_report(actor.scope, resident.household_id):
            access.require_sample(actor, rnd)  # Forbidden if seen, else NotFound
    _open(rnd)
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
        if prev.result == Result.POSITIVE and value != Result.POSITIVE and \
                not access.round_allows(actor.scope, Perm.SCREENING_RUN, rnd):
            raise Invalid(_("A positive result can only be corrected by the community staff."),
                          code="positive_kept")
    row = prev or AntigenResult(round=rnd, resident=resident, household_id=resident.household_id)
    row.copy_levels(resident)
    before = prev.result if prev else ""
    old_photo = prev.photo.name if prev and prev.photo and ext else ""
    row.result, row.source, row.tested_at = value, source, when
    row.entered_by, row.client_id, row.created_at = common.user_of(actor), cid, now
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
    from django.db.models import F

    ex = r.presence in figures.EXEMPT_PRESENCE or Exemption.objects.filter(round=rnd, resident=r).exists()
    RoundCounter.objects.filter(round=rnd, community_id=r.community_id or 0).update(
        sampled=F("sampled") + 1, exempt=F("exempt") - int(ex))


def _positive(actor, rnd: Round, r: Resident):
    """Hold the person, list an urgent PCR re-test at home, tell staff and grid worker."""
    fu, created = FollowUp.objects.get_or_create(
        round=rnd, resident=r, defaults={"household_id": r.household_id, "tube": None,
                                         **{f: getattr(r, f) for f in _level_fields()}})
    if not created and fu.status in (FollowUp.Status.RELEASED, FollowUp.Status.CASE):
        return
    hv = HomeVisit(round=rnd, resident=r, household_id=r.household_id,
                   source=HomeVisit.Source.RETEST,
                   note=_("URGENT: antigen positive, PCR re-test at home"))
    hv.copy_levels(r)
    HomeVisit.objects.bulk_create([hv], ignore_conflicts=True)
    users = set(Membership.objects.filter(is_active=True).filter(
        Q(role=Role.STAFF, place_id=r.community_id) | Q(role=Role.GRID, place_id=r.grid_id))
        .values_list("user_id", flat=True))
    from fangkong.notify.actions import notify

    place = Place.objects.filter(pk=r.community_id).first() if r.community_id else rnd.place
    notify(actor, users, kind="screening.antigen_positive",
           title=_("Antigen positive: %(name)s needs an urgent PCR re-test") % {"name": r.name},
           body=_("Hold the household at home and take a PCR sample at the door. Round: %(round)s.")
           % {"round": rnd.name}, url=reverse("screening_followups", args=[rnd.id]), place=place,
           key=f"screening.antigen.{rnd.id}.{r.id}")


def _level_fields():
    from fangkong.registry.models import LEVEL_FIELDS

    return LEVEL_FIELDS


# --- reads -----------------------------------------------------------------------------

def extras(rnd: Round, node: Place) -> dict:
    """What an antigen round shows beside its figures (`figures.coverage`): kits handed out
    and to how many households, and positives, under `node`. Two queries."""
    from .figures import node_q

    kits = KitIssue.objects.filter(round=rnd).filter(node_q(node)).aggregate(
        kits=Sum("count"), households=Count("household_id", distinct=True))
    return {"kits": kits["kits"] or 0, "households_with_kits": kits["households"] or 0,
            "positive": AntigenResult.objects.filter(round=rnd, result=Result.POSITIVE)
            .filter(node_q(node)).count()}


def by_unit(rnd: Round, node: Place) -> list[dict]:
    """The round's figures per unit (`figures.by_unit`) with the kits handed out there."""
    from .figures import by_unit, node_q

    rows = by_unit(rnd, node)
    kits = dict(KitIssue.objects.filter(round=rnd).filter(node_q(node))
                .values("household__place_id").annotate(k=Sum("count")).order_by()
                .values_list("household__place_id", "k"))
    for r in rows:
        r["kits"], r["reported"] = kits.get(r["place"], 0), r["sampled"]
    return rows


def household_status(rnd: Round, hh: Household) -> dict:
    """The household at the door: its members (names only) with their result, the kits
    handed over and when the last were (so a second volunteer at the door sees them)."""
    kits, last = household_kits(rnd, [hh.id]).get(hh.id, (0, None))
    return {"people": _members(rnd, [hh.id]), "kits": kits, "kits_last": last}


def household_kits(rnd: Round, household_ids) -> dict:
    """{household id: (kits handed over, when the last were)} for households with kits. One query."""
    rows = (KitIssue.objects.filter(round=rnd, household_id__in=list(household_ids)).order_by()
            .values("household_id").annotate(n=Sum("count"), last=Max("issued_at"))
            .values_list("household_id", "n", "last"))
    return {hid: (n, last) for hid, n, last in rows}


def _members(rnd: Round, household_ids) -> list[Resident]:
    """The members of these households (names only, not moved out), each with `.antigen`:
    their result in the round, or None. Two queries."""
    people = list(Resident.objects.filter(household_id__in=household_ids)
                  .exclude(presence=Presence.MOVED_OUT)
                  .order_by("relation", "id").only("id", "name", "household_id", "presence"))
    results = {a.resident_id: a for a in AntigenResult.objects.filter(
        round=rnd, resident_id__in=[p.id for p in people])}
    for p in people:
        p.antigen = results.get(p.id)
    return people


UNIT_SHEET_LIMIT = 400  # households on one sheet (a big tower's unit has 100–200)


def unit_sheet(rnd: Round, unit_id) -> tuple[Place, list[Household]]:
    """A unit (or a building) of the round's area — NotFound for any other place — and
    every household of it in the area, for a volunteer going door to door: each with
    `.people` (names only, each with `.antigen`, their result or None), `.kits` (kits
    handed over), `.kits_last` (when the last were) and `.reported` (members with a result). The page holds the whole unit,
    so the volunteer can keep entering results with no network in the stairwell (the phone
    queues them). Five queries. The caller has checked the actor may work at the door
    (`get_round_for_door`): that right covers the names of the round's households."""
    try:
        unit = Place.objects.get(areas.area_q(rnd), pk=int(unit_id), kind__in=[Kind.UNIT, Kind.BUILDING])
    except (Place.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    households = list(Household.objects.filter(under(unit))
                      .filter(areas.area_q(rnd)).order_by("sort_key", "id")[:UNIT_SHEET_LIMIT])
    by_id = {h.id: h for h in households}
    for h in households:
        h.people, h.kits, h.kits_last, h.reported = [], 0, None, 0
    for p in _members(rnd, list(by_id)):
        h = by_id[p.household_id]
        h.people.append(p)
        h.reported += p.antigen is not None
    for hid, (n, last) in household_kits(rnd, by_id).items():
        by_id[hid].kits, by_id[hid].kits_last = n, last
    return unit, households


def recent_results(scope, rnd: Round, *, positive_only=False, limit=100):
    """Results staff may see (SCREENING_VIEW on the person's levels), positives first."""
    qs = AntigenResult.objects.filter(round=rnd).filter(scope.q(Perm.SCREENING_VIEW))
    if positive_only:
        qs = qs.filter(result=Result.POSITIVE)
    rows = list(qs.select_related("resident__household__place", "entered_by")
                .order_by("-created_at", "-id")[:limit])
    labels = reg_queries.address_labels([a.resident for a in rows])
    for a in rows:
        a.address = f"{labels.get(a.resident.household.place_id, '')} {a.resident.household.door}"
    return rows


def get_photo(scope, pk) -> AntigenResult:
    """A result's photo for staff who see the person, or the household's own resident."""
    try:
        a = AntigenResult.objects.get(pk=int(pk))
    except (AntigenResult.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if not a.photo or not (scope.allows(Perm.SCREENING_VIEW, a) or
                           can_self_report(scope, a.household_id)):
        raise NotFound()
    return a
