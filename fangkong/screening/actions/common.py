"""Small pieces every screening action module uses."""

from django.utils.translation import gettext as _

from fangkong.core.errors import Invalid

from ..models import Round, RoundStatus, Tube


def user_of(actor):
    """The actor's account when signed in (rows record who did it), else None."""
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None


def require_open(rnd: Round):
    """Nothing is registered in a closed round."""
    if rnd.status == RoundStatus.CLOSED:
        raise Invalid(_("This round is closed."), code="round_closed")


def new_tube(rnd, barcode, capacity, user, point, table, client_id, at, retest=False) -> Tube:
    """An unsaved tube of the round (its level columns copied from the round)."""
    t = Tube(round=rnd, barcode=barcode, capacity=capacity, opened_by=user, opened_at=at,
             point_id=getattr(point, "id", point), table=table, client_id=client_id, retest=retest)
    t.copy_levels(rnd)
    return t
