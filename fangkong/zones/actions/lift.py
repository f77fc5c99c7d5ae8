"""A lifting recommendation drafted as an adjustment in one tap."""

from django.utils.translation import gettext as _

from fangkong.core.errors import Invalid

from .. import access, lifting
from ..models import Adjustment, AdjustmentItem, Designation
from . import publish


def draft_from(actor, designation: Designation, today=None) -> Adjustment:
    """Draft the adjustment the recommendation proposes (step down or lift). Tapped twice,
    it gives the same open draft."""
    access.require(actor, access.MANAGE, designation)
    if designation.ends_at is not None:
        raise Invalid(_("This zone has already been lifted or changed."), code="ended")
    rec = lifting.recommendations([designation], today)[0]
    if rec.action == lifting.KEEP:
        raise Invalid(_("The recommendation is to keep this zone: %(why)s")
                      % {"why": " ".join(rec.reasons)}, code="keep")
    open_one = Adjustment.objects.filter(state__in=[Adjustment.State.DRAFT, Adjustment.State.AWAITING],
                                         reason=Adjustment.Reason.LIFTING,
                                         items__designation=designation).first()
    if open_one is not None:
        return open_one
    root = designation.place
    if designation.community_id and designation.place.kind not in ("community",):
        from fangkong.registry.models import Place

        root = Place.objects.get(pk=designation.community_id)
    adj = publish.draft(actor, root, f"{rec.action_label}: {designation.place.name}",
                        why=" ".join(rec.reasons)[:300], reason=Adjustment.Reason.LIFTING)
    op = AdjustmentItem.Op.LIFT if rec.action == lifting.LIFT else AdjustmentItem.Op.CHANGE
    publish.add_item(actor, adj, op, designation.place, rec.to)
    return adj
