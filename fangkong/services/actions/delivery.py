"""At the door: each stop of a run confirmed delivered (optional photo) or not delivered
with a reason, once — a retry with the same client id (the phone's offline queue sending
again) answers the first confirmation. A door delivered delivers the household's orders of
the batch of which something came through the gate; an order of which nothing came stays a
problem with its lines' exceptions. A door not delivered becomes an exception for staff;
staff resolve exceptions. When every stop of a run is confirmed the run is done; when every
run is done, the batch."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Invalid
from fangkong.core.said import said
from fangkong.core.uploads import check_image

from .. import access, checks
from ..models import (
    DOOR_NO_ANSWER,
    Batch,
    Line,
    Order,
    Problem,
    Request,
    Run,
    Stop,
    visit_client_id,
)


def confirm_stop(actor, stop: Stop, *, delivered: bool, client_id, reason="", photo=None,
                 why="") -> tuple[Stop, bool]:
    """Returns (stop, created): created is False when this was a retry (or the door was
    already confirmed by someone else with another client id: a Conflict then). `why` (a
    door not delivered): `Stop.Why` as the carrier chose it — nobody answered, refused, wrong
    address, other; the reason may then be left empty (the choice says it). Only a door
    nobody answered raises the visit (`_visit`); blank (a phone's queue from before the
    choice) is taken as nobody answering, the safe side for someone watched over."""
    run = stop.run
    cid = checks.client_id(client_id)
    if cid is not None and stop.client_id == cid and stop.confirmed_by_id == getattr(actor.user, "id", 0):
        return stop, False  # the phone's queue sending again, even after the run closed
    access.require_run(actor, run, confirm=True)
    if cid is None:
        raise Invalid(fields={"client_id": [_("This field is required.")]})
    if stop.client_id == cid:
        return stop, False
    if stop.state != Stop.State.PENDING:
        raise Conflict(_("This door was already confirmed."))
    if delivered and not Line.objects.filter(batch_id=run.batch_id, household_id=stop.household_id,
                                             received__gt=0).exists():
        # nothing came through the gate for this door: there is nothing to deliver
        raise Invalid(fields={"delivered": [_("Nothing for this door came through the checkpoint: there is "
                                              "nothing to deliver. Tell the household instead.")]})
    why = _why(why) if not delivered else ""
    reason = checks.text(reason, "reason", max_length=200,
                         required=not delivered and why in ("", Stop.Why.OTHER))
    if not delivered and not reason:
        reason = str(Stop.Why(why).label)  # the choice in words: the exception's text, the history
    ext = check_image(photo) if photo else None
    now = timezone.now()
    try:
        with transaction.atomic():
            values = dict(state=Stop.State.DELIVERED if delivered else Stop.State.FAILED, reason=reason,
                          why=why, client_id=cid, confirmed_by=_user(actor), confirmed_at=now)
            n = Stop.objects.filter(pk=stop.pk, state=Stop.State.PENDING).update(**values)
            if not n:
                stop.refresh_from_db()
                if stop.client_id == cid:
                    return stop, False
                raise Conflict(_("This door was already confirmed."))
            for k, v in values.items():
                setattr(stop, k, v)
            if ext:
                stop.photo.save(f"door.{ext}", photo, save=True)
            orders = Order.objects.filter(batch_id=run.batch_id, household_id=stop.household_id)
            if delivered:
                # an order of which nothing came through the gate (every line short to 0 or
                # damaged) was not delivered with the rest: it stays a problem, as its lines'
                # exceptions are, until staff resolve them
                came = Line.objects.filter(batch_id=run.batch_id, household_id=stop.household_id,
                                           received__gt=0).values("order_id")
                orders.filter(id__in=came).update(state=Order.State.DELIVERED)
                orders.exclude(id__in=came).update(state=Order.State.PROBLEM)
            else:
                orders.update(state=Order.State.PROBLEM)
            if delivered:
                from .batch_late import door_delivered

                # the family hears its goods are outside the door (walk_family 1)
                door_delivered(actor, stop, run.batch.supplier.name)
                # a report answered on a promise ("明早9点前送到") is now the family's to confirm
                from .requests import goods_came

                goods_came(actor, stop.household_id, list(orders.filter(state=Order.State.DELIVERED)
                                                          .values_list("id", flat=True)))
            if not delivered:
                p = Problem(batch_id=run.batch_id, household_id=stop.household_id, stop=stop,
                            kind=Problem.Kind.NOT_DELIVERED, text=reason)
                p.copy_levels(stop)
                p.save()
                # while the run is still open (its carrier may raise it): see `_visit`; only
                # a door nobody answered (a refusal or a wrong address was not "nobody there":
                # found on the sealed-area evening, each raised the same "go and see her")
                if why in ("", Stop.Why.NO_ANSWER):
                    _visit(actor, stop, reason)
                from .told import door_not_delivered

                # the household hears why, and that it is not charged (found on the supply evening)
                door_not_delivered(actor, stop, run.batch.supplier.name)
            if not Stop.objects.filter(run=run, state=Stop.State.PENDING).exists():
                Run.objects.filter(pk=run.pk).update(state=Run.State.DONE)
                if not Run.objects.filter(batch_id=run.batch_id, state=Run.State.OPEN).exists():
                    Batch.objects.filter(pk=run.batch_id).update(state=Batch.State.DONE)
            record(actor, "services.stop.confirm", stop, {"run": run.id, "delivered": delivered,
                                                          "reason": reason, **({"why": why} if why else {})})
    except IntegrityError:  # the same client id used on another door
        raise Invalid(fields={"client_id": [_("This client id was used for another door.")]}) from None
    return stop, True


def _why(value) -> str:
    """A door's `Stop.Why` from outside ("" when not said); anything else is refused."""
    value = (value or "").strip()
    if value and value not in Stop.Why.values:
        raise Invalid(fields={"why": [_("Choose why it was not delivered.")]})
    return value


def _visit(actor, stop: Stop, reason: str) -> None:
    """Nobody answered the door of someone watched over (an elderly person living alone, a
    vulnerable resident sealed in: `care.watched_over`, who get the morning call): the same
    visit within the hour as a morning call nobody answered (`care.no_answer_visit`), not
    only an exception without a deadline (found on a phone). Once a door: its client id is
    the stop's."""
    from .care import no_answer_visit, watched_over

    names = list(watched_over().filter(household_id=stop.household_id).order_by("id")
                 .values_list("name", flat=True)[:3])
    if not names:
        return
    # kept as a code and its parameters: said in the reader's language (the grid worker's,
    # not the carrier's: found with a carrier in English and the queue in Chinese)
    no_answer_visit(actor, stop.household, said(DOOR_NO_ANSWER, reason=reason, name=names),
                    client_id=visit_client_id(stop.id))


def attach_photo(actor, stop: Stop, photo) -> tuple[Stop, bool]:
    """The photo taken at a door, sent after its confirmation (the phone's queue sends the
    door, then its photo): by whoever confirmed it, or staff and grid workers over it. A
    JPEG, PNG or WebP within FANGKONG_PHOTO_MAX_BYTES, its type read from its bytes. The
    first photo stays: sending it again answers (stop, False)."""
    user = _user(actor)
    if not (user is not None and stop.confirmed_by_id == user.id):
        access.require_run(actor, stop.run, confirm=True)
    if stop.state == Stop.State.PENDING:
        raise Conflict(_("Confirm the door first, then add its photo."))
    if stop.photo:
        return stop, False
    if photo is None:
        raise Invalid(fields={"photo": [_("Choose a photo.")]})
    ext = check_image(photo)
    with transaction.atomic():
        locked = Stop.objects.select_for_update().get(pk=stop.pk)
        if locked.photo:
            return locked, False
        locked.photo.save(f"door.{ext}", photo, save=False)
        locked.save(update_fields=["photo"])
        record(actor, "services.stop.photo", locked, {"run": locked.run_id})
    return locked, True


def resolve_problem(actor, problem: Problem, *, resolution: str, delivered=False, redelivery=None) -> Problem:
    """Staff close an exception with what was done. `delivered`: the household's order was
    delivered after all (e.g. carried again in the evening): the order and the door become
    delivered, and the visit the door raised (a door nobody answered for someone watched
    over: `_visit`), still open, is done with the same words — they went and saw her (found
    on an evening walk: "已当面交付" and the "go and see her" request still counted as open).
    Not delivered: nobody went to the door, so the visit stays open (found on the sealed-area
    evening: "货已取回卡口，待核实后再送" closed "请上门看看高来福" as done); and once no
    exception of the household's batch is left open, its orders still at a problem end as
    not delivered (`Order.Why.NOT_DELIVERED`: cancelled, not coming, nothing owed — found
    on the same evening: "还有 1 单待送达" forever). `redelivery`: the follow-up orders 补送 made
    for it (`redelivery.redeliver`, which calls this in its transaction), kept in the event."""
    access.require(actor, access.RUN, problem)
    if problem.resolved_at is not None:
        return problem
    text = checks.text(resolution, "resolution", max_length=300)
    now = timezone.now()
    with transaction.atomic():
        n = Problem.objects.filter(pk=problem.pk, resolved_at=None).update(
            resolution=text, resolved_by=_user(actor), resolved_at=now)
        if n:
            stuck = Order.objects.filter(batch_id=problem.batch_id, household_id=problem.household_id,
                                         state=Order.State.PROBLEM)
            visit, ended = None, []
            if delivered:
                stuck.update(state=Order.State.DELIVERED)
                if problem.stop_id:
                    Stop.objects.filter(pk=problem.stop_id).update(state=Stop.State.DELIVERED)
                if problem.stop_id:
                    visit = Request.objects.filter(client_id=visit_client_id(problem.stop_id),
                                                   state__in=Request.OPEN).first()
                if visit is not None:
                    from .requests import done

                    done(actor, visit, text)  # audited there, by whom
            elif not Problem.objects.filter(batch_id=problem.batch_id, household_id=problem.household_id,
                                            resolved_at=None).exists():
                ended = list(stuck.values_list("id", flat=True))
                stuck.update(state=Order.State.CANCELLED, cancelled_at=now, cancelled_why=Order.Why.NOT_DELIVERED)
            # the family's "这单有问题" it answers: done with the same words, told once (`order_problem`)
            from .order_problem import problem_resolved

            reports = problem_resolved(actor, problem, text)
            record(actor, "services.problem.resolve", problem,
                   {"problem": problem.id, "resolution": text, "delivered": delivered,
                    **({"reports": reports} if reports else {}),
                    **({"redelivery": list(redelivery)} if redelivery else {}),
                    **({"visit": visit.id} if visit is not None else {}),
                    **({"orders_ended": ended} if ended else {})})
    problem.refresh_from_db()
    return problem


def _user(actor):
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None
