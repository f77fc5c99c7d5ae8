"""Escalation: a confirmed case inside a zone proposes the policy's escalation (e.g.
controlled → sealed for the case's building) as a draft adjustment naming the case; staff
publish it with one action. A case also restarts the lifting count of the zone it is in."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.audit.actions import record
from fangkong.core.clean import client_id as parse_client_id
from fangkong.core.errors import Invalid
from fangkong.core.when import short_time
from fangkong.registry.models import Place, Resident

from .. import access, approval, lift_flaws
from ..case_words import case_why, default_source, source_words
from ..models import (
    CASE_OPEN_DAYS,
    Adjustment,
    AdjustmentItem,
    Designation,
    HouseholdZone,
    Policy,
    ZoneCase,
)
from ..signals import case_recorded, tell

Op = AdjustmentItem.Op
logger = logging.getLogger("fangkong.zones")


def record_case(actor, resident: Resident, *, confirmed_at=None, source="", source_ref=None, client_id=None):
    """A case reported by hand (e.g. by the health authority): staff of the place. Reported
    again, it is the same case (`reported_before`): by the client's key (`client_id`, a
    retry), or the same person from the same source while their case is open
    (`CASE_OPEN_DAYS`: the form sent twice, back and submit again) — nothing is created and
    nobody is told again; the case answers `reported_before` True (`already_words`)."""
    access.require(actor, access.MANAGE, resident)
    cid = parse_client_id(client_id)
    given = (source or "").strip()
    return case_confirmed(actor, resident, confirmed_at=confirmed_at, source=given or default_source(),
                          source_ref=source_ref, client_id=cid, any_source=not given)


def already_words(case: ZoneCase) -> str:
    """A case reported again, in the reader's language: "薛桂芳已于12:47上报过" (when it was
    reported: the time today, the date and time before)."""
    at = timezone.localtime(case.created_at)
    when = (date_format(at, "H:i") if at.date() == timezone.localdate()
            else short_time(at))
    return _("%(name)s: already reported at %(time)s.") % {"name": case.resident.name, "time": when}


def _again(case: ZoneCase):
    case.reported_before = True
    return case, Adjustment.objects.filter(case=case).first()


def _reported(resident, cid, source, source_ref, confirmed_at, any_source=False):
    """The case this report repeats, or None: the same client key, the same screening
    source (`source_ref`), or the same person while a case of theirs is open
    (`CASE_OPEN_DAYS`) — screening's re-test: any open case (the health authority's notice
    came first: the re-test confirms it, `_confirms`); by hand: one from the same source
    (`any_source`: no source given, any hand-reported case), or one screening confirmed (the
    CDC's notice of a person screening already found)."""
    if cid is not None:
        found = ZoneCase.objects.filter(client_id=cid).select_related("resident").first()
        if found is not None:
            if found.resident_id != resident.id:
                raise Invalid(fields={"client_id": [_("This client id was used for another case.")]})
            return found
    if source_ref:
        found = ZoneCase.objects.filter(source_ref=source_ref).select_related("resident").first()
        if found is not None:
            return found
        which = Q()  # the re-test of a person whose case is open: that case
    else:
        which = Q(source_ref=None) if any_source else Q(source_ref=None, source=source[:80])
        which |= Q(source_ref__isnull=False)
    return (ZoneCase.objects.filter(which, resident_id=resident.id,
                                    confirmed_at__gt=confirmed_at - datetime.timedelta(days=CASE_OPEN_DAYS))
            .select_related("resident").order_by("created_at").first())


def _confirms(actor, found: ZoneCase, source: str, source_ref: str | None, confirmed_at) -> bool:
    """Screening's re-test (`source_ref`) found a case already open (`_reported`: the health
    authority's notice came first): it confirms that case. The case keeps its source and time
    (one case, on the day of the first: `screening.day_cases`) and takes the re-test's
    `source_ref` when it has none (so the re-test finds it again by it); the audit trail says
    the re-test confirmed it. No second alarm, no proposal. True when it confirmed a case
    reported by hand (no re-test had confirmed it yet): the caller's `confirmed_detail` is then
    told (`_tell_confirmed`)."""
    if not source_ref or found.source_ref == source_ref:
        return False
    by_hand = found.source_ref is None
    if by_hand:
        by_hand = ZoneCase.objects.filter(pk=found.pk, source_ref=None).update(source_ref=source_ref) == 1
        found.source_ref = source_ref
    record(actor, "zones.case.confirmed", found.resident,
           {"case": found.id, "source": source, "at": confirmed_at.isoformat()})
    return by_hand


def case_confirmed(actor, resident: Resident, *, confirmed_at=None, source: str,
                   source_ref: str | None = None, kind="zones.case", key="", detail=None, client_id=None,
                   any_source=False, confirmed_detail=None):
    """Called by the action that confirmed the case (screening's single re-test), which has
    checked its own permission. Idempotent by `source_ref` (by hand: `client_id`, and the
    person and source of an open case, `record_case`). Returns (case, proposal or None); a
    case reported before has `reported_before` True, and nothing was told or written (but
    a re-test's confirmation, below).

    A person counts once while their case is open (`CASE_OPEN_DAYS`), whichever way it came
    first: a notice by hand after the re-test is "already reported"; a re-test positive
    after the notice (or after an earlier re-test) confirms the open case (`_confirms`: its
    `source_ref` and an audit event, no second case, alarm or proposal) — screening keeps
    its own record (the follow-up closed as a case). The hand report's message could not say
    what the re-test knows (who lives with the case: close contacts, not to be released): the
    caller's `confirmed_detail` (a renderable, or None: nothing) is told to the same staff
    once, as a confirmation, not a new case (`_tell_confirmed`, kind `<kind>_confirmed`).

    The community's staff and the case's grid worker are told at once, whoever reported it
    (`kind`, `key` and `detail`, a renderable said after the case: the caller's own words,
    e.g. the round and who lives with the case)."""
    confirmed_at = confirmed_at or timezone.now()
    case = ZoneCase(resident=resident, household_id=resident.household_id, confirmed_at=confirmed_at,
                    source=source[:80], source_ref=source_ref, client_id=client_id, recorded_by=_user(actor))
    case.copy_levels(resident)
    try:
        with transaction.atomic():
            # one report of a person at a time (the form sent twice at once, a notice beside a re-test)
            list(Resident.objects.select_for_update().filter(pk=resident.pk).values_list("pk"))
            found = _reported(resident, client_id, source, source_ref, confirmed_at, any_source)
            if found is not None:
                if _confirms(actor, found, source, source_ref, confirmed_at) and confirmed_detail is not None:
                    told = key or f"zones.case.{found.id}"
                    _tell_confirmed(actor, found, resident, kind=f"{kind}_confirmed", key=f"{told}.confirmed",
                                    detail=confirmed_detail)
                return _again(found)
            case.save()
            record(actor, "zones.case", resident, {"source": source, "at": confirmed_at.isoformat()})
        flaws = _flaws_safely(actor, case)  # lifts published on wrong facts: marked, the re-seal urgent
        proposal = _propose_safely(actor, case, resident, flaws)
        more = _announce(actor, case)
        _tell_staff(actor, case, resident, proposal, kind=kind, key=key or f"zones.case.{case.id}",
                    detail=detail, flaws=flaws, more=more)
    except IntegrityError:  # the same source_ref or client id at the same instant: the other one won
        found = _reported(resident, client_id, source, source_ref, confirmed_at, any_source)
        if found is None:
            raise
        return _again(found)
    return case, proposal


def _user(actor):
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None


def _announce(actor, case) -> list:
    """Tell the apps above (services: the building's terminal disinfection) — in its own
    savepoint, so that their failure never costs the case either. Returns what their
    receivers want the case message to say (renderables: by when the terminal disinfection
    is due and who does it)."""
    try:
        with transaction.atomic():
            answers = case_recorded.send(sender=ZoneCase, case=case, actor=actor)
    except Exception:  # noqa: BLE001 - logged; the case is what must not be lost
        logger.exception("zones: case %s not announced to the other apps", case.pk)
        return []
    return [said for _receiver, said in answers if said is not None]


def _case_staff(resident) -> set[int]:
    """Who is told of a case: the staff of its community and its grid worker."""
    return set(Membership.objects.filter(is_active=True).filter(
        Q(role=Role.STAFF, place_id=resident.community_id) | Q(role=Role.GRID, place_id=resident.grid_id))
        .values_list("user_id", flat=True))


def _where(resident):
    return Place.objects.filter(pk=resident.building_id or resident.unit_id or resident.community_id).first()


def _tell_confirmed(actor, case, resident, *, kind, key, detail):
    """A case reported by hand, confirmed by screening's re-test: the staff and the grid worker
    are told once (`key`) what its first message could not say (`detail`: e.g. who lives with
    the case, close contacts) — a confirmation of the same case, not a new one: nothing is
    recorded or drafted again. In each reader's language; never costing the confirmation."""
    users = _case_staff(resident)
    if not users:
        return
    name, source, at, where = resident.name, case.source, case.confirmed_at, _where(resident)

    def body():  # in each reader's language
        text = _("%(name)s (%(place)s): the single re-test confirmed the case reported at %(at)s "
                 "(%(source)s). It is the same case: nothing is recorded or drafted again.") % {
            "name": name, "place": where.name if where else "", "source": source_words(source),
            "at": short_time(at)}
        return text + " " + str(detail() if callable(detail) else detail)

    try:
        with transaction.atomic():
            tell.send(sender=ZoneCase, adjustment=None, actor=actor, messages=[{
                "users": users, "kind": kind,
                "title": lambda: _("Case confirmed by a single re-test: %(name)s") % {"name": name},
                "body": body, "url": reverse("zones_household", args=[resident.household_id]),
                "place": Place.objects.filter(pk=resident.community_id).first(), "key": key}])
    except Exception:  # noqa: BLE001 - logged; the confirmation is what must not be lost
        logger.exception("zones: staff not told of case %s confirmed", case.pk)


def _flaws_safely(actor, case) -> list[dict]:
    """The lifts this case, confirmed before them, shows rested on wrong facts, marked on
    them (`actions.flaws.mark`); never costing the case."""
    from .flaws import mark

    try:
        with transaction.atomic():
            return mark(actor, case)
    except Exception:  # noqa: BLE001 - logged; the case is what must not be lost
        logger.exception("zones: lifts before case %s not marked", case.pk)
        return []


def _tell_staff(actor, case, resident, proposal, *, kind, key, detail, flaws=(), more=()):
    """The one message of a confirmed case, to the staff of its community, its grid worker
    and the street's command (`approval.command_of`), in each reader's language; a lift it
    shows rested on wrong facts said first and the title urgent; what the apps above said of
    it after the procedure (`more`: the terminal disinfection, by when and who); never
    costing the case."""
    users = _case_staff(resident) | approval.command_of(resident)
    if not users:
        return
    name, source, at = resident.name, case.source, case.confirmed_at
    where = _where(resident)
    title = proposal.title if proposal is not None else ""

    def body():  # in each reader's language
        text = _("%(name)s (%(place)s) confirmed a case at %(at)s (%(source)s). Follow the case "
                 "procedure for the household.") % {
            "name": name, "place": where.name if where else "", "source": source_words(source),
            "at": short_time(at)}
        for said in more:  # the terminal disinfection: by when, and who does it
            text += " " + str(said() if callable(said) else said)
        if detail is not None:
            text += " " + str(detail() if callable(detail) else detail)
        if title:  # the zone's escalation, drafted: staff check it and publish it
            text += " " + _("Zone escalation drafted: %(title)s.") % {"title": title}
        for r in flaws:  # a lift published after the case was confirmed
            text += " " + lift_flaws.sentence(r)
        return text

    def head():
        if flaws:
            return _("Urgent: a confirmed case from before a lift: %(name)s") % {"name": name}
        return _("A confirmed case: %(name)s") % {"name": name}

    url = (reverse("zones_adjustment", args=[proposal.id]) if proposal is not None
           else reverse("zones_household", args=[resident.household_id]))
    try:
        with transaction.atomic():
            tell.send(sender=ZoneCase, adjustment=proposal, actor=actor, messages=[{
                "users": users, "kind": kind, "title": head, "body": body, "url": url, "place": Place.objects.filter(pk=resident.community_id).first(),
                "key": key}])
    except Exception:  # noqa: BLE001 - logged; the case is what must not be lost
        logger.exception("zones: staff not told of case %s", case.pk)


def _propose_safely(actor, case, resident, flaws=()):
    """The proposal must never cost the case (nor the lab result that confirmed it): a
    failure is logged, and the case stays recorded for the lifting count."""
    try:
        with transaction.atomic():
            return _propose(actor, case, resident, flaws)
    except Exception:  # noqa: BLE001 - logged; the case is what must not be lost
        logger.exception("zones: no escalation proposal for case %s", case.pk)
        return None


def escalation_for(resident: Resident):
    """What a case of `resident` would draft now (a read: the report's confirm step says it
    before, `_propose` does it): (place, zone type, current designation of the place or None,
    the escalation draft already waiting for the place or None), or None when nothing would be
    drafted — no active policy, no escalation for the zone, or (place, zone type, designation,
    None) with the designation already that strict (the case restarts its count)."""
    now_zone = HouseholdZone.objects.filter(household_id=resident.household_id, until=None) \
        .select_related("zone_type", "designation__place").first()
    policy = Policy.objects.filter(is_active=True).first()
    if policy is None:
        return None
    if now_zone is not None:
        target, scope = now_zone.zone_type.escalate_to, now_zone.zone_type.escalate_scope
    else:  # a case outside any zone: the strictest type of the policy on its building
        target, scope = policy.types.order_by("-severity").first(), "building"
    if target is None:
        return None
    if scope == "designation" and now_zone is not None:
        place = now_zone.designation.place
    else:
        pid = (resident.unit_id if scope == "unit" else None) or resident.building_id or resident.unit_id
        place = Place.objects.filter(pk=pid).first() if pid else None
    if place is None or resident.community_id is None:
        return None
    current = Designation.objects.filter(place=place, ends_at=None).select_related("zone_type").first()
    if current is not None and current.zone_type.severity >= target.severity:
        return place, target, current, None
    pending = Adjustment.objects.filter(state=Adjustment.State.DRAFT, reason=Adjustment.Reason.ESCALATION,
                                        items__place=place).first()
    return place, target, current, pending


def _propose(actor, case: ZoneCase, resident: Resident, flaws=()) -> Adjustment | None:
    """The policy's escalation for the case, drafted; urgent at once (red, first in the lists)
    with the lifts it shows rested on wrong facts (`flaws`, kept on it: `lift_flaws`)."""
    found = escalation_for(resident)
    if found is None:
        return None
    place, target, current, pending = found
    if current is not None and current.zone_type.severity >= target.severity:
        return None  # already that strict: the case restarts its count (lifting)
    if pending is not None:
        if flaws:  # a draft waiting already: urgent now, with the lift it re-seals
            pending.urgent, pending.lift_flaws = True, [*(pending.lift_flaws or []), *flaws]
            pending.save(update_fields=["urgent", "lift_flaws"])
            record(actor, "zones.adjustment.urgent", pending, {"case": case.id})
        return pending
    community = Place.objects.get(pk=resident.community_id)
    adj = Adjustment(place=community, reason=Adjustment.Reason.ESCALATION, case=case,
                     urgent=bool(flaws), lift_flaws=list(flaws),
                     title=_("Escalation: %(place)s to %(zone)s") % {"place": place.name, "zone": target.name},
                     # why, said in each reader's language (`case_words.why_text`); the text in the
                     # proposer's, kept beside it for what cannot say it again
                     why_said=case_why(case, resident.name))
    adj.why = adj.why_text[:300]
    adj.copy_levels(community)
    adj.save()
    AdjustmentItem.objects.create(adjustment=adj, place=place, op=Op.CHANGE if current else Op.CREATE,
                                  designation=current, zone_type=target)
    record(actor, "zones.adjustment.proposed", adj, {"case": case.id, "place": place.id,
                                                     "zone_type": target.code, "urgent": bool(flaws)},
           levels_from=community)
    return adj
