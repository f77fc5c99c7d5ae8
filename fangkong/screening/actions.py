"""Every write of the screening app. Pages, the API, uploads and the demo call these.

Permission: `require(actor, perm, obj)` as in the registry (NotFound outside the actor's
scope, Forbidden when seen but not allowed). Sampling is allowed to roles holding
SCREENING_SAMPLE on the round, and to anyone holding a `Sampler` assignment in that round
(this is how volunteers sample: only inside the rounds they are assigned to).

Registrations are set-based (`sync`): one query for the client ids already used by tubes
or conflicts, one for the batch's tubes (locked), one for the people with their
registration (and its client id: a resent scan) and code colour, then one COPY into the
table (falling back to INSERT … ON CONFLICT DO NOTHING on a collision), so a batch sent
twice or cut off and resent writes each record once. A single online scan (`scan`) applies the same rules in two
statements (`scanning.py`) and refuses instead of storing a conflict; anything unusual
in it (a resent id, a lost race) is answered by `sync` as a batch of one.
"""

import uuid
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Perm, Role
from fangkong.audit.actions import record
from fangkong.core import bulk
from fangkong.core.actor import Actor, SystemScope
from fangkong.core.errors import Conflict as ConflictError
from fangkong.core.errors import Forbidden, Invalid, NotFound
from fangkong.registry import actions as registry_actions
from fangkong.registry.models import (
    LEVEL_FIELDS,
    LEVELS,
    Household,
    Kind,
    Place,
    Presence,
    Resident,
    Tag,
)

from . import checks
from .models import (
    Box,
    CodeColour,
    Conflict,
    Exemption,
    FollowUp,
    Handover,
    HealthCode,
    HomeVisit,
    LabResult,
    PoolingRule,
    Result,
    Round,
    RoundArea,
    RoundCounter,
    RoundStatus,
    Sample,
    Sampler,
    SamplingPoint,
    Tube,
    TubeState,
)
from .refusals import already_where, malformed, refusal_message  # noqa: F401 (refusal_message: re-exported)

# Presence that exempts a person without an explicit exemption.
EXEMPT_PRESENCE = (Presence.QUARANTINE, Presence.HOSPITAL, Presence.AWAY)
HOME_TAGS = (Tag.BEDRIDDEN, Tag.LIMITED_MOBILITY)


def require(actor, perm, obj):
    if actor.scope.allows(perm, obj):
        return
    if actor.scope.allows(Perm.SCREENING_VIEW, obj) or actor.scope.allows(Perm.VIEW_REGISTRY, obj):
        raise Forbidden()
    raise NotFound()


def round_allows(scope, perm, rnd: Round) -> bool:
    """On a round as a whole, a grant counts at or above the round's place (like any row)
    and also below it: a grid worker works the part of a community round in their grid
    (their reads of people stay scoped to the grid)."""
    if scope.allows(perm, rnd):
        return True
    field = f"{rnd.place.kind}_id"
    return any(perm in g.perms and g.household_id is None and getattr(g.place, field, None) == rnd.place_id
               for g in scope.grants)


def round_q(scope, perm) -> Q:
    """Filter for rounds by `round_allows`."""
    q = scope.q(perm, household_field="pk__in") if not any(g.household_id for g in scope.grants) \
        else Q(pk__in=[])
    for g in scope.grants:
        if perm in g.perms and g.household_id is None:
            if g.level_field:
                q |= Q(**{g.level_field: g.place.id})
            ancestors = [getattr(g.place, f) for f in LEVEL_FIELDS if getattr(g.place, f)]
            q |= Q(place_id__in=ancestors)
    return q


def can_sample(actor, rnd: Round) -> bool:
    if round_allows(actor.scope, Perm.SCREENING_SAMPLE, rnd):
        return True
    user = actor.user
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    cache = actor.__dict__.setdefault("_sampler_rounds", {})
    if rnd.id not in cache:
        cache[rnd.id] = Sampler.objects.filter(round=rnd, user=user).exists()
    return cache[rnd.id]


def require_sample(actor, rnd: Round):
    if can_sample(actor, rnd):
        return
    if round_allows(actor.scope, Perm.SCREENING_VIEW, rnd):
        raise Forbidden()
    raise NotFound()


def _open_round(rnd: Round):
    if rnd.status == RoundStatus.CLOSED:
        raise Invalid(_("This round is closed."), code="round_closed")


# --- planning ----------------------------------------------------------------

def plan_round(actor, place: Place, data: dict, *, areas=(), points=()) -> Round:
    """A round planned on `place` (a level node), covering `areas` (nodes at or under
    it; default the place itself), with sampling points [(place, tables)]."""
    require(actor, Perm.SCREENING_RUN, place)
    if place.kind not in LEVELS:
        raise Invalid(fields={"place": [_("Plan a round on a district, street, community, grid, "
                                          "compound, building or unit.")]})
    clean = checks.check_round(data)
    areas = list(areas) or [place]
    for a in areas:
        if a.kind not in LEVELS or getattr(a, f"{place.kind}_id") != place.id:
            raise Invalid(fields={"areas": [_("%(name)s is not under %(place)s.")
                                            % {"name": a.name, "place": place.name}]})
    rnd = Round(place=place, created_by=_user(actor), **clean)
    rnd.copy_levels(place)
    with transaction.atomic():
        rnd.save()
        RoundArea.objects.bulk_create([RoundArea(round=rnd, place=a) for a in
                                       {a.id: a for a in areas}.values()])
        for p, tables in points:
            add_point(actor, rnd, p, tables, audit=False)
        record(actor, "screening.round.plan", rnd, {"name": rnd.name, "kind": rnd.kind,
                                                     "areas": [a.id for a in areas],
                                                     "pool_size": rnd.pool_size},
               levels_from=place)
        recount(rnd)
    return rnd


def set_emergency_team(actor, rnd: Round, team_id) -> Round:
    """Name the volunteers' team that re-samples at home for this round (or none). The
    team must belong to the round's area."""
    from fangkong.volunteers.models import Team

    require(actor, Perm.SCREENING_RUN, rnd)
    team = None
    if team_id not in (None, ""):
        try:
            team = Team.objects.get(pk=int(team_id), **{f"{rnd.place.kind}_id": rnd.place_id})
        except (Team.DoesNotExist, ValueError, TypeError):
            raise Invalid(fields={"team": [_("Choose one of the teams of the round's area.")]}) from None
    before = rnd.emergency_team.name if rnd.emergency_team_id else ""
    with transaction.atomic():
        Round.objects.filter(pk=rnd.pk).update(emergency_team=team)
        rnd.emergency_team = team
        record(actor, "screening.round.emergency_team", rnd,
               {"team": [before, team.name if team else ""]}, levels_from=rnd)
    return rnd


def emergency_team_users(rnd: Round) -> set[int]:
    """Accounts of the round's emergency sampling team: its leader and its members."""
    if not rnd.emergency_team_id:
        return set()
    from fangkong.volunteers.models import Team, Volunteer

    team = Team.objects.filter(pk=rnd.emergency_team_id).first()
    if team is None:
        return set()
    people = Volunteer.objects.filter(Q(teams=team) | Q(leads=team),
                                      status=Volunteer.Status.APPROVED).exclude(user=None)
    return set(people.values_list("user_id", flat=True))


def set_status(actor, rnd: Round, status: str) -> Round:
    require(actor, Perm.SCREENING_RUN, rnd)
    if status not in RoundStatus.values:
        raise Invalid(fields={"status": [_("Unknown status.")]})
    if rnd.erased_at is not None:  # its people are gone: it cannot run again
        raise Invalid(_("The personal data of this round was already erased."))
    before = rnd.status
    with transaction.atomic():
        Round.objects.filter(pk=rnd.pk).update(status=status)
        rnd.status = status
        record(actor, "screening.round.status", rnd, {"status": [before, status]}, levels_from=rnd)
    return rnd


def add_point(actor, rnd: Round, place: Place, tables, *, audit=True) -> SamplingPoint:
    require(actor, Perm.SCREENING_RUN, rnd)
    if place.kind != Kind.SAMPLING_POINT:
        raise Invalid(fields={"point": [_("Choose a place of kind sampling point.")]})
    if getattr(place, f"{rnd.place.kind}_id") != rnd.place_id:
        raise Invalid(fields={"point": [_("The sampling point is not in this round's area.")]})
    try:
        tables = int(tables)
        if not 1 <= tables <= 100:
            raise ValueError
    except (ValueError, TypeError):
        raise Invalid(fields={"tables": [_("Tables: a whole number from 1 to 100.")]}) from None
    with transaction.atomic():
        point, _created = SamplingPoint.objects.update_or_create(
            round=rnd, place=place, defaults={"tables": tables})
        if audit:
            record(actor, "screening.point.set", rnd, {"point": place.name, "tables": tables},
                   levels_from=rnd)
    return point


def assign_sampler(actor, rnd: Round, point: SamplingPoint, user, table=1) -> Sampler:
    """Let a user (typically a volunteer) register samples in this round, at a table."""
    require(actor, Perm.SCREENING_RUN, rnd)
    if point.round_id != rnd.id:
        raise NotFound()
    try:
        table = int(table)
        if not 1 <= table <= point.tables:
            raise ValueError
    except (ValueError, TypeError):
        raise Invalid(fields={"table": [_("This point has tables 1 to %(n)d.") % {"n": point.tables}]}) \
            from None
    with transaction.atomic():
        s, _created = Sampler.objects.update_or_create(round=rnd, user=user,
                                                       defaults={"point": point, "table": table})
        record(actor, "screening.sampler.assign", rnd, {"user": user.id, "point": point.place.name,
                                                        "table": table}, levels_from=rnd)
    return s


def assign_sampler_volunteer(actor, rnd: Round, point: SamplingPoint, volunteer, table=1) -> Sampler:
    """`assign_sampler` for a volunteer: only an approved one, who has an account."""
    from fangkong.volunteers.models import Volunteer

    if volunteer.status != Volunteer.Status.APPROVED or volunteer.user_id is None:
        raise Invalid(fields={"volunteer": [_("Only an approved volunteer can sample.")]})
    return assign_sampler(actor, rnd, point, volunteer.user, table)


def pool_size(rnd: Round, *, zone_type: str = "", group: str = "general") -> int:
    """Pool size for a person: the policy table by zone type and group; outside any zone the
    round's own size (zones do not exist yet, so the station uses the round's size and 1 for
    red/yellow codes and key groups)."""
    if group != "general":
        rule = PoolingRule.objects.filter(zone_type__in=[zone_type, "sealed"], group=group).first()
        return rule.pool_size if rule else 1
    if not zone_type:
        return rnd.pool_size
    rule = PoolingRule.objects.filter(zone_type=zone_type, group=group).first()
    return rule.pool_size if rule else rnd.pool_size


def _user(actor):
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None


# --- exemptions and home visits --------------------------------------------------

def _in_round(rnd: Round, r: Resident) -> bool:
    return any(getattr(r, f"{kind}_id") == pid for kind, pid in area_keys(rnd))


def area_keys(rnd: Round) -> list[tuple[str, int]]:
    cached = getattr(rnd, "_area_keys", None)
    if cached is None:
        cached = [(k, pid) for pid, k in RoundArea.objects.filter(round=rnd)
                  .values_list("place_id", "place__kind")]
        rnd._area_keys = cached
    return cached


def area_q(rnd: Round, prefix="") -> Q:
    out = Q(pk__in=[])
    for kind, pid in area_keys(rnd):
        out |= Q(**{f"{prefix}{kind}_id": pid})
    return out


def add_exemption(actor, rnd: Round, resident: Resident, reason, note="") -> Exemption:
    require(actor, Perm.SCREENING_RUN, rnd)
    require(actor, Perm.VIEW_REGISTRY, resident)
    reason = checks.check_reason(reason)
    note = checks.kept_text(note, Exemption, "note")
    if not _in_round(rnd, resident):
        raise Invalid(fields={"resident": [_("This person is not in the round's area.")]})
    ex = Exemption(round=rnd, resident=resident, household_id=resident.household_id, reason=reason,
                   note=note, created_by=_user(actor))
    ex.copy_levels(resident)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ex.save()
        except IntegrityError:
            raise Invalid(fields={"resident": [_("This person is already exempt.")]}) from None
        record(actor, "screening.exempt.add", resident, {"round": rnd.id, "reason": reason})
    return ex


def remove_exemption(actor, ex: Exemption):
    require(actor, Perm.SCREENING_RUN, ex)
    with transaction.atomic():
        ex.delete()
        record(actor, "screening.exempt.remove", None, {"round": ex.round_id,
                                                        "resident": ex.resident_id},
               levels_from=ex, label=str(ex.resident_id))


def generate_home_list(actor, rnd: Round) -> int:
    """Add everyone in the round's area tagged bedridden or limited mobility, or whose
    household's zone is sampled at home (sealed), and at home, to the home-sampling list.
    Re-running adds only the new ones. Returns how many."""
    from fangkong.zones.queries import home_sampled

    require(actor, Perm.SCREENING_RUN, rnd)
    tag_q = Q(home_sampled())
    for t in HOME_TAGS:
        tag_q |= Q(tags__contains=f",{t},")
    people = (Resident.objects.filter(area_q(rnd)).filter(tag_q).filter(presence=Presence.HOME)
              .exclude(id__in=HomeVisit.objects.filter(round=rnd, source=HomeVisit.Source.TAGS)
                       .values("resident_id")))
    rows = []
    user = _user(actor)
    for r in people.only("id", "household_id", *LEVEL_FIELDS):
        hv = HomeVisit(round=rnd, resident_id=r.id, household_id=r.household_id,
                       source=HomeVisit.Source.TAGS, created_by=user)
        hv.copy_levels(r)
        rows.append(hv)
    with transaction.atomic():
        HomeVisit.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        record(actor, "screening.home.generate", rnd, {"added": len(rows)}, levels_from=rnd)
    return len(rows)


def add_home_visit(actor, rnd: Round, resident: Resident, note="") -> HomeVisit:
    """"Sample at home" from the missing list (or by hand)."""
    require(actor, Perm.SCREENING_RUN, rnd)
    require(actor, Perm.VIEW_REGISTRY, resident)
    hv = HomeVisit.objects.filter(round=rnd, resident=resident, status=HomeVisit.Status.OPEN).first()
    if hv:
        return hv
    hv = HomeVisit(round=rnd, resident=resident, household_id=resident.household_id,
                   source=HomeVisit.Source.MANUAL, note=checks.kept_text(note, HomeVisit, "note"),
                   created_by=_user(actor))
    hv.copy_levels(resident)
    with transaction.atomic():
        HomeVisit.objects.filter(round=rnd, resident=resident, source=HomeVisit.Source.MANUAL).delete()
        hv.save()
        record(actor, "screening.home.add", resident, {"round": rnd.id})
    return hv


def set_home_visit(actor, hv: HomeVisit, status: str) -> HomeVisit:
    require(actor, Perm.SCREENING_RUN, hv)
    if status not in HomeVisit.Status.values:
        raise Invalid(fields={"status": [_("Unknown status.")]})
    with transaction.atomic():
        hv.status = status
        hv.done_at = timezone.now() if status == HomeVisit.Status.DONE else None
        hv.save(update_fields=["status", "done_at"])
        record(actor, "screening.home.status", None, {"visit": hv.id, "status": status},
               levels_from=hv, label=str(hv.resident_id))
    return hv


def set_health_code(actor, resident: Resident, colour: str, source="") -> HealthCode:
    """Record the health-code colour observed for a person (at a point or checkpoint)."""
    if not (actor.scope.allows(Perm.SCREENING_SAMPLE, resident)
            or actor.scope.allows(Perm.SCREENING_RUN, resident)):
        require(actor, Perm.SCREENING_RUN, resident)
    if colour not in CodeColour.values:
        raise Invalid(fields={"colour": [_("Choose green, yellow or red.")]})
    with transaction.atomic():
        hc, _c = HealthCode.objects.update_or_create(
            resident=resident, defaults={"colour": colour, "observed_at": timezone.now(),
                                         "source": checks.text(source, 40)})
        record(actor, "screening.code.observe", resident, {"colour": colour})
    return hc


# --- tubes --------------------------------------------------------------------

def open_tube(actor, rnd: Round, barcode, *, capacity=None, point=None, table=None,
              client_id=None) -> tuple[Tube, bool]:
    """Open a tube at a table (online). Re-opening your own open tube resumes it. Returns
    (tube, resumed). Refuses a barcode already used in this round."""
    require_sample(actor, rnd)
    _open_round(rnd)
    barcode = checks.check_barcode(barcode)
    errors = {}
    cap = checks.check_pool_size(rnd.pool_size if capacity in (None, "") else capacity,
                                 "capacity", errors)
    if errors:
        raise Invalid(fields=errors)
    user = _user(actor)
    existing = Tube.objects.filter(round=rnd, barcode=barcode).first()
    if existing:
        if existing.state == TubeState.OPEN and existing.opened_by_id == getattr(user, "id", None) \
                and existing.count < existing.capacity:
            return existing, True
        raise ConflictError(_("Tube %(code)s is already used in this round.") % {"code": barcode},
                            code="barcode_used")
    tube = _new_tube(rnd, barcode, cap, user, point, table,
                     checks.check_client_id(client_id) if client_id else None, timezone.now())
    try:
        with transaction.atomic():
            tube.save()
    except IntegrityError:
        raise ConflictError(_("Tube %(code)s is already used in this round.") % {"code": barcode},
                            code="barcode_used") from None
    return tube, False


def _new_tube(rnd, barcode, capacity, user, point, table, client_id, at, retest=False) -> Tube:
    t = Tube(round=rnd, barcode=barcode, capacity=capacity, opened_by=user, opened_at=at,
             point_id=getattr(point, "id", point), table=table, client_id=client_id, retest=retest)
    t.copy_levels(rnd)
    return t


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


# --- registering samples ---------------------------------------------------------

def sync(actor, rnd: Round, items: list[dict], *, online=False) -> list[dict]:
    """Register a batch of station events, each {client_id, type: open|scan|seal, barcode,
    person, confirm, capacity, point, table, at}. Returns one outcome per item, in order:
    {client_id, status: ok|conflict|refused, kind, message, conflict, tube: {barcode, count,
    capacity, state}, name}. Conflicts are stored (offline scans: the swab is already in the
    tube) unless `online`, where nothing is stored and the station refuses on the spot."""
    require_sample(actor, rnd)
    _open_round(rnd)
    if len(items) > checks.MAX_BATCH:
        raise Invalid(_("At most %(n)d events a batch.") % {"n": checks.MAX_BATCH})
    now = timezone.now()
    user = _user(actor)
    uid = getattr(user, "id", None)
    parsed = [_parse_item(i, it, now) for i, it in enumerate(items)]
    # A malformed event costs nothing else: it comes back with its reason (`status:
    # invalid`, kept on the phone) and every valid event of the batch is applied.
    bad = [p for p in parsed if p.get("error")]
    if bad:
        parsed = [p for p in parsed if not p.get("error")]
        if not parsed:
            return [malformed(p, items[p["index"]]) for p in bad]
    # Events are applied in the order they happened at the station.
    parsed.sort(key=lambda p: (p["at"], p["index"]))
    ids = list({p["client_id"] for p in parsed})
    # The registrations are COPYed straight in (see `_insert_samples`); if that collides
    # (rare), everything is rolled back and the batch runs again inserting through
    # ON CONFLICT: no savepoint around the COPY (two round trips) in the usual case.
    for copy in (True, False):
        outcomes = {}
        try:
            with transaction.atomic():
                done, known, locked, spare_ids, people = _reads(rnd, parsed, ids)
                tubes = {t.barcode: t for t in locked}
                start_counts = {t.barcode: t.count for t in tubes.values()}
                # registered already in this round, and red/yellow codes: read with the people
                sampled, red = {}, set()
                areas = [(f"{k}_id", pid) for k, pid in area_keys(rnd)]  # (person's column, place)
                warn = (CodeColour.RED, CodeColour.YELLOW)
                for r in people.values():
                    r["in_scope"] = any(r[col] == pid for col, pid in areas)
                    if r["s_code"]:
                        sampled[r["id"]] = (r["s_code"], r["s_at"], r["s_point"], r["s_table"])
                    if r["colour"] in warn:
                        red.add(r["id"])
                new_tubes, new_samples, new_conflicts, sealed_now = [], [], [], set()
                doubtful = []  # scans refused or kept as conflicts: were they registered already?
                make_sample = bulk.prototype(Sample, round_id=rnd.id, tube_id=None, resident_id=0,
                                             household_id=0, recorded_at=now, sampler_id=uid,
                                             sampled_at=now)
                make_tube = _tube_factory(rnd, user, now)

                OPEN, SEALED = TubeState.OPEN, TubeState.SEALED
                ok = {"status": "ok"}  # outcomes are copied when the answer is written
                ok_again = {"status": "ok", "duplicate": True}
                levels = LEVEL_FIELDS
                for p in parsed:
                    cid = p["client_id"]
                    if cid in outcomes:
                        continue
                    if cid in done:
                        outcomes[cid] = ok_again
                        continue
                    if cid in known:
                        c = known[cid]
                        outcomes[cid] = {"status": "conflict", "kind": c.kind, "conflict": c.id,
                                         "resolved": c.status != Conflict.Status.OPEN,
                                         "message": refusal_message(c.kind, barcode=c.barcode)}
                        continue
                    bc = p["barcode"]
                    tube = tubes.get(bc)
                    etype = p["type"]
                    if etype == "open":
                        if tube is None:
                            cap = p["capacity"] or rnd.pool_size
                            tube = make_tube(bc, cap, p["point"], p["table"], cid, p["at"])
                            tubes[bc] = tube
                            start_counts[bc] = 0
                            new_tubes.append(tube)
                            outcomes[cid] = ok
                        elif tube.client_id is not None and str(tube.client_id) == cid:
                            outcomes[cid] = ok_again
                        else:
                            outcomes[cid] = _conflict(new_conflicts, rnd, p, Conflict.Kind.BARCODE_USED,
                                                      tube=tube, sampler=user)
                        continue
                    if etype == "seal":
                        if tube is None:
                            outcomes[cid] = _conflict(new_conflicts, rnd, p, Conflict.Kind.TUBE_UNKNOWN,
                                                      sampler=user)
                        else:
                            if tube.state == OPEN:
                                if tube.count == 0:
                                    outcomes[cid] = {"status": "refused", "kind": "tube_empty",
                                                     "message": str(_("An empty tube cannot be sealed."))}
                                    continue
                                tube.state, tube.sealed_at = SEALED, p["at"]
                                sealed_now.add(bc)
                            outcomes[cid] = ok
                        continue
                    # a scan
                    person = people.get((p["person_kind"], p["person_key"]))
                    if person is None:
                        name = ""
                    else:
                        s_cid = person["s_cid"]
                        if s_cid is not None and str(s_cid) == cid:  # sent again: registered already
                            outcomes[cid] = ok_again
                            continue
                        name = person["name"]
                    if tube is None:
                        kind = Conflict.Kind.TUBE_UNKNOWN
                    elif person is None:
                        kind = Conflict.Kind.UNKNOWN_PERSON
                    elif person["id"] in sampled:
                        kind = Conflict.Kind.ALREADY_SAMPLED
                    elif tube.count >= tube.capacity:
                        kind = Conflict.Kind.TUBE_FULL
                    elif tube.state != OPEN:
                        kind = Conflict.Kind.TUBE_SEALED
                    elif tube.capacity > 1 and person["id"] in red:
                        kind = Conflict.Kind.SINGLE_TUBE
                    elif not person["in_scope"] and not p["confirm"]:
                        kind = Conflict.Kind.OUT_OF_SCOPE
                    else:
                        kind = None
                    if kind is not None:
                        extra = {"name": name}
                        if kind == Conflict.Kind.ALREADY_SAMPLED:
                            extra["where"] = already_where(*sampled[person["id"]])
                        doubtful.append(cid)
                        if online:
                            outcomes[cid] = {"status": "refused", "kind": str(kind), "name": name,
                                             "message": refusal_message(kind, barcode=bc, **extra)}
                        else:
                            outcomes[cid] = _conflict(new_conflicts, rnd, p, kind, tube=tube, person=person,
                                                      sampler=user, **extra)
                        continue
                    smp = make_sample()
                    d = smp.__dict__  # a fresh copy with nothing cached: plain attributes, no descriptors
                    for f in levels:
                        d[f] = person[f]
                    at = p["at"]
                    d["tube_id"] = tube.pk
                    d["resident_id"] = pid = person["id"]
                    d["household_id"] = person["household_id"]
                    d["client_id"] = cid
                    d["sampled_at"] = at
                    d["point_id"] = tube.point_id
                    d["out_of_scope"] = not person["in_scope"]
                    d["bc"] = bc  # the tube's barcode, without going back to the tube
                    d["ex"] = person["ex"] or person["presence"] in EXEMPT_PRESENCE  # was exempt
                    new_samples.append(smp)
                    sampled[pid] = (bc, at)
                    tube.count += 1
                    if tube.count >= tube.capacity:
                        tube.state, tube.sealed_at = SEALED, at
                        sealed_now.add(bc)
                    outcomes[cid] = {"status": "ok", "name": name}

                if doubtful:
                    again = _registered(doubtful)
                    if again:  # sent before and registered (the person since moved, or an id reused)
                        for cid in again:
                            outcomes[cid] = {"status": "ok", "duplicate": True}
                        new_conflicts = [c for c in new_conflicts if c.client_id not in again]
                written_later = bool(new_tubes) and connection.vendor == "postgresql"
                if new_tubes:  # ids now (the samples need them); PostgreSQL writes the rows below
                    _create_tubes(new_tubes, write=not written_later, ids=spare_ids)
                for smp in new_samples:  # tubes opened in this batch have their ids only now
                    if smp.tube_id is None:
                        smp.tube_id = tubes[smp.bc].pk
                for c in new_conflicts:
                    pending = getattr(c, "pending_tube", None)
                    if pending is not None:
                        c.tube_id = pending.pk
                if new_samples:
                    inserted = _insert_samples(new_samples, copy=copy)
                    lost = [s for s in new_samples if s.client_id not in inserted]
                    if lost:  # registered meanwhile by another table (or the same event, concurrently)
                        _handle_lost(rnd, lost, outcomes, new_conflicts, tubes, online, user)
                    new_samples = [s for s in new_samples if s.client_id in inserted]
                writes = []  # PostgreSQL: the tubes' UPDATE and the counters go as one round trip
                _update_tubes(tubes, start_counts, new_samples, sealed_now, new_tubes,
                              unwritten=written_later, defer=writes)
                if written_later:  # with their final counts and states: no UPDATE of fresh rows
                    bulk.insert(Tube, new_tubes)  # (COPY: a multi-row INSERT sent with the counts
                    # below measured 3.5× slower for 45 tubes, its literals formatted client-side)
                _bump_counters(rnd, new_samples, defer=writes)
                if not online and (new_samples or new_conflicts or new_tubes):
                    # with the counts (PostgreSQL: one round trip for the three)
                    record(actor, "screening.sync", rnd, {"samples": len(new_samples),
                                                          "conflicts": len(new_conflicts),
                                                          "tubes": len(new_tubes), "events": len(items),
                                                          **({"malformed": len(bad)} if bad else {})},
                           levels_from=rnd, defer=writes if connection.vendor == "postgresql" else None)
                _run_writes(writes)
                if new_conflicts and not online:
                    Conflict.objects.bulk_create(new_conflicts, ignore_conflicts=True)
                    ids_by_client = {str(cid): pk for cid, pk in Conflict.objects.filter(
                        client_id__in=[c.client_id for c in new_conflicts]).values_list("client_id", "id")}
                    for c in new_conflicts:
                        outcomes[c.client_id]["conflict"] = ids_by_client.get(c.client_id)
        except _CopyCollided:
            continue
        break

    out = []
    views = {bc: {"barcode": t.barcode, "count": t.count, "capacity": t.capacity, "state": t.state,
                  "left": t.left} for bc, t in tubes.items() if t.pk}  # one per tube, shared
    for p in sorted(parsed + bad, key=lambda p: p["index"]):
        if "error" in p:
            out.append(malformed(p, items[p["index"]]))
            continue
        o = dict(outcomes[p["client_id"]])
        o["client_id"] = str(p["client_id"])
        view = views.get(p["barcode"])
        if view is not None:
            o["tube"] = view
        out.append(o)
    return out


_TUBE_FIELDS = [f for f in Tube._meta.concrete_fields]
_TUBE_COLUMNS = ", ".join(f'"{f.column}"' for f in _TUBE_FIELDS)
LOCK_TUBES_PG = (
    f"WITH locked AS (SELECT {_TUBE_COLUMNS} FROM screening_tube WHERE round_id = %s "
    f"AND barcode = ANY(string_to_array(%s, ',')) ORDER BY id FOR UPDATE) "
    f"SELECT {_TUBE_COLUMNS}, NULL::bigint FROM locked UNION ALL "
    f"SELECT {', '.join(['NULL'] * len(_TUBE_FIELDS))}, "
    f"nextval(pg_get_serial_sequence('screening_tube', 'id')) FROM generate_series(1, %s::int)")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608


def _lock_tubes(rnd, barcodes) -> tuple[list[Tube], list[int]]:
    """The batch's tubes, locked in id order until the batch commits (not PostgreSQL:
    there `_reads` sends LOCK_TUBES_PG, which also reserves ids for new tubes)."""
    tq = Tube.objects.filter(round=rnd, barcode__any_of=barcodes).order_by("id")
    if connection.features.has_select_for_update:
        tq = tq.select_for_update()
    return list(tq), []


_TUBE_NAMES = [f.attname for f in _TUBE_FIELDS]


def _lock_rows(rows) -> tuple[list[Tube], list[int]]:
    tubes, ids = [], []
    for row in rows:
        if row[-1] is None:
            tubes.append(Tube.from_db(connection.alias, _TUBE_NAMES, row[:-1]))
        else:
            ids.append(row[-1])
    return tubes, ids


def _registered(ids) -> set:
    """Which of these client ids are registrations already (as text)."""
    return {str(c) for c in Sample.objects.filter(client_id__any_of=list(ids)).values_list("client_id", flat=True)}


def _tube_factory(rnd, user, now):
    """`make(barcode, capacity, point, table, client_id, at)`: unsaved tubes of this batch,
    copies of one template (Model.__init__ cost ~80 µs a tube)."""
    template = _new_tube(rnd, "", 1, user, None, None, None, now).__dict__.copy()
    template.pop("_state", None)
    from django.db.models.base import ModelState

    def make(barcode, capacity, point, table, client_id, at):
        t = Tube.__new__(Tube)
        t.__dict__.update(template)
        t._state = ModelState()
        t.barcode, t.capacity, t.table, t.client_id, t.opened_at = barcode, capacity, table, client_id, at
        t.point_id = getattr(point, "id", point)
        return t

    return make


_EVENT_TYPES = frozenset(("open", "scan", "seal"))
_PLAIN_BARCODE = checks.BARCODE  # ASCII letters, digits, dashes, 4–40: nothing to fold


def _parse_item(index, item, now) -> dict:
    p = {"index": index}
    if not isinstance(item, dict):
        p["error"] = ("event", str(_("Send a JSON object.")))
        return p
    get = item.get
    try:
        p["client_id"] = checks.client_key(get("client_id"))
        p["type"] = t = get("type") or "scan"
        if t not in _EVENT_TYPES:
            raise Invalid(fields={"type": [_("Type must be open, scan or seal.")]})
        bc = get("barcode")
        if type(bc) is str and _PLAIN_BARCODE.fullmatch(bc):  # the usual: nothing to fold or trim
            p["barcode"] = bc.upper()
        else:
            p["barcode"] = checks.check_barcode(bc)
        errors = {}
        at = get("at")
        if at is None or at == "":  # the station's clock time is optional
            at = now
        else:
            at = checks.check_datetime(at, "at", errors, required=False) or now
            if errors:
                raise Invalid(fields=errors)
        # A station clock far ahead is not trusted beyond the server's now.
        p["at"] = at if at < now else now
        p["confirm"] = bool(get("confirm"))
        p["capacity"] = p["point"] = p["table"] = None
        if t == "open" and get("capacity") not in (None, ""):
            p["capacity"] = checks.check_pool_size(item["capacity"], "capacity", errors)
        if "point" in item or "table" in item:
            for f in ("point", "table"):
                if item.get(f) not in (None, ""):
                    try:
                        p[f] = int(item[f])
                    except (TypeError, ValueError):
                        errors[f] = [_("Enter a whole number.")]
        if errors:
            raise Invalid(fields=errors)
        if t == "scan":
            try:
                p["person_kind"], p["person_key"] = checks.parse_person(get("person"))
            except Invalid:
                code = checks.tube_code(get("person"))
                if code is None:
                    raise
                # a tube's barcode scanned where a person was expected: a second tube
                raise Invalid(fields={"person": [
                    _("%(code)s is a tube, not a person: tube %(barcode)s is still open. Seal it "
                      "before opening the next one.") % {"code": code, "barcode": p["barcode"]}]}) \
                    from None
    except Invalid as e:
        field, msgs = next(iter(e.fields.items())) if e.fields else ("event", [e.message])
        p["error"] = (field, str(msgs[0]))
    return p


PERSON_COLUMNS = ["id", "name", "household_id", "token", "id_hash", *LEVEL_FIELDS]


def _seen(ids) -> tuple[set, dict]:
    """Client ids already used by a tube's open, and those kept as conflicts ({client_id:
    conflict}), in one query (UNION ALL of two indexed look-ups in small tables).

    Registrations (the big table) are not looked up here: a resent scan is recognised by
    the person's own registration in the round, read with the people (`s_cid`); a scan
    that would be refused or kept as a conflict is checked against the registrations
    afterwards (`_registered`, rare); and any other reuse of a registered id is stopped by
    the unique client_id when the rows go in (`_insert_samples`). Not PostgreSQL: there
    `_reads` sends SEEN_PG."""
    from django.db.models import CharField, IntegerField, Value

    blank = Value("", output_field=CharField())
    qs = (Tube.objects.filter(client_id__any_of=ids)
          .values_list("client_id", Value(0, output_field=IntegerField()), blank, blank, blank)
          .union(Conflict.objects.filter(client_id__any_of=ids).order_by()
                 .values_list("client_id", "id", "kind", "status", "barcode"), all=True))
    return _seen_rows(qs)


# Keys go as ONE text parameter split in the database (string_to_array): psycopg dumps a
# list parameter element by element in Python (~2 ms for 500 UUIDs). Tokens, ID hashes,
# resident ids and UUIDs never contain a comma.
SEEN_PG = """
WITH k AS (SELECT string_to_array(%(ids)s, ',')::uuid[] AS ids)
SELECT client_id, 0, '', '', '' FROM screening_tube, k WHERE client_id = ANY(k.ids)
UNION ALL SELECT client_id, id, kind, status, barcode FROM screening_conflict, k
WHERE client_id = ANY(k.ids)
"""


def _seen_rows(rows) -> tuple[set, dict]:
    done, known = set(), {}
    for cid, pk, kind, status, barcode in rows:
        cid = str(cid)  # the batch keeps client ids as text
        if pk:
            known[cid] = Conflict(id=pk, client_id=cid, kind=kind, status=status, barcode=barcode)
        else:
            done.add(cid)
    return done, known


def _reads(rnd, parsed, ids):
    """What the batch needs to know, read at its start: (client ids done, {client id:
    conflict kept}, the batch's tubes locked, ids reserved for the tubes it may open, the
    scanned people). On PostgreSQL the three statements go in one round trip (a psycopg
    pipeline); so the lock reserves an id for every barcode opened in the batch, and the
    people are read for every scan, even those the first read will show as done (a replay
    wastes a few sequence numbers and reads people it then ignores)."""
    barcodes = sorted({p["barcode"] for p in parsed})
    scans = [p for p in parsed if p["type"] == "scan"]
    if connection.vendor != "postgresql":
        done, known = _seen(ids)
        locked, spare = _lock_tubes(rnd, barcodes)
        people = _people(rnd, [p for p in scans if p["client_id"] not in done and p["client_id"] not in known])
        return done, known, locked, spare, people
    from fangkong.core.db import prepared_cursor

    n_open = len({p["barcode"] for p in parsed if p["type"] == "open"})
    keys = _people_keys(scans)
    with prepared_cursor() as seen_cur, prepared_cursor() as lock_cur, prepared_cursor() as people_cur:
        with connection.connection.pipeline():
            seen_cur.execute(SEEN_PG, {"ids": ",".join(map(str, ids))})
            lock_cur.execute(LOCK_TUBES_PG, [rnd.id, ",".join(barcodes), n_open])
            if any(keys):
                people_cur.execute(PEOPLE_PG, _people_params(rnd, *keys))
            seen_rows = seen_cur.fetchall()
            lock_rows = lock_cur.fetchall()
            people_rows = people_cur.fetchall() if any(keys) else []
    done, known = _seen_rows(seen_rows)
    locked, spare = _lock_rows(lock_rows)
    return done, known, locked, spare, _people_rows(people_rows, *keys)


def _people_keys(scans) -> tuple[set, set, set]:
    """(codes, ID-number hashes, resident ids) of these scans."""
    tokens, hashes, rids = set(), set(), set()
    for p in scans:
        kind = p["person_kind"]
        if kind == "token":
            tokens.add(p["person_key"])
        elif kind == "id":
            hashes.add(p["person_key"])
        elif kind == "resident":
            rids.add(int(p["person_key"]))
    return tokens, hashes, rids


def _people(rnd, scans) -> dict:
    """{(kind, key): resident values} for the scanned people, in one query, with their
    registration in this round if any (`s_code`: its tube, `s_at`: when) and their
    health-code colour. A pick by resident id ("r:123") only finds people in the round's
    area (it comes from the scoped search); codes and ID numbers find anyone (the person
    is standing at the table). Not PostgreSQL: there `_reads` sends PEOPLE_PG."""
    tokens, hashes, rids = _people_keys(scans)
    if not (tokens or hashes or rids):
        return {}
    q = Q(pk__in=[])
    if tokens:  # lower-case keys (`cards.token_key`): the unique index on Lower("token")
        q |= Q(token_key__any_of=list(tokens))
    if hashes:
        q |= Q(id_hash__any_of=list(hashes))
    if rids:
        q |= Q(id__any_of=list(rids)) & area_q(rnd)
    out = {}
    regs = Sample.objects.filter(round=rnd, retest=False, resident_id=OuterRef("pk"))
    rows = (Resident.objects.alias(token_key=Lower("token")).filter(q)
            .exclude(presence=Presence.MOVED_OUT).annotate(
        s_code=Subquery(regs.values("tube__barcode")[:1]),
        s_at=Subquery(regs.values("sampled_at")[:1]),
        s_cid=Subquery(regs.values("client_id")[:1]),
        s_point=Subquery(regs.values("tube__point__place__name")[:1]),
        s_table=Subquery(regs.values("tube__table")[:1]),
        colour=Subquery(HealthCode.objects.filter(resident_id=OuterRef("pk")).values("colour")[:1]),
        ex=Exists(Exemption.objects.filter(round=rnd, resident_id=OuterRef("pk"))))
        .values(*PERSON_COLUMNS, "s_code", "s_at", "s_cid", "s_point", "s_table", "colour",
                "presence", "ex"))
    for row in rows:
        if (key := row["token"].lower()) in tokens:
            out[("token", key)] = row
        if row["id_hash"] in hashes:
            out[("id", row["id_hash"])] = row
        if row["id"] in rids:
            out[("resident", str(row["id"]))] = row
    return out


_LEVELS_SQL = ", ".join(f"r.{f}" for f in LEVEL_FIELDS)
PEOPLE_PG = f"""
SELECT {", ".join("r." + c for c in PERSON_COLUMNS)}, st.barcode, s.sampled_at, s.client_id,
       pp.name, st."table", hc.colour, r.presence,
       EXISTS (SELECT 1 FROM screening_exemption ex WHERE ex.round_id = %(round)s AND ex.resident_id = r.id),
       CASE WHEN r.id = ANY(%(rids)s) THEN EXISTS (
         SELECT 1 FROM screening_roundarea ra WHERE ra.round_id = %(round)s
         AND ra.place_id IN ({_LEVELS_SQL})) ELSE false END
FROM registry_resident r
LEFT JOIN screening_sample s ON s.round_id = %(round)s AND s.resident_id = r.id AND NOT s.retest
LEFT JOIN screening_tube st ON st.id = s.tube_id
LEFT JOIN screening_samplingpoint sp ON sp.id = st.point_id
LEFT JOIN registry_place pp ON pp.id = sp.place_id
LEFT JOIN screening_healthcode hc ON hc.resident_id = r.id
WHERE (lower(r.token) = ANY(string_to_array(%(tokens)s, ',')) OR r.id_hash = ANY(string_to_array(%(hashes)s, ','))
       OR r.id = ANY(%(rids)s))
  AND r.presence <> %(gone)s
"""  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
_PEOPLE_KEYS = [*PERSON_COLUMNS, "s_code", "s_at", "s_cid", "s_point", "s_table", "colour",
                "presence", "ex", "in_area"]


def _people_params(rnd, tokens, hashes, rids) -> dict:
    return {"round": rnd.id, "tokens": ",".join(tokens), "hashes": ",".join(hashes),
            "rids": list(rids), "gone": str(Presence.MOVED_OUT)}


def _people_rows(rows, tokens, hashes, rids) -> dict:
    out = {}
    for values in rows:
        row = dict(zip(_PEOPLE_KEYS, values, strict=True))
        if (key := row["token"].lower()) in tokens:
            out[("token", key)] = row
        if row["id_hash"] in hashes:
            out[("id", row["id_hash"])] = row
        if row["id"] in rids and row["in_area"]:
            out[("resident", str(row["id"]))] = row
    return out


def _conflict(bucket, rnd, p, kind, *, tube=None, person=None, sampler=None, **extra) -> dict:
    c = Conflict(round=rnd, client_id=p["client_id"], kind=kind, barcode=p["barcode"],
                 tube=tube if tube is not None and tube.pk else None,
                 resident_id=person["id"] if person else None,
                 person=(p.get("person_key", "") if p.get("person_kind") == "token" else "")[:64],
                 sampled_at=p["at"], sampler=sampler, detail=str(extra.get("where", ""))[:200])
    if tube is not None and not tube.pk:
        c.pending_tube = tube
    bucket.append(c)
    return {"status": "conflict", "kind": str(kind), "name": extra.get("name", ""),
            "message": refusal_message(kind, barcode=p["barcode"], **extra)}


def _create_tubes(tubes: list[Tube], *, write=True, ids=()):
    """Give the tubes opened by a batch their ids (the samples need them) and, if `write`,
    write them. PostgreSQL: ids reserved from the sequence (`ids`, taken with the lock,
    topped up here if short); the caller writes the rows with one
    COPY (bulk_create spent ~4 ms on 50 tubes) once their counts are known (`sync`: after
    the samples; `screening_sample.tube_id` has no database constraint). A barcode opened
    meanwhile by another station fails the batch (IntegrityError), as bulk_create did; the
    station sends it again and gets the conflict."""
    if connection.vendor != "postgresql":
        Tube.objects.bulk_create(tubes)
        return
    from fangkong.core.db import prepared_cursor

    ids = list(ids[:len(tubes)])
    if len(ids) < len(tubes):
        with prepared_cursor() as cur:  # prepared: one plan for every batch
            cur.execute(TUBE_IDS_PG, [len(tubes) - len(ids)])
            ids += [row[0] for row in cur.fetchall()]
    for t, pk in zip(tubes, ids, strict=True):
        t.pk = pk
    if write:
        bulk.insert(Tube, tubes)


TUBE_IDS_PG = ("SELECT nextval(pg_get_serial_sequence('screening_tube', 'id')) "
               "FROM generate_series(1, %s::int)")  # = bulk.allocate_ids(Tube, n), prepared

COPY_AFTER = 20  # rows; fewer go in as one INSERT … ON CONFLICT statement


class _CopyCollided(Exception):
    """The registrations' COPY hit a unique index: the batch's transaction is rolled back."""


def _insert_samples(samples: list[Sample], *, copy=True) -> set:
    """Insert, skipping rows that collide with an existing client_id or an existing
    registration of the person in the round. Returns the client_ids actually inserted.
    PostgreSQL (`copy`, a batch): a COPY straight into the table, with no savepoint; a
    collision raises `_CopyCollided` and `sync` runs the batch again with `copy=False`.
    Otherwise (or for a few rows) INSERT … ON CONFLICT DO NOTHING RETURNING (through a temp
    table for many), ordered by resident so that concurrent batches lock in one order."""
    if connection.vendor == "postgresql":
        if copy and len(samples) > COPY_AFTER:
            # Usually nothing collides: COPY the rows straight into the table (in resident
            # order, so concurrent batches take the unique-index locks in one order). A
            # collision (a person or client id registered meanwhile) aborts the transaction:
            # `sync` rolls it back and applies the batch again through ON CONFLICT.
            import psycopg

            samples = sorted(samples, key=lambda s: s.resident_id)
            try:
                bulk.insert(Sample, samples)
            except (IntegrityError, psycopg.IntegrityError) as e:
                raise _CopyCollided from e
            return {s.client_id for s in samples}
        return {str(c) for c in bulk.insert_ignore(Sample, samples, order_by="resident_id",
                                                    returning="client_id")}
    return {str(c) for c in bulk.insert_ignore(Sample, samples, returning="client_id")}


def _handle_lost(rnd, lost, outcomes, bucket, tubes, online, user):
    now_there = {str(c) for c in Sample.objects.filter(client_id__in=[s.client_id for s in lost])
                 .values_list("client_id", flat=True)}
    for s in lost:
        if s.client_id in now_there:  # the same event, sent twice at once: it is in
            outcomes[s.client_id] = {"status": "ok", "duplicate": True}
            continue
        p = {"client_id": s.client_id, "barcode": s.bc, "at": s.sampled_at}
        kind = Conflict.Kind.ALREADY_SAMPLED
        name = outcomes[s.client_id].get("name", "")
        if online:
            outcomes[s.client_id] = {"status": "refused", "kind": str(kind), "name": name,
                                     "message": refusal_message(kind, name=name)}
        else:
            outcomes[s.client_id] = _conflict(bucket, rnd, p, kind, tube=tubes[s.bc],
                                              person={"id": s.resident_id}, sampler=user, name=name)


def _run_writes(writes):
    """Run (sql, params) statements collected by `defer=` in one round trip (Django's
    PostgreSQL cursors bind on the client side, so several statements go as one text)."""
    if not writes:
        return
    with connection.cursor() as cur:
        cur.execute("; ".join(sql for sql, _p in writes), [v for _s, params in writes for v in params])


def _update_tubes(tubes, start_counts, inserted, sealed_now, new_tubes, *, unwritten=False,
                  defer=None):
    """Write the tubes' new counts (from the rows actually inserted) and states; the rows
    are locked (FOR UPDATE) since the batch read them. `unwritten`: the batch's new tubes
    are not in the table yet (their final values are set here, the caller inserts them).
    `defer`: on PostgreSQL, append the statement to this list instead (see `_run_writes`)."""
    added = defaultdict(int)
    for s in inserted:
        added[s.bc] += 1
    fresh = {t.barcode for t in new_tubes}
    changed = []
    for bc, t in tubes.items():
        if not t.pk:
            continue
        count = start_counts.get(bc, 0) + added.get(bc, 0)
        state = t.state
        if count >= t.capacity:
            state = TubeState.SEALED
        elif bc not in sealed_now and t.state == TubeState.SEALED and t.sealed_at and bc in fresh:
            state = TubeState.SEALED
        if count != start_counts.get(bc, 0) or bc in sealed_now or bc in fresh:
            t.count = count
            if state == TubeState.SEALED and t.sealed_at is None:
                t.sealed_at = timezone.now()
            t.state = state
            if not (unwritten and bc in fresh):
                changed.append(t)
    if not changed:
        return
    if connection.vendor == "postgresql":  # one statement for all the batch's tubes
        stmt = ("UPDATE screening_tube t SET count = v.count, state = v.state, sealed_at = v.sealed_at "
                "FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::int[]) AS count, "
                "unnest(%s::text[]) AS state, unnest(%s::timestamptz[]) AS sealed_at) v "
                "WHERE t.id = v.id",
                [[t.pk for t in changed], [t.count for t in changed], [t.state for t in changed],
                 [t.sealed_at for t in changed]])
        if defer is None:
            _run_writes([stmt])
        else:
            defer.append(stmt)
    else:
        for t in changed:
            Tube.objects.filter(pk=t.pk).update(count=t.count, state=t.state, sealed_at=t.sealed_at)


def _bump_counters(rnd, inserted, *, defer=None):
    """The communities' counters for registrations just made: done + n, and exempt - m for
    the m of them who were exempt (`.ex`; `figures`: exempt means not done)."""
    by_comm, ex_comm = defaultdict(int), defaultdict(int)
    levels = {}
    for s in inserted:
        if s.out_of_scope or s.retest:
            continue
        by_comm[s.community_id] += 1
        ex_comm[s.community_id] += bool(getattr(s, "ex", False))
        levels[s.community_id] = (s.street_id, s.district_id)
    if not by_comm:
        return
    table = RoundCounter._meta.db_table
    rows = sorted(by_comm.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    update = (f"ON CONFLICT (round_id, community_id) DO UPDATE SET sampled = {table}.sampled "  # nosec B608 -- table name from the model's metadata
              f"+ excluded.sampled, exempt = {table}.exempt + excluded.exempt")
    if connection.vendor == "postgresql" and (len(rows) > 1 or defer is not None):
        stmt = (f"INSERT INTO {table} (round_id, community_id, street_id, district_id, expected, "
                f"exempt, sampled) SELECT %s, c, s, d, 0, -e, n FROM unnest(%s::bigint[], "
                f"%s::bigint[], %s::bigint[], %s::int[], %s::int[]) AS v(c, s, d, n, e) {update}",  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
                [rnd.id, [comm or 0 for comm, _n in rows], [levels[comm][0] for comm, _n in rows],
                 [levels[comm][1] for comm, _n in rows], [n for _comm, n in rows],
                 [ex_comm[comm] for comm, _n in rows]])
        if defer is None:
            _run_writes([stmt])
        else:
            defer.append(stmt)
        return
    with connection.cursor() as cur:
        for comm, n in rows:
            st, di = levels[comm]
            cur.execute(
                f"INSERT INTO {table} (round_id, community_id, street_id, district_id, expected, "  # nosec B608 -- identifiers from the model's metadata; values bound
                f"exempt, sampled) VALUES (%s, %s, %s, %s, 0, %s, %s) {update}",
                [rnd.id, comm or 0, st, di, -ex_comm[comm], n])  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608


def scan(actor, rnd: Round, *, client_id, barcode, person, confirm=False, at=None) -> dict:
    """One scan from an online station: registered, or refused on the spot (409) with the
    reason in the user's language. Idempotent on client_id.

    Two database round trips (`scanning`: one read, one write) for the usual scan; a
    malformed one is refused (400) with the field's message before any; a resent client_id
    or a race lost between the two goes through `sync`."""
    from . import scanning

    require_sample(actor, rnd)
    _open_round(rnd)
    item = {"client_id": client_id, "type": "scan", "barcode": barcode, "person": person,
            "confirm": confirm, "at": at}
    now = timezone.now()
    p = _parse_item(0, item, now)
    if p.get("error"):
        field, message = p["error"]
        raise Invalid(message, fields={field: [message]})
    out = None
    seen = scanning.look(rnd, p)
    if not seen["seen"]:
        out = _scan_outcome(actor, rnd, p, seen, now)
    if out is None:
        out = sync(actor, rnd, [item], online=True)[0]
    if out["status"] == "refused":
        e = ConflictError(out["message"], code=out["kind"])
        e.outcome = out
        raise e
    return out


def _scan_outcome(actor, rnd, p, seen, now) -> dict | None:
    """The outcome of one fresh scan (None: let `sync` decide, a race was lost)."""
    from . import scanning

    person = seen["person"]
    name = person["name"] if person else ""
    bc = p["barcode"]
    kind = scanning.refusal(seen, p)
    if kind is not None:
        extra = {"name": name}
        if kind == Conflict.Kind.ALREADY_SAMPLED:
            extra["where"] = already_where(*seen["sampled"])
        out = {"status": "refused", "kind": str(kind), "name": name,
               "message": refusal_message(kind, barcode=bc, **extra)}
        tube = seen["tube"]
    else:
        tube = scanning.write(rnd, p, seen, getattr(_user(actor), "id", None), now)
        if tube is None:
            return None
        out = {"status": "ok", "name": name}
    out["client_id"] = str(p["client_id"])
    if tube is not None:
        out["tube"] = {"barcode": bc, "count": tube["count"], "capacity": tube["capacity"],
                       "state": tube["state"], "left": max(0, tube["capacity"] - tube["count"])}
    return out


def register_unverified(actor, rnd: Round, household: Household, data: dict) -> Resident:
    """A person not in the registry (visitor, new arrival) registered at the table with
    the minimum fields, flagged `unverified` for the community to check. The sampler may
    not edit the registry; the resident is created on their behalf (audited as them) only
    inside the round's area."""
    require_sample(actor, rnd)
    _open_round(rnd)
    if not _in_round(rnd, household):
        raise NotFound()
    minimal = {k: data.get(k, "") for k in ("name", "id_number", "phone", "sex")}
    minimal["notes"] = _("Registered at a sampling table, round %(name)s") % {"name": rnd.name}
    delegate = Actor(user=actor.user, scope=SystemScope(), via=actor.via, ip=actor.ip)
    return registry_actions.create_resident(delegate, household, minimal, unverified=True)


def household_for_door(actor, rnd: Round, place: Place, door: str) -> Household:
    """The household at `door` in a unit/building of the round (created when new)."""
    require_sample(actor, rnd)
    if place.kind not in (Kind.UNIT, Kind.BUILDING) or not _in_round(rnd, place):
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
                      Conflict.Kind.BARCODE_USED, Conflict.Kind.ALREADY_SAMPLED):
            raise Invalid(_("This conflict can only be dismissed."), code="cannot_accept")
        if c.tube is None or c.resident_id is None:
            raise Invalid(_("This conflict can only be dismissed."), code="cannot_accept")
    with transaction.atomic():
        if accept:
            r = Resident.objects.get(pk=c.resident_id)
            s = Sample(round=rnd, tube=c.tube, resident=r, household_id=r.household_id,
                       client_id=c.client_id, sampled_at=c.sampled_at, sampler=c.sampler,
                       point_id=c.tube.point_id, out_of_scope=not _in_round(rnd, r))
            s.copy_levels(r)
            inserted = _insert_samples([s])
            if not inserted:
                raise Invalid(_("This person has been registered meanwhile."), code="already_sampled")
            Tube.objects.filter(pk=c.tube_id).update(count=F("count") + 1)
            s.ex = r.presence in EXEMPT_PRESENCE or Exemption.objects.filter(round=rnd, resident=r).exists()
            _bump_counters(rnd, [s])
        c.status = Conflict.Status.ACCEPTED if accept else Conflict.Status.DISMISSED
        c.resolved_by, c.resolved_at = _user(actor), timezone.now()
        c.save(update_fields=["status", "resolved_by", "resolved_at"])
        record(actor, "screening.conflict.resolve", rnd, {"conflict": c.id, "kind": c.kind,
                                                           "status": c.status}, levels_from=rnd)
    return c


# --- transport -------------------------------------------------------------------

def create_box(actor, rnd: Round, code, point=None) -> Box:
    require_sample(actor, rnd)
    code = checks.check_barcode(code, "code")
    box = Box(round=rnd, code=code, point=point, created_by=_user(actor))
    with transaction.atomic():
        try:
            with transaction.atomic():
                box.save()
        except IntegrityError:
            raise Invalid(fields={"code": [_("Box %(code)s already exists.") % {"code": code}]}) from None
        record(actor, "screening.box.create", rnd, {"box": code}, levels_from=rnd)
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
    if stage == Handover.Stage.LAB and actor.scope.allows(Perm.SCREENING_LAB, rnd):
        pass
    else:
        require_sample(actor, rnd)
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
    now = timezone.now()
    with transaction.atomic():
        h = Handover.objects.create(box=box, stage=stage, given_by=given, received_by=received,
                                    recorded_by=_user(actor), at=now)
        box.state = Box.State.IN_TRANSIT if stage == Handover.Stage.PICKUP else Box.State.AT_LAB
        box.save(update_fields=["state"])
        if stage == Handover.Stage.LAB:
            Tube.objects.filter(box=box, at_lab_at=None).update(at_lab_at=now)
        record(actor, "screening.box.handover", rnd, {"box": box.code, "stage": stage,
                                                      "given_by": given, "received_by": received},
               levels_from=rnd)
    return h


# --- lab results ------------------------------------------------------------------

def record_results(actor, rows, *, source="upload") -> dict:
    """Results by tube barcode, all or nothing: every row is checked (format, a tube twice,
    tube known and in this lab's area, tube not empty) before anything is written, and
    every error of every row comes back in one answer. A result for a tube that already
    has one is a correction: a new row replaces it, the old one stays in the history.
    Returns {"saved", "corrected", "positive_pools", "followups"}."""
    clean, errors = checks.check_lab_rows(rows)
    codes = [r["barcode"] for r in clean if r["barcode"]]
    tubes = defaultdict(list)
    for t in Tube.objects.filter(barcode__in=codes).select_related("round"):
        if actor.scope.allows(Perm.SCREENING_LAB, t):
            tubes[t.barcode].append(t)
    tube_errors = []
    for r in clean:
        found = tubes.get(r["barcode"], [])
        if r["barcode"] is None or r.get("duplicate"):
            continue
        if not found:
            # unknown, or another lab's: the same answer (a lab learns nothing of others' tubes)
            tube_errors.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                                "message": _("Tube %(code)s is not in any round of this lab's "
                                             "area: check the barcode.") % {"code": r["barcode"]}})
        elif len(found) > 1:
            # The same barcode in two rounds: the newest round's sealed tube is the one.
            found.sort(key=lambda t: (t.round.starts_at, t.id), reverse=True)
        elif found[0].count == 0:
            tube_errors.append({"row": r["row"], "column": "barcode", "value": r["barcode"],
                                "message": _("Tube %(code)s holds no sample.") % {"code": r["barcode"]}})
    if errors or tube_errors:
        raise Invalid(_("The results have errors: nothing was saved."),
                      rows=checks.sorted_row_errors(errors + tube_errors),
                      code="invalid" if errors else "unknown_tubes")
    user = _user(actor)
    summary = {"saved": 0, "corrected": 0, "positive_pools": 0, "followups": 0}
    with transaction.atomic():
        latest = {}
        ids = [tubes[r["barcode"]][0].id for r in clean]
        for lr in LabResult.objects.filter(tube_id__in=ids).order_by("created_at", "id"):
            latest[lr.tube_id] = lr
        positives, retests = [], []
        for r in clean:
            t = tubes[r["barcode"]][0]
            prev = latest.get(t.id)
            if prev and prev.result == r["result"] and prev.ct_orf == r["ct_orf"] \
                    and prev.ct_n == r["ct_n"]:
                continue  # the same result again (a resent file): nothing new
            LabResult.objects.create(tube=t, result=r["result"], ct_orf=r["ct_orf"], ct_n=r["ct_n"],
                                     tested_at=r["tested_at"], source=source, entered_by=user,
                                     replaces=prev)
            Tube.objects.filter(pk=t.pk).update(result=r["result"], result_at=r["tested_at"],
                                                at_lab_at=t.at_lab_at or timezone.now())
            t.result = r["result"]
            summary["corrected" if prev else "saved"] += 1
            if t.retest:
                retests.append(t)
            elif r["result"] == Result.POSITIVE:
                positives.append(t)
        for t in positives:
            summary["positive_pools"] += 1
            summary["followups"] += _positive_pool(actor, t)
        for t in retests:
            _retest_result(actor, t)
        record(actor, "screening.results", None, {"source": source, **summary,
                                                   "tubes": codes[:200]},
               levels_from=clean and tubes[clean[0]["barcode"]][0].round, label=source)
    return summary


def _tube_people(tube: Tube) -> list[Resident]:
    """Everyone whose swab is in the tube: registrations, plus scans kept as conflicts."""
    ids = set(Sample.objects.filter(tube=tube).values_list("resident_id", flat=True))
    ids |= set(Conflict.objects.filter(tube=tube).exclude(resident=None)
               .exclude(status=Conflict.Status.ACCEPTED).values_list("resident_id", flat=True))
    return list(Resident.objects.filter(id__in=ids))


def _positive_pool(actor, tube: Tube) -> int:
    """A positive pooled tube: hold everyone in it (awaiting a single re-test), list them for
    re-sampling at home, and tell the community staff and grid workers at once."""
    rnd = tube.round
    people = _tube_people(tube)
    fus, visits = [], []
    for r in people:
        fu = FollowUp(round=rnd, resident=r, household_id=r.household_id, tube=tube)
        fu.copy_levels(r)
        fus.append(fu)
        hv = HomeVisit(round=rnd, resident=r, household_id=r.household_id,
                       source=HomeVisit.Source.RETEST, note=_("Single re-test: tube %(code)s positive")
                       % {"code": tube.barcode})
        hv.copy_levels(r)
        visits.append(hv)
    FollowUp.objects.bulk_create(fus, ignore_conflicts=True)
    HomeVisit.objects.bulk_create(visits, ignore_conflicts=True)
    communities = {r.community_id for r in people if r.community_id}
    grids = {r.grid_id for r in people if r.grid_id}
    users = set(Membership.objects.filter(is_active=True).filter(
        Q(role=Role.STAFF, place_id__in=communities) | Q(role=Role.GRID, place_id__in=grids))
        .values_list("user_id", flat=True))
    users |= emergency_team_users(rnd)
    from django.urls import reverse

    from fangkong.notify.actions import notify

    url = reverse("screening_followups", args=[rnd.id])
    place = Place.objects.filter(pk=next(iter(communities))).first() if communities else rnd.place
    notify(actor, users, kind="screening.positive_pool",
           title=_("Positive pooled tube %(code)s: %(n)d people to re-test")
           % {"code": tube.barcode, "n": len(people)},
           body=_("Hold everyone in the tube at home and sample them singly. Round: %(round)s.")
           % {"round": rnd.name}, url=url, place=place, key=f"screening.pool.{tube.id}")
    return len(fus)


def record_retest(actor, fu: FollowUp, barcode, *, client_id=None) -> Tube:
    """A single re-test at the door for a held person: a one-person tube. Idempotent on
    `client_id` (sent again, it returns the tube recorded the first time)."""
    rnd = fu.round
    require_sample(actor, rnd)
    cid = checks.check_client_id(client_id) if client_id else None
    if cid is not None:  # sent again (a retry after a lost answer): recorded once
        done = Sample.objects.filter(client_id=cid).select_related("tube").first()
        if done is not None:
            if done.retest and done.round_id == rnd.id and done.resident_id == fu.resident_id:
                return done.tube
            raise ConflictError(_("This client id was already used for another record."),
                                code="client_id_used")
    if fu.status not in (FollowUp.Status.AWAITING, FollowUp.Status.RESAMPLED):
        raise Invalid(_("This person has been released or confirmed already."), code="closed")
    barcode = checks.check_barcode(barcode)
    r = fu.resident
    now = timezone.now()
    with transaction.atomic():
        tube = _new_tube(rnd, barcode, 1, _user(actor), None, None, None, now, retest=True)
        tube.count, tube.state, tube.sealed_at = 1, TubeState.SEALED, now
        try:
            with transaction.atomic():
                tube.save()
        except IntegrityError:
            raise ConflictError(_("Tube %(code)s is already used in this round.") % {"code": barcode},
                                code="barcode_used") from None
        s = Sample(round=rnd, tube=tube, resident=r, household_id=r.household_id, retest=True,
                   client_id=cid or uuid.uuid4(),
                   sampled_at=now, sampler=_user(actor))
        s.copy_levels(r)
        s.save()
        fu.retest_tube, fu.status = tube, FollowUp.Status.RESAMPLED
        fu.save(update_fields=["retest_tube", "status"])
        HomeVisit.objects.filter(round=rnd, resident=r, source=HomeVisit.Source.RETEST).update(
            status=HomeVisit.Status.DONE, done_at=now)
        record(actor, "screening.retest.sample", r, {"round": rnd.id, "tube": barcode})
    return tube


def _retest_result(actor, tube: Tube):
    fu = FollowUp.objects.filter(retest_tube=tube).select_related("round").first()
    if fu is None:
        return
    now = timezone.now()
    if tube.result == Result.NEGATIVE:
        fu.status, fu.closed_at = FollowUp.Status.RELEASED, now
    elif tube.result == Result.POSITIVE:
        fu.status, fu.closed_at = FollowUp.Status.CASE, now
    else:  # invalid: sample again
        fu.status, fu.closed_at = FollowUp.Status.AWAITING, None
    fu.save(update_fields=["status", "closed_at"])
    if fu.status == FollowUp.Status.CASE:
        from fangkong.zones.actions.escalate import case_confirmed

        case_confirmed(actor, fu.resident, confirmed_at=now, source=_("Single re-test positive"),
                       source_ref=f"screening.followup:{fu.id}")
        users = set(Membership.objects.filter(is_active=True).filter(
            Q(role=Role.STAFF, place_id=fu.community_id) | Q(role=Role.GRID, place_id=fu.grid_id))
            .values_list("user_id", flat=True))
        from django.urls import reverse

        from fangkong.notify.actions import notify

        notify(actor, users, kind="screening.case", title=_("Single re-test positive: a case"),
               body=_("Round: %(round)s. Follow the case procedure for the household.")
               % {"round": fu.round.name}, url=reverse("screening_followups", args=[fu.round_id]),
               key=f"screening.case.{fu.id}")


# --- counters ------------------------------------------------------------------------

def recount(rnd: Round):
    """Count the round's per-community counters again, exactly (`counters.recount`)."""
    from . import counters

    counters.recount(rnd)


def recount_action(actor, rnd: Round):
    require(actor, Perm.SCREENING_VIEW, rnd)
    recount(rnd)
