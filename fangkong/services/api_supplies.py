"""More of /api/v1/services/…: a batch's manifest file from the supplier, a door's photo,
group orders (社区集单) per building. Mounted on the services router (`api.router`); thin
glue over the same queries and actions as the pages."""

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from fangkong.core.access import one
from fangkong.core.actor import actor_of
from fangkong.core.errors import Invalid, NotFound
from fangkong.registry.models import Place

from . import access, prescriptions, queries
from .actions import delivery, orders, pricing
from .actions import manifest as manifest_actions
from .models import Line, Supplier
from .schemas import (
    GroupDetailOut,
    GroupEntriesIn,
    GroupIn,
    GroupOut,
    LinePriceOut,
    ManifestImportOut,
    PhotoOut,
    PriceIn,
    order_out,
)

router = Router(tags=["services"])



@router.post("/services/lines/{pk}/price", response=LinePriceOut)
def line_price(request, pk: int, body: PriceIn):
    """The price of a substitute left 价格待定 at the gate (`price_pending`), told afterwards —
    the batch signed, carried or delivered — so the household's bill is complete
    (`pricing.price_substitute`, as the batch page's "Set its price"): by the supplier's own
    login, or staff and grid workers over the gate. Once: a line already priced answers 409
    `price_set` (the same price again answers the line), one that is no substitute 409
    `not_price_pending`. Audited."""
    ln = one(Line.objects.select_related("batch__supplier", "batch__checkpoint"), pk)
    ln = pricing.price_substitute(actor_of(request), ln, body.substitute_price)
    return {"id": ln.id, "outcome": ln.outcome, "received": ln.received, "substitute": ln.substitute,
            "substitute_price": None if ln.substitute_price is None else str(ln.substitute_price),
            "price_pending": ln.price_pending}


@router.post("/services/batches/{pk}/manifest", response=ManifestImportOut)
def manifest_import(request, pk: int, file: File[UploadedFile]):
    """The supplier's manifest file (.xlsx or .csv, the columns of the manifest download:
    订单号, 户号, 商品, 数量, 单价, 金额) replaces the batch's lines while it is expected: each
    line as the file says it (typed medicine too), its order's note kept, 单价 as written
    ("¥45.50"; empty or 0 with a 金额: the amount over the quantity). All or nothing: a file
    that cannot be read answers 422 `invalid_file`, one with wrong rows 422 `file_rejected`
    with every row error."""
    b = queries.get_batch(request.scope, pk)
    return manifest_actions.import_manifest(actor_of(request), b, file)


@router.post("/services/stops/{pk}/photo", response={201: PhotoOut, 200: PhotoOut})
def stop_photo(request, pk: int, file: File[UploadedFile], client_id: Form[str] = ""):
    """The photo of a confirmed door (JPEG, PNG or WebP within the photo size limit), by who
    confirmed it (with the confirmation's client id) or staff; the first photo stays (200)."""
    stop = queries.get_stop(request.scope, pk, client_id or None)
    stop, created = delivery.attach_photo(actor_of(request), stop, file)
    return Status(201 if created else 200, {"id": stop.id, "state": stop.state, "photo": bool(stop.photo)})


@router.get("/services/orders/{pk}/prescription", url_name="services_order_prescription")
def order_prescription(request, pk: int):
    """A medicine order's prescription photo (the image itself), for the pharmacy, staff and
    grid workers over the household, the household's own login and the volunteer delivering
    it; 404 for anyone else and for an order without one. Each reading audited."""
    from fangkong.core.views import photo_response

    o = prescriptions.get_prescription(request.scope, pk)
    resp = photo_response(o.prescription)
    prescriptions.shown(actor_of(request), o)
    return resp


def group_out(g, households=None, scope=None) -> dict:
    out = {"id": g.id, "building": g.place_id, "supplier": g.supplier_id, "supplier_name": g.supplier.name,
           "title": g.title, "closes_at": g.closes_at, "open": g.closes_at > timezone.now()}
    if households is not None:
        out["households"] = [{"household": r["household"].id, "door": f"{r['unit']} {r['door']}",
                              "orders": [order_out(o, scope) for o in r["orders"]]} for r in households]
    return out


def _building(request, pk) -> Place:
    p = Place.objects.filter(pk=pk, kind="building").first()
    if p is None:
        raise NotFound()
    access.require(request.scope, access.VIEW, p)
    return p


@router.get("/services/group-orders", response=list[GroupOut])
def group_list(request, building: int):
    b = _building(request, building)
    return [group_out(g) for g in queries.group_orders(request.scope, b)[:100]]


@router.post("/services/group-orders", response={201: GroupOut})
def group_create(request, body: GroupIn):
    b = _building(request, body.building)
    s = Supplier.objects.filter(pk=body.supplier, community_id=b.community_id, is_active=True).first()
    if s is None:
        raise Invalid(fields={"supplier": [_("No such supplier here.")]})
    g = orders.create_group_order(actor_of(request), b, s, title=body.title, closes_at=body.closes_at)
    return Status(201, group_out(g))


@router.get("/services/group-orders/{pk}", response=GroupDetailOut)
def group_get(request, pk: int):
    g = queries.get_group_order(request.scope, pk)
    return group_out(g, queries.group_sheet(g), request.scope)


@router.post("/services/group-orders/{pk}/entries", response={201: GroupDetailOut})
def group_enter(request, pk: int, body: GroupEntriesIn):
    """Many households' items at once (all or nothing; each entry's client id makes a retry
    place nothing more)."""
    g = queries.get_group_order(request.scope, pk)
    orders.place_group_orders(actor_of(request), g, [
        {"household": e.household, "lines": [(ln.item, ln.quantity) for ln in e.lines],
         "client_id": e.client_id} for e in body.entries[:500]])
    return Status(201, group_out(g, queries.group_sheet(g), request.scope))
