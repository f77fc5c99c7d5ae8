"""The level above approves a lift (`zones.approval` says which drafts need it and who).

Submitted by staff (the draft ready: a notice attached, places, never under the notice that
made the zone), it waits "awaiting approval" and cannot be changed; the street's command is
told at once (inbox, in each reader's language, once per submission) and sees it at the top
of its place page. Approved, it is a draft again that may be published or scheduled (any
change to its places or its notice takes the approval away: `publish._unapprove`); returned,
a draft again with the reason said on its page and to whoever submitted it. Each step is
asked first on the page, audited, and the same action for the page and the API."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.audit.actions import record
from fangkong.core.clean import clean
from fangkong.core.errors import Conflict, Invalid

from .. import access, approval
from ..models import Adjustment
from ..signals import tell
from .publish import check_ready

State = Adjustment.State
REASON_MAX = 300


def _user(actor):
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None


def _name(u) -> str:
    return (getattr(u, "display_name", "") or getattr(u, "username", "")) if u is not None else ""


def submit(actor, adj: Adjustment) -> Adjustment:
    """Ask the level above to approve `adj` (staff who manage it). Submitted again while it
    waits (a retry, a second tap): unchanged, nobody told twice."""
    access.require(actor, access.MANAGE, adj)
    if adj.state == State.AWAITING:
        return adj
    if adj.state != State.DRAFT:
        raise Conflict(_("Only a draft can be submitted for approval."), code="not_draft")
    check_ready(adj)  # a notice, places, not filed under the notice that made the zone
    items = approval.needing(adj)
    if not items:
        raise Conflict(_("This draft needs no approval: publish it."), code="no_approval_needed")
    if adj.approved_at is not None:
        raise Conflict(_("This draft is approved already: publish it."), code="approved")
    now, user = timezone.now(), _user(actor)
    with transaction.atomic():
        n = Adjustment.objects.filter(pk=adj.pk, state=State.DRAFT, approved_at=None).update(
            state=State.AWAITING, submitted_by=user, submitted_at=now, returned_by=None, returned_at=None,
            return_reason="")
        if not n:
            raise Conflict(_("This adjustment was changed meanwhile: open it again."), code="closed")
        adj.state, adj.submitted_by, adj.submitted_at = State.AWAITING, user, now
        adj.returned_by, adj.returned_at, adj.return_reason = None, None, ""
        record(actor, "zones.adjustment.submit", adj, {"places": [it.place_id for it in items]})
        _tell_command(actor, adj, items, now)
    return adj


def approve(actor, adj: Adjustment) -> Adjustment:
    """The level above approves `adj`: a draft again, which its staff may publish or schedule.
    Approved again (a retry): unchanged."""
    access.require(actor, access.APPROVE, adj)
    if adj.state == State.DRAFT and adj.approved_at is not None:
        return adj
    now, user = timezone.now(), _user(actor)
    with transaction.atomic():
        n = Adjustment.objects.filter(pk=adj.pk, state=State.AWAITING).update(
            state=State.DRAFT, approved_by=user, approved_at=now)
        if not n:
            raise Conflict(_("Only a draft awaiting approval can be approved or returned."), code="not_awaiting")
        adj.state, adj.approved_by, adj.approved_at = State.DRAFT, user, now
        record(actor, "zones.adjustment.approve", adj, {"submitted_at": adj.submitted_at.isoformat()
                                                         if adj.submitted_at else None})
        _tell_back(actor, adj, approved=True)
    return adj


def return_(actor, adj: Adjustment, reason: str) -> Adjustment:
    """The level above sends `adj` back to its staff with `reason` (required): a draft again,
    not approved. Returned again with the same reason (a retry): unchanged."""
    access.require(actor, access.APPROVE, adj)
    reason = clean(str(reason or "")).strip()
    if not reason:
        raise Invalid(fields={"reason": [_("Say why it is returned: the staff read it on the draft.")]})
    if len(reason) > REASON_MAX:
        raise Invalid(fields={"reason": [_("At most %(n)d characters.") % {"n": REASON_MAX}]})
    if adj.state == State.DRAFT and adj.returned_at is not None and adj.return_reason == reason:
        return adj
    now, user = timezone.now(), _user(actor)
    with transaction.atomic():
        n = Adjustment.objects.filter(pk=adj.pk, state=State.AWAITING).update(
            state=State.DRAFT, returned_by=user, returned_at=now, return_reason=reason, approved_by=None,
            approved_at=None)
        if not n:
            raise Conflict(_("Only a draft awaiting approval can be approved or returned."), code="not_awaiting")
        adj.state, adj.returned_by, adj.returned_at, adj.return_reason = State.DRAFT, user, now, reason
        adj.approved_by, adj.approved_at = None, None
        record(actor, "zones.adjustment.return", adj, {"reason": reason})
        _tell_back(actor, adj, approved=False)
    return adj


def _tell_command(actor, adj, items, now):
    """The street's command: a draft waits for it (once per submission)."""
    users = approval.command_of(adj) - {getattr(actor.user, "pk", None)}
    if not users:
        return
    title, notice, who = adj.title, adj.notice, _name(adj.submitted_by)
    community = adj.place.name

    def body():  # in each reader's language
        return _("%(who)s (%(community)s) asks the street's command to approve: %(what)s, under %(notice)s "
                 "(%(issued_by)s). Approve it or return it with a reason.") % {
            "who": who or community, "community": community, "what": approval.what(items),
            "notice": notice.number, "issued_by": notice.issued_by}

    tell.send(sender=Adjustment, adjustment=adj, actor=actor, messages=[{
        "users": users, "kind": "zones.approval",
        "title": lambda: _("To approve: %(title)s") % {"title": title}, "body": body,
        "url": reverse("zones_adjustment", args=[adj.id]), "place": adj.place,
        "key": f"zones.approval.{adj.id}.submit.{int(now.timestamp())}"}])


def _tell_back(actor, adj, *, approved: bool):
    """Whoever submitted and drafted it, and the community's staff: approved (publish it), or
    returned and why."""
    users = {u.pk for u in (adj.submitted_by, adj.created_by) if u is not None}
    if adj.community_id:
        users |= set(Membership.objects.filter(is_active=True, role=Role.STAFF, place_id=adj.community_id)
                     .values_list("user_id", flat=True))
    users.discard(getattr(actor.user, "pk", None))
    if not users:
        return
    title, who, reason = adj.title, _name(_user(actor)), adj.return_reason
    at = adj.approved_at if approved else adj.returned_at
    if approved:
        head = lambda: _("Approved: %(title)s") % {"title": title}  # noqa: E731
        body = lambda: _("%(who)s approved it: it can be published or scheduled now.") % {  # noqa: E731
            "who": who or _("The street's command")}
    else:
        head = lambda: _("Returned: %(title)s") % {"title": title}  # noqa: E731
        body = lambda: _("%(who)s returned it: %(reason)s") % {  # noqa: E731
            "who": who or _("The street's command"), "reason": reason}
    tell.send(sender=Adjustment, adjustment=adj, actor=actor, messages=[{
        "users": users, "kind": "zones.approval", "title": head, "body": body,
        "url": reverse("zones_adjustment", args=[adj.id]), "place": adj.place,
        "key": f"zones.approval.{adj.id}.{'approved' if approved else 'returned'}.{int(at.timestamp())}"}])
