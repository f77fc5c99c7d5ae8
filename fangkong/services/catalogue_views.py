"""A supplier's catalogue page (its own login, and staff of the community over it): every
item, package and medicine with its unit and price; add one, change a name or price, take
one off sale and back (never deleted: orders name it). And the request categories page:
each category's default priority and response time, read by whoever sees services and set
by a district's command (`access.require_policy`). Each POST calls the same action as the
API (`actions.catalogue`, `actions.requests.edit_category`)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.views import page

from . import access, queries, supplier_queries
from .actions import catalogue as catalogue_actions
from .actions import requests as request_actions
from .models import Category, Item
from .views import error_text


@page
def catalogue(request, pk):
    s = supplier_queries.managed_supplier(request.scope, pk)
    form = {}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("name", "kind", "unit", "price", "contents")}
        try:
            item = catalogue_actions.add_item(Actor.from_request(request), s, form)
            messages.success(request, _("Added: %(name)s, ¥%(price)s.") % {"name": item.name, "price": item.price})
            return redirect("services_catalogue", pk=s.pk)
        except Invalid as e:
            messages.error(request, error_text(e))
    return render(request, "services/catalogue.html", {
        "supplier": s, "form": form, "kinds": Item.Kind.choices, **supplier_queries.catalogue(s),
        "own": s.id in access.supplier_ids(request.scope), "at": request.GET.get("at", "")})


@page
def item(request, pk):
    """POST only: `do` = save (name and price), off (take off sale) or on (back on sale);
    anything else goes back to the catalogue."""
    it = supplier_queries.catalogue_item(request.scope, pk)
    what = request.POST.get("do", "") if request.method == "POST" else ""
    if what in ("save", "off", "on"):
        if what == "save":
            data = {"name": request.POST.get("name", ""), "price": request.POST.get("price", "")}
        else:
            data = {"is_active": what == "on"}
        try:
            catalogue_actions.update_item(Actor.from_request(request), it, data)
            messages.success(request, {"save": _("Saved: %(name)s, ¥%(price)s."),
                                       "off": _("Taken off sale: %(name)s."),
                                       "on": _("Back on sale: %(name)s.")}[what]
                             % {"name": it.name, "price": it.price})
        except Invalid as e:
            it.refresh_from_db()
            messages.error(request, _("%(name)s: %(error)s") % {"name": it.name, "error": error_text(e)})
    # back to the same row, its message shown there too (the top may be scrolled away)
    return redirect(f"{reverse('services_catalogue', args=[it.supplier_id])}?at={it.id}#item-{it.id}")


@page
def categories(request):
    """Whoever may see services reads each category's priority (1 first) and response time;
    the district's command (SERVICES_POLICY at the top of the tree) sets them — one rule
    with the API's PATCH, checked before the form is read (staff 403, others 404); every
    change is audited by the action."""
    scope = request.scope
    access.require_any(scope, access.VIEW)
    if request.method == "POST":
        access.require_policy(scope)
        cid = request.POST.get("category", "")
        c = Category.objects.filter(pk=cid).first() if cid.isdigit() else None
        if c is None:
            raise NotFound()
        try:
            request_actions.edit_category(Actor.from_request(request), c, {
                "priority": request.POST.get("priority", ""), "response_minutes": request.POST.get("minutes", "")})
            messages.success(request, _("Saved: %(name)s.") % {"name": c.label})
        except Invalid as e:
            messages.error(request, _("%(name)s: %(error)s") % {"name": c.label, "error": error_text(e)})
        return redirect(f"/services/categories/#category-{c.id}")
    return render(request, "services/categories.html", {
        "categories": list(queries.categories()), "may_set": access.sets_policy(scope)})
