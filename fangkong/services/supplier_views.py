"""A supplier's own pages: its home (where a supplier login lands: orders waiting, its
hand-offs by checkpoint and time with their line checks, amounts owed) and a batch's
manifest — printable, and as .xlsx — which staff and the team at the gate see too. The
manifest file the supplier brings is imported on the batch page (`manifest_import`)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, npgettext

from fangkong.accounts.queries import office_contacts
from fangkong.core.actor import Actor
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.core.views import page, photo_response

from . import access, batch_queries, prescriptions, queries, supplier_queries
from .actions import manifest as manifest_actions
from .delivery_queries import with_outcome
from .exports import manifest_xlsx
from .models import Order, Supplier
from .views import error_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@page
def home(request):
    """Every supplier the login belongs to, with its work; a supplier login not yet linked
    to a supplier sees whom to call (nothing else)."""
    scope = request.scope
    if not (scope.has_role("supplier") or access.supplier_ids(scope)):
        raise NotFound()
    linked = list(Supplier.objects.filter(id__in=access.supplier_ids(scope))
                  .order_by("id").values_list("community_id", flat=True))
    return render(request, "services/supplier.html", {
        "suppliers": supplier_queries.supplier_home(scope),
        "places": [g.place for g in scope.grants if g.role == "supplier"],
        # the office of the communities it delivers to (its login's own, until linked)
        "contacts": office_contacts(scope, communities=linked or None)})


@page
def manifest(request, pk):
    """The manifest to bring (and, once checked, what came): one block per household in
    carrying order, printable."""
    b = with_outcome([queries.get_batch(request.scope, pk)])[0]  # "配送结束，1 户未送达"
    rows = supplier_queries.manifest(b)
    amounts = supplier_queries.manifest_amounts(rows)  # as the batch's API gives them
    # each household's medicine orders: the medicine, who pays, the prescription photo's link
    medicine = prescriptions.with_medicine(request.scope, Order.objects.filter(batch=b, is_medicine=True)
                                           .order_by("id"))
    for r in rows:
        r["medicine"] = [o for o in medicine if o.household_id == r["household"].id]
    return render(request, "services/manifest.html", {
        "batch": b, "rows": rows, "figures": queries.batch_figures(b),
        "total": amounts["manifest_amount"], "owed": amounts["owed_amount"],
        "not_delivered": amounts["undelivered_amount"], "price_pending": amounts["price_pending"],
        "may_import": _may_import(request.scope, b)})


@page
def manifest_file(request, pk):
    b = queries.get_batch(request.scope, pk)
    content = manifest_xlsx(Actor.from_request(request), b)
    r = HttpResponse(content, content_type=XLSX)
    r["Content-Disposition"] = f'attachment; filename="manifest-{b.id}.xlsx"'
    return r


@page
def manifest_import(request, pk):
    """POST only: the supplier's manifest file replaces the batch's lines (all or nothing;
    each wrong row named)."""
    b = queries.get_batch(request.scope, pk)
    if request.method != "POST":
        return redirect("services_manifest", pk=b.pk)
    try:
        got = manifest_actions.import_manifest(Actor.from_request(request), b, request.FILES.get("file"))
        messages.success(request, _("Manifest imported: %(lines)s for %(households)s.") % {
            "lines": npgettext("manifest", "%(n)s line", "%(n)s lines", got["lines"]) % {"n": got["lines"]},
            "households": ngettext("%(n)s household", "%(n)s households", got["households"]) % {
                "n": got["households"]}})
        if got["released_orders"]:  # a sealed family's order back to waiting: said, never silent
            messages.warning(request, batch_queries.left_out_words(got["released_orders"]))
    except (Invalid, Conflict) as e:
        messages.error(request, error_text(e))
        for r in (getattr(e, "rows", None) or [])[:50]:
            messages.error(request, str(r.get("message", "")))
    return redirect("services_manifest", pk=b.pk)


def _may_import(scope, batch) -> bool:
    try:
        access.require_manifest(scope, batch)
    except Exception:  # NotFound, Forbidden: simply no form
        return False
    return batch.state == batch.State.EXPECTED


@page
def prescription(request, pk):
    """A medicine order's prescription photo, for the pharmacy, staff and grid workers over
    the household, the household itself and the volunteer delivering it
    (`access.prescriptions_seen`); 404 for anyone else. Each opening audited."""
    o = prescriptions.get_prescription(request.scope, pk)
    resp = photo_response(o.prescription)
    prescriptions.shown(Actor.from_request(request), o)
    return resp
