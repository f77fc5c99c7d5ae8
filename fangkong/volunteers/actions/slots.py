"""Places on a call: the slot counters, waitlist numbers, clashes between a person's places,
and filling freed slots from the waitlist.

A place is taken with one conditional UPDATE of the call's counters, so confirmations never
exceed the slots however many people answer at once (a CHECK constraint backs this up).
Every action that gives someone a place first bumps their `places_version` (`hold_places`),
so an answer that read the old version retries (see answers.sign_up).
"""

from django.db import connection
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict
from fangkong.core.when import short_end, short_time

from ..models import Assignment, Call, Volunteer
from .notices import call_text, notify_users


def clash_q(call: Call, now) -> Q:
    """A confirmed place on another call that still holds the person during the part of
    this call ahead of them (from `now`, or from its start if later).

    The other place holds them from its start until they checked out of it, or until its
    planned end while they have not: a shift checked out of (or over) before `now` frees
    them from then on, even for a call that began meanwhile. `now` is a parameter of the
    query, never folded into another value (answers.sign_up caches its SQL with a stand-in
    for it)."""
    held_until_end = Q(check_out_at__isnull=True) & Q(ends_at__gt=call.starts_at) & Q(ends_at__gt=now)
    held_until_out = Q(check_out_at__gt=call.starts_at) & Q(check_out_at__gt=now)
    return (Q(status=Assignment.Status.CONFIRMED, starts_at__lt=call.ends_at)
            & (held_until_end | held_until_out) & ~Q(call_id=call.pk))


def table_clash_q(call: Call, now) -> Q:
    """Over `screening.Sampler`: a sampling table the person works at in a round not finished
    whose planned window overlaps the part of this call ahead of them (the same rule as
    `clash_q`: from `now`, or from the call's start if later). Joined on the user.

    A round still running past its planned end (`Round.overrun`) holds its samplers until
    someone ends it: its stations still register them, their home still lists the table."""
    from fangkong.screening.models import RoundStatus

    in_window = Q(round__ends_at__gt=call.starts_at) & Q(round__ends_at__gt=now)
    overrun = Q(round__status=RoundStatus.RUNNING) & Q(round__ends_at__lte=now)
    return (Q(round__starts_at__lt=call.ends_at) & (in_window | overrun)
            & ~Q(round__status=RoundStatus.CLOSED))


def free_q(call: Call, now) -> Q:
    """Volunteers free for `call`, as a filter over `Volunteer`: no confirmed place on
    another call and no sampling table holding them during what is left of it (`clash_q`,
    `table_clash_q`: the one overlap rule, one index probe each per person)."""
    from django.db.models import Exists, OuterRef

    from fangkong.screening.models import Sampler

    place = Exists(Assignment.objects.filter(clash_q(call, now), volunteer_id=OuterRef("pk")))
    table = Exists(Sampler.objects.filter(table_clash_q(call, now), user_id=OuterRef("user_id")))
    return ~place & ~(Q(user_id__isnull=False) & table)


def busy_for(call: Call, people, now) -> dict:
    """{volunteer id: what holds them during `call`} — a confirmed place on another call or
    a sampling table (the first by start) — for those of `people` who are not free
    (`free_q`); two queries whatever their number. `clash_error` words each."""
    from fangkong.screening.models import Sampler

    ids = [v.pk for v in people]
    out = {}
    for a in (Assignment.objects.filter(clash_q(call, now), volunteer_id__in=ids)
              .select_related("call").order_by("starts_at", "id")):
        out.setdefault(a.volunteer_id, a)
    users = {v.user_id: v.pk for v in people if v.user_id and v.pk not in out}
    if users:
        for s in (Sampler.objects.filter(table_clash_q(call, now), user_id__in=list(users))
                  .select_related("round", "point__place").order_by("round__starts_at", "id")):
            out.setdefault(users[s.user_id], s)
    return out


def find_table_clash(v: Volunteer, call: Call, now):
    """The person's sampling table that overlaps this call (or None)."""
    from fangkong.screening.models import Sampler

    if not v.user_id:
        return None
    return (Sampler.objects.filter(table_clash_q(call, now), user_id=v.user_id)
            .select_related("round", "point__place").order_by("round__starts_at", "id").first())


def find_clash(v: Volunteer, call: Call, now):
    """The one overlap rule: a confirmed place of the person on another call, or a sampling
    table of theirs, that overlaps this call (or None). `clash_error` words either."""
    other = Assignment.objects.filter(clash_q(call, now), volunteer=v).select_related("call").first()
    return other if other is not None else find_table_clash(v, call, now)


def calls_clashing_table(user_id, starts_at, ends_at, now):
    """The reverse: the person's confirmed place on a call overlapping a sampling shift
    (`starts_at`–`ends_at`; `ends_at` None: a round past its end, held until ended), held as
    `clash_q` says a place holds (or None)."""
    held = (Q(check_out_at__isnull=True, ends_at__gt=now) | (Q(check_out_at__gt=starts_at) & Q(check_out_at__gt=now)))
    window = Q(ends_at__gt=starts_at) & (Q(starts_at__lt=ends_at) if ends_at is not None else Q())
    return (Assignment.objects.filter(held, window, volunteer__user_id=user_id,
                                      status=Assignment.Status.CONFIRMED)
            .select_related("call", "volunteer").order_by("starts_at").first())


def moved_clashes(call: Call, now) -> list[tuple[Assignment, object]]:
    """The call as moved (its new `starts_at`/`ends_at`, saved or not): each confirmed place
    on it not yet checked in to whose person now clashes (`find_clash`: a place on another
    call, or a sampling table) — (the place, what it clashes with), in the roster's order.
    A move releases these to the waitlist (call_news.change_call) rather than double-book."""
    out = []
    for a in (Assignment.objects.select_related("volunteer")
              .filter(call_id=call.pk, status=Assignment.Status.CONFIRMED, check_in_at__isnull=True)
              .order_by("confirmed_at", "id")):
        other = find_clash(a.volunteer, call, now)
        if other is not None:
            out.append((a, other))
    return out


def table_clash_error(s, name: str | None = None):
    """The refusal naming the sampling table that overlaps the call."""
    words = {"round": s.round.name, "point": s.point.place.name, "table": s.table, "name": name,
             "start": short_time(s.round.starts_at), "end": short_end(s.round.starts_at, s.round.ends_at)}
    if s.round.overrun:  # held until someone ends it (`table_clash_q`)
        msg = (_("%(name)s works at %(point)s, table %(table)d in “%(round)s”, still running past its "
                 "planned end (%(end)s): ask the round's organiser to end it or free them from the "
                 "table first.") if name else
               _("You work at %(point)s, table %(table)d in “%(round)s”, still running past its planned "
                 "end (%(end)s): ask the round's organiser to end it or free you from the table first."))
        return Conflict(msg % words, code="clash")
    msg = (_("%(name)s works at %(point)s, table %(table)d in “%(round)s” from %(start)s to %(end)s, "
             "which overlaps this call.") if name else
           _("You work at %(point)s, table %(table)d in “%(round)s” from %(start)s to %(end)s, which "
             "overlaps this call. Ask the round's organiser to free you from the table first."))
    return Conflict(msg % words, code="clash")


def clash_error(other: Assignment, name: str | None = None):
    """The refusal that names the overlapping place, in the user's language (`name`: the
    person's, when someone else gives them the place), and says what can be done about it:
    a place not checked in to can be cancelled; one checked in to cannot (the person checks
    out of it when that shift is over). A sampling table (`find_clash`) has its own words."""
    if not isinstance(other, Assignment):
        return table_clash_error(other, name)
    words = {"title": other.call.title, "start": short_time(other.starts_at),
             "end": short_end(other.starts_at, other.ends_at), "name": name,
             "in": timezone.localtime(other.check_in_at).strftime("%H:%M") if other.check_in_at else "",
             "out": timezone.localtime(other.check_out_at).strftime("%H:%M") if other.check_out_at else ""}
    if other.check_out_at is not None:
        msg = (_("%(name)s checked out of “%(title)s” (%(start)s–%(end)s) at %(out)s, after this "
                 "call begins: the two overlap.") if name else
               _("You checked out of “%(title)s” (%(start)s–%(end)s) at %(out)s, after this call "
                 "begins: the two overlap."))
    elif other.check_in_at is not None:
        msg = (_("%(name)s is checked in to “%(title)s” (%(start)s–%(end)s, in at %(in)s), which "
                 "overlaps this call. Once they check out there, they can be given this one.") if name else
               _("You are checked in to “%(title)s” (%(start)s–%(end)s, in at %(in)s), which "
                 "overlaps this call. Check out there when you are done, then answer this one."))
    else:
        msg = (_("%(name)s already holds “%(title)s” from %(start)s to %(end)s, which overlaps this "
                 "call.") if name else
               _("You already hold “%(title)s” from %(start)s to %(end)s, which overlaps "
                 "this call. Cancel that one first if you want this one."))
    return Conflict(msg % words, code="clash")


def locked_call(call_id) -> Call:
    return Call.objects.select_for_update().select_related("place").get(pk=call_id)


def refuse_cancelled(call: Call) -> None:
    """The one check every change to a cancelled call meets (assigning, answering, the
    number needed, a message, a move): refused, with the reason it was called off. Checking
    out someone already checked in is not a change to the call and is not refused."""
    if call.status == Call.Status.CANCELLED:
        if call.cancel_reason:
            raise Conflict(_("This call is cancelled: %(reason)s") % {"reason": call.cancel_reason},
                           code="cancelled")
        raise Conflict(_("This call is cancelled."), code="cancelled")


def take_slot(call: Call, a: Assignment, via, now):
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


def take_place(call_id, now, full_first: bool) -> tuple[str, int]:
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


def fetch_one(sql, params):
    """Run one statement and return its first row. On PostgreSQL it is a prepared statement
    (server-side binding): PostgreSQL plans it once per connection rather than on every
    answer, which costs more than running it. Logged and wrapped like Django's own queries."""
    from fangkong.core.db import prepared_cursor

    with prepared_cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def promote(actor, call: Call, now, skipped: list | None = None) -> list[Assignment]:
    """Fill free slots from the waitlist in arrival order (skipping people who now hold an
    overlapping place or sampling table: each skip is audited, and its refusal is added to
    `skipped` for the caller to show). The call row must be locked by the caller."""
    promoted, told = [], set()
    while call.confirmed < call.slots:
        nxt = None
        for cand in (Assignment.objects.select_related("volunteer")
                     .filter(call=call, status=Assignment.Status.WAITLISTED)
                     .order_by("position", "id")[:50]):
            hold_places(cand.volunteer_id)  # their own answers wait (see places_version)
            other = find_clash(cand.volunteer, call, now)
            if other is None:
                nxt = cand
                break
            if cand.pk not in told:
                told.add(cand.pk)
                record(actor, "call.promote_skip", call, {"volunteer": cand.volunteer.name}, label=call.title)
                if skipped is not None:
                    skipped.append(clash_error(other, name=cand.volunteer.name).message)
        if nxt is None:
            break
        take_slot(call, nxt, Assignment.Via.PROMOTED, now)
        nxt.position = 0
        nxt.save()
        promoted.append(nxt)
        record(actor, "call.promote", call, {"volunteer": nxt.volunteer.name}, label=call.title)
    if promoted:
        users = [a.volunteer.user_id for a in promoted if a.volunteer.user_id]
        url = reverse("volunteers_call", args=[call.id])
        # rendered in each volunteer's language
        notify_users(actor, users, kind="volunteers.promoted",
                     title=lambda: _("You have a place: %(title)s") % {"title": call.title},
                     body=call_text(call)[1], url=url,
                     place=call.place, key=f"volunteers.promoted:{call.id}:{now.timestamp()}")
    return promoted
