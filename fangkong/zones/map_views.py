"""The map of buildings and compounds coloured by zone with their counts, printable as a
notice's attachment; staff who manage a place draw its outline or point on the map (tap the
corners, undo, save, cancel: zones-map.js) or import many at once from a GeoJSON file."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fangkong.core.errors import Invalid, NotFound
from fangkong.core.tree import is_under
from fangkong.core.views import confirm_step, confirmed, page

from . import access, queries
from .actions import shapes as shape_actions
from .map_center import map_center
from .map_places import zone_places
from .models import Shape
from .views import actor, flash_error, get_place


@page
def map_page(request, pk):
    p = get_place(request, pk)
    errors = {}
    can_edit = request.scope.allows(access.MANAGE, p)
    if request.method == "POST":  # GeoJSON pasted or a file: all or nothing
        if not can_edit:
            raise NotFound()
        try:
            upload = request.FILES.get("file")
            if upload is not None:
                from fangkong.core.uploads import read_upload

                text = shape_actions.read_geojson_file(read_upload(upload, shape_actions.MAX_BYTES,
                                                                   field="geojson"))
            else:
                text = request.POST.get("geojson", "")
            n = shape_actions.import_geojson(actor(request), p, text)
            messages.success(request, ngettext("%(n)d shape saved.", "%(n)d shapes saved.", n) % {"n": n})
            return redirect("zones_map", pk=p.id)
        except Invalid as e:  # FileRefused too: the headline on top, each feature beside the box
            rows = [_("Feature %(n)d: %(message)s") % {"n": r["row"], "message": r["message"]}
                    for r in e.rows[:50]]
            errors = {"geojson": rows or [m for v in e.fields.values() for m in v] or [str(e.message)]}
            messages.error(request, str(e.message) if e.rows or not e.fields else errors["geojson"][0])
    return render(request, "zones/map.html", {
        "place": p, "can_edit": can_edit, "errors": errors, "figures": queries.figures(p),
        "zone_places": zone_places(p),  # the table under the map: every zoned place named
        "can_gate": request.scope.allows(access.GATE, p),
        "mappable": queries.mappable(request.scope, p) if can_edit else [],
        "tiles": getattr(settings, "FANGKONG_MAP_TILES", ""), "center": map_center(),
        "today": datetime.date.today()})


@page
def map_data(request, pk):
    p = get_place(request, pk)
    return JsonResponse(queries.map_features(p), json_dumps_params={"ensure_ascii": False})


def _target(request, p):
    """The place (under the map's place `p`) whose shape is drawn or removed."""
    try:
        target = get_place(request, int(request.POST.get("place") or 0))
    except (ValueError, NotFound):
        raise Invalid(fields={"place": [_("Choose the building or compound.")]}) from None
    if not is_under(target, p):
        raise Invalid(fields={"place": [_("Choose the building or compound.")]})
    return target


@page
@require_POST
def shape_save(request, pk):
    """One place's outline or point drawn on the map page."""
    p = get_place(request, pk, access.MANAGE)
    try:
        target = _target(request, p)
        if Shape.objects.filter(place_id=target.id).exists() and not confirmed(request):
            return confirm_step(request, title=_("Replace the shape of %(name)s?") % {"name": target.name},
                                lines=[_("The shape drawn before is replaced by the one you drew now.")],
                                yes=_("Yes, replace it"), back=reverse("zones_map", args=[p.id]))
        shape = shape_actions.save_shape(actor(request), target, request.POST.get("geometry", ""))
        if shape.geometry["type"] == "Point":
            messages.success(request, _("%(name)s is on the map (a point).") % {"name": target.name})
        else:
            messages.success(request, _("%(name)s's outline is saved.") % {"name": target.name})
    except Invalid as e:
        flash_error(request, e)
    return redirect("zones_map", pk=p.id)


@page
@require_POST
def shape_remove(request, pk):
    p = get_place(request, pk, access.MANAGE)
    try:
        target = _target(request, p)
        if not confirmed(request):
            return confirm_step(request, title=_("Take %(name)s off the map?") % {"name": target.name},
                                lines=[_("Its households and zones stay as they are; only the drawing goes.")],
                                yes=_("Yes, take it off the map"), back=reverse("zones_map", args=[p.id]))
        if shape_actions.remove_shape(actor(request), target):
            messages.success(request, _("%(name)s is no longer drawn on the map.") % {"name": target.name})
    except Invalid as e:
        flash_error(request, e)
    return redirect("zones_map", pk=p.id)
