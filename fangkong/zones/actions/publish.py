"""Notices and adjustments: draft, add and remove items, schedule, cancel, publish.

An adjustment takes effect only with a notice (never silently). Publishing — at once, or
by the worker at the scheduled minute (`publish_due`, which uses the stated minute, not the
minute the worker ran) — ends and creates the designations and rewrites the zone of every
household under the places it names, in one transaction.

Published late (the notice says "from 05:00 yesterday", staff enter it at 02:00), it may be
published as from the notice's minute (`publish(..., from_notice=True)`): at most
`MAX_BACK` ago, never in the future, and never before what is already written in the
history it touches (`engine.last_change`), so no period ends before it begins or overlaps
another. `from_notice_refusal` says why not (the page asks it before offering the choice)."""

import datetime

from django.db import transaction
from django.tasks import default_task_backend, task
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.clean import clean, in_utc
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.core.said import kept, said
from fangkong.registry.models import Place

from .. import access, approval, engine, failures, foretell, lifting, queries, telling
from ..models import Adjustment, AdjustmentItem, Designation, Notice, ZoneType
from ..signals import tell
from . import notices

Op = AdjustmentItem.Op
State = Adjustment.State
MAX_BACK = datetime.timedelta(days=7)  # how far back a late publication may count from


def _user(actor):
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None


def _text(data, key, limit, errors, required=True):
    value = clean(str(data.get(key) or "")).strip()
    if required and not value:
        errors[key] = [_("This field is required.")]
    elif len(value) > limit:
        errors[key] = [_("At most %(n)d characters.") % {"n": limit}]
    return value


def _when(value, key, errors):
    if isinstance(value, datetime.datetime):
        dt = value
    else:
        try:
            dt = datetime.datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            errors[key] = [_("Enter a date and time, e.g. 2022-04-18 05:00.")]
            return None
    return in_utc(dt)


def is_under(place: Place, root: Place) -> bool:
    if place.id == root.id:
        return True
    if root.kind in engine.DEPTH:
        return getattr(place, f"{root.kind}_id", None) == root.id
    return place.parent_id == root.id


# --- notices ---------------------------------------------------------------------------

def create_notice(actor, place: Place, data: dict) -> Notice:
    access.require(actor, access.MANAGE, place)
    errors = {}
    number = _text(data, "number", 40, errors)
    issued_by = _text(data, "issued_by", 80, errors)
    title = _text(data, "title", 120, errors)
    text = _text(data, "text", 5000, errors, required=False)
    at = _when(data.get("effective_at"), "effective_at", errors)
    if errors:
        raise Invalid(fields=errors)
    same = Notice.objects.filter(place=place, number=number, issued_by=issued_by).first()
    if same is not None:
        if same.title == title and same.text == text and same.effective_at == at:
            return same  # the form sent again (a double tap, a retry): the notice made then
        raise Invalid(fields={"number": [_("%(by)s already has a notice numbered %(number)s here "
                                           "(%(title)s): choose it above, or check the number.")
                                         % {"by": issued_by, "number": number, "title": same.title}]})
    n = Notice(place=place, number=number, issued_by=issued_by, title=title, text=text,
               effective_at=at, created_by=_user(actor))
    n.copy_levels(place)
    with transaction.atomic():
        n.save()
        record(actor, "zones.notice.create", n, {"number": number}, levels_from=place)
    return n


# --- drafts ----------------------------------------------------------------------------

def draft(actor, place: Place, title: str, *, notice: Notice | None = None, why="",
          reason=Adjustment.Reason.MANUAL, case=None) -> Adjustment:
    access.require(actor, access.MANAGE, place)
    errors = {}
    title = _text({"title": title}, "title", 120, errors)
    why = _text({"why": why}, "why", 300, errors, required=False)
    if errors:
        raise Invalid(fields=errors)
    if notice is not None:
        access.require(actor, access.MANAGE, notice)
    adj = Adjustment(place=place, title=title, notice=notice, why=why, reason=reason, case=case,
                     created_by=_user(actor))
    adj.copy_levels(place)
    with transaction.atomic():
        adj.save()
        record(actor, "zones.adjustment.draft", adj, {"reason": reason}, levels_from=place)
    return adj


def _open(actor, adj: Adjustment):
    access.require(actor, access.MANAGE, adj)
    if adj.state != State.DRAFT:
        raise Conflict(_("Only a draft can be changed; cancel the schedule first."),
                       code="not_draft")


def _unapprove(actor, adj: Adjustment):
    """A draft changed after the level above approved it (a place, its notice) is no longer
    what was approved: the approval is taken away (audited), to be asked again."""
    if adj.approved_at is None:
        return
    Adjustment.objects.filter(pk=adj.pk).update(approved_at=None, approved_by=None)
    adj.approved_at, adj.approved_by = None, None
    record(actor, "zones.adjustment.unapproved", adj)


def add_item(actor, adj: Adjustment, op: str, place: Place, zone_type: ZoneType | None = None):
    """Designate a place, change the type of its designation, or lift it. One item per place
    (a second one for the same place replaces the first)."""
    _open(actor, adj)
    access.require(actor, access.MANAGE, place)
    if not is_under(place, adj.place):
        raise Invalid(fields={"place": [_("%(place)s is not under %(root)s.")
                                        % {"place": place.name, "root": adj.place.name}]})
    if op not in Op.values:
        raise Invalid(fields={"op": [_("Choose designate, change or lift.")]})
    current = Designation.objects.filter(place=place, ends_at=None).select_related("zone_type").first()
    if op == Op.CREATE and current is not None:
        raise Invalid(fields={"place": [_("%(place)s is already a %(zone)s: change or lift it instead.")
                                        % {"place": place.name, "zone": current.zone_type.name}]})
    if op in (Op.CHANGE, Op.LIFT) and current is None:
        raise Invalid(fields={"place": [_("%(place)s has no zone to change or lift.") % {"place": place.name}]})
    if op in (Op.CREATE, Op.CHANGE):
        if zone_type is None or not zone_type.policy.is_active:
            raise Invalid(fields={"zone_type": [_("Choose a zone type of the active policy.")]})
        if op == Op.CHANGE and current.zone_type_id == zone_type.id:
            raise Invalid(fields={"zone_type": [_("%(place)s is already a %(zone)s.")
                                                % {"place": place.name, "zone": zone_type.name}]})
    else:
        zone_type = None
    with transaction.atomic():
        item, _created = AdjustmentItem.objects.update_or_create(
            adjustment=adj, place=place,
            defaults={"op": op, "zone_type": zone_type,
                      "designation": current if op != Op.CREATE else None})
        record(actor, "zones.adjustment.item", adj, {"op": op, "place": place.id,
                                                      "zone_type": zone_type.code if zone_type else None})
        _unapprove(actor, adj)
    return item


def remove_item(actor, adj: Adjustment, item_id: int):
    """Take a place out of the draft (an item already gone: nothing to do, as a retry)."""
    _open(actor, adj)
    with transaction.atomic():
        deleted, _n = AdjustmentItem.objects.filter(adjustment=adj, pk=item_id).delete()
        if deleted:
            record(actor, "zones.adjustment.item_removed", adj, {"item": item_id})
            _unapprove(actor, adj)


def set_notice(actor, adj: Adjustment, notice: Notice) -> Adjustment:
    _open(actor, adj)
    access.require(actor, access.MANAGE, notice)
    changed = adj.notice_id != notice.id
    adj.notice = notice
    with transaction.atomic():
        adj.save(update_fields=["notice"])
        record(actor, "zones.adjustment.notice", adj, {"notice": notice.number})
        if changed:
            _unapprove(actor, adj)
    return adj


def check_ready(adj: Adjustment):
    if adj.notice_id is None:
        raise Invalid(fields={"notice": [_("Attach the notice this change is published under.")]},
                      code="notice_required")
    if not adj.items.exists():
        raise Invalid(_("The adjustment has no places yet."), code="empty")
    refused = notices.refusal(adj)  # a withdrawn notice; a lift under the notice that sealed it
    if refused is not None:
        raise refused


def schedule(actor, adj: Adjustment, at, *, confirm_against: bool = True) -> Adjustment:
    """Publish by itself at `at` (the worker does it: 05:00 happens without anyone awake).
    Scheduling again for the same minute (a retry) changes nothing. `confirm_against`
    False (the API without `confirm`): a zone it lifts or steps down while its lifting rule
    is not met on that day refuses it (409 `against_rule`, `lifting.against_error`)."""
    access.require(actor, access.MANAGE, adj)
    errors = {}
    at = _when(at, "effective_at", errors)
    if errors:
        raise Invalid(fields=errors)
    if adj.state == State.SCHEDULED and adj.effective_at == at:
        return adj
    _open(actor, adj)
    if at <= timezone.now():
        raise Invalid(fields={"effective_at": [_("Choose a time in the future, or publish now.")]})
    check_ready(adj)
    approved_now = _approval(actor, adj)  # a lift of a sealed area: the level above first
    if not confirm_against:
        against = lifting.against_rule(adj.items.select_related("zone_type", "designation__zone_type",
                                                                "designation__place"),
                                       timezone.localdate(at))
        if against:
            raise lifting.against_error(against)
    with transaction.atomic():
        adj.state, adj.effective_at, adj.failure, adj.failure_said = State.SCHEDULED, at, "", {}
        adj.save(update_fields=["state", "effective_at", "failure", "failure_said", *approved_now])
        record(actor, "zones.adjustment.schedule", adj, {"at": at.isoformat(), **(
            {"approved": True} if approved_now else {})})
        _tell(adj, actor, foretell.families(adj, at))  # the families know what comes, and when
        transaction.on_commit(lambda: _enqueue(at))
    return adj


def _approval(actor, adj) -> list[str]:
    """Refuses (409 `approval_required`) a draft that lifts or steps down a zone needing the
    level above, not approved, for a user who is not the level above. The level above acting
    itself approves it as it goes (set on `adj`): the fields to save, else []."""
    if adj.approved_at is not None:
        return []
    items = approval.needing(adj)
    if not items:
        return []
    if not approval.may_approve(actor.scope, adj):
        raise approval.required(items)
    adj.approved_at, adj.approved_by = timezone.now(), _user(actor)
    return ["approved_at", "approved_by"]


def _tell(adj, actor, messages):
    if messages:
        tell.send(sender=Adjustment, adjustment=adj, actor=actor, messages=messages)


def _enqueue(at):
    """The worker publishes it at its minute. A task backend that cannot defer (the test
    suite's immediate one) is given nothing to run later: `tasks.recover_publisher`, the
    recovery sweep, publishes a scheduled adjustment once its minute has passed."""
    if default_task_backend.supports_defer:
        publish_due_task.using(run_after=at).enqueue()


@task
def publish_due_task() -> dict:
    """(worker) Publish every scheduled adjustment whose minute has come, each at its own
    minute. Idempotent: an adjustment is published once, under a row lock; a lost task is
    made up for by `tasks.recover_publisher`."""
    return {"published": publish_due()}


def unschedule(actor, adj: Adjustment) -> Adjustment:
    access.require(actor, access.MANAGE, adj)
    with transaction.atomic():
        n = Adjustment.objects.filter(pk=adj.pk, state=State.SCHEDULED).update(state=State.DRAFT)
        if not n:
            raise Conflict(_("This adjustment is not scheduled."), code="not_scheduled")
        record(actor, "zones.adjustment.unschedule", adj)
        _tell(adj, actor, foretell.families(adj, adj.effective_at, cancelled=True))
    adj.state = State.DRAFT
    return adj


def cancel(actor, adj: Adjustment) -> Adjustment:
    access.require(actor, access.MANAGE, adj)
    if adj.state == State.CANCELLED:  # a retry
        return adj
    with transaction.atomic():
        was = Adjustment.objects.select_for_update().filter(pk=adj.pk).values_list("state", flat=True).first()
        n = Adjustment.objects.filter(pk=adj.pk, state__in=[State.DRAFT, State.SCHEDULED, State.AWAITING]).update(
            state=State.CANCELLED)
        if not n:
            raise Conflict(_("Only a draft or scheduled adjustment can be cancelled."), code="closed")
        record(actor, "zones.adjustment.cancel", adj)
        if was == State.SCHEDULED:  # the families were told it would come
            _tell(adj, actor, foretell.families(adj, adj.effective_at, cancelled=True))
    adj.state = State.CANCELLED
    return adj


def publish(actor, adj: Adjustment, *, from_notice: bool = False, confirm_against: bool = True) -> Adjustment:
    """Publish now (a draft, or a scheduled one ahead of its time). Publishing what is
    already published (a retry, a second tap) returns it unchanged.

    `from_notice`: in force as from the notice's minute, when that minute has passed (the
    notice was entered late); refused, saying from when at the earliest, when it is in the
    future, more than `MAX_BACK` ago or before a later change already written
    (`from_notice_refusal`).

    `confirm_against` False (the API without `confirm`; the web asks at its confirm step): a
    zone it lifts or steps down while its lifting rule is not met refuses it, nothing written
    (409 `against_rule` naming each place and what is unmet). Published against the rule,
    the adjustment keeps it (`against_rule`: its page and the API say so)."""
    access.require(actor, access.MANAGE, adj)
    return _publish(actor, adj.pk, None if from_notice else timezone.now(),
                    states=(State.DRAFT, State.SCHEDULED), confirm_against=confirm_against, approver=actor)


def _at(when) -> str:
    return date_format(timezone.localtime(when), "DATETIME_FORMAT")


def earliest(adj: Adjustment, now=None) -> tuple[datetime.datetime, Designation | None]:
    """The earliest minute `adj` may count from now: `MAX_BACK` ago, or the last change
    already written in the history it touches, whichever is later (with that change's
    designation, or None when the bound decides)."""
    now = now or timezone.now()
    places = [it.place for it in adj.items.select_related("place")]
    last, designation = engine.last_change(places)
    bound = now - MAX_BACK
    if last is None or last <= bound:
        return bound, None
    return last, designation


def from_notice_refusal(adj: Adjustment, now=None) -> Invalid | None:
    """Why `adj` may not be published as from its notice's minute (None: it may). The
    error says from when at the earliest it could count."""
    now = now or timezone.now()
    at = adj.notice.effective_at
    if at > now:
        msg = _("The notice takes effect at %(at)s, which is still to come: schedule it for that "
                "time, or publish it from now.") % {"at": _at(at)}
        return Invalid(msg, fields={"from_notice": [msg]}, code="notice_ahead")
    first, last = earliest(adj, now)
    if at >= first:
        return None
    if last is None:
        why = _("A zone can count from at most %(days)d days back.") % {"days": MAX_BACK.days}
    else:
        why = _("The zones here already changed at %(last)s (%(place)s, %(zone)s): a zone's "
                "history cannot go back before its last change.") % {
            "last": _at(first), "place": last.place.name, "zone": last.zone_type.name}
    msg = _("It cannot count from the notice's %(at)s. %(why)s It can count from %(earliest)s at "
            "the earliest; publish it from now instead.") % {
        "at": _at(at), "why": why, "earliest": _at(first)}
    return Invalid(msg, fields={"from_notice": [msg]}, code="too_early")


def publish_due(now=None) -> int:
    """(worker) Publish every scheduled adjustment whose minute has come, at that minute."""
    from fangkong.core.actor import Actor

    now = now or timezone.now()
    done = 0
    for pk, at in Adjustment.objects.filter(state=State.SCHEDULED, effective_at__lte=now).order_by(
            "effective_at", "id").values_list("id", "effective_at"):
        try:
            _publish(Actor.system(via="task"), pk, at, states=(State.SCHEDULED,))
            done += 1
        except (Conflict, Invalid) as e:  # one bad adjustment never stops the others
            _failed(pk, e)
    return done


def _failed(pk, error):
    """A scheduled adjustment that can no longer be published goes back to draft with the
    reason shown on it (and audited); the others go ahead."""
    from fangkong.core.actor import Actor

    with transaction.atomic():
        adj = Adjustment.objects.select_for_update().filter(pk=pk, state=State.SCHEDULED).first()
        if adj is None:
            return
        at = adj.effective_at
        adj.state, adj.failure, adj.failure_said = State.DRAFT, str(error.message)[:300], kept(error.message)
        adj.save(update_fields=["state", "failure", "failure_said"])
        actor = Actor.system(via="task")
        record(actor, "zones.adjustment.failed", adj, {"error": adj.failure})
        # an alarm, at once: its author and the community's and the street's staff (the seal
        # did not happen), and the families who were told it would (foretell)
        told = foretell.failed(adj, at) + foretell.families(adj, at, cancelled=True)
        if told:
            tell.send(sender=Adjustment, adjustment=adj, actor=actor, messages=told)


def _other(d: Designation) -> str:
    """The adjustment that made designation `d`: its notice's number, else its title."""
    a = d.adjustment
    if a is None:
        return ""
    return a.notice.number if a.notice_id else a.title


def _still_to_do(items) -> tuple[list, list[int]]:
    """The items still to publish, and the places of those whose outcome another adjustment
    gave meanwhile (a no-op: the grid already made a 防范区 by another notice stays as it is,
    and the building sealed with it is still sealed). An item whose place another adjustment
    gave another zone meanwhile refuses the whole, naming the place and that adjustment."""
    places = [it.place_id for it in items]
    now = {d.place_id: d for d in Designation.objects.select_for_update(of=("self",)).filter(
        place_id__in=places, ends_at=None).select_related("zone_type", "adjustment__notice")}
    todo, already = [], []
    for it in items:
        current = now.get(it.place_id)
        moved = current is not None if it.op == Op.CREATE else (
            current is None or current.id != it.designation_id)
        if not moved:
            todo.append(it)
        elif (current is None and it.op == Op.LIFT) or (
                current is not None and it.op != Op.LIFT and current.zone_type_id == it.zone_type_id):
            already.append(it.place_id)
        elif current is not None and it.op == Op.CREATE:
            raise Conflict(said(failures.DESIGNATED, place=it.place.name, zone=current.zone_type.name,
                                other=_other(current), ours=it.zone_type.name), code="stale")
        else:
            other = _other(current) if current is not None else (
                _other(it.designation) if it.designation else "")
            ended = Designation.objects.filter(pk=it.designation_id).select_related(
                "ended_by__notice").first()
            if ended is not None and ended.ended_by is not None:
                other = ended.ended_by.notice.number if ended.ended_by.notice_id else ended.ended_by.title
            raise Conflict(said(failures.CHANGED, place=it.place.name, other=other), code="stale")
    return todo, already


def _publish(actor, pk, at, *, states, confirm_against=True, approver=None) -> Adjustment:
    """Publish at `at`; None: as from the notice's minute (checked here, under the lock).
    `approver`: the user publishing by hand, whose draft needing the level above must be
    approved, or who is the level above (the worker publishes what was approved when it was
    scheduled)."""
    with transaction.atomic():
        adj = Adjustment.objects.select_for_update().filter(pk=pk).first()
        if adj is None:
            raise NotFound()
        if adj.state == State.PUBLISHED:
            return adj
        if adj.state not in states:
            raise Conflict(_("This adjustment was already published or cancelled."), code="closed")
        check_ready(adj)
        approved_now = _approval(approver, adj) if approver is not None else []
        now = timezone.now()
        from_notice = at is None
        if from_notice:
            refusal = from_notice_refusal(adj, now)
            if refusal is not None:
                raise refusal
            at = adj.notice.effective_at
        elif at < now:
            # the worker publishing a scheduled adjustment late (it was down at the minute):
            # a change written meanwhile over the same households comes first in their history,
            # so this one counts from that change at the earliest — never a period that ends
            # before it begins (the seal still goes ahead: nobody may be awake to redo it)
            last, _designation = engine.last_change([it.place for it in adj.items.select_related("place")])
            if last is not None and last > at:
                at = last
        items, already = _still_to_do(list(adj.items.select_related(
            "place", "zone_type", "designation__zone_type")))
        # zones lifted or stepped down while their lifting rule is not met: allowed (the
        # officials decide), said at the confirm step and kept in the record
        against = lifting.against_rule(items, timezone.localdate(at))
        if against and not confirm_against:
            raise lifting.against_error(against)  # asked first, nothing written
        for it in items:
            old = it.designation
            if old is not None:
                Designation.objects.filter(pk=old.pk).update(ends_at=at, ended_by=adj)
            if it.op in (Op.CREATE, Op.CHANGE):
                d = Designation(place=it.place, zone_type=it.zone_type, notice=adj.notice,
                                adjustment=adj, starts_at=at, clock_from=at, previous=old)
                if old is not None and it.zone_type.severity < old.zone_type.severity:
                    # a step down keeps counting clean days from where the stricter zone was
                    d.clock_from, d.stepped_from = old.clock_from, old.zone_type
                d.copy_levels(it.place)
                d.save()
        changed = engine.recompute_under([it.place for it in items], at)
        # counted as the zones page counts households (someone in it counts): an emptied
        # flat moves with its building on the map but is no household that changed zone
        adj.households_changed = len(queries.changed_counted([c.household_id for c in changed]))
        adj.state, adj.effective_at, adj.failure = State.PUBLISHED, at, ""
        adj.published_at, adj.published_by = now, _user(actor)
        adj.against_rule = [a.kept() for a in against]  # its page and the API say so
        adj.save(update_fields=["state", "effective_at", "published_at", "published_by",
                                "households_changed", "failure", "against_rule", *approved_now])
        changes = {"at": at.isoformat(), "published_at": now.isoformat(),
                   "notice": adj.notice.number, "items": len(items),
                   "households": adj.households_changed}
        if from_notice:
            changes["from_notice"] = True  # in force from the notice's minute, published later
        if already:
            changes["already"] = already  # places that had the zone this gives them: left as they were
        if against:
            changes["against_rule"] = [a.place for a in against]  # published against the recommendation
        if approved_now:
            changes["approved"] = True  # the level above published it: approved as it went
        record(actor, "zones.adjustment.publish", adj, changes)
        # the families, staff, grid workers and building leaders are told, once: this runs
        # only on the publication itself (a retry returned above), and each message is keyed
        told = telling.messages(adj, changed, actor)
        if told:
            tell.send(sender=Adjustment, adjustment=adj, actor=actor, messages=told)
    return adj
