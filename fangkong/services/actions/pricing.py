"""A substitute's price told after the hand-off (found on the supply evening: 蔬菜包（8种）
substituted at the gate by 蔬菜包（6种）, no price known there — 价格待定 — and once the batch
was signed its line could no longer change, so the supplier's price, phoned in the next
morning, had nowhere to go and the household's bill stayed short of it for good). The page
(the batch's list) and the API (`POST /services/lines/{id}/price`) call `price_substitute`."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict

from .. import access, checks
from ..models import Line

Check = Line.Check


def price_substitute(actor, line: Line, price) -> Line:
    """Set the price of a line substituted at the gate without one (价格待定,
    `Line.price_pending`), at any time after its check — the batch signed, carried,
    delivered — so that the household's bill (`queries.owed`, an order's `amount_due`) is
    complete. By who sets a batch's prices (`access.require_manifest`: the supplier's own
    login, staff and grid workers over the gate). Once: a line priced already is 409
    `price_set` (while the batch is open, the gate's own check changes it: `check_line`),
    the same price again answers the line as it is (a retry); a line that is no substitute
    is 409 `not_price_pending`. Audited as `services.line.price`."""
    batch = line.batch
    access.require_manifest(actor, batch)
    value = checks.money(price, "substitute_price").quantize(Decimal("0.01"))
    with transaction.atomic():
        # one conditional write: two people pricing it at once, the second finds it priced
        n = Line.objects.filter(pk=line.pk, outcome=Check.SUBSTITUTED, substitute_price=None).update(
            substitute_price=value)
        line.refresh_from_db(fields=["outcome", "substitute", "substitute_price"])
        if not n:
            if line.outcome != Check.SUBSTITUTED:
                raise Conflict(_("Only a substitute whose price is to be confirmed can be priced afterwards."),
                               code="not_price_pending")
            if line.substitute_price == value:
                return line
            raise Conflict(_("The price of %(name)s is already set: ¥%(price)s.") % {
                "name": line.substitute or line.name, "price": line.substitute_price}, code="price_set")
        record(actor, "services.line.price", batch, {"line": line.id, "price": str(value)}, levels_from=batch)
    return line
