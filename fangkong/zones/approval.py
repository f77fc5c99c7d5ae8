"""Who must approve a lift (a read; the writes are `actions.approval`).

Lifting a zone, or stepping it down to a less strict type, whose type needs the level
above (`ZoneType.lift_approval`: every 封控区 of the shipped policies, editable per policy)
is not one community worker's decision: the draft is submitted, waits "awaiting approval",
and the street's command (whoever holds `zones.approve` over it: the street's or the
district's command) approves it — then it may be published or scheduled — or returns it
with a reason. An escalation (stricter) never waits. Whoever may approve publishes at once
(the level above deciding); the publication records them as approving.

The street's command is also who is told, once each, in its own language, of every
publication in its street, every new case and every escalation drafted (`command_of`)."""

from django.utils.translation import gettext as _

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.core.errors import Conflict
from fangkong.core.text import join_words

from . import access
from .models import AdjustmentItem

Op = AdjustmentItem.Op


def needing(adj, items=None) -> list:
    """The items of `adj` that lift a zone, or change it to a less strict type, whose type
    needs the approval of the level above (the designation's type as it stands)."""
    if items is None:
        items = adj.items.select_related("place", "zone_type", "designation__zone_type")
    out = []
    for it in items:
        d = it.designation
        if it.op == Op.CREATE or d is None or not d.zone_type.lift_approval:
            continue
        if it.op == Op.LIFT or (it.zone_type is not None and it.zone_type.severity < d.zone_type.severity):
            out.append(it)
    return out


def may_approve(scope, adj) -> bool:
    """May the user approve `adj` (the level above: `zones.approve` over it)?"""
    return scope.allows(access.APPROVE, adj)


def must_submit(scope, adj, items=None) -> bool:
    """Must `adj` be approved before this user may publish or schedule it: it needs the level
    above, has not been approved, and the user is not the level above."""
    return adj.approved_at is None and not may_approve(scope, adj) and bool(needing(adj, items))


def what(items) -> str:
    """"3号楼（封控区）、5号楼（封控区）": the places and zones that need approval."""
    return join_words([_("%(place)s (%(zone)s)") % {"place": it.place.name, "zone": it.designation.zone_type.name}
                       for it in items])


def required(items) -> Conflict:
    """The refusal of publishing or scheduling unapproved the items `needing` found (409
    `approval_required`)."""
    return Conflict(_("Lifting or stepping down %(what)s needs the approval of the street's command: submit it "
                      "for approval; it can be published once approved.") % {"what": what(items)},
                    code="approval_required")


def command_of(obj) -> set[int]:
    """The street's command over `obj` (anything with level columns): the active command
    accounts on its street; none there, on its district."""
    for level in ("street_id", "district_id"):
        pid = getattr(obj, level, None)
        if not pid:
            continue
        users = set(Membership.objects.filter(is_active=True, role=Role.COMMAND, place_id=pid)
                    .values_list("user_id", flat=True))
        if users:
            return users
    return set()


def state_words(adj) -> str:
    """Where the approval stands, for the draft's page: "等待街道审批（12-07 18:43 由…提交）",
    "已由…于…批准", "被…退回：…"; "" when nothing was asked."""
    from fangkong.core.when import short_time

    def who(u):
        return (getattr(u, "display_name", "") or getattr(u, "username", "")) if u is not None else _("the system")

    if adj.state == adj.State.AWAITING:
        return _("Awaiting the approval of the street's command (submitted %(at)s by %(who)s).") % {
            "at": short_time(adj.submitted_at), "who": who(adj.submitted_by)}
    if adj.approved_at is not None:
        return _("Approved by %(who)s at %(at)s.") % {"at": short_time(adj.approved_at), "who": who(adj.approved_by)}
    if adj.returned_at is not None:
        return _("Returned by %(who)s at %(at)s: %(reason)s") % {
            "at": short_time(adj.returned_at), "who": who(adj.returned_by), "reason": adj.return_reason}
    return ""
