"""A notice withdrawn or replaced by a correcting one, and which notice a change may be
published under.

**Withdrawn / replaced** (`withdraw`): a notice is public words; once posted it is kept, and
marked — "已被第22号更正" on it, "更正第19号" on the correcting one (lists, its page, API) —
or just withdrawn (作废). Zones change only by a published notice (docs/zones.md), so
withdrawing one never lifts what it published: its zones stay in force, with their history,
until an adjustment under another notice lifts or changes them (the confirm step says which
stay). A notice with an open adjustment (draft or scheduled) is not withdrawn: that one is
first attached to the correcting notice or cancelled, so nothing is published at 05:00 under
a withdrawn notice and nothing scheduled is dropped in silence. A withdrawn notice can be
attached to no draft (`refusal`).

**A lift is not filed under the notice that sealed the place** (`refusal`, from
`publish.check_ready`, the one check before scheduling and publishing): an item lifting a
zone, or changing it to a less severe one, whose zone was published under the attached
notice is refused — that notice says the opposite ("关于将3号楼划为封控区的通告" over
"封控区 → 管控区"), and the history and the families' messages would quote it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Invalid

from .. import access
from ..models import Adjustment, AdjustmentItem, Designation, Notice

OPEN = [Adjustment.State.DRAFT, Adjustment.State.SCHEDULED, Adjustment.State.AWAITING]


def still_in_force(notice: Notice) -> list[Designation]:
    """The zones published under `notice` that are in force now (they stay so when it is withdrawn)."""
    return list(Designation.objects.filter(notice=notice, ends_at=None).select_related("place", "zone_type")
                .order_by("place__name", "id"))


def open_under(notice: Notice) -> list[Adjustment]:
    return list(Adjustment.objects.filter(notice=notice, state__in=OPEN).order_by("id"))


def withdraw(actor, notice: Notice, replaced_by: Notice | None = None) -> Notice:
    """Mark `notice` withdrawn, replaced by `replaced_by` when given. The same again is a
    no-op (a retry); what it published stays in force."""
    access.require(actor, access.MANAGE, notice)
    if replaced_by is not None:
        access.require(actor, access.MANAGE, replaced_by)
        if replaced_by.pk == notice.pk:
            raise Invalid(fields={"replaced_by": [_("A notice cannot replace itself.")]})
        if replaced_by.withdrawn_at is not None:
            raise Invalid(fields={"replaced_by": [_("%(n)s is withdrawn itself: choose the notice in force.")
                                                  % {"n": replaced_by.number}]})
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.withdrawn_at is not None:
            if notice.replaced_by_id == (replaced_by.pk if replaced_by else None):
                return notice
            raise Conflict(_("%(n)s was already withdrawn.") % {"n": notice.number}, code="withdrawn")
        pending = open_under(notice)
        if pending:
            a = pending[0]
            raise Conflict(_("“%(title)s” (%(state)s) is still filed under %(n)s: attach it to the correcting "
                             "notice or cancel it first.") % {"title": a.title, "state": a.get_state_display(),
                                                              "n": notice.number}, code="open_adjustment")
        kept = still_in_force(notice)
        u = actor.user
        notice.withdrawn_at = timezone.now()
        notice.withdrawn_by = u if u is not None and getattr(u, "is_authenticated", False) else None
        notice.replaced_by = replaced_by
        notice.save(update_fields=["withdrawn_at", "withdrawn_by", "replaced_by"])
        record(actor, "zones.notice.withdraw", notice, {
            "number": notice.number, "replaced_by": replaced_by.number if replaced_by else None,
            "in_force": len(kept)})
    return notice


def refusal(adj: Adjustment) -> Invalid | None:
    """Why `adj` may not be published under its notice, or None (see the module)."""
    n = adj.notice
    if n is None:
        return None
    if n.withdrawn_at is not None:
        msg = (_("%(n)s was withdrawn and replaced by %(by)s: attach that one or another notice.")
               % {"n": n.number, "by": n.replaced_by.number} if n.replaced_by_id else
               _("%(n)s was withdrawn: attach another notice.") % {"n": n.number})
        return Invalid(msg, fields={"notice": [msg]}, code="notice_withdrawn")
    Op = AdjustmentItem.Op
    for it in adj.items.filter(op__in=[Op.LIFT, Op.CHANGE], designation__notice=n).select_related(
            "place", "zone_type", "designation__zone_type"):
        if it.op == Op.CHANGE and it.zone_type.severity >= it.designation.zone_type.severity:
            continue  # made stricter under the same notice: what it says
        msg = _("%(n)s “%(title)s” is the notice that made %(place)s a %(zone)s: a lift or step down is "
                "published under a new notice that says so.") % {
            "n": n.number, "title": n.title, "place": it.place.name, "zone": it.designation.zone_type.name}
        return Invalid(msg, fields={"notice": [msg]}, code="notice_of_the_zone")
    return None
