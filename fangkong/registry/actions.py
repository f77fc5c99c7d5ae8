"""Every write to the registry. Pages, API, importer and commands all call these.

Each action checks the actor's permission on the object (an object outside the actor's
scope raises NotFound, exactly like a missing one), validates through `checks`, writes
atomically and leaves an audit event.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm
from fangkong.audit.actions import record
from fangkong.core import pii
from fangkong.core.clean import bounded, limit_of
from fangkong.core.errors import Conflict, Forbidden, Invalid, TooMany
from fangkong.core.text import given_key, name_keys
from fangkong.core.tree import is_under, level_field, under

from . import checks
from .access import require
from .models import (
    ALLOWED_PARENTS,
    HOUSEHOLD_PARENTS,
    LEVEL_FIELDS,
    LEVELS,
    Household,
    Kind,
    Place,
    Presence,
    Relation,
    Resident,
)
from .signals import placed

# Fields whose before/after go into the audit trail (identifiers masked).
PERSONAL_FIELDS = ["name", "sex", "birth_date", "phone", "id_number", "relation", "presence",
                   "has_smartphone", "tags", "notes"]


# --- places ------------------------------------------------------------------

def place_levels_for(kind, parent: Place | None) -> dict:
    levels = {f: (getattr(parent, f) if parent else None) for f in LEVEL_FIELDS}
    return levels


def create_place(actor, parent: Place | None, kind: str, name: str, *, code="", address="",
                 audit=True) -> Place:
    if parent is None:
        if not actor.scope.superuser:
            raise Forbidden()
    else:
        require(actor, Perm.EDIT_PLACES, parent)
    try:
        kind = Kind(kind)
        name = checks.check_place_name(name)
    except ValueError:
        raise Invalid(fields={"kind": [_("Unknown kind of place.")]}) from None
    except ValidationError as e:
        raise Invalid(fields={"name": e.messages}) from None
    parent_kind = Kind(parent.kind) if parent else None
    if kind in LEVELS and parent_kind not in ALLOWED_PARENTS[kind]:
        raise Invalid(fields={"kind": [_("A %(kind)s cannot stand under a %(parent)s.") % {
            "kind": kind.label, "parent": parent_kind.label if parent_kind else _("nothing")}]})
    errors = {}
    code = bounded(checks.text(code), limit_of(Place, "code"), "code", errors)
    address = bounded(checks.text(address), limit_of(Place, "address"), "address", errors)
    if errors:
        raise Invalid(fields=errors)
    place = Place(kind=kind, name=name, parent=parent, depth=(parent.depth + 1 if parent else 0),
                  code=code, address=address)
    place.copy_levels(parent) if parent else None
    with transaction.atomic():
        try:
            with transaction.atomic():
                place.save()
        except IntegrityError:
            raise Invalid(fields={"name": [_("There is already a %(kind)s called “%(name)s” here.")
                                           % {"kind": kind.label, "name": name}]}) from None
        if kind in LEVELS:  # a level place is under itself
            setattr(place, level_field(kind), place.id)
            Place.objects.filter(pk=place.pk).update(**{level_field(kind): place.id})
        if audit:
            record(actor, "place.create", place, {"kind": kind, "name": name})
    return place


def rename_place(actor, place: Place, name: str) -> Place:
    require(actor, Perm.EDIT_PLACES, place)
    try:
        name = checks.check_place_name(name)
    except ValidationError as e:
        raise Invalid(fields={"name": e.messages}) from None
    before = place.name
    place.name = name
    with transaction.atomic():
        try:
            with transaction.atomic():
                place.save()
        except IntegrityError:
            raise Invalid(fields={"name": [_("That name is already used here.")]}) from None
        record(actor, "place.rename", place, {"name": [before, name]})
    return place


def set_duty_phone(actor, place: Place, phone) -> Place:
    """Set (or, empty, clear) the place's duty phone: whom a guard at its gates or a family
    under it calls (`queries.duty_phone_for` finds the nearest one up the tree)."""
    require(actor, Perm.EDIT_PLACES, place)
    try:
        phone = checks.check_duty_phone(phone)
    except ValidationError as e:
        raise Invalid(fields={"duty_phone": e.messages}) from None
    before = place.duty_phone
    if phone == before:
        return place
    with transaction.atomic():
        place.duty_phone = phone
        place.save(update_fields=["duty_phone"])
        record(actor, "place.duty_phone", place, {"duty_phone": [before, phone]})
    return place


def move_place(actor, place: Place, new_parent: Place) -> Place:
    """Hang a place under another node and rewrite the level columns of everything below."""
    require(actor, Perm.EDIT_PLACES, place)
    require(actor, Perm.EDIT_PLACES, new_parent)
    kind = Kind(place.kind)
    if kind in LEVELS and Kind(new_parent.kind) not in ALLOWED_PARENTS[kind]:
        raise Invalid(fields={"parent": [_("A %(kind)s cannot stand under a %(parent)s.") % {
            "kind": kind.label, "parent": Kind(new_parent.kind).label}]})
    if new_parent.id == place.id or (kind in LEVELS and is_under(new_parent, place)):
        raise Invalid(fields={"parent": [_("A place cannot move under itself.")]})
    # The levels above the moved node come from the new parent; its own and lower stay.
    idx = LEVELS.index(kind) if kind in LEVELS else len(LEVELS)
    above = {f: getattr(new_parent, f) for f in LEVEL_FIELDS[:idx]}
    before_parent = place.parent_id
    with transaction.atomic():
        place.parent = new_parent
        place.depth = new_parent.depth + 1
        place.save()
        if kind in LEVELS:
            Place.objects.filter(under(place)).update(**above)
            Household.objects.filter(under(place)).update(**above)
            Resident.objects.filter(under(place)).update(**above)
        else:
            Place.objects.filter(pk=place.pk).update(**above)
        _fix_depths(place)
        record(actor, "place.move", place, {"parent": [before_parent, new_parent.id]})
        place.refresh_from_db()
        placed([place])  # its households under the zone over the new place (zones)
    return place


def _fix_depths(root: Place):
    frontier = [root]
    while frontier:
        ids = [p.id for p in frontier]
        depth = frontier[0].depth + 1
        Place.objects.filter(parent_id__in=ids).update(depth=depth)
        frontier = list(Place.objects.filter(parent_id__in=ids).only("id", "depth"))


# --- households --------------------------------------------------------------

def create_household(actor, place: Place, door, *, phone="", notes="", audit=True) -> Household:
    require(actor, Perm.EDIT_REGISTRY, place)
    if place.kind not in HOUSEHOLD_PARENTS:
        raise Invalid(fields={"place": [_("Households belong to a unit or a building.")]})
    errors = {}
    try:
        door = checks.check_door(door)
    except ValidationError as e:
        errors["door"] = e.messages
    try:
        phone = pii.validate_phone(phone)
    except ValidationError as e:
        errors["phone"] = e.messages
    notes = bounded(checks.text(notes), limit_of(Household, "notes"), "notes", errors,
                    single_line=False)
    if errors:
        raise Invalid(fields=errors)
    hh = Household(place=place, door=door, phone=phone, notes=notes)
    hh.copy_levels(place)
    with transaction.atomic():
        try:
            with transaction.atomic():
                hh.save()
        except IntegrityError:
            raise Invalid(fields={"door": [_("Door %(door)s already exists in %(place)s.")
                                           % {"door": door, "place": place.name}]}) from None
        if audit:
            record(actor, "household.create", hh, {"door": door})
        placed([place])  # the zone in force over its place, from now (zones)
    return hh


def update_household(actor, hh: Household, *, door=None, phone=None, notes=None) -> Household:
    require(actor, Perm.EDIT_REGISTRY, hh)
    changes, errors = {}, {}
    if door is not None:
        try:
            door = checks.check_door(door)
            if door != hh.door:
                changes["door"] = [hh.door, door]
                hh.door = door
        except ValidationError as e:
            errors["door"] = e.messages
    if phone is not None:
        try:
            phone = pii.validate_phone(phone)
            if phone != hh.phone:
                changes["phone"] = [pii.mask_phone(hh.phone), pii.mask_phone(phone)]
                hh.phone = phone
        except ValidationError as e:
            errors["phone"] = e.messages
    if notes is not None:
        notes = bounded(checks.text(notes), limit_of(Household, "notes"), "notes", errors,
                        single_line=False)
        if notes != hh.notes:
            changes["notes"] = [hh.notes, notes]
            hh.notes = notes
    if errors:
        raise Invalid(fields=errors)
    if changes:
        hh.updated_at = timezone.now()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    hh.save()
            except IntegrityError:
                raise Invalid(fields={"door": [_("That door number already exists here.")]}) from None
            record(actor, "household.update", hh, changes)
    return hh


# --- residents ---------------------------------------------------------------

def apply_resident_fields(r: Resident, clean: dict) -> dict:
    """Set cleaned fields on a resident; return {field: [before, after]} (identifiers masked)."""
    changes = {}

    def change(field, before, after):
        if before != after:
            changes[field] = [before, after]

    if "name" in clean:
        change("name", r.name, clean["name"])
        r.name = clean["name"]
        r.pinyin, r.initials = name_keys(r.name)
        r.pinyin_given = given_key(r.name)
    if "id_number" in clean:
        idn = clean["id_number"]
        new_hash = pii.lookup_hash(idn) if idn else None
        if new_hash != r.id_hash:
            change("id_number", r.id_masked, pii.mask_id_number(idn))
            r.id_hash = new_hash
            r.id_enc = pii.encrypt(idn) if idn else ""
            r.id_head, r.id_tail = (idn[:4], idn[-4:]) if idn else ("", "")
    if "phone" in clean:
        change("phone", pii.mask_phone(r.phone), pii.mask_phone(clean["phone"]))
        r.phone = clean["phone"]
        r.phone_tail = r.phone[-4:]
    if "tags" in clean:
        packed = Resident.pack_tags(clean["tags"])
        change("tags", r.tag_list, [t for t in packed.split(",") if t])
        r.tags = packed
    for field in ("sex", "relation", "presence", "has_smartphone", "key_group", "notes"):
        if field in clean:
            change(field, getattr(r, field), clean[field])
            setattr(r, field, clean[field])
    if "birth_date" in clean:
        before = r.birth_date.isoformat() if r.birth_date else None
        after = clean["birth_date"].isoformat() if clean["birth_date"] else None
        change("birth_date", before, after)
        r.birth_date = clean["birth_date"]
    return changes


def _duplicate_id_error(r: Resident):
    return Invalid(fields={"id_number": [
        _("A resident with this ID number is already registered.")]}, code="duplicate")


def _one_head(r: Resident, household: Household):
    """A household has one head: naming a second is refused with the first one's name (a
    head who moved out no longer counts)."""
    if not checks.is_head(r):
        return
    other = (Resident.objects.filter(household=household, relation=Relation.HEAD)
             .exclude(presence=Presence.MOVED_OUT).exclude(pk=r.pk).only("name").first())
    if other is not None:
        raise Invalid(fields={"relation": [checks.second_head_message(other.name)]}, code="two_heads")


def create_resident(actor, household: Household, data: dict, *, unverified=False) -> Resident:
    require(actor, Perm.EDIT_REGISTRY, household)
    clean = checks.check_resident(data)
    r = Resident(household=household, unverified=unverified)
    r.copy_levels(household)
    changes = apply_resident_fields(r, clean)
    _one_head(r, household)
    with transaction.atomic():
        try:
            with transaction.atomic():
                r.save()
        except IntegrityError:
            raise _duplicate_id_error(r) from None
        record(actor, "resident.create", r, changes)
    return r


def update_resident(actor, r: Resident, data: dict) -> Resident:
    """`data`: the fields to change, and `left_before_seal` (True: the person set away left
    before their building was sealed — asked on the missing list, a flag in the API)."""
    require(actor, Perm.EDIT_REGISTRY, r)
    data = dict(data)
    left_before_seal = data.pop("left_before_seal", None)
    clean = checks.check_resident(data, partial=True)
    checks.check_against_stored_id(r, clean)
    presence_allowed(r, clean)
    sealed_since = away_while_sealed(r, clean, left_before_seal)
    changes = apply_resident_fields(r, clean)
    if sealed_since is not None and "presence" in changes:
        changes["left_before_seal"] = timezone.localtime(sealed_since).strftime("%Y-%m-%d %H:%M")
    if "relation" in changes or "presence" in changes:
        _one_head(r, r.household)
    if changes:
        r.updated_at = timezone.now()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    r.save()
            except IntegrityError:
                raise _duplicate_id_error(r) from None
            record(actor, "resident.update", r, changes)
    return r


def sealed_since(r: Resident):
    """When the person's building (or a place above it) was sealed, or None:
    settings.FANGKONG_SEALED_SINCE (the zones' rule; the registry imports no zones)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    path = getattr(settings, "FANGKONG_SEALED_SINCE", "")
    return import_string(path)(r.household) if path and r.household_id else None


def presence_allowed(r: Resident, clean: dict) -> None:
    """A presence change asks settings.FANGKONG_PRESENCE_RULE (screening's rule for someone
    held by a positive test, a case or a close contact: never away; the registry imports no
    screening). Its refusal is said at the presence field (the edit page) and answers 409
    with its code (`held_outcome`) and keys (the API)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    presence = clean.get("presence")
    path = getattr(settings, "FANGKONG_PRESENCE_RULE", "")
    if not path or presence is None or presence == r.presence or not r.pk:
        return
    try:
        import_string(path)(r, presence)
    except Conflict as e:
        raise Invalid(e.message, fields={"presence": [str(e.message)]}, code=e.code, status=409,
                      extra=e.extra) from None


def away_while_sealed(r: Resident, clean: dict, left_before_seal):
    """Someone set away whose building is sealed cannot have gone unless they left before
    the seal: refused (409, code `building_sealed`, naming since when) unless
    `left_before_seal` is True. Returns the seal's start when it was said, else None."""
    if clean.get("presence") != Presence.AWAY or r.presence == Presence.AWAY:
        return None
    since = sealed_since(r)
    if since is None:
        return None
    if left_before_seal is not True:
        at = timezone.localtime(since).strftime("%Y-%m-%d %H:%M")
        raise Invalid(fields={"presence": [_(
            "%(name)s's building is sealed since %(at)s: someone in it cannot be away unless they "
            "left before it. If they did, say so: tick “They left before the seal” on their edit "
            "page (or “Away…” on the missing list).")
            % {"name": r.name, "at": at}]},
            code="building_sealed", status=409, extra={"sealed_since": since.isoformat()})
    return since


def move_resident(actor, r: Resident, household: Household) -> Resident:
    require(actor, Perm.EDIT_REGISTRY, r)
    require(actor, Perm.EDIT_REGISTRY, household)
    if household.id == r.household_id:
        return r
    before = r.household
    changes = {"household": [f"{before.place.name} {before.door}",
                             f"{household.place.name} {household.door}"],
               "community": [before.community_id, household.community_id]}
    try:
        _one_head(r, household)
    except Invalid:  # the head of one household joins another that has its head: "other"
        changes["relation"] = [r.relation, Relation.OTHER]
        r.relation = Relation.OTHER
    with transaction.atomic():
        r.household = household
        r.copy_levels(household)
        r.updated_at = timezone.now()
        r.save()
        # both communities: counts kept per community (screening.counters) follow the move
        record(actor, "resident.move", r, changes)
    return r


def reveal_id_number(actor, r: Resident) -> str:
    """The ID number in clear, for a role allowed to see it; every reveal is audited, and
    a user may have at most FANGKONG_REVEALS_PER_HOUR shown in an hour (counted from the
    audit trail, so the limit holds across app servers). One user's reveals run one at a
    time (their user row locked while the hour is counted and the reveal recorded), so
    requests sent at once cannot all pass the count. A number that cannot be decrypted
    raises `pii.Undecryptable` and records nothing."""
    require(actor, Perm.REVEAL_ID, r)
    with transaction.atomic():
        if actor.user is not None and actor.user.is_authenticated:
            from django.conf import settings

            from fangkong.accounts.models import User
            from fangkong.audit.models import AuditEvent

            # NO KEY: rows that merely point at the user (their audit events) still go in.
            list(User.objects.select_for_update(no_key=True).filter(pk=actor.user.pk)
                 .values_list("pk", flat=True))
            limit = settings.FANGKONG_REVEALS_PER_HOUR
            since = timezone.now() - datetime.timedelta(hours=1)
            recent = AuditEvent.objects.filter(actor=actor.user, action="resident.reveal_id",
                                               at__gte=since)[:limit].count()
            if recent >= limit:
                raise TooMany(_("You have shown %(n)d ID numbers in the last hour, the most "
                                "allowed. Try again later or ask the community office.")
                              % {"n": limit})
        value = pii.decrypt(r.id_enc)
        record(actor, "resident.reveal_id", r)
    return value


def reissue_code(actor, r: Resident) -> Resident:
    """A new personal code (a lost card): the old token stops working at once. The audit
    event names the resident, never a token."""
    from .models import new_token

    require(actor, Perm.EDIT_REGISTRY, r)
    with transaction.atomic():
        r.token = new_token()
        r.updated_at = timezone.now()
        r.save(update_fields=["token", "updated_at"])
        record(actor, "resident.reissue_code", r)
    return r
