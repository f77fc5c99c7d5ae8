"""At the sampling table: open and seal tubes, the single online scan, a person registered
on the spot, the staff resolving what the station kept as conflicts, and the health-code
colour seen at a point. The offline batch is `sync`.

A single online scan (`scan`) applies the batch's rules (`refusals.refusal`) in two
statements (`scanning.py`) and refuses instead of storing a conflict; anything unusual in
it (a resent id, a lost race) is answered by `sync` as a batch of one.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm
from fangkong.audit.actions import record
from fangkong.core.actor import Actor, SystemScope
from fangkong.core.errors import Conflict as ConflictError
from fangkong.core.errors import Invalid, NotFound
from fangkong.registry import actions as registry_actions
from fangkong.registry.codes import residents_by_token
from fangkong.registry.models import Household, Kind, Place, Resident

from .. import checks, queries, scanning
from ..access import require, require_observe_code, require_sample
from ..areas import in_round
from ..figures import EXEMPT_PRESENCE
from ..models import CodeColour, Conflict, Exemption, HealthCode, Round, Sample, Tube, TubeState
from ..refusals import refused
from .common import (
    assigned_point,
    check_point_and_table,
    earliest_clock,
    left_empty,
    new_tube,
    release,
    require_open,
    require_tubes,
    save_new_tube,
    set_aside_audit,
    user_of,
)
from .events import parse_event
from .followup import came_out
from .home_request import swabbed
from .sync import sync
from .sync_writes import bump_counters, insert_samples

# --- tubes ---------------------------------------------------------------------------------

def open_tube(actor, rnd: Round, barcode, *, capacity=None, point=None, table=None,
              client_id=None) -> tuple[Tube, bool]:
    """Open a tube at a table (online). Re-opening your own open tube resumes it. Returns
    (tube, resumed). Refuses a barcode already used in this round. The empty tube this
    sampler left open at this table before (`common.left_empty`) is released."""
    require_sample(actor, rnd)
    require_tubes(rnd)
    require_open(rnd)
    _not_a_person_code(barcode)
    barcode = checks.check_tube_barcode(barcode)
    errors = {}
    cap = checks.check_pool_size(rnd.pool_size if capacity in (None, "") else capacity,
                                 "capacity", errors)
    point, table = check_point_and_table(rnd, point, table, errors)
    if errors:
        raise Invalid(fields=errors)
    user = user_of(actor)
    if point is None:  # none named: the sampler's assigned point (`common.assigned_point`)
        point = assigned_point(rnd, user)
    with transaction.atomic():
        tube, resumed = _open(actor, rnd, user, barcode, cap, point, table, client_id)
        _set_aside(actor, rnd, user, tube, point, table)
    return tube, resumed


def _not_a_person_code(scanned) -> None:
    """A person's code card read with no tube open (the last one sealed itself when full)
    would open a tube named after it, as an ID card would (`checks.check_tube_barcode`).
    Person codes are mixed-case (`registry.models.new_token`), so the code as scanned is
    looked up before it is upper-cased as a barcode, by its key as every code is
    (`codes.token_key`, the unique index): one indexed read per tube opened."""
    raw = str(scanned or "").strip()
    if 16 <= len(raw) <= 32 and residents_by_token(Resident.objects, [raw]).exists():
        raise Invalid(fields={"barcode": [_("This is a sampling code, not a tube: scan the new tube first, "
                                            "then the people.")]})


def _open(actor, rnd, user, barcode, cap, point, table, client_id) -> tuple[Tube, bool]:
    existing = Tube.objects.filter(round=rnd, barcode=barcode).first()
    if existing:
        if existing.state == TubeState.OPEN and existing.opened_by_id == getattr(user, "id", None) \
                and existing.count < existing.capacity:
            return existing, True
        if existing.state == TubeState.OPEN and 0 < existing.count < existing.capacity and table is not None \
                and existing.table == table and existing.point_id == getattr(point, "id", point) \
                and not existing.retest:
            # the table's tube, opened by another sampler at this table (a borrowed phone, a
            # relief at the table: walk_lab 10): this sampler goes on filling it, audited
            took = Tube.objects.filter(pk=existing.pk, state=TubeState.OPEN).update(opened_by=user)
            if took:
                existing.refresh_from_db()
                record(actor, "screening.tube.take_over", existing,
                       {"barcode": barcode, "table": table, "count": existing.count}, levels_from=rnd)
                return existing, True
        if existing.state == TubeState.OPEN and existing.count == 0:
            # opened at another table (or phone) and left empty: nothing in it to mix up, so
            # this table takes it on — the barcode is not lost, nobody has to seal an empty tube
            now = timezone.now()
            took = Tube.objects.filter(pk=existing.pk, state=TubeState.OPEN, count=0).update(
                opened_by=user, point=point, table=table, capacity=cap, opened_at=now)
            if took:
                existing.refresh_from_db()
                record(actor, "screening.tube.take_over", existing,
                       {"barcode": barcode, "table": table}, levels_from=rnd)
                return existing, False
        raise ConflictError(_("Tube %(code)s is already used in this round.") % {"code": barcode},
                            code="barcode_used")
    tube = new_tube(rnd, barcode, cap, user, point, table,
                    checks.check_client_id(client_id) if client_id else None, timezone.now())
    return save_new_tube(tube, actor), False


def _set_aside(actor, rnd, user, tube, point, table):
    """Release the empty tubes this sampler left open at this table (`common.left_empty`),
    each audited ("screening.tube.release")."""
    if user is None or table is None:
        return
    busy = Conflict.objects.filter(tube_id=OuterRef("pk"))
    mine = (Tube.objects.filter(round=rnd, opened_by=user, state=TubeState.OPEN, count=0,
                                point_id=point, table=table)
            .exclude(pk=tube.pk).annotate(busy=Exists(busy)))
    left = left_empty(mine, user.id, point, table, tube.barcode)
    gone = release(left)
    for t in left:
        if t.pk in gone:
            record(actor, "screening.tube.release", rnd, set_aside_audit(t, tube.barcode),
                   levels_from=rnd)


def seal_tube(actor, tube: Tube) -> Tube:
    require_sample(actor, tube.round)
    if tube.state == TubeState.SEALED:
        return tube
    if tube.count == 0:
        raise Invalid(_("An empty tube cannot be sealed."), code="tube_empty")
    now = timezone.now()
    Tube.objects.filter(pk=tube.pk, state=TubeState.OPEN).update(state=TubeState.SEALED, sealed_at=now)
    tube.state, tube.sealed_at = TubeState.SEALED, now
    return tube


# --- the single scan -----------------------------------------------------------------------

def scan(actor, rnd: Round, *, client_id, barcode, person, confirm=False, at=None) -> dict:
    """One scan from an online station: registered, or refused on the spot (409) with the
    reason in the user's language. Idempotent on client_id.

    Two database round trips (`scanning`: one read, one write) for the usual scan; a
    malformed one is refused (400) with the field's message before any; a resent client_id
    or a race lost between the two goes through `sync`."""
    require_sample(actor, rnd)
    require_open(rnd)
    item = {"client_id": client_id, "type": "scan", "barcode": barcode, "person": person,
            "confirm": confirm, "at": at}
    now = timezone.now()
    p = parse_event(0, item, now, earliest_clock(rnd))
    if p.get("error"):
        field, message = p["error"]
        raise Invalid(message, fields={field: [message]})
    out = None
    seen = scanning.look(rnd, p)
    if not seen["seen"]:
        out = _scan_outcome(actor, rnd, p, seen, now)
    if out is None:
        out = sync(actor, rnd, [item], online=True)[0]
    if out["status"] == "refused" and out["kind"] == Conflict.Kind.UNKNOWN_PERSON:
        gone = queries.moved_out_name(actor, rnd, p["person_kind"], p["person_key"])
        if gone is not None:  # not "nobody has this code": the roll says this person left
            out["message"] = _("%(name)s is registered as moved out, so not in this round. If "
                               "%(name)s lives here again, change it on the resident's page, "
                               "then scan again.") % {"name": gone}
    if out["status"] == "refused":
        e = ConflictError(out["message"], code=out["kind"])
        e.outcome = out
        raise e
    return out


def _scan_outcome(actor, rnd, p, seen, now) -> dict | None:
    """The outcome of one fresh scan (None: let `sync` decide, a race was lost)."""
    person = seen["person"]
    name = person["name"] if person else ""
    bc = p["barcode"]
    kind = scanning.refusal(seen, p)
    if kind is not None:
        held = seen.get("held")  # (follow-up, "pool" | "antigen"): go home at once
        out = refused(kind, name=name, barcode=bc, sampled=seen["sampled"], zone=seen.get("zone"),
                      held=held[1] if kind == Conflict.Kind.HELD else None)
        if kind == Conflict.Kind.HELD:  # their community told, once
            came_out(actor, rnd, [(held[0], p["at"])])
        tube = seen["tube"]
    else:
        tube = scanning.write(rnd, p, seen, getattr(user_of(actor), "id", None), now)
        if tube is None:
            return None
        if seen["asked"]:  # on the home list for a family's request: it closes once committed
            swabbed(rnd.id, [person["id"]])
        out = {"status": "ok", "name": name}
    out["client_id"] = str(p["client_id"])
    if tube is not None:
        out["tube"] = {"barcode": bc, "count": tube["count"], "capacity": tube["capacity"],
                       "state": tube["state"], "left": max(0, tube["capacity"] - tube["count"])}
    return out


# --- someone not in the registry --------------------------------------------------------------

def register_unverified(actor, rnd: Round, household: Household, data: dict) -> Resident:
    """A person not in the registry (visitor, new arrival) registered at the table with
    the minimum fields, flagged `unverified` for the community to check. The sampler may
    not edit the registry; the resident is created on their behalf (audited as them) only
    inside the round's area."""
    require_sample(actor, rnd)
    require_open(rnd)
    if not in_round(rnd, household):
        raise NotFound()
    minimal = {k: data.get(k, "") for k in ("name", "id_number", "phone", "sex")}
    minimal["notes"] = _("Registered at a sampling table, round %(name)s") % {"name": rnd.name}
    delegate = Actor(user=actor.user, scope=SystemScope(), via=actor.via, ip=actor.ip)
    return registry_actions.create_resident(delegate, household, minimal, unverified=True)


def household_for_door(actor, rnd: Round, place: Place, door: str) -> Household:
    """The household at `door` in a unit/building of the round (created when new)."""
    require_sample(actor, rnd)
    if place.kind not in (Kind.UNIT, Kind.BUILDING) or not in_round(rnd, place):
        raise NotFound()
    from fangkong.registry import checks as reg_checks

    try:
        door = reg_checks.check_door(door)
    except ValidationError as e:
        raise Invalid(fields={"door": e.messages}) from None
    hh = Household.objects.filter(place=place, door=door).first()
    if hh:
        return hh
    delegate = Actor(user=actor.user, scope=SystemScope(), via=actor.via, ip=actor.ip)
    return registry_actions.create_household(delegate, place, door)


# --- conflicts, reviewed by staff ------------------------------------------------------------

def resolve_conflict(actor, c: Conflict, accept: bool) -> Conflict:
    """Accept: register the scan as the station recorded it (a tube may then hold more than
    its pool size, or a person outside the area is counted as sampled). Dismiss: keep the
    record of the swab but register nothing (the person stays as they were)."""
    rnd = c.round
    require(actor, Perm.SCREENING_RUN, rnd)
    if c.status != Conflict.Status.OPEN:
        return c
    if accept:
        if c.kind in (Conflict.Kind.UNKNOWN_PERSON, Conflict.Kind.TUBE_UNKNOWN,
                      Conflict.Kind.BARCODE_USED, Conflict.Kind.ALREADY_SAMPLED, Conflict.Kind.HELD):
            raise Invalid(_("This conflict can only be dismissed."), code="cannot_accept")
        if c.tube is None or c.resident_id is None:
            raise Invalid(_("This conflict can only be dismissed."), code="cannot_accept")
    with transaction.atomic():
        if accept:
            r = Resident.objects.get(pk=c.resident_id)
            s = Sample(round=rnd, tube=c.tube, resident=r, household_id=r.household_id,
                       client_id=c.client_id, sampled_at=c.sampled_at, sampler=c.sampler,
                       point_id=c.tube.point_id, out_of_scope=not in_round(rnd, r))
            s.copy_levels(r)
            inserted = insert_samples([s])
            if not inserted:
                raise Invalid(_("This person has been registered meanwhile."), code="already_sampled")
            Tube.objects.filter(pk=c.tube_id).update(count=F("count") + 1)
            s.ex = r.presence in EXEMPT_PRESENCE or Exemption.objects.filter(round=rnd, resident=r).exists()
            bump_counters(rnd, [s])
            swabbed(rnd.id, [r.id])  # a family's request for them closes once committed
        c.status = Conflict.Status.ACCEPTED if accept else Conflict.Status.DISMISSED
        c.resolved_by, c.resolved_at = user_of(actor), timezone.now()
        c.save(update_fields=["status", "resolved_by", "resolved_at"])
        record(actor, "screening.conflict.resolve", rnd, {"conflict": c.id, "kind": c.kind,
                                                           "status": c.status}, levels_from=rnd)
    return c


# --- health codes --------------------------------------------------------------------------

def set_health_code(actor, resident: Resident, colour: str, source="") -> HealthCode:
    """Record the health-code colour observed for a person at a sampling point, by the zones'
    rule (`zones.actions.gate.record_observation`: kept in the history; it becomes the
    person's code unless it would make an import of the same day milder). The current code
    is returned. `source` is what older callers passed; the observation's source is the
    sampling point's."""
    require_observe_code(actor, resident)
    if colour not in CodeColour.values:
        raise Invalid(fields={"colour": [_("Choose green, yellow or red.")]})
    from fangkong.zones.actions.gate import record_observation

    with transaction.atomic():  # the person's code history and current code are the zones' rule
        obs = record_observation(actor, resident, colour, source="sampling")
        record(actor, "screening.code.observe", resident,
               {"colour": colour, **({} if obs.current else {"current": False})})
    return HealthCode.objects.get(resident=resident)
