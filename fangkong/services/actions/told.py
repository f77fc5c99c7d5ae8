"""The household told what did not reach it (found on the supply evening: "大米 5kg：订 1，到 0
· 已送达" on its page and nothing in its inbox): a line short or damaged at the checkpoint
(`handoff.check_line`), a door not delivered (`delivery.confirm_stop`). Each says it is not
charged for what did not come, in each reader's language, with a link to the household's
orders. Once per check (a corrected count tells again) and once per door. Called inside
the action's transaction, which checked its permission."""

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.registry.models import Household

from ..models import Line, Stop


def family_accounts(household_id) -> set[int]:
    """The accounts that log in for a household (never a read shown to anyone)."""
    from fangkong.accounts.models import Membership

    return set(Membership.objects.filter(household_id=household_id, is_active=True)
               .values_list("user_id", flat=True))


def _orders_url(household_id) -> str:
    return reverse("services_household", args=[household_id]) + "#orders"


def line_short(actor, line: Line) -> int:
    """A line checked short (fewer came) or damaged (none counted): what came, and that
    what did not is not charged."""
    from fangkong.notify.actions import notify

    if line.outcome not in (Line.Check.SHORT, Line.Check.DAMAGED):
        return 0
    users = family_accounts(line.household_id)
    if not users:
        return 0
    h = Household.objects.select_related("place").get(pk=line.household_id)
    words = {"supplier": line.batch.supplier.name, "name": line.name, "q": line.quantity,
             "r": line.received or 0}
    if line.outcome == Line.Check.SHORT:
        def body():
            return _("%(name)s: ordered %(q)d, %(r)d came. What did not come is not charged.") % words
    else:
        def body():
            return _("%(name)s came damaged: it is not charged.") % words
    return notify(actor, users, kind="services.order",
                  title=lambda: _("Part of your order from %(supplier)s did not come") % words,
                  body=body, url=_orders_url(h.id), place=h.place,
                  key=f"services.line.{line.id}.{line.outcome}.{line.received or 0}")


def door_not_delivered(actor, stop: Stop, supplier_name: str) -> int:
    """A door confirmed not delivered: why, and that nothing of it is charged."""
    from fangkong.notify.actions import notify

    users = family_accounts(stop.household_id)
    if not users:
        return 0
    h = Household.objects.select_related("place").get(pk=stop.household_id)
    chosen = stop.why if stop.why and stop.why != Stop.Why.OTHER else ""

    def why():  # the carrier's choice in the reader's language; typed words as typed
        return str(Stop.Why(chosen).label) if chosen else stop.reason

    words = {"supplier": supplier_name}
    return notify(actor, users, kind="services.order",
                  title=lambda: _("Your order from %(supplier)s was not delivered") % words,
                  body=lambda: _("Not delivered: %(why)s. You are not charged for it; the community staff "
                                 "have been told and will arrange what comes next.") % {"why": why()},
                  url=_orders_url(h.id), place=h.place, key=f"services.stop.{stop.id}.not_delivered")
