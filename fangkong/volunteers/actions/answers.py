"""A volunteer answers a call (`sign_up`: a slot or a waitlist number) or gives up their
place (`cancel`, which promotes the next person on the waitlist).

On PostgreSQL the whole answer is one statement (`_write_answer_pg`) after one read without
locks (`_read_answer`); SQLite runs one writer at a time and takes the same steps in a
transaction (`_write_answer`).
"""

import datetime
from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.clean import bounded, limit_of
from fangkong.core.errors import Conflict, Forbidden
from fangkong.registry.models import LEVEL_FIELDS

from ..access import MANAGE, audience, counts, require
from ..models import Assignment, Call, Volunteer
from .call_news import tell_staff_withdrawn
from .slots import (
    clash_error,
    clash_q,
    fetch_one,
    find_table_clash,
    hold_places,
    locked_call,
    promote,
    refuse_cancelled,
    table_clash_q,
    take_place,
)

_UID = -7_654_321  # stands for the acting user's id in the cached SQL of `_read_answer`
_NOW = datetime.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)  # and for now
_READ_SQL: dict = {}
_READ_EXTRA = ["invited", "answer_id", "answer_status", "clash_id", "table_clash", "waiting_behind"]


def _read_answer(call: Call, uid, now):
    """One query, no lock: the acting user's approved volunteer record (None without one),
    with `invited` (the call is addressed to them), `answer_id`/`answer_status` (their
    answer to it), `clash_id` (a confirmed place of theirs that overlaps it) and
    `table_clash` (a sampling table of theirs overlaps it: `slots.table_clash_q`) and
    `waiting_behind` (people wait on the call's waitlist while a place is free: someone was
    passed over for a clash that has since ended — they go first, `sign_up`).

    Django spends more time building this query than PostgreSQL spends running it, so its
    SQL is built once per call and database (with stand-ins for the user and the time) and
    reused with the real ones filled in."""
    key = (connection.alias, call.pk, call.community_id, call.audience, call.team_id,
           call.audience_skill, call.audience_place_id, call.skills, call.starts_at, call.ends_at)
    made = _READ_SQL.get(key)
    if made is None:
        mine = Assignment.objects.filter(call_id=call.pk, volunteer=OuterRef("pk")).order_by()
        clash = Assignment.objects.filter(clash_q(call, _NOW), volunteer=OuterRef("pk")).order_by()
        from fangkong.screening.models import Sampler

        table = Sampler.objects.filter(table_clash_q(call, _NOW), user_id=OuterRef("user_id")).order_by()
        qs = (Volunteer.objects.filter(user_id=_UID, status=Volunteer.Status.APPROVED).order_by()
              .annotate(invited=Exists(audience(call, now=_NOW).filter(pk=OuterRef("pk"))),
                        answer_id=Subquery(mine.values("id")[:1]),
                        answer_status=Subquery(mine.values("status")[:1]),
                        clash_id=Subquery(clash.values("id")[:1]),
                        table_clash=Exists(table),
                        waiting_behind=Exists(Assignment.objects.filter(
                            call_id=call.pk, status=Assignment.Status.WAITLISTED,
                            call__confirmed__lt=F("call__slots")).order_by())))
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
    row = fetch_one(sql, params)
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
    return fetch_one(sql, params)


def _write_answer(actor, call: Call, v: Volunteer, a: Assignment, version: int, now):
    """The same as `_write_answer_pg` in a transaction (SQLite runs one writer at a time)."""
    with transaction.atomic():
        if not Volunteer.objects.filter(pk=v.pk, places_version=version).update(
                places_version=F("places_version") + 1):
            return (None, None, None, None, None, None)
        outcome, number = take_place(call.pk, now, full_first=call.confirmed >= call.slots)
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
        if v is None or not counts(actor.scope, v):  # the volunteer role taken away: none
            raise Forbidden(_("Only approved volunteers can do this."))
        answered = v.answer_id is not None and v.answer_status != Assignment.Status.CANCELLED
        if call.status == Call.Status.CANCELLED:
            refuse_cancelled(call)
        if not call.accepting:
            if answered:
                return Assignment.objects.select_related("call").get(pk=v.answer_id)
            raise Conflict(_("This call is closed."), code="closed")
        if not v.invited:  # the audience leaves out people kept home: say so
            from fangkong.zones.queries import call_out_refusal

            kept = call_out_refusal(v.household_id, v.id_hash)
            if kept:
                raise Forbidden(kept, code="kept_home")
            raise Forbidden(_("This call is for other volunteers (%(who)s).") % {
                "who": call.get_audience_display()}, code="not_in_audience")
        if answered:
            return Assignment.objects.select_related("call").get(pk=v.answer_id)
        if v.clash_id is not None:
            raise clash_error(Assignment.objects.select_related("call").get(pk=v.clash_id))
        if v.table_clash and (table := find_table_clash(v, call, now)) is not None:
            raise clash_error(table)
        if v.waiting_behind:  # the waitlist first: a free place goes to who waits for it
            _waitlist_first(actor, call, now)
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


def _waitlist_first(actor, call: Call, now) -> None:
    """A place is free while people wait for it (one passed over for a clash that has since
    ended: nothing moved them up then): fill it from the waitlist (`promote`, which still
    skips whoever clashes) before a new answer may take it."""
    with transaction.atomic():
        locked = locked_call(call.pk)
        if locked.status in (Call.Status.OPEN, Call.Status.FULL) and locked.confirmed < locked.slots:
            promote(actor, locked, now)
            call.confirmed, call.status = locked.confirmed, locked.status


def _sign_up_again(actor, call: Call, v: Volunteer) -> Assignment:
    """Answer again after cancelling: the cancelled row is reused, under the locks."""
    with transaction.atomic():
        hold_places(v.pk)
        existing, other = None, None
        now = timezone.now()
        for row in (Assignment.objects.filter(volunteer=v).filter(Q(call_id=call.pk) | clash_q(call, now))
                .select_related("call")):
            if row.call_id == call.pk:
                existing = row
            elif other is None:
                other = row
        if existing and existing.status != Assignment.Status.CANCELLED:
            return existing
        if other is None:
            other = find_table_clash(v, call, now)
        if other is not None:
            raise clash_error(other)
        now = timezone.now()
        outcome, number = take_place(call.pk, now, full_first=call.confirmed >= call.slots)
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


def cancel(actor, a: Assignment, reason="") -> Assignment:
    """A volunteer gives up their place (or their waitlist place); staff may cancel anyone's.
    The first person on the waitlist is promoted into a freed slot."""
    own = a.volunteer.user_id is not None and a.volunteer.user_id == getattr(actor.user, "id", None)
    if not own:
        require(actor, MANAGE, a)
    reason = bounded(reason, limit_of(Assignment, "correction_reason"), "reason")
    now = timezone.now()
    with transaction.atomic():
        call = locked_call(a.call_id)
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
            # open or closed alike, the first one waiting moves up while the call is not over
            # (a coordinator who closed sign-up still needs the place filled)
            promoted = promote(actor, call, now) if call.status != Call.Status.CANCELLED else []
            if own:  # the organiser and the team leader hear of it, and of who moved up
                tell_staff_withdrawn(actor, call, a.volunteer.name, promoted, now)
        record(actor, "call.cancel", call, {"volunteer": a.volunteer.name, "was": was,
                                            "by": "self" if own else "staff",
                                            "reason": reason}, label=call.title)
    return a
