"""Small pieces every screening action module uses."""

import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict as ConflictError
from fangkong.core.errors import Invalid, NotFound

from .. import checks
from ..models import Round, RoundKind, RoundStatus, SamplingPoint, Tube, TubeState


def user_of(actor):
    """The actor's account when signed in (rows record who did it), else None."""
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None


def require_tubes(rnd: Round):
    """Tubes are opened and scanned at a station in PCR rounds only: an antigen round's
    results are entered at the door (`antigen_views.door`), so its station is not found
    (a wrong-kind object answers as a missing one), saying where to go instead."""
    if rnd.kind == RoundKind.ANTIGEN:
        raise NotFound(_("This is an antigen round: there is no tube station. Enter each person's "
                         "result on the door-to-door page."), code="antigen_round")


def require_open(rnd: Round, *, queued=False):
    """Nothing is registered in a closed round. `queued`: work kept on a phone (a batch),
    which waits there until the round is reopened: the answer says so."""
    if rnd.status == RoundStatus.CLOSED:
        if queued:
            raise Invalid(_("This round has ended, so the scans kept on this phone cannot be "
                            "registered yet. Keep them: ask the round's staff to reopen the round, "
                            "then tap “Send now”."), code="round_closed")
        raise Invalid(_("This round is closed."), code="round_closed")


def new_tube(rnd, barcode, capacity, user, point, table, client_id, at, retest=False) -> Tube:
    """An unsaved tube of the round (its level columns copied from the round)."""
    t = Tube(round=rnd, barcode=barcode, capacity=capacity, opened_by=user, opened_at=at,
             point_id=getattr(point, "id", point), table=table, client_id=client_id, retest=retest)
    t.copy_levels(rnd)
    return t


def save_new_tube(tube: Tube, actor=None) -> Tube:
    """Save a tube made by `new_tube`; its barcode already used in the round is a conflict
    (the round's unique barcode decides, so two stations racing cannot both have it)."""
    try:
        with transaction.atomic():
            tube.save()
            started(tube.round, actor)
    except IntegrityError:
        raise ConflictError(_("Tube %(code)s is already used in this round.") % {"code": tube.barcode},
                            code="barcode_used") from None
    return tube


def earliest_clock(rnd: Round):
    """The earliest time a station's clock is believed for this round: a day before its
    planned start (a round may begin earlier than planned, not days earlier)."""
    return rnd.starts_at - datetime.timedelta(days=1)


#: a round started less than this before its planned minute needs no question (the
#: 开始采样 button asks past it; the station page waits for the round to be started)
EARLY = datetime.timedelta(minutes=30)


def starts_later(rnd: Round, now=None) -> bool:
    """A planned round whose planned start is more than `EARLY` ahead: starting it is asked
    first (the round page's button), and the station page scans nothing until it is."""
    now = now or timezone.now()
    return rnd.status == RoundStatus.PLANNED and rnd.starts_at > now + EARLY


def start_early(rnd: Round, now) -> dict:
    """THE rule for a round started before its planned minute, for the 开始采样 button
    (`planning.set_status`) and a station's first tube (`started`) alike: it starts now, so
    that the dashboard, the place figures and the nightly report (which count rounds by
    their start) count its samples. Moves `rnd.starts_at`; the audit's change, if any."""
    if rnd.starts_at > now:
        change = {"starts_at": [f"{timezone.localtime(t):%Y-%m-%d %H:%M}" for t in (rnd.starts_at, now)]}
        rnd.starts_at = now
        return change
    return {}


def started(rnd: Round, actor=None):
    """A planned round whose first tube opens is running: its stations have begun before
    anyone pressed "start" (the figures leave planned rounds out, so the people sampled
    were not counted, and the round page said "planned" beside "sampled 1/500"). Begun
    before its planned minute, it starts now (`start_early`, as the start button does):
    audited as the start button is ("screening.round.status")."""
    if rnd.status == RoundStatus.PLANNED:
        changes = {"status": [RoundStatus.PLANNED.value, RoundStatus.RUNNING.value],
                   **start_early(rnd, timezone.now())}
        if Round.objects.filter(pk=rnd.pk, status=RoundStatus.PLANNED).update(
                status=RoundStatus.RUNNING, starts_at=rnd.starts_at) and actor is not None:
            record(actor, "screening.round.status", rnd, changes, levels_from=rnd)
        rnd.status = RoundStatus.RUNNING


def unknown_points(rnd: Round, ids) -> set[int]:
    """Of these sampling point ids, those that are not the round's (one query; none when
    no id is given, the usual batch)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return set()
    return ids - set(SamplingPoint.objects.filter(round=rnd, id__in=ids).values_list("id", flat=True))


def check_point_and_table(rnd: Round, point, table, errors) -> tuple[int | None, int | None]:
    """A tube's sampling point (one of the round's, as an id or a SamplingPoint) and table
    number, as sent by a station; what is wrong goes into `errors` by field."""
    point_id = checks.check_point_id(getattr(point, "id", point), errors)
    table = checks.check_table(table, errors)
    if point_id is not None and unknown_points(rnd, [point_id]):
        errors["point"] = [checks.no_such_point()]
    return point_id, table


def assigned_point(rnd: Round, user) -> int | None:
    """THE rule for a tube opened naming no sampling point — the station page, the API's
    single open and the offline/bulk batch (`sync`) alike: it is at the point the sampler
    was assigned to in this round (`Sampler`), so the round's per-point figures count it.
    None when the sampler has no assignment (staff sampling, say)."""
    from ..models import Sampler

    uid = getattr(user, "id", None)
    if uid is None:
        return None
    return Sampler.objects.filter(round=rnd, user_id=uid).values_list("point_id", flat=True).first()


# --- a tube left empty at its table ----------------------------------------------------------

def left_empty(tubes, user_id, point_id, table, barcode) -> list[Tube]:
    """THE rule for a tube left empty at a table, for the single open
    (`station.open_tube`) and the offline batch (`sync.Batch.open`) alike: a sampler who
    opens (or resumes) tube `barcode` at a table — `point_id` and `table` as the open names
    them, none for none — has moved on from the tubes they opened there before that are
    still open with nobody in them (a mis-scan, a cracked tube: the station page sets such a
    tube aside when the next is scanned). Of `tubes`, those to release (`release`): their
    rows go and their barcodes are free again for any table.

    Only at a named table (the station page of a sampler names theirs): an open that names
    no table is an API client's, which may open several tubes ahead on purpose (a box of
    tubes labelled before the queue arrives) — none of those is ever released.

    Never a tube with anyone in it — a registration (`count`) or an offline scan kept as a
    conflict (`busy`: the swab is in the tube though nobody is registered) — nor a re-test
    tube, nor another sampler's, nor one at another table. A tube with swabs in it stays
    open as before: the station asks to seal it first, and staff may seal it from the
    round's page."""
    if user_id is None or table is None:
        return []
    return [t for t in tubes
            if t.barcode != barcode and t.opened_by_id == user_id and t.point_id == point_id
            and t.table == table and t.state == TubeState.OPEN and t.count == 0
            and not t.retest and not getattr(t, "busy", False)]


RELEASE_SQL = (
    "DELETE FROM screening_tube WHERE id IN ({ids}) AND state = %s AND count = 0 "
    "AND NOT EXISTS (SELECT 1 FROM screening_conflict c WHERE c.tube_id = screening_tube.id) "
    "AND NOT EXISTS (SELECT 1 FROM screening_sample s WHERE s.tube_id = screening_tube.id) "
    "RETURNING id")


def release(tubes) -> set[int]:
    """Release tubes `left_empty` chose (saved ones): the row goes, so the barcode may be
    opened again at any table. The statement checks again that nobody is in each (open,
    count 0, no registration and no conflict naming it). The ids released; the caller
    audits them."""
    ids = [t.pk for t in tubes if t.pk is not None]
    if not ids:
        return set()
    with connection.cursor() as cur:
        cur.execute(RELEASE_SQL.format(ids=", ".join(["%s"] * len(ids))),  # nosec B608 - placeholders only
                    [*ids, TubeState.OPEN.value])
        return {row[0] for row in cur.fetchall()}


def set_aside_audit(tube: Tube, next_barcode: str) -> dict:
    """What the audit keeps of a tube released when its table opened `next_barcode`."""
    return {"barcode": tube.barcode, "point": tube.point_id, "table": tube.table,
            "opened_at": tube.opened_at.isoformat() if tube.opened_at else None,
            "next": next_barcode}
