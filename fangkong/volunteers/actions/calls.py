"""Calls for volunteers: create and publish one (its audience is notified), put someone
straight onto it, change the number of people needed, call more people once it is short
(`refill`, 补充召集), close it (calling it off: call_news)."""

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.clean import client_id
from fangkong.core.errors import Conflict, Forbidden, Invalid
from fangkong.core.text import join_words
from fangkong.registry.models import Kind, Place

from .. import checks
from ..access import MANAGE, area_refusal, audience, leads_team_of, require
from ..models import Assignment, Call, Loan, Team, TeamMember, Volunteer, pack
from ..models import Skill as SkillChoice
from .notices import announce, call_text, default_title, notify_users
from .slots import (
    clash_error,
    find_clash,
    free_q,
    hold_places,
    locked_call,
    promote,
    refuse_cancelled,
    take_slot,
)


def create_call(actor, community: Place, data: dict) -> Call:
    """Create and publish a call: the audience is notified (inbox and outbound channels)
    and the community's group channels get an announcement."""
    require(actor, MANAGE, community)
    if community.kind != Kind.COMMUNITY:
        raise Invalid(fields={"place": [_("Calls belong to a community.")]})
    cid = client_id(data.get("client_id"))
    if cid is not None:
        found = Call.objects.filter(client_id=cid).first()
        if found is not None:  # the form sent twice (a double tap, a retry): the call made then
            if found.community_place_id != community.id:
                raise Invalid(fields={"client_id": [_("This client id was used for another call.")]})
            return found
    call = _build(actor, community, data, cid)
    try:
        with transaction.atomic():
            call.save()
            record(actor, "call.create", call, {"title": call.title, "slots": call.slots,
                                                "audience": call.audience})
            publish(actor, call)
    except IntegrityError:  # the two taps at once: the first one's call
        if cid is None:
            raise
        return Call.objects.get(client_id=cid)
    return call


def preview(actor, community: Place, data: dict) -> tuple[Call, int]:
    """The call as `create_call` would make it (checked the same way, not saved) and how
    many volunteers it would reach at once: what the page asks about before publishing."""
    require(actor, MANAGE, community)
    call = _build(actor, community, data, None)
    return call, audience(call).filter(user__isnull=False).count()


def _build(actor, community: Place, data: dict, cid) -> Call:
    """The checked, unsaved call."""
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
    title = clean["title"] or default_title(clean["task"], place.name)[:100]  # nothing typed
    call = Call(community_place=community, place=place, task=clean["task"], title=title,
                starts_at=clean["starts_at"], ends_at=clean["ends_at"], slots=clean["slots"],
                skills=pack(clean["skills"], SkillChoice.values), briefing=clean["briefing"],
                deadline=clean["deadline"], audience=clean["audience"], team=team,
                audience_skill=clean["audience_skill"] or "", audience_place=audience_place,
                created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
                published_at=timezone.now(), client_id=cid)
    call.copy_levels(place)
    return call



def publish(actor, call: Call) -> int:
    """Notify the call's audience (again: people already notified are not notified twice)."""
    require(actor, MANAGE, call)
    title, body = call_text(call, ask=True)
    url = reverse("volunteers_call", args=[call.id])
    users = list(audience(call).filter(user__isnull=False).values_list("user_id", flat=True))
    with transaction.atomic():
        n = notify_users(actor, users, kind="volunteers.call", title=title, body=body, url=url,
                    place=call.place, key=f"volunteers.call:{call.id}")
        announce(actor, call.community_place, kind="volunteers.call", title=title, body=body,
                  url=url)
        Call.objects.filter(pk=call.pk).update(notified=len(users))
        call.notified = len(users)
        record(actor, "call.publish", call, {"notified": len(users)})
    return n


def require_run(actor, call: Call) -> None:
    """`require(MANAGE)` on a call, its refusal in words: someone who sees the call but does
    not run it (street or district command follow a community's calls) is told who does."""
    try:
        require(actor, MANAGE, call)
    except Forbidden:
        raise Forbidden(_("Only the community's staff run this call (assign people, change the "
                          "number needed). You can follow it here.")) from None


def skill_words(codes) -> str:
    """Skill codes as the reader's words, listed (采样培训、驾驶)."""
    labels = dict(SkillChoice.choices)
    return join_words([str(labels.get(c, c)) for c in codes])


def assign(actor, call: Call, v: Volunteer, *, confirm=False) -> Assignment:
    """The organiser puts a volunteer straight onto a call (never over its slots); a team
    leader may put members of their team onto the team's calls. Someone without the call's
    required skills (`Call.lacks`) is asked about first (Conflict "untrained") and assigned
    only when `confirm`: at 2 a.m. an untrained pair of hands may be better than none, but
    it is a choice made knowingly, audited, and the call's page counts them."""
    if leads_team_of(actor, call):
        if not TeamMember.objects.filter(team_id=call.team_id, volunteer=v).exists():
            raise Invalid(fields={"volunteer": [_("Only members of the team can be assigned to its calls.")]})
    else:
        require_run(actor, call)
    now = timezone.now()
    eligible = v.status == Volunteer.Status.APPROVED and (
        v.community_id == call.community_id
        or Loan.objects.filter(volunteer=v, to_community_id=call.community_id, until__gt=now,
                               ended_at=None).exists())
    if not eligible:
        raise Invalid(fields={"volunteer": [_("Only approved volunteers of the community (or lent to it) can be assigned.")]})
    from fangkong.zones.queries import call_out_refusal

    kept = call_out_refusal(v.household_id, v.id_hash)
    if kept:
        raise Invalid(fields={"volunteer": [_("%(name)s: %(reason)s") % {"name": v.name, "reason": kept}]},
                      code="kept_home")
    kept = area_refusal(v) if v.community_id != call.community_id else ""
    if kept:  # lent in from a 管控区 or 封控区: 人不出区
        raise Invalid(fields={"volunteer": [kept]}, code="kept_in_area")
    lacks = call.lacks(v)
    with transaction.atomic():
        call = locked_call(call.pk)
        refuse_cancelled(call)  # its people were told not to come: nobody is sent now
        if call.state == Call.Status.CLOSED and now >= call.ends_at:
            raise Conflict(_("This call is over."), code="closed")
        a = Assignment.objects.filter(call=call, volunteer=v).first()
        if a and a.status == Assignment.Status.CONFIRMED:
            return a
        if call.confirmed >= call.slots:
            raise Conflict(ngettext("The only place is taken. Raise the number of people needed or "
                                    "cancel someone first.",
                                    "All %(n)d places are taken. Raise the number of people needed or "
                                    "cancel someone first.", call.slots) % {"n": call.slots}, code="full")
        if lacks and not confirm:
            raise Conflict(_("%(name)s does not have %(skills)s. Assign anyway?") % {
                "name": v.name, "skills": skill_words(lacks)}, code="untrained")
        hold_places(v.pk)
        other = find_clash(v, call, now)
        if other is not None:
            raise clash_error(other, name=v.name)
        a = a or Assignment(call=call, volunteer=v)
        a.copy_levels(call)
        a.starts_at, a.ends_at = call.starts_at, call.ends_at
        a.cancelled_at = None
        a.position = 0
        take_slot(call, a, Assignment.Via.ASSIGNED, now)
        a.save()
        record(actor, "call.assign", call, {"volunteer": v.name, **({"untrained": lacks} if lacks else {})},
               label=call.title)
        if v.user_id:
            # rendered in the volunteer's language
            notify_users(actor, [v.user_id], kind="volunteers.assigned",
                         title=lambda: _("You are assigned: %(title)s") % {"title": call.title},
                         body=call_text(call)[1],
                         url=reverse("volunteers_call", args=[call.id]), place=call.place,
                         key=f"volunteers.assigned:{call.id}:{v.id}:{now.timestamp()}")
    return a


def set_slots(actor, call: Call, slots) -> Call:
    """Change the number of people needed; never below those already confirmed. More
    slots are filled from the waitlist at once."""
    require_run(actor, call)
    try:
        slots = int(slots)
        if not 1 <= slots <= checks.MAX_SLOTS:
            raise ValueError
    except (TypeError, ValueError):
        raise Invalid(fields={"slots": [_("Enter how many people are needed (1 to %(n)d).")
                                        % {"n": checks.MAX_SLOTS}]}) from None
    now = timezone.now()
    with transaction.atomic():
        call = locked_call(call.pk)
        refuse_cancelled(call)
        if slots < call.confirmed:
            raise Invalid(fields={"slots": [_("%(n)d people are already confirmed; cancel some first.")
                                            % {"n": call.confirmed}]})
        before = call.slots
        call.slots = slots
        if call.status in (Call.Status.OPEN, Call.Status.FULL):
            call.status = Call.Status.FULL if call.confirmed >= slots else Call.Status.OPEN
        call.save(update_fields=["slots", "status"])
        call.skipped = []  # waiting people passed over for a clash: the page says who and why
        promote(actor, call, now, call.skipped)
        record(actor, "call.slots", call, {"slots": [before, slots]})
    return call


def close_call(actor, call: Call) -> Call:
    """Close sign-up: the places taken stay (and the waitlist still moves up when one is
    given up). Everyone waiting is told, once and in their language, that sign-up is closed
    and that they stay on the waitlist (`call.told`: how many). Calling a call off, with its
    people told, is `call_news.cancel_call`."""
    require(actor, MANAGE, call)
    with transaction.atomic():
        call = locked_call(call.pk)
        call.told = 0
        if call.status in (Call.Status.CANCELLED, Call.Status.CLOSED):
            return call
        before = call.status
        call.status = Call.Status.CLOSED
        call.save(update_fields=["status"])
        waiting = list(Assignment.objects.filter(call_id=call.pk, status=Assignment.Status.WAITLISTED,
                                                 volunteer__user__isnull=False)
                       .order_by("position", "id").values_list("volunteer__user_id", flat=True))
        title, n, slots = call.title, call.confirmed, call.slots
        call.told = notify_users(
            actor, waiting, kind="volunteers.call_closed",
            title=lambda: _("Sign-up closed: %(title)s") % {"title": title},
            body=lambda: ngettext(
                "Sign-up is closed: %(n)d of %(slots)d place is taken. You stay on the waitlist: if "
                "someone gives up a place, you move up and are told.",
                "Sign-up is closed: %(n)d of %(slots)d places are taken. You stay on the waitlist: if "
                "someone gives up a place, you move up and are told.", slots) % {"n": n, "slots": slots},
            url=reverse("volunteers_call", args=[call.id]), place=call.place,
            key=f"volunteers.call_closed:{call.id}") if waiting else 0
        record(actor, "call.close", call, {"status": [before, call.status], "notified": call.told})
    return call


# --- calling more people (补充召集) --------------------------------------------------

def _added(call: Call, add) -> int:
    """How many more places: a whole number, the call staying within `checks.MAX_SLOTS`."""
    room = checks.MAX_SLOTS - call.slots
    try:
        add = int(add)
        if not 1 <= add <= room:
            raise ValueError
    except (TypeError, ValueError):
        raise Invalid(fields={"add": [_("Enter how many more people are needed (1 to %(n)d).")
                                      % {"n": max(room, 1)}]}) from None
    return add


def refill_reach(call: Call, now=None):
    """The volunteers `refill` tells: the call's audience (nobody kept home, in quarantine or
    lent from a zone they may not leave: `access.audience`) with an account, who have not
    answered the call (a place, the waitlist or one given up) and are free for what is
    left of it (`slots.free_q`)."""
    now = now or timezone.now()
    answered = Assignment.objects.filter(call_id=call.pk, volunteer_id=OuterRef("pk"))
    return (audience(call, now).filter(user__isnull=False).exclude(Exists(answered))
            .filter(free_q(call, now)))


def refill_preview(actor, call: Call, add) -> dict:
    """What `refill` would do, checked the same way and nothing saved: the number needed
    after it (`slots`), until when sign-up is open (`deadline`), how many waiting move up
    first (`waiting`) and how many volunteers are told at once (`reach`). What the page
    asks about before calling more people."""
    require_run(actor, call)
    call = Call.objects.get(pk=call.pk)
    now = timezone.now()
    refuse_cancelled(call)
    if now >= call.ends_at:
        raise Conflict(_("This call is over."), code="closed")
    add = _added(call, add)
    waiting = Assignment.objects.filter(call_id=call.pk, status=Assignment.Status.WAITLISTED).count()
    free = call.slots + add - call.confirmed
    return {"add": add, "slots": call.slots + add, "deadline": _refill_deadline(call, now),
            "waiting": min(waiting, free), "reach": refill_reach(call, now).count() if free > waiting else 0}


def _refill_deadline(call: Call, now):
    """Sign-up after a refill: open as it was if it still is; closed (past the deadline, or
    closed by staff), open again until the call's end."""
    if call.status == Call.Status.CLOSED or call.deadline <= now:
        return max(call.deadline, call.ends_at)
    return call.deadline


def refill(actor, call: Call, add, *, from_slots=None) -> Call:
    """补充召集: `add` more places on a call, also once its sign-up has closed or it has
    begun, until its end. The number needed grows, sign-up opens again until the call's end
    when it had closed (`_refill_deadline`), the waitlist fills the new places first
    (`promote`, skipping whoever clashes: `call.skipped`), and if places are still free the
    volunteers of its audience who have not answered it and are free for it
    (`refill_reach`) are told at once, in their language (`call.told`: how many) — nobody
    on shift elsewhere, nobody who answered, nobody kept home.

    `from_slots`: the number needed as the caller saw it (the page always sends it). Sent
    again after it was done (a double tap, a retry), nothing more is added or told
    (`call.repeated`); changed meanwhile by someone else, refused (Conflict "changed")."""
    require_run(actor, call)
    now = timezone.now()
    with transaction.atomic():
        call = locked_call(call.pk)
        call.told, call.skipped, call.repeated = 0, [], False
        refuse_cancelled(call)
        if now >= call.ends_at:
            raise Conflict(_("This call is over."), code="closed")
        if from_slots not in (None, ""):
            try:
                seen = int(from_slots)
            except (TypeError, ValueError):
                raise Invalid(fields={"from_slots": [_("Send the number needed as you saw it.")]}) from None
            try:
                if call.slots == seen + int(add):  # done already: a retry
                    call.repeated = True
                    return call
            except (TypeError, ValueError):
                pass
            if call.slots != seen:
                raise Conflict(_("The number needed changed meanwhile (now %(n)d). Look at the call "
                                 "again.") % {"n": call.slots}, code="changed")
        add = _added(call, add)
        before = (call.slots, call.status, call.deadline)
        call.slots += add
        call.deadline = _refill_deadline(call, now)
        call.status = Call.Status.FULL if call.confirmed >= call.slots else Call.Status.OPEN
        call.save(update_fields=["slots", "status", "deadline"])
        promote(actor, call, now, call.skipped)
        need = call.slots - call.confirmed
        users = list(refill_reach(call, now).values_list("user_id", flat=True)) if need > 0 else []
        if users:
            title, n = call.title, need
            ask = call_text(call, ask=True)[1]
            call.told = notify_users(
                actor, users, kind="volunteers.call_refill",
                title=lambda: _("More people needed: %(title)s") % {"title": title},
                body=lambda: ngettext("%(n)d more person is needed now.", "%(n)d more people are needed now.",
                                      n) % {"n": n} + "\n" + ask(),
                url=reverse("volunteers_call", args=[call.id]), place=call.place,
                key=f"volunteers.call_refill:{call.id}:{call.slots}")
        record(actor, "call.refill", call, {
            "slots": [before[0], call.slots], "status": [before[1], call.status],
            "deadline": [before[2].isoformat(), call.deadline.isoformat()], "notified": call.told},
            label=call.title)
    return call
