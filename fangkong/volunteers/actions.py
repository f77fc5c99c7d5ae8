"""Every write to volunteers, teams, calls and attendance. Pages and the API call these.

Each action checks the actor's permission on the object (outside the actor's scope:
NotFound, exactly like a missing object), validates through `checks`, writes atomically
and leaves an audit event. Volunteers act on their own record through their account
(`volunteer_of`); team leaders confirm attendance for their team.

Slots: a sign-up takes a slot (or a waitlist number) with one conditional UPDATE of the
call's counters, so confirmations never exceed the slots however many people answer at
once; a CHECK constraint backs this up. On PostgreSQL the whole answer is one statement
(see `sign_up`); SQLite runs one writer at a time.
"""

import datetime
import secrets
from contextlib import nullcontext

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import User
from fangkong.accounts.roles import Perm, Role
from fangkong.accounts.usernames import new_username
from fangkong.audit.actions import record, record_shown
from fangkong.core import pii
from fangkong.core.clean import bounded, limit_of
from fangkong.core.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.registry.models import (
    LEVEL_FIELDS,
    LEVELS,
    Household,
    Kind,
    Place,
    Presence,
    Resident,
)
from fangkong.zones import queries as zone_queries

from . import checks
from .models import (
    Assignment,
    Audience,
    Call,
    JoinLink,
    Loan,
    PhoneCode,
    Team,
    TeamMember,
    Volunteer,
    pack,
)
from .models import Day as DayChoice
from .models import Skill as SkillChoice

MANAGE, VIEW = Perm.VOLUNTEERS_MANAGE, Perm.VOLUNTEERS_VIEW
CODE_TTL = datetime.timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODE_GAP = datetime.timedelta(seconds=60)  # at most one code a minute per phone
CODES_PER_HOUR = 5
CODES_PER_IP_HOUR = 20  # texts sent per client address an hour (setting FANGKONG_VOLUNTEER_CODES_PER_IP_HOUR)
CHECK_IN_EARLY = datetime.timedelta(minutes=60)
CHECK_OUT_LATE = datetime.timedelta(hours=6)
NOT_CALLED_OUT = [Presence.QUARANTINE, Presence.HOSPITAL, Presence.MOVED_OUT]


def require(actor, perm, obj):
    """NotFound if the actor cannot see obj at all; Forbidden if they see it but lack perm."""
    if actor.scope.allows(perm, obj):
        return
    if actor.scope.allows(VIEW, obj):
        raise Forbidden()
    raise NotFound()


def volunteer_of(actor) -> Volunteer:
    """The approved volunteer record of the acting account (Forbidden without one)."""
    user = actor.user
    v = None
    if user is not None and getattr(user, "is_authenticated", False):
        v = Volunteer.objects.filter(user_id=user.id, status=Volunteer.Status.APPROVED).first()
    if v is None:
        raise Forbidden(_("Only approved volunteers can do this."))
    return v


# --- registration links and phone codes -----------------------------------------

def join_link(actor, community: Place) -> JoinLink:
    """The community's registration link, made on first use."""
    require(actor, MANAGE, community)
    if community.kind != Kind.COMMUNITY:
        raise Invalid(fields={"place": [_("Volunteers register with a community.")]})
    link, created = JoinLink.objects.get_or_create(place=community)
    if created:
        record(actor, "volunteers.join_link", community, label=community.name)
    return link


def _code_hash(phone, purpose, code) -> str:
    return pii.lookup_hash(f"phonecode:{purpose}:{phone}:{code}")


def deliver_code(phone: str, code: str, purpose: str, place=None):
    """Send a code by text message through the personal notification channels."""
    from fangkong.notify.actions import notify_phone

    notify_phone(phone, kind=f"volunteers.code.{purpose}", title=_("Fangkong code"),
                 body=_("Your Fangkong code is %(code)s. It is valid for 10 minutes. "
                        "Do not share it.") % {"code": code}, place=place)


def send_code(actor, phone, purpose=PhoneCode.Purpose.REGISTER, *, place=None) -> PhoneCode | None:
    """Make a one-time code for `phone` and send it. Only its hash is kept."""
    try:
        phone = pii.validate_phone(phone, required=True)
        if not phone.startswith("1"):
            raise Invalid(fields={"phone": [_("Give a mobile number: the code is sent by text message.")]})
    except ValidationError as e:
        raise Invalid(fields={"phone": e.messages}) from None
    now = timezone.now()
    if purpose == PhoneCode.Purpose.LOGIN and not Volunteer.objects.filter(
            phone=phone, status=Volunteer.Status.APPROVED, user__isnull=False).exists():
        # Say the same as for a sent code: nobody learns which phones are registered.
        return None
    recent = PhoneCode.objects.filter(phone=phone, purpose=purpose,
                                      created_at__gte=now - datetime.timedelta(hours=1))
    last = recent.order_by("-created_at").first()
    if last and now - last.created_at < CODE_GAP:
        raise Invalid(fields={"phone": [_("A code was just sent. Wait a minute before asking again.")]},
                      code="too_soon")
    if recent.count() >= CODES_PER_HOUR:
        raise Invalid(fields={"phone": [_("Too many codes for this phone. Try again in an hour.")]},
                      code="too_many")
    ip = getattr(actor, "ip", None) or None
    per_ip = getattr(settings, "FANGKONG_VOLUNTEER_CODES_PER_IP_HOUR", CODES_PER_IP_HOUR)
    if ip and PhoneCode.objects.filter(ip=ip, created_at__gte=now - datetime.timedelta(hours=1)).count() >= per_ip:
        raise Invalid(fields={"phone": [_("Too many codes were asked for from your network. "
                                          "Try again in an hour.")]}, code="too_many_from_address")
    code = f"{secrets.randbelow(10**6):06d}"
    pc = PhoneCode.objects.create(phone=phone, purpose=purpose, code_hash=_code_hash(phone, purpose, code),
                                  expires_at=now + CODE_TTL, ip=ip)
    deliver_code(phone, code, purpose, place)
    return pc


def _use_code(phone, purpose, code):
    """Check a code (inside the caller's transaction): consumes it on success, counts a
    failed attempt otherwise."""
    now = timezone.now()
    pc = (PhoneCode.objects.select_for_update()
          .filter(phone=phone, purpose=purpose, used_at=None, expires_at__gt=now)
          .order_by("-created_at").first())
    if pc is None:
        raise Invalid(fields={"code": [_("The code has expired or was not asked for. Ask for a new code.")]},
                      code="code_expired")
    if pc.attempts >= CODE_ATTEMPTS:
        raise Invalid(fields={"code": [_("Too many wrong codes. Ask for a new code.")]},
                      code="code_locked")
    if not secrets.compare_digest(pc.code_hash, _code_hash(phone, purpose, code)):
        PhoneCode.objects.filter(pk=pc.pk).update(attempts=F("attempts") + 1)
        return False
    pc.used_at = now
    pc.save(update_fields=["used_at"])
    return True


def check_code(phone, purpose, code):
    """Verify a code in its own transaction (so a wrong attempt is counted even though the
    caller then fails)."""
    with transaction.atomic():
        ok = _use_code(phone, purpose, code)
    if not ok:
        raise Invalid(fields={"code": [_("The code is wrong.")]}, code="code_wrong")


def login_with_code(phone, code) -> User:
    """The account of an approved volunteer, for a phone and its login code."""
    try:
        phone = pii.validate_phone(phone, required=True)
    except ValidationError as e:
        raise Invalid(fields={"phone": e.messages}) from None
    code = checks.text(code, 10)
    check_code(phone, PhoneCode.Purpose.LOGIN, code)
    v = Volunteer.objects.select_related("user").filter(
        phone=phone, status=Volunteer.Status.APPROVED, user__isnull=False).first()
    if v is None or not v.user.is_active:
        raise Invalid(fields={"code": [_("The code is wrong.")]}, code="code_wrong")
    return v.user


# --- registration and approval ----------------------------------------------------

def _apply(v: Volunteer, clean: dict, household: Household):
    v.household = household
    v.copy_levels(household)
    v.name = clean["name"]
    v.phone = clean["phone"]
    idn = clean["id_number"]
    v.id_hash = pii.lookup_hash(idn)
    v.id_enc = pii.encrypt(idn)
    v.id_head, v.id_tail = idn[:4], idn[-4:]
    v.work_unit = clean["work_unit"]
    v.party_member = clean["party_member"]
    v.party_branch = clean["party_branch"]
    v.skills = pack(clean["skills"], SkillChoice.values)
    v.days = pack(clean["days"], DayChoice.values)
    v.hours_from, v.hours_to = clean["hours_from"], clean["hours_to"]
    v.consent_at = timezone.now()
    v.updated_at = timezone.now()


def register(actor, link_token: str, data: dict) -> tuple[Volunteer, bool]:
    """A person registers with a community through its link (no account needed).

    Returns (volunteer, created). A phone or ID number already registered is recognised:
    a pending or rejected registration in the same community is updated (and waits for
    approval again), an approved one or one in another community is refused with a clear
    message. The phone must be proved with the code sent to it."""
    link = JoinLink.objects.select_related("place").filter(token=str(link_token or "")).first()
    if link is None:
        raise NotFound()
    community = link.place
    clean = checks.check_registration(data)
    household = Household.objects.filter(pk=clean["household"], community_id=community.id).first()
    if household is None:
        raise Invalid(fields={"household": [_("Choose your home address from the list.")]})
    # The phone is proved first: only its owner learns whether it is registered already.
    check_code(clean["phone"], PhoneCode.Purpose.REGISTER, clean["code"])
    id_hash = pii.lookup_hash(clean["id_number"])
    existing = list(Volunteer.objects.filter(Q(phone=clean["phone"]) | Q(id_hash=id_hash)))
    if len(existing) > 1:
        raise Conflict(_("This phone and this ID number belong to two different registrations. "
                         "Ask the community office to sort it out."), code="already_registered")
    v = existing[0] if existing else None
    if v is not None:
        if v.community_id != community.id and v.status != Volunteer.Status.REJECTED:
            raise Conflict(_("You are already registered with another community. A volunteer "
                             "belongs to one community at a time: ask that community to release "
                             "you first."), code="other_community")
        if v.status == Volunteer.Status.APPROVED:
            raise Conflict(_("You are already registered and approved. Log in with your phone."),
                           code="already_registered")
    return _save_registration(actor, v, clean, household)


def _save_registration(actor, v, clean, household) -> tuple[Volunteer, bool]:
    created = v is None
    with transaction.atomic():
        if created:
            v = Volunteer()
        _apply(v, clean, household)
        v.status = Volunteer.Status.PENDING
        v.reason = ""
        try:
            with transaction.atomic():
                v.save()
        except IntegrityError:
            raise Conflict(_("This phone or ID number is already registered."),
                           code="already_registered") from None
        record(actor, "volunteer.register" if created else "volunteer.reregister", v,
               {"name": v.name, "phone": pii.mask_phone(v.phone),
                "id_number": pii.mask_id_number(clean["id_number"]),
                "skills": v.skill_list, "party_member": v.party_member})
    return v, created


def add_volunteer(actor, community: Place, data: dict) -> Volunteer:
    """Staff register someone in person (the office checked their phone and ID card, so no
    text code): the same checks as the link, waiting for approval like any registration."""
    require(actor, MANAGE, community)
    clean = checks.check_registration({**data, "code": "000000"})
    household = Household.objects.filter(pk=clean["household"], community_id=community.id).first()
    if household is None:
        raise Invalid(fields={"household": [_("Choose the home address from the list.")]})
    if Volunteer.objects.filter(Q(phone=clean["phone"]) | Q(id_hash=pii.lookup_hash(clean["id_number"]))).exists():
        raise Conflict(_("This phone or ID number is already registered."), code="already_registered")
    return _save_registration(actor, None, clean, household)[0]


def approve(actor, v: Volunteer) -> Volunteer:
    """Approve a registration: the person gets (or keeps) an account with the volunteer
    role on their community, and logs in with their phone."""
    require(actor, MANAGE, v)
    if v.status == Volunteer.Status.APPROVED:
        return v
    community = Place.objects.get(pk=v.community_id)
    with transaction.atomic():
        v = Volunteer.objects.select_for_update().get(pk=v.pk)
        user = v.user or User.objects.filter(phone=v.phone).first()
        if user is None:
            user = account_actions.create_user(actor, new_username("vol"), None, display_name=v.name,
                                               phone=v.phone, check_password=False)
        account_actions.grant(actor, user, Role.VOLUNTEER, community)
        v.user = user
        v.status = Volunteer.Status.APPROVED
        v.reason = ""
        v.decided_by = actor.user if getattr(actor.user, "is_authenticated", False) else None
        v.decided_at = v.updated_at = timezone.now()
        v.save()
        record(actor, "volunteer.approve", v, {"status": ["pending", "approved"],
                                                "user": user.username})
        _notify(actor, [user.id], kind="volunteers.approved",
                title=_("You are approved as a volunteer"),
                body=_("Thank you. Calls for volunteers will reach you here; log in with your "
                       "phone and a text code."),
                url=reverse("volunteers_home"), place=community, key=f"volunteers.approved:{v.id}")
    return v


def reject(actor, v: Volunteer, reason) -> Volunteer:
    require(actor, MANAGE, v)
    reason = checks.check_reason(reason)
    with transaction.atomic():
        before = v.status
        v.status = Volunteer.Status.REJECTED
        v.reason = reason
        v.decided_by = actor.user if getattr(actor.user, "is_authenticated", False) else None
        v.decided_at = v.updated_at = timezone.now()
        v.save()
        if v.user_id:
            from fangkong.accounts.models import Membership

            for m in Membership.objects.filter(user_id=v.user_id, role=Role.VOLUNTEER, is_active=True):
                account_actions.revoke_membership(actor, m.id)
        # Approval withdrawn: their places on calls still to come go to the waitlist.
        for a in Assignment.objects.filter(volunteer=v, ends_at__gt=timezone.now(), check_in_at=None).exclude(
                status=Assignment.Status.CANCELLED).select_related("volunteer"):
            cancel(actor, a, reason)
        record(actor, "volunteer.reject", v, {"status": [before, "rejected"], "reason": reason})
    return v


def lend(actor, v: Volunteer, to_community: Place, until) -> Loan:
    """Lend an approved volunteer to another community until `until` (they may answer its
    calls, and its staff may assign them); they stay a member of their own community."""
    require(actor, MANAGE, v)
    if v.status != Volunteer.Status.APPROVED:
        raise Invalid(fields={"volunteer": [_("Only approved volunteers can be lent.")]})
    if to_community.kind != Kind.COMMUNITY or to_community.id == v.community_id:
        raise Invalid(fields={"to_community": [_("Choose another community.")]})
    if not isinstance(until, datetime.datetime):
        until = checks._when(until, "until", errors := {}, _("the end of the loan"))
        if errors:
            raise Invalid(fields=errors)
    if until <= timezone.now():
        raise Invalid(fields={"until": [_("The loan must end in the future.")]})
    with transaction.atomic():
        loan = Loan.objects.create(volunteer=v, to_community=to_community, until=until,
                                   created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None)
        record(actor, "volunteer.lend", v, {"to": to_community.name, "until": until.isoformat()})
    return loan


def end_loan(actor, loan: Loan) -> Loan:
    """End a loan before its date (the volunteer is needed at home): from now on they get
    no more calls from that community and its staff cannot assign them. Places they
    already hold there stay (their organiser can cancel them)."""
    require(actor, MANAGE, loan.volunteer)
    now = timezone.now()
    if loan.ended_at is not None or loan.until <= now:
        raise Invalid(fields={"loan": [_("This loan has already ended.")]})
    with transaction.atomic():
        Loan.objects.filter(pk=loan.pk).update(ended_at=now)
        record(actor, "volunteer.end_loan", loan.volunteer,
               {"to": loan.to_community.name, "until": [loan.until.isoformat(), now.isoformat()]})
    loan.ended_at = now
    return loan


# --- teams ----------------------------------------------------------------------

def create_team(actor, community: Place, name, *, area: Place | None = None,
                leader: Volunteer | None = None) -> Team:
    require(actor, MANAGE, community)
    if community.kind != Kind.COMMUNITY:
        raise Invalid(fields={"place": [_("Teams belong to a community.")]})
    name = checks.check_team_name(name)
    if area is not None and area.community_id != community.id:
        raise Invalid(fields={"area": [_("The area must be inside the community.")]})
    if leader is not None and (leader.community_id != community.id
                               or leader.status != Volunteer.Status.APPROVED):
        raise Invalid(fields={"leader": [_("The leader must be an approved volunteer of the community.")]})
    team = Team(community_place=community, name=name, area=area, leader=leader)
    team.copy_levels(community)
    with transaction.atomic():
        try:
            with transaction.atomic():
                team.save()
        except IntegrityError:
            raise Invalid(fields={"name": [_("There is already a team called “%(name)s”.")
                                           % {"name": name}]}) from None
        if leader is not None:
            TeamMember.objects.get_or_create(team=team, volunteer=leader)
        record(actor, "team.create", team, {"name": name, "leader": leader.name if leader else None})
    return team


def add_member(actor, team: Team, v: Volunteer) -> TeamMember:
    require(actor, MANAGE, team)
    if v.community_id != team.community_id or v.status != Volunteer.Status.APPROVED:
        raise Invalid(fields={"volunteer": [_("Only approved volunteers of the community can join.")]})
    with transaction.atomic():
        m, created = TeamMember.objects.get_or_create(team=team, volunteer=v)
        if created:
            record(actor, "team.add_member", team, {"volunteer": v.name})
    return m


def remove_member(actor, team: Team, v: Volunteer):
    require(actor, MANAGE, team)
    with transaction.atomic():
        n, _x = TeamMember.objects.filter(team=team, volunteer=v).delete()
        if team.leader_id == v.id:
            team.leader = None
            team.save(update_fields=["leader"])
        if n:
            record(actor, "team.remove_member", team, {"volunteer": v.name})


def set_leader(actor, team: Team, v: Volunteer | None) -> Team:
    require(actor, MANAGE, team)
    with transaction.atomic():
        if v is not None:
            add_member(actor, team, v)
        before = team.leader.name if team.leader_id else None
        team.leader = v
        team.save(update_fields=["leader"])
        record(actor, "team.leader", team, {"leader": [before, v.name if v else None]})
    return team


# --- calls ----------------------------------------------------------------------

def audience(call: Call, now=None):
    """The approved volunteers a call goes to: its community's (and those lent to it),
    narrowed by the audience rule and the required skills; never people in quarantine,
    in hospital or moved out (by their registry record)."""
    now = now or timezone.now()
    lent = Loan.objects.filter(to_community_id=call.community_id, until__gt=now,
                               ended_at=None).values("volunteer_id")
    qs = Volunteer.objects.filter(status=Volunteer.Status.APPROVED).filter(
        Q(community_id=call.community_id) | Q(id__in=lent))
    if call.audience == Audience.TEAM:
        qs = qs.filter(id__in=TeamMember.objects.filter(team_id=call.team_id).values("volunteer_id"))
    elif call.audience == Audience.PARTY:
        qs = qs.filter(party_member=True)
    elif call.audience == Audience.SKILL:
        qs = qs.filter(skills__contains=f",{call.audience_skill},")
    elif call.audience == Audience.BUILDING:
        ap = call.audience_place
        field = f"{ap.kind}_id" if ap.kind in LEVELS else "building_id"
        qs = qs.filter(**{field: ap.id})
    for s in call.skill_list:
        qs = qs.filter(skills__contains=f",{s},")
    # One index probe per person (id_hash is unique on residents), never a scan of them all.
    away = Resident.objects.filter(id_hash=OuterRef("id_hash"), presence__in=NOT_CALLED_OUT)
    return qs.exclude(Exists(away)).exclude(zone_queries.kept_home())  # sealed in, or code not green


def in_audience(call: Call, v: Volunteer) -> bool:
    return audience(call).filter(pk=v.pk).exists()


def _notify(actor, users, **kw) -> int:
    from fangkong.notify.actions import notify

    return notify(actor, users, **kw)


def _announce(actor, place, **kw) -> int:
    from fangkong.notify.actions import announce

    return announce(actor, place, **kw)


def _call_text(call: Call) -> tuple[str, str]:
    start = timezone.localtime(call.starts_at)
    end = timezone.localtime(call.ends_at)
    title = _("Call: %(title)s, %(n)d people") % {"title": call.title, "n": call.slots}
    body = _("%(task)s at %(place)s, %(start)s–%(end)s. %(briefing)s") % {
        "task": call.get_task_display(), "place": call.place.name,
        "start": start.strftime("%m-%d %H:%M"), "end": end.strftime("%H:%M"),
        "briefing": call.briefing[:300]}
    return title, body.strip()


def create_call(actor, community: Place, data: dict) -> Call:
    """Create and publish a call: the audience is notified (inbox and outbound channels)
    and the community's group channels get an announcement."""
    require(actor, MANAGE, community)
    if community.kind != Kind.COMMUNITY:
        raise Invalid(fields={"place": [_("Calls belong to a community.")]})
    clean = checks.check_call(data)
    place = Place.objects.filter(pk=clean["place"], community_id=community.id).first()
    if place is None:
        raise Invalid(fields={"place": [_("Choose a place inside the community.")]})
    team = None
    if clean["team"] is not None:
        team = Team.objects.filter(pk=clean["team"], community_id=community.id).first()
        if team is None:
            raise Invalid(fields={"team": [_("Choose one of the community's teams.")]})
    audience_place = None
    if clean["audience_place"] is not None:
        audience_place = Place.objects.filter(pk=clean["audience_place"], community_id=community.id,
                                              kind__in=[Kind.GRID, Kind.COMPOUND, Kind.BUILDING, Kind.UNIT]).first()
        if audience_place is None:
            raise Invalid(fields={"audience_place": [_("Choose a building inside the community.")]})
    call = Call(community_place=community, place=place, task=clean["task"], title=clean["title"],
                starts_at=clean["starts_at"], ends_at=clean["ends_at"], slots=clean["slots"],
                skills=pack(clean["skills"], SkillChoice.values), briefing=clean["briefing"],
                deadline=clean["deadline"], audience=clean["audience"], team=team,
                audience_skill=clean["audience_skill"] or "", audience_place=audience_place,
                created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
                published_at=timezone.now())
    call.copy_levels(place)
    with transaction.atomic():
        call.save()
        record(actor, "call.create", call, {"title": call.title, "slots": call.slots,
                                            "audience": call.audience})
        publish(actor, call)
    return call


def publish(actor, call: Call) -> int:
    """Notify the call's audience (again: people already notified are not notified twice)."""
    require(actor, MANAGE, call)
    title, body = _call_text(call)
    url = reverse("volunteers_call", args=[call.id])
    users = list(audience(call).filter(user__isnull=False).values_list("user_id", flat=True))
    with transaction.atomic():
        n = _notify(actor, users, kind="volunteers.call", title=title, body=body, url=url,
                    place=call.place, key=f"volunteers.call:{call.id}")
        _announce(actor, call.community_place, kind="volunteers.call", title=title, body=body,
                  url=url)
        Call.objects.filter(pk=call.pk).update(notified=len(users))
        call.notified = len(users)
        record(actor, "call.publish", call, {"notified": len(users)})
    return n


def _clash(v: Volunteer, call: Call):
    return (Assignment.objects.filter(volunteer=v, status=Assignment.Status.CONFIRMED,
                                      starts_at__lt=call.ends_at, ends_at__gt=call.starts_at)
            .exclude(call_id=call.id).select_related("call").first())


def _clash_error(other: Assignment):
    start = timezone.localtime(other.starts_at)
    end = timezone.localtime(other.ends_at)
    return Conflict(_("You already hold “%(title)s” from %(start)s to %(end)s, which overlaps "
                      "this call. Cancel that one first if you want this one.") % {
        "title": other.call.title, "start": start.strftime("%m-%d %H:%M"),
        "end": end.strftime("%H:%M")}, code="clash")


def _locked_call(call_id) -> Call:
    return Call.objects.select_for_update().select_related("place").get(pk=call_id)


def _take_slot(call: Call, a: Assignment, via, now):
    a.status = Assignment.Status.CONFIRMED
    a.via = via
    a.confirmed_at = now
    call.confirmed += 1
    fields = ["confirmed"]
    if call.confirmed >= call.slots:
        call.status = Call.Status.FULL
        fields.append("status")
        if call.filled_at is None:
            call.filled_at = now
            fields.append("filled_at")
    call.save(update_fields=fields)


_TAKE_SLOT = """
UPDATE {t} SET confirmed = confirmed + 1,
  status = CASE WHEN confirmed + 1 >= slots THEN %s ELSE status END,
  filled_at = CASE WHEN confirmed + 1 >= slots THEN COALESCE(filled_at, %s) ELSE filled_at END
WHERE id = %s AND status IN (%s, %s) AND deadline > %s AND confirmed < slots
RETURNING confirmed"""
_TAKE_NUMBER = """
UPDATE {t} SET waitlist_seq = waitlist_seq + 1
WHERE id = %s AND status IN (%s, %s) AND deadline > %s AND confirmed >= slots
RETURNING waitlist_seq"""


def _answer(call_id, now, full_first: bool) -> tuple[str, int]:
    """Take a slot or a waitlist number with one conditional UPDATE of the call's counters
    (which locks its row until commit): ("confirmed", 0) or ("waitlisted", number)."""
    t = connection.ops.quote_name(Call._meta.db_table)
    S = Call.Status
    at = connection.ops.adapt_datetimefield_value(now)
    steps = [("confirmed", _TAKE_SLOT.format(t=t), [S.FULL, at, call_id, S.OPEN, S.FULL, at]),
             ("waitlisted", _TAKE_NUMBER.format(t=t), [call_id, S.OPEN, S.FULL, at])]
    if full_first:
        steps.reverse()
    with connection.cursor() as cur:
        for _attempt in range(5):  # a slot freed or taken between the two: try again
            for outcome, sql, params in steps:
                cur.execute(sql, params)
                row = cur.fetchone()
                if row is not None:
                    return outcome, (row[0] if outcome == "waitlisted" else 0)
            if not Call.objects.filter(pk=call_id, status__in=[S.OPEN, S.FULL], deadline__gt=now).exists():
                raise Conflict(_("This call is closed."), code="closed")
    raise Conflict(_("This call is closed."), code="closed")  # pragma: no cover


def hold_places(volunteer_id):
    """Lock the person's row until commit and bump `places_version`: every action that gives
    someone a place does this first, so a sign-up that read the old version retries."""
    Volunteer.objects.filter(pk=volunteer_id).update(places_version=F("places_version") + 1)


def _fetch_one(sql, params):
    """Run one statement and return its first row. On PostgreSQL it is a prepared statement
    (server-side binding): PostgreSQL plans it once per connection rather than on every
    answer, which costs more than running it. Logged and wrapped like Django's own queries."""
    from fangkong.core.db import prepared_cursor

    with prepared_cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


_UID = -7_654_321  # stands for the acting user's id in the cached SQL of `_read_answer`
_NOW = datetime.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)  # and for now
_READ_SQL: dict = {}
_READ_EXTRA = ["invited", "answer_id", "answer_status", "clash_id"]


def _read_answer(call: Call, uid, now):
    """One query, no lock: the acting user's approved volunteer record (None without one),
    with `invited` (the call is addressed to them), `answer_id`/`answer_status` (their
    answer to it) and `clash_id` (a confirmed place of theirs that overlaps it).

    Django spends more time building this query than PostgreSQL spends running it, so its
    SQL is built once per call and database (with stand-ins for the user and the time) and
    reused with the real ones filled in."""
    key = (connection.alias, call.pk, call.community_id, call.audience, call.team_id,
           call.audience_skill, call.audience_place_id, call.skills, call.starts_at, call.ends_at)
    made = _READ_SQL.get(key)
    if made is None:
        mine = Assignment.objects.filter(call_id=call.pk, volunteer=OuterRef("pk")).order_by()
        clash = (Assignment.objects.filter(volunteer=OuterRef("pk"), status=Assignment.Status.CONFIRMED,
                                           starts_at__lt=call.ends_at, ends_at__gt=call.starts_at)
                 .exclude(call_id=call.pk).order_by())
        qs = (Volunteer.objects.filter(user_id=_UID, status=Volunteer.Status.APPROVED).order_by()
              .annotate(invited=Exists(audience(call, now=_NOW).filter(pk=OuterRef("pk"))),
                        answer_id=Subquery(mine.values("id")[:1]),
                        answer_status=Subquery(mine.values("status")[:1]),
                        clash_id=Subquery(clash.values("id")[:1])))
        sql, params = qs.query.get_compiler(connection=connection).as_sql()
        at = connection.ops.adapt_datetimefield_value(_NOW)
        uids = [i for i, p in enumerate(params) if isinstance(p, int) and p == _UID]
        nows = [i for i, p in enumerate(params) if p is _NOW or (isinstance(p, type(at)) and p == at)]
        if len(uids) != 1:
            raise RuntimeError("the user's id must appear once in the answer's query")
        made = (sql, list(params), uids[0], nows)
        if len(_READ_SQL) > 500:
            _READ_SQL.clear()
        _READ_SQL[key] = made
    sql, params, uid_at, now_at = made
    params = list(params)
    params[uid_at] = uid
    at = connection.ops.adapt_datetimefield_value(now)
    for i in now_at:
        params[i] = at
    row = _fetch_one(sql, params)
    if row is None:
        return None
    names = [f.attname for f in Volunteer._meta.concrete_fields]
    v = Volunteer.from_db(connection.alias, names, row[:len(names)])
    for name, value in zip(_READ_EXTRA, row[len(names):], strict=True):
        setattr(v, name, value)
    return v


def _columns(obj, skip=()):
    """Column names, placeholders (cast to the column's type) and database values of a
    model instance's fields, for a raw INSERT … SELECT."""
    fields = [f for f in type(obj)._meta.concrete_fields if not f.primary_key and f.attname not in skip]
    return ([connection.ops.quote_name(f.column) for f in fields],
            [f"%s::{f.cast_db_type(connection)}" for f in fields],
            [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields])


_WRITE_PG = """
WITH v AS (
  UPDATE {vol} SET places_version = places_version + 1
  WHERE id = %s AND places_version = %s RETURNING places_version),
slot AS (
  UPDATE {call} SET confirmed = confirmed + 1,
    status = CASE WHEN confirmed + 1 >= slots THEN %s ELSE status END,
    filled_at = CASE WHEN confirmed + 1 >= slots THEN COALESCE(filled_at, %s) ELSE filled_at END
  WHERE id = %s AND status IN (%s, %s) AND deadline > %s AND confirmed < slots
    AND EXISTS (SELECT 1 FROM v)
  RETURNING %s::varchar AS status, 0 AS position),
wait AS (
  UPDATE {call} SET waitlist_seq = waitlist_seq + 1
  WHERE id = %s AND status IN (%s, %s) AND deadline > %s AND confirmed >= slots
    AND EXISTS (SELECT 1 FROM v) AND NOT EXISTS (SELECT 1 FROM slot)
  RETURNING %s::varchar AS status, waitlist_seq AS position),
took AS (SELECT status, position FROM slot UNION ALL SELECT status, position FROM wait),
ins AS (
  INSERT INTO {asg} ({a_cols}, status, position, signed_at, confirmed_at)
  SELECT {a_vals}, took.status, took.position, clock_timestamp(),
         CASE WHEN took.status = %s THEN clock_timestamp() END
  FROM took
  RETURNING id, status, position, signed_at, confirmed_at),
aud AS (
  INSERT INTO {aud} ({e_cols}, at, changes)
  SELECT {e_vals}, ins.signed_at,
         jsonb_build_object('volunteer', %s::text, 'status', ins.status, 'position', ins.position)
  FROM ins)
SELECT (SELECT places_version FROM v), ins.id, ins.status, ins.position, ins.signed_at, ins.confirmed_at
FROM (SELECT 1) AS one LEFT JOIN ins ON true"""


_WRITE_SQL: dict = {}


def _write_answer_pg(actor, call: Call, v: Volunteer, a: Assignment, version: int, now):
    """The answer as one autocommitted statement: bump the person's places_version (only if
    it is still the one read with the clash check), take a slot or else a waitlist number
    with a conditional UPDATE of the call's counters (which holds the call's row only until
    this statement commits), insert the assignment and its audit event. Returns
    (new version or None, assignment id or None, status, position, signed_at, confirmed_at).
    The statement and the call's part of its values are made once per call."""
    from fangkong.audit.models import AuditEvent

    key = (connection.alias, call.pk, call.title, call.starts_at, call.ends_at)
    made = _WRITE_SQL.get(key)
    if made is None:
        q = connection.ops.quote_name
        event = AuditEvent(action="call.sign_up", target_type="call", target_id=call.pk,
                           target_label=call.title[:200])
        for f in LEVEL_FIELDS:
            setattr(event, f, getattr(call, f, None))
        per_answer = {"status", "position", "signed_at", "confirmed_at", "volunteer_id"}
        a_cols, a_marks, a_vals = _columns(a, skip=per_answer)
        e_cols, e_marks, e_vals = _columns(event, skip={"at", "changes", "actor_id", "via", "ip"})
        sql = _WRITE_PG.format(vol=q(Volunteer._meta.db_table), call=q(Call._meta.db_table),
                               asg=q(Assignment._meta.db_table), aud=q(AuditEvent._meta.db_table),
                               a_cols=", ".join([*a_cols, "volunteer_id"]),
                               a_vals=", ".join([*a_marks, "%s::bigint"]),
                               e_cols=", ".join([*e_cols, "actor_id", "via", "ip"]),
                               e_vals=", ".join([*e_marks, "%s::bigint", "%s::varchar", "%s::inet"]))
        made = (sql, a_vals, e_vals)
        if len(_WRITE_SQL) > 500:
            _WRITE_SQL.clear()
        _WRITE_SQL[key] = made
    sql, a_vals, e_vals = made
    S, A = Call.Status, Assignment.Status
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    params = [v.pk, version,
              S.FULL, now, call.pk, S.OPEN, S.FULL, now, A.CONFIRMED,
              call.pk, S.OPEN, S.FULL, now, A.WAITLISTED,
              *a_vals, v.pk, A.CONFIRMED,
              *e_vals, user.pk if user else None, getattr(actor, "via", "web"), getattr(actor, "ip", None),
              v.name]
    return _fetch_one(sql, params)


def _write_answer(actor, call: Call, v: Volunteer, a: Assignment, version: int, now):
    """The same as `_write_answer_pg` in a transaction (SQLite runs one writer at a time)."""
    with transaction.atomic():
        if not Volunteer.objects.filter(pk=v.pk, places_version=version).update(
                places_version=F("places_version") + 1):
            return (None, None, None, None, None, None)
        outcome, number = _answer(call.pk, now, full_first=call.confirmed >= call.slots)
        a.signed_at = timezone.now()  # arrival: when the call's row was ours
        a.status, a.position = outcome, number
        a.confirmed_at = a.signed_at if outcome == Assignment.Status.CONFIRMED else None
        a.save()
        record(actor, "call.sign_up", call, {"volunteer": v.name, "status": outcome, "position": number},
               label=call.title)
    return (version + 1, a.pk, a.status, a.position, a.signed_at, a.confirmed_at)


def sign_up(actor, call: Call) -> Assignment:
    """The acting volunteer answers a call: confirmed while slots are free, otherwise on the
    waitlist in arrival order. Answering twice returns the same place.

    Two round trips on PostgreSQL: one read without locks (audience, an earlier answer, a
    clashing place, the person's `places_version`), then one statement that takes the slot
    or the waitlist number, inserts the assignment and its audit event, and commits — the
    call's row is held only while that statement runs. The counter can never pass the
    slots (the UPDATE's condition, and a CHECK constraint behind it); a person's answers
    cannot overlap (`places_version`). Answering again after cancelling, and every answer
    on SQLite, take the same steps inside one transaction."""
    uid = getattr(actor.user, "id", None)
    for _attempt in range(20):  # someone else changed this person's places meanwhile: read again
        now = timezone.now()
        v = _read_answer(call, uid, now) if uid is not None else None
        if v is None:
            raise Forbidden(_("Only approved volunteers can do this."))
        answered = v.answer_id is not None and v.answer_status != Assignment.Status.CANCELLED
        if not call.accepting:
            if answered:
                return Assignment.objects.select_related("call").get(pk=v.answer_id)
            raise Conflict(_("This call is closed."), code="closed")
        if not v.invited:  # the audience leaves out people kept home: say so
            kept = zone_queries.call_out_refusal(v.household_id, v.id_hash)
            if kept:
                raise Forbidden(kept, code="kept_home")
            raise Forbidden(_("This call is for other volunteers (%(who)s).") % {
                "who": call.get_audience_display()}, code="not_in_audience")
        if answered:
            return Assignment.objects.select_related("call").get(pk=v.answer_id)
        if v.clash_id is not None:
            raise _clash_error(Assignment.objects.select_related("call").get(pk=v.clash_id))
        if v.answer_id is not None:  # answering again after cancelling
            return _sign_up_again(actor, call, v)
        a = Assignment(call_id=call.pk, volunteer=v, via=Assignment.Via.SIGNUP,
                       starts_at=call.starts_at, ends_at=call.ends_at)
        a.copy_levels(call)
        write = _write_answer_pg if connection.vendor == "postgresql" else _write_answer
        version = v.places_version
        for _again in range(5):  # the last slot went while we waited: take a number instead
            try:
                with transaction.atomic() if connection.in_atomic_block else nullcontext():
                    row = write(actor, call, v, a, version, now)
            except IntegrityError:  # the same person answered at the same instant
                row = (None,) * 6
            if row[0] is None or row[1] is not None:
                break
            version = row[0]
            if not Call.objects.filter(pk=call.pk, status__in=[Call.Status.OPEN, Call.Status.FULL],
                                       deadline__gt=now).exists():
                raise Conflict(_("This call is closed."), code="closed")
            now = timezone.now()
        if row[1] is None:
            continue
        a.pk, a.status, a.position, a.signed_at, a.confirmed_at = row[1:]
        a.call = call
        return a
    raise Conflict(_("Too many answers at once: try again."), code="busy")  # pragma: no cover


def _sign_up_again(actor, call: Call, v: Volunteer) -> Assignment:
    """Answer again after cancelling: the cancelled row is reused, under the locks."""
    with transaction.atomic():
        hold_places(v.pk)
        existing, other = None, None
        for row in (Assignment.objects.filter(volunteer=v).filter(
                Q(call_id=call.pk) | Q(status=Assignment.Status.CONFIRMED,
                                       starts_at__lt=call.ends_at, ends_at__gt=call.starts_at))
                .select_related("call")):
            if row.call_id == call.pk:
                existing = row
            elif other is None:
                other = row
        if existing and existing.status != Assignment.Status.CANCELLED:
            return existing
        if other is not None:
            raise _clash_error(other)
        now = timezone.now()
        outcome, number = _answer(call.pk, now, full_first=call.confirmed >= call.slots)
        a = existing or Assignment(call_id=call.pk, volunteer=v)
        a.copy_levels(call)
        a.starts_at, a.ends_at = call.starts_at, call.ends_at
        a.signed_at = now = timezone.now()  # arrival: when the call's row was ours
        a.cancelled_at = None
        a.status, a.via, a.position = outcome, Assignment.Via.SIGNUP, number
        a.confirmed_at = now if outcome == Assignment.Status.CONFIRMED else None
        a.save()
        record(actor, "call.sign_up", call, {"volunteer": v.name, "status": outcome, "position": number},
               label=call.title)
    return a


def _promote(actor, call: Call, now) -> list[Assignment]:
    """Fill free slots from the waitlist in arrival order (skipping people who now hold an
    overlapping assignment). The call row must be locked by the caller."""
    promoted = []
    while call.confirmed < call.slots:
        nxt = None
        for cand in (Assignment.objects.select_related("volunteer")
                     .filter(call=call, status=Assignment.Status.WAITLISTED)
                     .order_by("position", "id")[:50]):
            hold_places(cand.volunteer_id)  # their own answers wait (see places_version)
            if _clash(cand.volunteer, call) is None:
                nxt = cand
                break
        if nxt is None:
            break
        _take_slot(call, nxt, Assignment.Via.PROMOTED, now)
        nxt.position = 0
        nxt.save()
        promoted.append(nxt)
        record(actor, "call.promote", call, {"volunteer": nxt.volunteer.name}, label=call.title)
    if promoted:
        users = [a.volunteer.user_id for a in promoted if a.volunteer.user_id]
        url = reverse("volunteers_call", args=[call.id])
        title = _("You have a place: %(title)s") % {"title": call.title}
        body = _call_text(call)[1]
        _notify(actor, users, kind="volunteers.promoted", title=title, body=body, url=url,
                place=call.place, key=f"volunteers.promoted:{call.id}:{now.timestamp()}")
    return promoted


def cancel(actor, a: Assignment, reason="") -> Assignment:
    """A volunteer gives up their place (or their waitlist place); staff may cancel anyone's.
    The first person on the waitlist is promoted into a freed slot."""
    own = a.volunteer.user_id is not None and a.volunteer.user_id == getattr(actor.user, "id", None)
    if not own:
        require(actor, MANAGE, a)
    reason = bounded(reason, limit_of(Assignment, "correction_reason"), "reason")
    now = timezone.now()
    with transaction.atomic():
        call = _locked_call(a.call_id)
        a = Assignment.objects.select_related("volunteer").get(pk=a.pk)
        if a.status == Assignment.Status.CANCELLED:
            return a
        if a.check_in_at is not None:
            raise Conflict(_("You have already checked in; check out instead."), code="checked_in")
        if now >= call.ends_at:
            raise Conflict(_("This call is over."), code="closed")
        was = a.status
        a.status = Assignment.Status.CANCELLED
        a.cancelled_at = now
        a.save(update_fields=["status", "cancelled_at"])
        if was == Assignment.Status.CONFIRMED:
            call.confirmed -= 1
            fields = ["confirmed"]
            if call.status == Call.Status.FULL:
                call.status = Call.Status.OPEN
                fields.append("status")
            call.save(update_fields=fields)
            if call.accepting or now < call.starts_at:
                _promote(actor, call, now)
        record(actor, "call.cancel", call, {"volunteer": a.volunteer.name, "was": was,
                                            "by": "self" if own else "staff",
                                            "reason": reason}, label=call.title)
    return a


def leads_team_of(actor, call: Call) -> bool:
    """Is the actor the leader of the team the call is for?"""
    uid = getattr(actor.user, "id", None)
    return bool(uid and call.team_id and Team.objects.filter(
        pk=call.team_id, leader__user_id=uid, leader__status=Volunteer.Status.APPROVED).exists())


def assign(actor, call: Call, v: Volunteer) -> Assignment:
    """The organiser puts a volunteer straight onto a call (never over its slots); a team
    leader may put members of their team onto the team's calls."""
    if leads_team_of(actor, call):
        if not TeamMember.objects.filter(team_id=call.team_id, volunteer=v).exists():
            raise Invalid(fields={"volunteer": [_("Only members of the team can be assigned to its calls.")]})
    else:
        require(actor, MANAGE, call)
    now = timezone.now()
    eligible = v.status == Volunteer.Status.APPROVED and (
        v.community_id == call.community_id
        or Loan.objects.filter(volunteer=v, to_community_id=call.community_id, until__gt=now,
                               ended_at=None).exists())
    if not eligible:
        raise Invalid(fields={"volunteer": [_("Only approved volunteers of the community (or lent to it) can be assigned.")]})
    kept = zone_queries.call_out_refusal(v.household_id, v.id_hash)
    if kept:
        raise Invalid(fields={"volunteer": [f"{v.name}: {kept}"]}, code="kept_home")
    with transaction.atomic():
        call = _locked_call(call.pk)
        if call.state in (Call.Status.CLOSED, Call.Status.CANCELLED) and now >= call.ends_at:
            raise Conflict(_("This call is over."), code="closed")
        a = Assignment.objects.filter(call=call, volunteer=v).first()
        if a and a.status == Assignment.Status.CONFIRMED:
            return a
        if call.confirmed >= call.slots:
            raise Conflict(_("All %(n)d places are taken. Raise the number of people needed or "
                             "cancel someone first.") % {"n": call.slots}, code="full")
        hold_places(v.pk)
        other = _clash(v, call)
        if other is not None:
            start = timezone.localtime(other.starts_at)
            raise Conflict(_("%(name)s already holds “%(title)s” at %(start)s, which overlaps this call.")
                           % {"name": v.name, "title": other.call.title,
                              "start": start.strftime("%m-%d %H:%M")}, code="clash")
        a = a or Assignment(call=call, volunteer=v)
        a.copy_levels(call)
        a.starts_at, a.ends_at = call.starts_at, call.ends_at
        a.cancelled_at = None
        a.position = 0
        _take_slot(call, a, Assignment.Via.ASSIGNED, now)
        a.save()
        record(actor, "call.assign", call, {"volunteer": v.name}, label=call.title)
        if v.user_id:
            title = _("You are assigned: %(title)s") % {"title": call.title}
            body = _call_text(call)[1]
            _notify(actor, [v.user_id], kind="volunteers.assigned", title=title, body=body,
                    url=reverse("volunteers_call", args=[call.id]), place=call.place,
                    key=f"volunteers.assigned:{call.id}:{v.id}:{now.timestamp()}")
    return a


def set_slots(actor, call: Call, slots) -> Call:
    """Change the number of people needed; never below those already confirmed. More
    slots are filled from the waitlist at once."""
    require(actor, MANAGE, call)
    try:
        slots = int(slots)
        if not 1 <= slots <= checks.MAX_SLOTS:
            raise ValueError
    except (TypeError, ValueError):
        raise Invalid(fields={"slots": [_("Enter how many people are needed (1 to %(n)d).")
                                        % {"n": checks.MAX_SLOTS}]}) from None
    now = timezone.now()
    with transaction.atomic():
        call = _locked_call(call.pk)
        if slots < call.confirmed:
            raise Invalid(fields={"slots": [_("%(n)d people are already confirmed; cancel some first.")
                                            % {"n": call.confirmed}]})
        before = call.slots
        call.slots = slots
        if call.status in (Call.Status.OPEN, Call.Status.FULL):
            call.status = Call.Status.FULL if call.confirmed >= slots else Call.Status.OPEN
        call.save(update_fields=["slots", "status"])
        _promote(actor, call, now)
        record(actor, "call.slots", call, {"slots": [before, slots]})
    return call


def close_call(actor, call: Call, *, cancel_call=False) -> Call:
    require(actor, MANAGE, call)
    with transaction.atomic():
        call = _locked_call(call.pk)
        before = call.status
        call.status = Call.Status.CANCELLED if cancel_call else Call.Status.CLOSED
        call.save(update_fields=["status"])
        record(actor, "call.cancel_call" if cancel_call else "call.close", call,
               {"status": [before, call.status]})
    return call


def record_export(actor, community: Place, dimension: str, rows: int):
    """An hours export names people: one audit event per export."""
    require(actor, VIEW, community)
    record(actor, "volunteers.export_hours", community, {"by": dimension, "rows": rows},
           label=community.name)


def record_phone_view(actor, volunteers, where: str):
    """A page or API answer showed these volunteers' phones in clear: one audit event."""
    record_shown(actor, "volunteer.view_phones", where, [v for v in volunteers if v.phone],
                 "volunteers")


# The on-the-day actions (check-in and -out, attendance, corrections) live in attendance.py.
from .attendance import check_in, check_out, confirm_attendance, correct_minutes, leads, leads_user  # noqa: E402, F401, I001
