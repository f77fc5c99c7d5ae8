"""Becoming a volunteer: the community's registration link, one-time phone codes (to
register and to log in), registration, approval or rejection, lending a volunteer to
another community. Only a code's hash is kept; a registration is audited with the phone
and ID number masked."""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.accounts.usernames import new_username
from fangkong.audit.actions import record, record_shown
from fangkong.core import pii
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.registry.models import Household, Kind, Place

from .. import checks
from ..access import MANAGE, area_refusal, require
from ..models import Assignment, JoinLink, Loan, PhoneCode, Volunteer, pack
from ..models import Day as DayChoice
from ..models import Skill as SkillChoice
from .answers import cancel
from .notices import notify_users

CODE_TTL = datetime.timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODE_GAP = datetime.timedelta(seconds=60)  # at most one code a minute per phone
CODES_PER_HOUR = 5
CODES_PER_IP_HOUR = 20  # texts sent per client address an hour (setting FANGKONG_VOLUNTEER_CODES_PER_IP_HOUR)


def join_link(actor, community: Place) -> JoinLink:
    """The community's registration link, made on first use."""
    require(actor, MANAGE, community)
    if community.kind != Kind.COMMUNITY:
        raise Invalid(fields={"place": [_("Volunteers register with a community.")]})
    link, created = JoinLink.objects.get_or_create(place=community)
    if created:
        record(actor, "volunteers.join_link", community, label=community.name)
    return link


PENDING_NOTICE_HOURS = 6


def code_hash(phone, purpose, code) -> str:
    return pii.lookup_hash(f"phonecode:{purpose}:{phone}:{code}")


def deliver_code(phone: str, code: str, purpose: str, place=None):
    """Send a code by text message through the personal notification channels."""
    from fangkong.notify.actions import notify_phone

    # in the requester's language (the active one): they are the reader
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
        # Say the same as for a sent code: nobody learns which phones are registered. A
        # registration still waiting is told so on its own phone (`tell_pending`), never here.
        tell_pending(phone, now)
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
    pc = PhoneCode.objects.create(phone=phone, purpose=purpose, code_hash=code_hash(phone, purpose, code),
                                  expires_at=now + CODE_TTL, ip=ip)
    deliver_code(phone, code, purpose, place)
    return pc


PENDING_NOTICE = "volunteers.pending_login"


def tell_pending(phone: str, now) -> bool:
    """Someone asks for a login code for a phone whose registration waits for approval: the
    phone (only whoever holds it reads it) gets a text saying so and what to do, instead of a
    code; the page answers as for any phone, so nobody learns from it who is registered. At
    most one such text per phone in `PENDING_NOTICE_HOURS` hours (asking again sends
    nothing, and still says the same), so it cannot be used to bombard a phone."""
    from fangkong.notify.models import Delivery

    v = Volunteer.objects.filter(phone=phone, status=Volunteer.Status.PENDING).first()
    if v is None or Delivery.objects.filter(
            kind=PENDING_NOTICE, target=phone,
            created_at__gte=now - datetime.timedelta(hours=PENDING_NOTICE_HOURS)).exists():
        return False
    from fangkong.notify.actions import notify_phone
    from fangkong.registry.models import Place

    community = Place.objects.filter(pk=v.community_id).first()
    name = community.name if community is not None else ""
    # in the requester's language (the active one): they are the reader
    notify_phone(phone, kind=PENDING_NOTICE, title=_("Fangkong: registration waiting"),
                 body=_("Your registration as a volunteer of %(community)s is waiting for the "
                        "community's approval, so no login code was sent. You can log in once it "
                        "is approved; to hurry it, call the community office.") % {"community": name},
                 place=community)
    return True


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
    if not secrets.compare_digest(pc.code_hash, code_hash(phone, purpose, code)):
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
    approval again) from its own phone, an approved one, one in another community or one
    found by its ID number under another phone is refused with a clear message. The phone
    must be proved with the code sent to it."""
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
        if v.phone != clean["phone"]:
            # found by the ID number with another phone: whoever holds that phone registered
            # it; someone who only knows the number must not take the registration over
            raise Conflict(_("This ID number is already registered with another phone. Ask the "
                             "community office to change the phone."), code="other_phone")
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
            user = account_actions.create_user(actor, new_username("vol"), None, place=community,
                                               display_name=v.name,
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
        body, url = approval_text(v)
        notify_users(actor, [user.id], kind="volunteers.approved",
                title=lambda: _("You are approved as a volunteer"),
                body=body, url=url, place=community, key=f"volunteers.approved:{v.id}")
    return v


def approval_text(v: Volunteer):
    """(body, link) of the approval message: the calls open now that she can answer (one
    approved at night learns of the urgent call published before: those calls were texted
    before she was called), and a link that logs her in with a text code and opens that
    call — or her home, which lists them, when there are several or none."""
    from fangkong.core.when import short_time

    from ..access import in_audience
    from ..models import Call

    now = timezone.now()
    open_now = [c for c in Call.objects.filter(
        community_id=v.community_id, status__in=[Call.Status.OPEN, Call.Status.FULL], deadline__gt=now)
        .select_related("place").order_by("starts_at", "id")[:20] if in_audience(c, v)][:5]
    target = reverse("volunteers_call", args=[open_now[0].id]) if len(open_now) == 1 else reverse("volunteers_home")
    url = reverse("volunteers_login") + "?next=" + target
    calls = [(c.title, c.place.name, c.starts_at, c.deadline) for c in open_now]

    def body():
        text = _("Thank you. Calls for volunteers will reach you here; log in with your phone and a "
                 "text code.")
        if calls:
            text += "\n" + _("Open now, you can answer:") + "\n" + "\n".join(
                _("%(title)s at %(place)s, %(start)s (answer by %(deadline)s)") % {
                    "title": t, "place": p, "start": short_time(s), "deadline": short_time(d)}
                for t, p, s, d in calls)
        return text

    return body, url


def reject(actor, v: Volunteer, reason) -> Volunteer:
    """Reject a registration, or withdraw an approval: the volunteer role goes, and with it
    everything it carried (`accounts.actions_endings.end_stale`: their sampling tables and
    door-to-door work, teams and leadership, places on calls still to come — which go to
    the waitlist —, runs and requests given to them); `v.ended` says what, in the actor's
    words (the confirm step said it first: `ends_with_withdrawal`)."""
    require(actor, MANAGE, v)
    reason = checks.check_reason(reason)
    v.ended = []
    with transaction.atomic():
        before = v.status
        v.status = Volunteer.Status.REJECTED
        v.reason = reason
        v.decided_by = actor.user if getattr(actor.user, "is_authenticated", False) else None
        v.decided_at = v.updated_at = timezone.now()
        v.save()
        if v.user_id:
            from fangkong.accounts.actions_endings import end_stale
            from fangkong.accounts.models import Membership

            v.ended = end_stale(actor, v.user, reason=reason)
            for m in Membership.objects.filter(user_id=v.user_id, role=Role.VOLUNTEER, is_active=True):
                account_actions.revoke_membership(actor, m.id, reason=reason)
        # Approval withdrawn: their places on calls still to come go to the waitlist (an
        # account-less registration has none; the endings above took the others).
        for a in Assignment.objects.filter(volunteer=v, ends_at__gt=timezone.now(), check_in_at=None).exclude(
                status=Assignment.Status.CANCELLED).select_related("volunteer"):
            cancel(actor, a, reason)
        record(actor, "volunteer.reject", v, {"status": [before, "rejected"], "reason": reason,
                                              "ended": len(v.ended)})
    return v


def ends_with_withdrawal(v: Volunteer) -> list[str]:
    """What withdrawing `v`'s approval would end (the confirm step's list): what their
    volunteer roles carried (`accounts.actions_endings.what_ends`)."""
    if not v.user_id:
        return []
    from fangkong.accounts.actions_endings import what_ends
    from fangkong.accounts.models import Membership

    ids = Membership.objects.filter(user_id=v.user_id, role=Role.VOLUNTEER, is_active=True).values_list("id", flat=True)
    return what_ends(v.user, list(ids), withdrawn=True)


def lend(actor, v: Volunteer, to_community: Place, until) -> Loan:
    """Lend an approved volunteer to another community until `until` (they may answer its
    calls, and its staff may assign them); they stay a member of their own community."""
    require(actor, MANAGE, v)
    if v.status != Volunteer.Status.APPROVED:
        raise Invalid(fields={"volunteer": [_("Only approved volunteers can be lent.")]})
    if to_community.kind != Kind.COMMUNITY or to_community.id == v.community_id:
        raise Invalid(fields={"to_community": [_("Choose another community.")]})
    kept = area_refusal(v)  # 管控区 人不出区, 封控区: never lent out of the area
    if kept:
        raise Invalid(fields={"to_community": [kept]}, code="kept_in_area")
    if not isinstance(until, datetime.datetime):
        until = checks.parse_when(until, "until", errors := {}, _("the end of the loan"))
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


def record_phone_view(actor, volunteers, where: str):
    """A page or API answer showed these volunteers' phones in clear: one audit event."""
    record_shown(actor, "volunteer.view_phones", where, [v for v in volunteers if v.phone],
                 "volunteers")
