"""Volunteers over JSON (/api/v1/volunteers/…): calls, sign-up, cancel, check-in/out, a
volunteer's own tasks, and the staff's approvals. Thin glue over `queries` and `actions`
(the pages call the same), so scoping and errors are the pages': a call or person outside
the user's reach is a 404 with the body of a missing one, a visible one the role may not
change is a 403, bad values are a 400 with messages per field.

Registration (`POST /volunteers/join/{token}/code` with {"phone"}, then `POST
/volunteers/join/{token}` with the form's fields and the code) needs no account: the token
is the one in the community's poster link. Like the other public routes these two are left
out of the OpenAPI schema (the security table treats "public" and "not in the schema" as
one); their bodies are `PhoneIn` and `RegistrationIn` in schemas.py.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from fangkong.accounts.roles import Perm
from fangkong.core.actor import actor_of
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.paging import page_of
from fangkong.core.shedding import check_rate

from . import queries
from .actions import answers, attendance, call_news, calls, registration, settle
from .models import Assignment, PhoneCode, Volunteer
from .schemas import (
    AssignIn,
    AssignmentOut,
    AttendIn,
    CallChangeIn,
    CallDetail,
    CallIn,
    CallOut,
    CheckOutIn,
    JoinLinkOut,
    MessageIn,
    PhoneIn,
    ReasonIn,
    RefillIn,
    RefillOut,
    RegistrationIn,
    RegistrationOut,
    Sent,
    SettleIn,
    TokenIn,
    Told,
    UnsettledOut,
    VolunteerOut,
    VolunteerPage,
)

router = Router(tags=["volunteers"])


def call_out(c, mine: Assignment | None = None) -> dict:
    ttf = c.time_to_fill
    return {
        "id": c.id, "community": c.community_id, "place": c.place_id, "place_name": c.place.name,
        "task": c.task, "title": c.title, "starts_at": c.starts_at, "ends_at": c.ends_at,
        "deadline": c.deadline, "slots": c.slots, "confirmed": c.confirmed, "status": c.state,
        "cancel_reason": c.cancel_reason, "released": getattr(c, "released", []),
        "skills": c.skill_list, "briefing": c.briefing, "audience": c.audience, "team": c.team_id,
        "published_at": c.published_at, "filled_at": c.filled_at,
        "time_to_fill_seconds": int(ttf.total_seconds()) if ttf is not None else None,
        "notified": c.notified, "my_status": mine.status if mine else None,
    }


def assignment_out(a: Assignment) -> dict:
    return {
        "id": a.id, "call": a.call_id, "call_title": a.call.title, "volunteer": a.volunteer_id,
        "volunteer_name": a.volunteer.name, "status": a.status, "via": a.via,
        "waitlist_rank": queries.waitlist_rank(a), "starts_at": a.starts_at, "ends_at": a.ends_at,
        "check_in_at": a.check_in_at, "check_out_at": a.check_out_at,
        "late_minutes": a.late_minutes, "minutes": a.minutes,
        "state": a.state if a.status == Assignment.Status.CONFIRMED else "", "settled_at": a.settled_at,
    }


def volunteer_out(v: Volunteer) -> dict:
    lent = getattr(v, "lent_until", None)
    return {
        "id": v.id, "name": v.name, "phone": v.phone, "id_number": v.id_masked,
        "community": v.community_id, "status": v.status, "work_unit": v.work_unit,
        "party_member": v.party_member, "party_branch": v.party_branch, "skills": v.skill_list,
        "days": v.day_list, "hours": v.hours, "reason": v.reason, "created_at": v.created_at,
        # lent in (`queries.volunteer_list`): until when and from where, as the people page says it
        "lent_until": lent, "lent_from": (getattr(v, "lent_from", "") or "") if lent else "",
    }


# --- calls -------------------------------------------------------------------------

@router.get("/volunteers/calls", response=list[CallOut])
def call_list(request, community: int | None = None):
    """Staff: the calls of `community` (or of every community they see). A volunteer: the
    calls open to them now."""
    scope = request.scope
    me = queries.me(scope)
    if community is not None or scope.has(Perm.VOLUNTEERS_VIEW):
        c = queries.get_community(scope, community) if community is not None else None
        return [call_out(x) for x in queries.calls(scope, c)[:200]]
    if me is None:
        raise NotFound()
    mine = {a.call_id: a for a in Assignment.objects.filter(volunteer=me)}
    return [call_out(c, mine.get(c.id)) for c in queries.open_calls_for(me)]


@router.post("/volunteers/calls", response={201: CallOut})
def call_create(request, payload: CallIn):
    community = queries.get_community(request.scope, payload.community)
    data = payload.dict(exclude={"community"})
    call = calls.create_call(actor_of(request), community, data)
    return Status(201, call_out(call))


@router.get("/volunteers/calls/{call_id}", response=CallDetail)
def call_detail(request, call_id: int):
    scope = request.scope
    call = queries.get_call(scope, call_id)
    me = queries.me(scope)
    mine = Assignment.objects.filter(call=call, volunteer=me).first() if me else None
    out = call_out(call, mine)
    roster, _team_part = queries.roster_for(scope, call)  # a leader of another team: their members
    if roster is not None:
        out["confirmed_people"] = [assignment_out(a) for a in roster["confirmed"]]
        out["waitlist"] = [assignment_out(a) for a in roster["waitlisted"]]
        counted = queries.arrivals(roster["confirmed"])  # the call page's "已到 16 / 应到 20 · 未到 4"
        out["checked_in"], out["not_arrived"] = counted["arrived"], counted["missing"]
    return out


@router.post("/volunteers/calls/{call_id}/signup", response=AssignmentOut)
def call_sign_up(request, call_id: int):
    """Answer a call: `confirmed` while slots are free, else `waitlisted` (with its rank).
    Sending it again returns the same answer."""
    call = queries.get_call(request.scope, call_id)
    return assignment_out(answers.sign_up(actor_of(request), call))


@router.post("/volunteers/calls/{call_id}/cancel", response=AssignmentOut)
def call_cancel(request, call_id: int):
    """Give up your own place (or waitlist place) on a call."""
    call = queries.get_call(request.scope, call_id)
    me = queries.me(request.scope)
    a = Assignment.objects.filter(call=call, volunteer=me).select_related("call", "volunteer").first() if me else None
    if a is None:
        raise NotFound()
    return assignment_out(answers.cancel(actor_of(request), a))


@router.post("/volunteers/calls/{call_id}/assign", response=AssignmentOut, description=(
    "Put a volunteer straight onto the call. Someone without the call's required skills answers "
    "409 `untrained` (naming the skills) unless `confirm` is true; the call's page then counts "
    "them among those without the skill."))
def call_assign(request, call_id: int, payload: AssignIn):
    call = queries.get_call(request.scope, call_id)
    v = queries.get_assignable(request.scope, call, payload.volunteer)
    return assignment_out(calls.assign(actor_of(request), call, v, confirm=payload.confirm))


@router.post("/volunteers/calls/{call_id}/cancel-call", response=CallOut, description=(
    "Staff call the call off with a `reason`: the places not checked in to are cancelled and "
    "everyone who answered (confirmed and waiting) is told why, in their language (inbox and "
    "text). Sent again, the cancelled call answers and nobody is told twice."))
def call_cancel_call(request, call_id: int, payload: ReasonIn):
    call = queries.get_call(request.scope, call_id)
    return call_out(call_news.cancel_call(actor_of(request), call, payload.reason))


@router.post("/volunteers/calls/{call_id}/change", response=CallOut, description=(
    "Staff move the call: `starts_at`, `ends_at`, `place` (each left out stays), `deadline` "
    "(left out: the new start), checked as a new call is (400 naming the field). The places "
    "taken follow it and everyone who answered is told the new time and place and the old; "
    "sent again unchanged, nothing happens. A confirmed person the move makes overlap another "
    "of their places or a sampling table: 409 `moved_clash` naming them, unless `confirm` is "
    "true; then their place goes back to the waitlist, they are told why, and `released` says "
    "who and why."))
def call_change(request, call_id: int, payload: CallChangeIn):
    call = queries.get_call(request.scope, call_id)
    data = payload.dict()
    confirm = bool(data.pop("confirm", False))
    return call_out(call_news.change_call(actor_of(request), call, data, confirm=confirm)[0])


@router.post("/volunteers/calls/{call_id}/message", response=Told, description=(
    "Staff send everyone who answered the call (confirmed and waiting) a message, in the inbox "
    "and by text. Sent again with the same `client_id` (or the same text) nobody is told twice "
    "(`notified` 0). 409 `nobody` when nobody has answered, `cancelled` on a cancelled call."))
def call_message(request, call_id: int, payload: MessageIn):
    call = queries.get_call(request.scope, call_id)
    return {"notified": call_news.message_call(actor_of(request), call, payload.text, payload.client_id)}


@router.post("/volunteers/calls/{call_id}/refill", response=RefillOut, description=(
    "Staff call `add` more people (补充召集), also once sign-up has closed or the call has begun, "
    "until its end: the number needed grows, sign-up opens again until the call's end, the waitlist "
    "fills the new places first (`skipped`: who was passed over for a clash), and the volunteers "
    "of the call's audience who have not answered it and are free for it (no overlapping place or "
    "sampling table, not kept home) are told at once (`told`). Send `from_slots`, the number "
    "needed as you saw it: sent again after it was done, nothing more is added or told "
    "(`repeated`); changed meanwhile, 409 `changed`. 409 `closed` once the call is over, "
    "`cancelled` on a cancelled call."))
def call_refill(request, call_id: int, payload: RefillIn):
    call = queries.get_call(request.scope, call_id)
    c = calls.refill(actor_of(request), call, payload.add, from_slots=payload.from_slots)
    return {**call_out(c), "told": c.told, "skipped": c.skipped, "repeated": c.repeated}


@router.post("/volunteers/checkin", response=AssignmentOut)
def check_in(request, payload: TokenIn):
    """Check in with the token of the call's QR (`…/volunteers/scan/<token>/`)."""
    return assignment_out(attendance.check_in(actor_of(request), payload.token))


@router.post("/volunteers/checkout", response=AssignmentOut, description=(
    f"Check out now. Less than {settings.FANGKONG_CHECK_OUT_CONFIRM_MINUTES} minutes after the "
    "check-in it answers 409 `check_out_soon`, and crediting more than the shift 409 `long_credit` "
    "(ask the person), unless `confirm` is true. The credit ends at your check-in on another call "
    "if that came first: no hours are counted twice."))
def check_out(request, payload: CheckOutIn):
    return assignment_out(attendance.check_out(actor_of(request), payload.token, confirm=payload.confirm))


@router.post("/volunteers/assignments/{assignment_id}/attend", response=AssignmentOut, description=(
    "A team leader (of the call's team, or of the person's) or the community's staff confirm "
    "that someone came: `check_in_at` (when they arrived; default now) and/or `check_out_at`. "
    "Never in the future; an arrival not more than an hour before the start nor after the "
    "end nor before the person was given the place (`confirmed_at`, else `signed_at`), a check-out after the arrival and within six hours of the end: 400 saying which. "
    "`check_out_now` instead of a `check_out_at` checks out at the default: now, or the shift's "
    "end once it is over. The credit never runs past the person's check-in on another call. "
    f"A check-out less than {settings.FANGKONG_CHECK_OUT_CONFIRM_MINUTES} minutes after the "
    "check-in answers 409 `check_out_soon`, one crediting more than the shift 409 `long_credit`, "
    "unless `confirm` is true. Times already recorded "
    "stay; staff correct the hours instead. Nobody confirms their own place (a leader or staff "
    "member on the call too): 403 `own_attendance`; a volunteer's own record is the check-in by "
    "the call's QR (`/volunteers/checkin`)."))
def attend(request, assignment_id: int, payload: AttendIn):
    a = queries.get_assignment(request.scope, assignment_id)
    return assignment_out(attendance.confirm_attendance(
        actor_of(request), a, payload.check_in_at, payload.check_out_at, confirm=payload.confirm,
        out_now=payload.check_out_now))


@router.post("/volunteers/assignments/{assignment_id}/undo-check-in", response=AssignmentOut, description=(
    f"Undo a check-in confirmed by mistake, within {int(attendance.UNDO_CHECK_IN.total_seconds() // 60)} "
    "minutes of when it was recorded and before any check-out (409 `undo_too_late` after: staff "
    "correct the hours instead). Who may confirm it may undo it; audited."))
def undo_check_in(request, assignment_id: int):
    a = queries.get_assignment(request.scope, assignment_id)
    return assignment_out(attendance.undo_check_in(actor_of(request), a))


@router.get("/volunteers/communities/{community_id}/unsettled", response=list[UnsettledOut], description=(
    "The places to settle after their shift (待核定), newest call first: `absent` (nobody checked "
    "in), `open` (never checked out), `long` (credited longer than the shift); `call` narrows it "
    "to one call."))
def unsettled(request, community_id: int, call: int | None = None):
    c = queries.get_community(request.scope, community_id)
    one = queries.get_call(request.scope, call) if call is not None else None
    if one is not None and one.community_id != c.id:
        raise NotFound()
    return [dict(assignment_out(a), why=a.why) for a in queries.unsettled(request.scope, c, call=one)]


@router.post("/volunteers/assignments/{assignment_id}/settle", response=AssignmentOut, description=(
    "Staff settle a place after its shift: `check_out_at` (and `check_in_at` when nobody checked "
    "in) — a check-out recorded is replaced, checked as confirming attendance is; crediting more "
    "than the shift answers 409 `long_credit` unless `confirm` — or `absent`: did not come. 409 "
    "`not_over` before the shift ends, `corrected` once staff corrected the hours."))
def settle_one(request, assignment_id: int, payload: SettleIn):
    a = queries.get_assignment(request.scope, assignment_id)
    if payload.absent:
        return assignment_out(settle.mark_absent(actor_of(request), a))
    return assignment_out(settle.settle(actor_of(request), a, payload.check_in_at, payload.check_out_at,
                                        confirm=payload.confirm))


@router.get("/volunteers/me/tasks", response=list[AssignmentOut])
def my_tasks(request, upcoming: bool | None = None):
    """Your own assignments (not cancelled), newest first; `upcoming=true` for those not
    yet over, soonest first."""
    me = queries.me(request.scope)
    if me is None:
        raise NotFound()
    return [assignment_out(a) for a in queries.my_assignments(me, upcoming=upcoming)[:500]]


# --- people (staff) -------------------------------------------------------------------

@router.get("/volunteers/people", response=VolunteerPage)
def people(request, community: int, status: str | None = None, q: str = "",
           page: int = Query(1, ge=1, le=1_000_000), page_size: int | None = Query(None, ge=1)):
    if q:
        check_rate(request, "search")
    c = queries.get_community(request.scope, community)
    if status is not None and status not in Volunteer.Status.values:
        raise Invalid(fields={"status": [_("Unknown status.")]})
    qs = queries.volunteer_list(request.scope, c, status=status, q=q)
    count, size, rows = page_of(qs, page, page_size)
    registration.record_phone_view(actor_of(request), rows, f"api volunteers:{c.id} page {page}")
    return {"count": count, "page": page, "page_size": size,
            "results": [volunteer_out(v) for v in queries.with_hours(list(rows))]}


@router.post("/volunteers/people/{volunteer_id}/approve", response=VolunteerOut)
def approve(request, volunteer_id: int):
    v = queries.get_volunteer(request.scope, volunteer_id, lent=False)
    return volunteer_out(registration.approve(actor_of(request), v))


@router.post("/volunteers/people/{volunteer_id}/reject", response=VolunteerOut)
def reject(request, volunteer_id: int, payload: ReasonIn):
    v = queries.get_volunteer(request.scope, volunteer_id, lent=False)
    return volunteer_out(registration.reject(actor_of(request), v, payload.reason))


@router.get("/volunteers/communities/{community_id}/join-link", response=JoinLinkOut)
def join_link(request, community_id: int):
    """The community's volunteer registration link (报到), as on its poster: made on first
    use. Staff who manage the community's volunteers only."""
    from django.urls import reverse

    c = queries.get_community(request.scope, community_id)
    link = registration.join_link(actor_of(request), c)
    return {"community": c.id, "token": link.token,
            "url": request.build_absolute_uri(reverse("volunteers_join", args=[link.token])),
            "register_api": f"/api/v1/volunteers/join/{link.token}"}


# --- registration (no account) ----------------------------------------------------------

@router.post("/volunteers/join/{token}/code", response=Sent, auth=None)
def join_code(request, token: str, payload: PhoneIn):
    """Public (no account): send a one-time code by text to the phone that registers (once
    a minute and 5 an hour per phone; 20 an hour per client address)."""
    link = queries.get_join_link(token)
    registration.send_code(actor_of(request), payload.phone, PhoneCode.Purpose.REGISTER, place=link.place)
    return {"sent": True}


@router.post("/volunteers/join/{token}", response={201: RegistrationOut, 200: RegistrationOut},
             auth=None)
def join(request, token: str, payload: RegistrationIn):
    """Public (no account): register with the community of the link, with the code sent to
    the phone. 201 for a new registration, 200 when the phone's registration is updated."""
    data = payload.dict()
    v, created = registration.register(actor_of(request), token, data)
    return Status(201 if created else 200, {"id": v.id, "name": v.name, "status": v.status,
                                            "created": created})
