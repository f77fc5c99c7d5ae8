"""已到达卡口: the supplier's own login (or the team on duty at the gate, or staff) says a
batch's goods are at the checkpoint, before anyone begins checking (found on a lockdown day:
the supplier could only sign, and the gate team read "待到货" until it started checking).
Its time is kept beside the promised one (`Batch.arrived_at`, for the report and the
supplier's punctuality), audited, and the team on duty is told once."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict
from fangkong.core.when import short_time

from .. import access
from ..models import Batch


def arrived(actor, batch: Batch) -> Batch:
    """Once: saying it again answers the batch as it is. Only while it is expected (a batch
    being checked is at the gate already; a signed one has left it)."""
    access.require_batch(actor, batch, check=True)
    if batch.arrived_at is not None:
        return batch
    if batch.state != Batch.State.EXPECTED:
        raise Conflict(_("The checkpoint has already begun checking this delivery."))
    now = timezone.now()
    user = actor.user if actor.user is not None and getattr(actor.user, "is_authenticated", False) else None
    with transaction.atomic():
        n = Batch.objects.filter(pk=batch.pk, state=Batch.State.EXPECTED, arrived_at=None).update(
            arrived_at=now, arrived_by=user)
        batch.refresh_from_db()
        if n:
            late = max(0, int((now - batch.due_at).total_seconds() // 60))
            record(actor, "services.batch.arrived", batch, {"due_at": batch.due_at.isoformat(),
                                                            "late_minutes": late}, levels_from=batch)
            _tell_team(actor, batch)
    return batch


def _told(actor, batch: Batch) -> set[int]:
    """Whom `_tell_team` tells: the team's volunteers who may go out, not whoever said it."""
    me = getattr(actor.user, "id", None)
    return {u for u in access.team_user_ids(batch.team_id) if u != me}


def told_words(actor, batch: Batch) -> str:
    """Who is told of the arrival, in words (the page asks and answers with it; a batch made
    with "由工作人员核对" has no team, and the page said "已通知卡口值守小组")."""
    if not batch.team_id:
        return _("No team is on duty for this batch: the community staff check the goods.")
    n = len(_told(actor, batch))
    if not n:
        return _("Nobody of %(team)s may go out now and nobody is told: the community staff check the "
                 "goods.") % {"team": batch.team.name}
    return ngettext("%(n)d volunteer of %(team)s is told to come and check them.",
                    "%(n)d volunteers of %(team)s are told to come and check them.", n) % {
        "n": n, "team": batch.team.name}


def _tell_team(actor, batch: Batch) -> None:
    """The team on duty at the gate (not whoever said it), once a batch, in each reader's
    language: whose goods are at which gate since when."""
    from django.urls import reverse

    from fangkong.notify.actions import notify

    users = _told(actor, batch)
    if not users:
        return
    facts = {"supplier": batch.supplier.name, "gate": batch.checkpoint.name}
    at, due = batch.arrived_at, batch.due_at

    def words():
        return dict(facts, time=short_time(at), due=short_time(due))

    notify(actor, users, kind="services.handoff",
           title=lambda: _("%(supplier)s is at %(gate)s: come and check the goods") % words(),
           body=lambda: _("At the checkpoint since %(time)s (expected %(due)s).") % words(),
           url=reverse("services_batch", args=[batch.id]), place=batch.checkpoint,
           key=f"services.batch.{batch.id}.arrived")
