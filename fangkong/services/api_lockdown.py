"""More of /api/v1/services/… for a lockdown day: a place's sealed households with no
supplies coming (`report_queries.sealed_without_orders`, as the services page's card). Mounted
on the services router (`api.router`; "这单有问题" and "已到达卡口" are there, beside the
orders and the batches)."""

from ninja import Router

from fangkong.core.errors import NotFound
from fangkong.registry.models import Place

from . import access, report_queries
from .schemas import SealedWithoutOrdersOut

router = Router(tags=["services"])


@router.get("/services/places/{pk}/sealed-without-orders", response=SealedWithoutOrdersOut)
def sealed_without_orders(request, pk: int):
    """The sealed households under a place with no order coming today or tomorrow, the most
    vulnerable first (the services page's card)."""
    p = Place.objects.filter(pk=pk).first()
    if p is None or not request.scope.allows(access.VIEW, p):
        raise NotFound()
    found = report_queries.sealed_without_orders(request.scope, p)
    return {"place": p.id, "sealed": found["sealed"], "n": found["n"],
            "households": [{"id": h.id, "address": h.door_label, "weight": h.weight, "tags": h.tags}
                           for h in found["rows"]]}
