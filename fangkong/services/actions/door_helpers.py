"""A door delivered to a household that cannot read the message saying so (found on the
vulnerable walk: the medicine of 杨存枝, 86, no smartphone and no login, was put outside
her door and nobody was told; the volunteer's own call was the only trace).

`tell_helpers` (from `batch_late.door_delivered`, inside the confirmation's transaction,
which checked its permission): when the household has no login, or someone who lives there
has no smartphone (`Resident.has_smartphone` False), the person who placed the household's
order in this delivery (a grid worker who ordered on her behalf) and the household's grid
workers (its community's staff when it has no grid) are told, once (`notify`'s key), in each
reader's language — not the one who confirmed the door."""

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.core.text import join_words

from .. import access
from ..models import Order, Run
from .told import family_accounts


def tell_helpers(actor, stop, supplier_name: str) -> int:
    """Returns how many were told (0: the family reads its own message)."""
    from fangkong.notify.actions import notify
    from fangkong.registry.models import Household, Presence, Resident
    from fangkong.registry.queries import address_labels, counts

    family = family_accounts(stop.household_id)
    no_phone = list(Resident.objects.filter(counts(), household_id=stop.household_id, has_smartphone=False)
                    .exclude(presence__in=[Presence.QUARANTINE, Presence.HOSPITAL, Presence.AWAY]).order_by("id")
                    .values_list("name", flat=True))
    if family and not no_phone:
        return 0
    h = Household.objects.select_related("place").get(pk=stop.household_id)
    batch = Run.objects.filter(pk=stop.run_id).values("batch_id")[:1]
    placers = set(Order.objects.filter(household_id=h.id, batch_id__in=batch).exclude(placed_by=None)
                  .values_list("placed_by_id", flat=True))
    users = (placers | access.answerers_of([(h.grid_id, h.community_id)], staff=False)) - family
    if actor.user is not None:
        users.discard(actor.user.id)
    if not users:
        return 0
    words = {"supplier": supplier_name,
             "door": f"{address_labels([h]).get(h.place_id, '')} {h.door}".strip()}

    def body():
        if not family:
            return _("Nobody there has a login to be told: let them know it is outside the door (call them or "
                     "go by).")
        return _("%(names)s cannot read messages (no smartphone): let them know it is outside the door (call "
                 "them or go by).") % {"names": join_words(no_phone)}

    return notify(actor, users, kind="services.order",
                  title=lambda: _("Delivered to %(door)s: the order from %(supplier)s is at the door") % words,
                  body=body, url=reverse("services_household", args=[h.id]) + "#orders", place=h.place,
                  key=f"services.stop.{stop.id}.delivered.helpers")
