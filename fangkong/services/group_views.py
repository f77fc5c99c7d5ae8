"""Group orders (社区集单) on a phone: a building's leader opens one for a supplier and
enters the items of many households in one go — one card per door in carrying order,
the catalogue's quantities on each — and sees each household's order and its state. The
households see theirs on their own page. The same actions as the API."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.views import page
from fangkong.core.when import short_day
from fangkong.registry.models import Place

from . import access, queries
from .actions import orders
from .models import Supplier


def _building(request, pk) -> Place:
    p = Place.objects.filter(pk=pk, kind="building").first()
    if p is None:
        raise NotFound()
    access.require(request.scope, access.VIEW, p)
    return p


@page
def groups(request, pk):
    """A building's group orders; open a new one (leaders, grid workers, staff)."""
    b = _building(request, pk)
    scope = request.scope
    may_order = scope.allows(access.ORDER, b)
    suppliers = list(Supplier.objects.filter(community_id=b.community_id, is_active=True).order_by("name"))
    errors = {}
    if request.method == "POST":
        if not may_order:
            access.require(scope, access.ORDER, b)
        s = next((x for x in suppliers if str(x.id) == request.POST.get("supplier")), None)
        try:
            if s is None:
                raise Invalid(fields={"supplier": [_("Choose a supplier.")]})
            g = orders.create_group_order(Actor.from_request(request), b, s, title=request.POST.get("title", ""),
                                          closes_at=request.POST.get("closes_at") or None)
            return redirect("services_group", pk=g.pk)
        except Invalid as e:
            errors = e.fields or {"all": [str(e.message)]}
    default_close = timezone.localtime(orders.default_close())
    return render(request, "services/groups.html", {
        "building": b, "groups": list(queries.group_orders(scope, b)[:30]), "suppliers": suppliers,
        "may_order": may_order, "errors": errors, "now": timezone.now(),
        "posted": request.POST if errors else {},
        "default_close": default_close.strftime("%Y-%m-%dT%H:%M"),
        "default_title": _("%(date)s group order") % {"date": short_day(timezone.localdate())}})


@page
def group(request, pk):
    """The leader's sheet: each door of the building with the catalogue's quantities; one
    "save all" places every household's order at once (all or nothing)."""
    g = queries.get_group_order(request.scope, pk)
    scope = request.scope
    may_order = scope.allows(access.ORDER, g) and g.closes_at > timezone.now()
    items = queries.catalogue(g.supplier)
    errors, at_door = [], {}
    if request.method == "POST":
        access.require(scope, access.ORDER, g)
        token = request.POST.get("token") or ""
        try:
            uuid.UUID(token)
        except ValueError:
            token = str(uuid.uuid4())
        entries = []
        for h in queries.group_sheet(g):
            hid = h["household"].id
            lines = [(i.id, request.POST.get(f"q{hid}_{i.id}")) for i in items
                     if (request.POST.get(f"q{hid}_{i.id}") or "").strip() not in ("", "0")]
            # a door already ordered is sent as it now reads (emptied: taken out of the group);
            # one client id per household and form: sending the form again places nothing more
            if lines or h["orders"]:
                entries.append({"household": hid, "lines": lines,
                                "client_id": uuid.uuid5(uuid.UUID(token), str(hid))})
        try:
            placed = orders.place_group_orders(Actor.from_request(request), g, entries)
            if placed:
                messages.success(request, ngettext("Saved: %(n)d household's orders.", "Saved: %(n)d households' orders.",
                                                   len(placed)) % {"n": len(placed)})
            else:  # nothing new: the orders already placed stand as they were
                messages.info(request, _("No change: the orders already placed stay as they are."))
            return redirect("services_group", pk=g.pk)
        except Invalid as e:
            for r in e.rows:  # said again on the door's own card, where the quantities are
                at_door.setdefault(r.get("household"), []).append(r["message"])
            errors = [str(e.message)] if at_door else (
                [str(m) for ms in (e.fields or {}).values() for m in ms] or [str(e.message)])
    rows = queries.group_sheet(g)
    posted = request.POST if request.method == "POST" else {}
    for r in rows:  # what the door has ordered in this group, to change in place
        r["errors"] = at_door.get(r["household"].id, [])
        had = {}
        for o in r["orders"]:
            for ln in o.lines.all():
                had[ln.item_id] = had.get(ln.item_id, 0) + ln.quantity
        r["inputs"] = [(i, posted.get(f"q{r['household'].id}_{i.id}", "") if posted else
                        (str(had[i.id]) if i.id in had else "")) for i in items]
    return render(request, "services/group.html", {
        "g": g, "rows": rows, "items": items, "may_order": may_order, "errors": errors,
        "token": uuid.uuid4(), "open": g.closes_at > timezone.now(),
        "ordered": sum(1 for r in rows if r["orders"]), "doors_wrong": bool(at_door)})
