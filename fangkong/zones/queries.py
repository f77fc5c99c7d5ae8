"""Reads of the zones app (never writes; never imports actions).

The rest of Fangkong asks here: a household's zone (`household_zone`, one indexed row),
whether a person may be called out (`call_out_refusal`), the pool size and home sampling
for a household (`pool_size_for`, `home_sampling`), and whether a place lies in a sealed
area (`sealed_over`)."""

from collections import Counter

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.errors import NotFound
from fangkong.registry.models import LEVEL_FIELDS, Kind, Place, Resident, natural_key
from fangkong.registry.queries import address_labels, place_labels
from fangkong.registry.queries import counts as counting

from . import access, engine
from .models import (
    MAPPED_KINDS,
    Adjustment,
    AdjustmentItem,
    CheckpointEvent,
    Designation,
    Group,
    HealthCode,
    HouseholdZone,
    Notice,
    Policy,
    PoolingRule,
    Shape,
    ZoneCase,
    ZoneKind,
    ZoneType,
)

State = Adjustment.State


# --- policy ------------------------------------------------------------------------------

def active_policy() -> Policy | None:
    return Policy.objects.filter(is_active=True).first()


def zone_types(policy: Policy | None = None) -> list[ZoneType]:
    policy = policy or active_policy()
    if policy is None:
        return []
    return list(policy.types.prefetch_related("lift_rules__to", "lift_rules__after")
                .select_related("escalate_to").order_by("-severity"))


def rules_at(zone_type: ZoneType, at) -> dict:
    """The rules of `zone_type` in force at `at`: {field: value} for the editable fields
    (`EDITABLE_RULES` and `LIFT_RULES`),
    the type as it is now with every change whose `effective_from` is after `at` undone
    and every scheduled change at or before `at` done (a worker running late changes
    nothing here)."""
    from .models import RuleChange

    values = zone_type.rule_values()  # its own rules, its escalation and its lifting rule
    changes = list(RuleChange.objects.filter(zone_type=zone_type).exclude(
        state=RuleChange.State.CANCELLED).order_by("effective_from", "id"))
    for ch in reversed(changes):  # undo what came into force after `at`
        if ch.state == RuleChange.State.APPLIED and ch.effective_from > at:
            values.update({k: v[0] for k, v in ch.changes.items()})
    for ch in changes:  # do what was due by `at` but is not written yet
        if ch.state == RuleChange.State.SCHEDULED and ch.effective_from <= at:
            values.update({k: v[1] for k, v in ch.changes.items()})
    return values


def rule_changes(zone_type: ZoneType):
    from .models import RuleChange

    return RuleChange.objects.filter(zone_type=zone_type).select_related("created_by") \
        .order_by("-effective_from", "-id")


def scheduled_changes(types) -> dict[int, list]:
    """The rule changes still to come of each of `types`, {type id: [RuleChange, …]} by
    their time (one query): what the pages that explain a rule say under it."""
    from .models import RuleChange

    out = {}
    for ch in RuleChange.objects.filter(zone_type__in=types, state=RuleChange.State.SCHEDULED) \
            .order_by("effective_from", "id"):
        out.setdefault(ch.zone_type_id, []).append(ch)
    return out


# --- a household's zone (used by the other apps) --------------------------------------

def household_zone(household_id) -> HouseholdZone | None:
    return HouseholdZone.objects.filter(household_id=household_id, until=None) \
        .select_related("zone_type").first()


ZONE_NOW = """
SELECT z.kind, t.code, t.pool_size, t.home_sampling, t.called_out, t.may_leave_home
FROM zones_householdzone z JOIN zones_zonetype t ON t.id = z.zone_type_id
WHERE z.household_id = %s AND z.until IS NULL
"""


def zone_now(household_id) -> tuple | None:
    """The scan path's question, one prepared statement on the partial unique index: (kind,
    type code, pool size, home sampling, called out, may leave home), or None outside any
    zone. `household_zone` is the same row as a model, for pages."""
    from fangkong.core.db import prepared_cursor

    with prepared_cursor() as cur:
        cur.execute(ZONE_NOW, [household_id])
        return cur.fetchone()


def zone_with_notice(scope, household_id) -> HouseholdZone | None:
    """The household's zone now with its designation's place and notice (`notice_readable`:
    may this reader open the notice's page — the family may, it zones their home), and
    `ended`: the zone whose lifting put it there (`ended_into`, its notice's `ended_readable`).
    Two to four queries."""
    z = HouseholdZone.objects.filter(household_id=household_id, until=None).select_related(
        "zone_type", "designation__place", "designation__notice").first()
    if z is not None:
        n = z.designation.notice_id
        z.notice_readable = n is not None and Notice.objects.filter(access.notice_q(scope), pk=n).exists()
        z.ended = ended_into(z)
        n = z.ended.ended_by.notice_id if z.ended else None
        z.ended_readable = n is not None and Notice.objects.filter(access.notice_q(scope), pk=n).exists()
    return z


def ended_into(z: HouseholdZone) -> Designation | None:
    """The zone whose end put the household in its zone `z` (3号楼's seal lifted at 00:08 by
    19号 while 光明小区 stays controlled by 17号 since 05:00 the day before: the family is in
    the compound's zone since 00:08, because of the lift), with the adjustment and notice
    that ended it; None when `z` began with its own designation. One query."""
    if z.since <= z.designation.starts_at:
        return None
    before = HouseholdZone.objects.filter(household_id=z.household_id, until=z.since).exclude(pk=z.pk) \
        .select_related("designation__zone_type", "designation__place", "designation__ended_by__notice") \
        .order_by("-since", "-id").first()
    d = before.designation if before else None
    if d is None or d.ended_by_id is None or d.id == z.designation_id or d.ends_at != z.since:
        return None
    return d


def zones_of(household_ids) -> dict[int, HouseholdZone]:
    ids = list({h for h in household_ids if h})
    if not ids:
        return {}
    return {z.household_id: z for z in HouseholdZone.objects.filter(
        household_id__in=ids, until=None).select_related("zone_type")}


def call_out_refusal(household_id, id_hash=None) -> str:
    """Why a person may not be called out as a volunteer ('' if they may): their household
    is in a zone whose people stay home, or their health code is not green."""
    z = household_zone(household_id) if household_id else None
    if z is not None and not z.zone_type.called_out:
        return _("Lives in a %(zone)s (%(rule)s): not called out.") % {
            "zone": z.zone_type.name, "rule": z.zone_type.movement}
    if id_hash:
        hc = HealthCode.objects.filter(resident__id_hash=id_hash).exclude(colour="green").first()
        if hc is not None:
            return _("Health code %(colour)s: not called out until it is green.") % {
                "colour": hc.get_colour_display()}
    return ""


def kept_home(household_field="household_id", id_hash_field="id_hash"):
    """A filter expression for rows (volunteers…) of people who must not be called out:
    their household's zone keeps them home, or their health code is red or yellow."""
    from django.db.models import Exists, OuterRef

    zone = HouseholdZone.objects.filter(household_id=OuterRef(household_field), until=None,
                                        zone_type__called_out=False)
    code = HealthCode.objects.filter(resident__id_hash=OuterRef(id_hash_field),
                                     colour__in=["red", "yellow"])
    return Exists(zone) | Exists(code)


POOL_LIMIT = """
SELECT t.name_zh, t.name_en, t.pool_size, pr.pool_size, kpr.pool_size
FROM (SELECT 1 AS one) x
LEFT JOIN zones_householdzone z ON z.household_id = %s AND z.until IS NULL
LEFT JOIN zones_zonetype t ON t.id = z.zone_type_id
LEFT JOIN screening_poolingrule pr ON pr.zone_type = z.kind AND pr."group" = 'general'
LEFT JOIN screening_poolingrule kpr ON %s <> '' AND kpr."group" = 'key'
  AND kpr.zone_type = COALESCE(z.kind, '')
"""


# The same question asked inside another app's one-row read (the station's scan joins it
# to its person, so a scan costs no extra round trip): columns, then joins, both on the
# person's table alias `{person}` (its household and its key group).
SCAN_ZONE_COLUMNS = "zt.name_zh, zt.name_en, zt.pool_size, zpr.pool_size, {person}.key_group, kpr.pool_size"
_SCAN_ZONE_RULES = """
LEFT JOIN zones_zonetype zt ON zt.id = hz.zone_type_id
LEFT JOIN screening_poolingrule zpr ON zpr.zone_type = hz.kind AND zpr."group" = 'general'
LEFT JOIN screening_poolingrule kpr ON {person}.key_group <> '' AND kpr."group" = 'key'
  AND kpr.zone_type = COALESCE(hz.kind, '')
"""
SCAN_ZONE_JOINS = """
LEFT JOIN zones_householdzone hz ON hz.household_id = {person}.household_id AND hz.until IS NULL
""" + _SCAN_ZONE_RULES
# The same for many people at once, on PostgreSQL only: each person's household looked up
# by its index (one household has one current zone), whatever the statistics say. A plain
# join let a stale estimate ("a few households are in a zone") hash every current zone of
# the city for each station batch.
SCAN_ZONE_JOINS_LATERAL = """
LEFT JOIN LATERAL (SELECT kind, zone_type_id FROM zones_householdzone
                   WHERE household_id = {person}.household_id AND until IS NULL LIMIT 1) hz ON true
""" + _SCAN_ZONE_RULES  # a constant: {person} is the caller's table alias, never a value  # nosec B608


def scan_limit(name_zh, name_en, type_size, rule_size, key_group=None, key_size=None):
    """`pool_limit` from the SCAN_ZONE_COLUMNS of a row (None when neither a zone nor a key
    group limits the tube)."""
    zone = None if type_size is None else zone_limit(name_zh, name_en, type_size, rule_size)
    return with_key_group(zone, key_group, key_size)


def zone_limit(name_zh, name_en, type_size, rule_size) -> tuple[str, int]:
    """A zone type's people per tube: (its name in the reader's language, the smaller of
    its own size and its kind's general pooling rule `rule_size`, at least 1)."""
    from .models import in_language

    size = min(rule_size, type_size) if rule_size else type_size
    return str(in_language(name_zh, name_en)), max(1, size)


def with_key_group(zone, key_group, key_size):
    """The stricter of the zone's limit `zone` = (zone name, size) and the `PoolingRule` of
    the key group in that zone (outside any zone: the rule of no zone) for a person of key
    group `key_group`: (the group's name, size, True) when the group's rule is stricter."""
    if not key_group or key_size is None or (zone is not None and zone[1] <= key_size):
        return zone
    from fangkong.registry.models import KeyGroup

    label = KeyGroup(key_group).label if key_group in KeyGroup.values else Group.KEY.label
    return str(label), max(1, key_size), True


def pool_size_for(household_id, key_group: str = "", default: int = 10) -> int:
    """People per tube for a person of this household and key group: the scan path's own
    rule (`pool_limit`), never more than the round's size `default`."""
    limit = pool_limit(household_id, key_group)
    return default if limit is None else min(limit[1], default)


def pool_limit(household_id, key_group: str = "") -> tuple | None:
    """The scan path's pool-size question for one person: (the zone type's name, people per
    tube at most) from the zone type and the general pooling rule of its kind (the
    smaller); for a person of a key group, the key group's rule when it is stricter, as
    (the group's name, people per tube, True). None when neither limits (the round's size
    applies). One prepared statement on the partial unique index, as `zone_now`."""
    if not household_id and not key_group:
        return None
    from fangkong.core.db import prepared_cursor

    with prepared_cursor() as cur:
        cur.execute(POOL_LIMIT, [household_id or 0, str(key_group or "")])
        row = cur.fetchone()
    return scan_limit(row[0], row[1], row[2], row[3], key_group, row[4])


def _zone_limits(household_ids) -> dict[int, tuple[tuple[str, int], str]]:
    """{household id: ((zone name, people per tube at most), zone kind)} for those inside
    a zone, in one query."""
    from django.db.models import OuterRef, Subquery

    ids = list({h for h in household_ids if h})
    if not ids:
        return {}
    rule = PoolingRule.objects.filter(zone_type=OuterRef("kind"), group=Group.GENERAL).values("pool_size")[:1]
    rows = HouseholdZone.objects.filter(household_id__in=ids, until=None).annotate(
        rule=Subquery(rule)).values_list("household_id", "zone_type__name_zh", "zone_type__name_en",
                                         "zone_type__pool_size", "rule", "kind")
    return {hid: (zone_limit(zh, en, size, r), kind) for hid, zh, en, size, r, kind in rows}


def pool_limits(household_ids) -> dict[int, tuple[str, int]]:
    """`pool_limit` for a whole batch of households in one query: {household id: (zone
    name, people per tube at most)} for those inside a zone (people of no key group)."""
    return {hid: limit for hid, (limit, _kind) in _zone_limits(household_ids).items()}


def person_limits(people) -> dict[tuple[int, str], tuple]:
    """`pool_limit` for a batch of people given as (household id, key group) pairs: {pair:
    limit} for those a zone or their key group limits; two queries at most (the zones, and
    the key group's rules when someone of a key group is in the batch)."""
    people = set(people)
    zones = _zone_limits(h for h, _k in people)
    keys = {}
    if any(k for _h, k in people):
        keys = dict(PoolingRule.objects.filter(group=Group.KEY).values_list("zone_type", "pool_size"))
    out = {}
    for hid, key_group in people:
        limit, kind = zones.get(hid, (None, ""))
        limit = with_key_group(limit, key_group, keys.get(kind or "")) if key_group else limit
        if limit is not None:
            out[(hid, key_group)] = limit
    return out


def home_sampled(household_field="household_id"):
    """A filter expression for rows (residents…) whose household's zone is sampled at home."""
    from django.db.models import Exists, OuterRef

    return Exists(HouseholdZone.objects.filter(household_id=OuterRef(household_field), until=None,
                                               zone_type__home_sampling=True))


def home_sampling(household_id) -> bool:
    z = household_zone(household_id) if household_id else None
    return bool(z and z.zone_type.home_sampling)


def sealed_over(place: Place) -> Designation | None:
    """The designation that keeps people at home over `place` (its own or an ancestor's)."""
    ids = [v for v in (getattr(place, f, None) for f in LEVEL_FIELDS) if v] + [place.id]
    if place.parent_id:
        ids.append(place.parent_id)
    return Designation.objects.filter(ends_at=None, place_id__in=ids, zone_type__may_leave_home=False) \
        .select_related("zone_type", "place").order_by("-zone_type__severity").first()


def sealed_over_many(places) -> dict[int, Designation | None]:
    """`sealed_over` of each of `places` in one query: {place id: the designation or None}
    (the routine disinfection worker's pass reads a chunk of routines' places at once)."""
    def ids(place):
        out = {v for v in (getattr(place, f, None) for f in LEVEL_FIELDS) if v} | {place.id}
        return out | ({place.parent_id} if place.parent_id else set())

    places = {p.id: p for p in places}
    wanted = {p.id: ids(p) for p in places.values()}
    best: dict[int, Designation] = {}  # place id → its most severe designation in force
    if wanted:
        for d in Designation.objects.filter(ends_at=None, place_id__in=set().union(*wanted.values()),
                                            zone_type__may_leave_home=False) \
                .select_related("zone_type", "place").order_by("-zone_type__severity", "id"):
            best.setdefault(d.place_id, d)
    out = {}
    for pid, mine in wanted.items():
        found = [best[i] for i in mine if i in best]
        out[pid] = max(found, key=lambda d: (d.zone_type.severity, -d.id)) if found else None
    return out


def sealed_since(household):
    """settings.FANGKONG_SEALED_SINCE: since when the household's building (or a place above
    it) keeps its people at home — a designation in force that has begun — or None."""
    d = sealed_over(household.place)
    return d.starts_at if d is not None and d.starts_at <= timezone.now() else None


def person_at_gate(scope, text: str) -> Resident:
    """The resident whose printed or phone code was scanned, or whose ID number was typed,
    among the people the user may check at a gate (NotFound otherwise, alike)."""
    from fangkong.core import pii
    from fangkong.registry.codes import parse_code, residents_by_token

    base = Resident.objects.filter(scope.q(access.GATE))
    token = parse_code(text, bare=True)
    if token is not None:
        found = residents_by_token(base, [token]).first()
    else:
        from django.core.exceptions import ValidationError

        try:
            number = pii.validate_id_number(text)
        except ValidationError:
            raise NotFound(_("This is neither a sampling code nor a valid ID number.")) from None
        found = base.filter(id_hash=pii.lookup_hash(number)).first()
    if found is None:
        raise NotFound(_("No person with this code or ID number here."))
    return found


def health_code(resident_id) -> HealthCode | None:
    return HealthCode.objects.filter(resident_id=resident_id).first()


# --- lists -------------------------------------------------------------------------------

def _get(qs, scope, pk, perm=access.VIEW):
    try:
        obj = qs.get(pk=int(pk))
    except (ValueError, TypeError, qs.model.DoesNotExist):
        raise NotFound() from None
    access.require(scope, perm, obj)
    return obj


def designations(scope, node: Place | None = None, *, current=True):
    qs = Designation.objects.filter(scope.q(access.VIEW)).select_related("place", "zone_type", "notice")
    if node is not None:
        qs = qs.filter(engine.under_q(node) | Q(place=node))
    if current:
        qs = qs.filter(ends_at=None)
    return qs.order_by("-zone_type__severity", "place__sort_key", "id")


def get_designation(scope, pk, perm=access.VIEW) -> Designation:
    return _get(Designation.objects.select_related("place", "zone_type", "notice"), scope, pk, perm)


def near_q(node: Place, prefix="") -> Q:
    """Places (at `prefix`) at, under or above `node`: those whose zoning concerns it."""
    from fangkong.core.tree import ancestor_ids

    return Q(**{f"{prefix}pk__in": {*ancestor_ids(node), node.pk}}) | engine.under_q(node, prefix)


def notices(scope, node: Place | None = None):
    """The notices the user may read (`access.notice_q`); with `node`, those filed at or
    under it and those zoning a place at, under or above it (a street's notice that seals
    a building of the community is on the community's list)."""
    qs = Notice.objects.filter(access.notice_q(scope)).select_related("place", "replaced_by") \
        .prefetch_related("replaces")  # "已被第22号更正" / "更正第19号"
    if node is not None:
        qs = qs.filter(engine.under_q(node) | engine.under_q(node, "place__") | Q(place=node)
                       | Q(access.zoning_q(near_q(node, "place__"))))
    return qs


def get_notice(scope, pk, perm=access.VIEW) -> Notice:
    """A notice the user may read (NotFound else, as a missing one); with another `perm`
    (MANAGE: attach it to a draft), Forbidden when they read it but may not."""
    from fangkong.core.access import one
    from fangkong.core.errors import Forbidden

    n = one(Notice.objects.filter(access.notice_q(scope)).select_related("place", "replaced_by")
            .prefetch_related("replaces"), pk)
    if perm != access.VIEW and not scope.allows(perm, n):
        raise Forbidden()
    return n


def notices_to_attach(scope, adj: Adjustment, limit: int = 30) -> list[Notice]:
    """The notices a draft may be filed under: filed for its place or above it, where the
    user manages (a notice they only read, the street's, is not theirs to file under)."""
    return list(Notice.objects.filter(access.filed_q(scope, access.MANAGE), withdrawn_at=None, place_id__in=[
        x for x in [adj.place_id, adj.community_id, adj.street_id, adj.district_id] if x])
        .select_related("place")[:limit])


def notice_used(notice_ids, but: Adjustment | None = None) -> dict[int, list[Adjustment]]:
    """{notice id: the scheduled or published adjustments filed under it, but `but`}: a
    notice already used by another change — the attach dropdown names it, and publishing or
    scheduling under it warns (an escalation under "关于解除3号楼封控的通告"). One query."""
    ids = [i for i in notice_ids if i]
    out: dict[int, list[Adjustment]] = {}
    if not ids:
        return out
    qs = Adjustment.objects.filter(notice_id__in=ids, state__in=[State.SCHEDULED, State.PUBLISHED])
    if but is not None:
        qs = qs.exclude(pk=but.pk)
    for a in qs.order_by("effective_at", "id"):
        out.setdefault(a.notice_id, []).append(a)
    return out


def notices_to_replace(scope, notice: Notice, limit: int = 30) -> list[Notice]:
    """The notices that may be marked as correcting `notice`: in force, filed where the user
    manages, for its place or above it."""
    return list(Notice.objects.filter(access.filed_q(scope, access.MANAGE), withdrawn_at=None, place_id__in=[
        x for x in [notice.place_id, notice.community_id, notice.street_id, notice.district_id] if x])
        .exclude(pk=notice.pk).select_related("place")[:limit])


def notice_items(scope, notice: Notice) -> list:
    """What the notice says for the user: the places of its scheduled or published
    adjustments that concern them (`access.concerns_q`: their area and above it; never
    another community's buildings), each labelled with its parents (`label`) and with its
    adjustment (state, effective minute), for a lift the zone the place falls back to
    (`after`, `lifted_after`), and, for a zone it gave that a later notice lifted or
    changed, `ended` (`ended_items`)."""
    rows = list(AdjustmentItem.objects.filter(
        access.concerns_q(scope, "place__"), adjustment__notice=notice,
        adjustment__state__in=[State.SCHEDULED, State.PUBLISHED])
        .select_related("place", "zone_type", "designation__zone_type", "adjustment"))
    labels = place_labels(it.place for it in rows)
    for it in rows:
        it.label = labels.get(it.place_id) or it.place.name
    ended_items(rows)
    lifted_after(rows)
    return sorted(rows, key=lambda it: (natural_key(it.label), it.place.depth, it.id))


def ended_items(items) -> None:
    """Set `it.ended` on each published item that gave a zone (designate, change) which has
    ended since: the designation it made, with `ends_at`, the adjustment that ended it
    (`ended_by`, its notice) and `ended_op` — that adjustment's item on the place (lift, or
    change with its `zone_type`); None while the zone is in force (or for a lift). Two
    queries."""
    for it in items:
        it.ended = None
    giving = [it for it in items if it.op != AdjustmentItem.Op.LIFT
              and it.adjustment.state == State.PUBLISHED]
    if not giving:
        return
    made = {(d.adjustment_id, d.place_id): d for d in Designation.objects.filter(
        adjustment_id__in={it.adjustment_id for it in giving}, place_id__in={it.place_id for it in giving},
        ends_at__isnull=False, ended_by__isnull=False).select_related("ended_by__notice")}
    if not made:
        return
    later = {(x.adjustment_id, x.place_id): x for x in AdjustmentItem.objects.filter(
        adjustment_id__in={d.ended_by_id for d in made.values()},
        place_id__in={d.place_id for d in made.values()}).select_related("zone_type")}
    for it in giving:
        d = made.get((it.adjustment_id, it.place_id))
        if d is not None:
            d.ended_op = later.get((d.ended_by_id, d.place_id))
            d.ended_by_words = d.ended_by.notice.number if d.ended_by.notice_id else d.ended_by.title
            it.ended = d


def for_place_q(node: Place) -> Q:
    """Adjustments made for `node` or for a place under it."""
    return engine.under_q(node) | engine.under_q(node, "place__") | Q(place=node)


def published_for(scope, node: Place, limit: int = 10) -> list[Adjustment]:
    """The published adjustments of `node`'s page, latest first: those made for it or
    under it that the user may open, and those made above it (a street's) that name a
    place at, under or above it, under a notice the user may read. Each with `readable`:
    may the user open the adjustment's page (else its notice's page is the link)."""
    named = Exists(AdjustmentItem.objects.filter(near_q(node, "place__"), adjustment=OuterRef("pk")))
    readable = Notice.objects.filter(access.notice_q(scope)).values("pk")
    qs = (Adjustment.objects.filter(state=State.PUBLISHED)
          .filter((access.filed_q(scope) & for_place_q(node)) | (Q(named) & Q(notice__in=readable)))
          .select_related("place", "notice").order_by("-effective_at", "-id"))
    rows = list(qs[:limit])
    for a in rows:
        a.readable = scope.allows(access.VIEW, a)
    return rows


def adjustments(scope, states=None):
    qs = Adjustment.objects.filter(scope.q(access.VIEW)).select_related("place", "notice", "case")
    if states:
        qs = qs.filter(state__in=states)
    return qs


def get_adjustment(scope, pk, perm=access.VIEW) -> Adjustment:
    return _get(Adjustment.objects.select_related("place", "notice"), scope, pk, perm)


def items(adj: Adjustment):
    """The draft's places in the tree's order (a building's units together: "1号楼 1单元,
    1号楼 2单元, 2号楼 1单元", not every building's unit 1 first), each with `label`."""
    rows = list(adj.items.select_related("place", "zone_type", "designation__zone_type"))
    labels = place_labels(it.place for it in rows)
    for it in rows:
        it.label = labels.get(it.place_id) or it.place.name
        it.adjustment = adj
    lifted_after(rows)
    return sorted(rows, key=lambda it: (natural_key(it.label), it.place.depth, it.id))


def lifted_after(rows) -> None:
    """Set `it.after` on each item: for a lift, the zone its place itself falls back to (a
    compound above may still zone it: "→ 管控区（随光明小区）"; None: no zone), as its
    adjustment stood at its effective minute once published (`engine.place_after`); None
    for an item that gives a zone. One rule for the adjustment page, its notice's page and
    the API's notice places. A query or two per adjustment with lifts."""
    by_adj: dict[int, list] = {}
    for it in rows:
        it.after = None
        if it.op == AdjustmentItem.Op.LIFT:
            by_adj.setdefault(it.adjustment_id, []).append(it)
    for lifted in by_adj.values():
        adj = lifted[0].adjustment
        after = engine.place_after(lifted, adj.effective_at if adj.state == Adjustment.State.PUBLISHED
                                   else None)
        for it in lifted:
            it.after = after.get(it.place_id)


def cases(scope, node: Place | None = None):
    qs = ZoneCase.objects.filter(scope.q(access.VIEW)).select_related("resident")
    return qs.filter(engine.under_q(node)) if node is not None else qs


def history(scope, household) -> list[HouseholdZone]:
    access.require(scope, access.VIEW, household)
    return list(HouseholdZone.objects.filter(household=household).select_related(
        "zone_type", "designation__notice", "designation__place").order_by("-since", "-id")[:100])


# --- figures -----------------------------------------------------------------------------

def figures(node: Place) -> list[dict]:
    """Households and people in each zone type now under `node`, counted as the registry
    counts them everywhere (a household: one with a resident who counts; people: residents
    who count), and `zoned`: every household row in the zone, empty ones too (what puts a
    place in a zone). Two grouped queries on the level-indexed current rows: the people are
    found from the zone rows under the node (their households' residents), never by reading
    every resident of the node (a district: 1.4 s → ms, docs/benchmarks.md)."""
    q = engine.under_q(node)
    zoned = dict(HouseholdZone.objects.filter(q, until=None).values("zone_type_id")
                 .annotate(n=Count("id")).values_list("zone_type_id", "n"))
    counted = {r[0]: r[1:] for r in Resident.objects.filter(
        engine.under_q(node, "household__zones__"), counting(), household__zones__until=None)
        .values("household__zones__zone_type_id")
        .annotate(hh=Count("household_id", distinct=True), n=Count("id"))
        .values_list("household__zones__zone_type_id", "hh", "n")}
    types = {t.id: t for t in ZoneType.objects.filter(id__in=set(zoned) | set(counted))}
    return sorted(({"zone_type": types[k], "households": counted.get(k, (0, 0))[0],
                    "people": counted.get(k, (0, 0))[1], "zoned": zoned.get(k, 0)}
                   for k in types), key=lambda r: -r["zone_type"].severity)


def who_now(node: Place, kind: str):
    """The current zone rows of kind `kind` under `node` (one indexed query)."""
    return HouseholdZone.objects.filter(engine.under_q(node), until=None, kind=kind)


# --- the diff of an adjustment (its overlaps: overlaps.py) --------------------------------------------------

def diff(adj: Adjustment, *, limit=200) -> dict:
    """Which households and how many people change zone, from what to what. Households are
    counted as everywhere (`changed_counted`): one with someone who counts, so the draft,
    the confirm step, the published adjustment and the zones page say the same number (an
    emptied flat changes zone with its building, but is no household that moves)."""
    from django.utils import timezone

    its = items(adj)
    if adj.state == State.PUBLISHED:
        return _published_diff(adj, its, limit)
    plan = engine.plan(its, adj.effective_at or timezone.now())
    changed = plan.changed()
    before = {hid: plan.before.get(hid) for hid in changed}
    after = {hid: plan.after.get(hid) for hid in changed}
    return _moves(changed, {h: z.zone_type if z else None for h, z in before.items()},
                  {h: d.zone_type if d else None for h, d in after.items()}, limit)


def changed_counted(household_ids) -> dict[int, int]:
    """{household id: people who count} for the households among `household_ids` with
    someone who counts (`registry.queries.counts`): the households a change of zone counts,
    on every page that says how many changed. One grouped query a chunk."""
    ids, out = list(household_ids), {}
    for i in range(0, len(ids), 5000):
        out.update(Resident.objects.filter(counting(), household_id__in=ids[i:i + 5000]).order_by()
                   .values("household_id").annotate(n=Count("id")).values_list("household_id", "n"))
    return out


def _moves(changed, old, new, limit) -> dict:
    """The summary of a change: households who count (`changed_counted`) and their people,
    by (from, to) zone type, and the first `limit` households."""
    from fangkong.registry.models import Household

    people = changed_counted(changed) if changed else {}
    counted = [hid for hid in changed if hid in people]
    moves, heads = Counter(), Counter()
    for hid in counted:
        key = (old.get(hid), new.get(hid))
        moves[key] += 1
        heads[key] += people[hid]
    show = counted[:limit]
    hhs = {h.id: h for h in Household.objects.filter(id__in=show).select_related("place")} if show else {}
    where = address_labels(hhs.values())  # "光明小区 5号楼 1单元": two buildings told apart
    return {"households": len(counted), "people": sum(people.values()),
            "transitions": [{"from": k[0], "to": k[1], "households": n, "people": heads[k]}
                            for k, n in sorted(moves.items(), key=lambda kv: -kv[1])],
            "rows": [{"household": hhs[hid], "people": people[hid], "from": old.get(hid), "to": new.get(hid),
                      "address": f"{where.get(hhs[hid].place_id, '')} {hhs[hid].door}".strip()}
                     for hid in show],
            "more": max(0, len(counted) - limit)}


def _published_diff(adj: Adjustment, its, limit) -> dict:
    """What a published adjustment changed, read back from the households' history (the
    zones that ended and began at its minute under its places)."""
    q = Q(pk__in=[])
    for it in its:
        q |= engine.under_q(it.place)
    at = adj.effective_at
    new = {z.household_id: z.zone_type for z in HouseholdZone.objects.filter(q, since=at).select_related("zone_type")}
    old = {z.household_id: z.zone_type for z in HouseholdZone.objects.filter(q, until=at).select_related("zone_type")}
    return _moves(sorted(set(new) | set(old)), old, new, limit)


# --- the gate's log and the map ----------------------------------------------------------

def gate_log(scope, node: Place | None = None, *, q="", day=None):
    qs = CheckpointEvent.objects.filter(scope.q(access.GATE)).select_related("gate")
    if node is not None:
        qs = qs.filter(engine.under_q(node) | Q(gate=node))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(reason__icontains=q) | Q(gate__name__icontains=q))
    if day is not None:
        qs = qs.filter(at__date=day)
    return qs


def map_features(node: Place) -> dict:
    """GeoJSON of the buildings and compounds under `node` that have a shape, each with its
    zone (most severe over it) and how many households and people are in each zone."""
    shapes = list(Shape.objects.filter(engine.under_q(node, "place__")).select_related("place"))
    feats = []
    for s in shapes:
        p = s.place
        d = sealed_or_any_over(p)
        figs = figures(p) if p.kind in engine.DEPTH else []
        zone = d.zone_type if d else None
        name = zone.name if zone else ""
        # nothing over the whole place, but part of it (a unit) is in a zone: the most
        # severe part colours it, and the label says it is a part
        inside = next((f["zone_type"] for f in figs if f["zoned"]), None)
        if inside is not None and (zone is None or inside.severity > zone.severity):
            zone, name = inside, _("part %(zone)s") % {"zone": inside.name}
        feats.append({"type": "Feature", "geometry": s.geometry, "properties": {
            "id": p.id, "name": p.name, "kind": p.kind,
            "zone": name, "colour": zone.colour if zone else "#7f8c8d",
            "severity": zone.severity if zone else 0,
            # sealed itself (not a compound with a sealed part): its label wins the declutter
            "sealed": zone is not None and zone.kind == ZoneKind.SEALED
            and not (p.kind == Kind.COMPOUND and name != zone.name),
            "counts": [{"zone": f["zone_type"].name, "households": f["households"],
                        "people": f["people"]} for f in figs]}})
    return {"type": "FeatureCollection", "features": feats}


def mappable(scope, node: Place, limit: int = 500) -> list[dict]:
    """The places under `node` the map draws (compounds, buildings, gates, sampling points,
    shops) that the user may draw, in tree order, each with its `label` (its parents that
    tell it apart, `registry.queries.place_labels`) and whether it is drawn already."""
    places = list(Place.objects.filter(engine.under_q(node), kind__in=MAPPED_KINDS).order_by("sort_key")[:limit])
    drawn = set(Shape.objects.filter(engine.under_q(node, "place__")).values_list("place_id", flat=True))
    labels = place_labels(places)  # "光明小区 1号楼": four compounds' 1号楼 told apart
    return [{"place": p, "label": labels.get(p.id) or p.name, "drawn": p.id in drawn}
            for p in places if access.may(scope, access.MANAGE, p)]


def sealed_or_any_over(place: Place) -> Designation | None:
    """The most severe designation in force over `place` itself or its ancestors."""
    ids = [v for v in (getattr(place, f, None) for f in LEVEL_FIELDS) if v] + [place.id]
    return Designation.objects.filter(ends_at=None, place_id__in=ids).select_related("zone_type") \
        .order_by("-zone_type__severity").first()
