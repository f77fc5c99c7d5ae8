"""Buildings and compounds on the map: one place's outline or point drawn on the map page
(`save_shape`, `remove_shape`), or many at once from a GeoJSON file or paste
(`import_geojson`: all or nothing, one bad feature and nothing is saved, each error named).
Kept per place (`Shape`), audited."""

import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from fangkong.audit.actions import record
from fangkong.core.errors import Invalid
from fangkong.registry.models import Place

from .. import access, engine
from ..models import MAPPED_KINDS, Shape

MAX_BYTES = 2_000_000
MAX_FEATURES = 5000
MAX_VERTICES = 2000  # one drawn outline
MAPPED = MAPPED_KINDS


def _position(p) -> bool:
    return (isinstance(p, list) and len(p) >= 2 and all(isinstance(x, int | float) for x in p[:2])
            and -180 <= p[0] <= 180 and -90 <= p[1] <= 90)


def check_geometry(g) -> str:
    """'' when `g` is a Point, Polygon or MultiPolygon with longitude/latitude positions."""
    if not isinstance(g, dict):
        return _("Each feature needs a geometry.")
    kind, coords = g.get("type"), g.get("coordinates")
    if kind == "Point":
        ok = _position(coords)
    elif kind == "Polygon":
        ok = isinstance(coords, list) and bool(coords) and all(
            isinstance(ring, list) and len(ring) >= 4 and all(_position(p) for p in ring) for ring in coords)
    elif kind == "MultiPolygon":
        ok = isinstance(coords, list) and bool(coords) and all(
            check_geometry({"type": "Polygon", "coordinates": c}) == "" for c in coords)
    else:
        return _("Only points and polygons can be drawn (not %(kind)s).") % {"kind": str(kind)[:20]}
    return "" if ok else _("The coordinates are not [longitude, latitude] positions.")


def import_geojson(actor, root: Place, text: str) -> int:
    """A FeatureCollection whose features name a place under `root` by `properties.id` or
    `properties.name` (a building's or compound's name)."""
    access.require(actor, access.MANAGE, root)
    if len(text.encode()) > MAX_BYTES:
        raise Invalid(fields={"geojson": [_("At most 2 MB of GeoJSON at once.")]})
    try:
        data = json.loads(text or "")
    except ValueError:
        raise Invalid(fields={"geojson": [_("This is not GeoJSON (the text is not valid JSON).")]}) from None
    feats = data.get("features") if isinstance(data, dict) and data.get("type") == "FeatureCollection" else None
    if not isinstance(feats, list) or not feats:
        raise Invalid(fields={"geojson": [_("Paste a GeoJSON FeatureCollection with at least one feature.")]})
    if len(feats) > MAX_FEATURES:
        raise Invalid(fields={"geojson": [_("At most %(n)d features at once.") % {"n": MAX_FEATURES}]})
    places = Place.objects.filter(engine.under_q(root), kind__in=MAPPED)
    by_id = {p.id: p for p in places}
    by_name = {}
    for p in by_id.values():
        by_name.setdefault(p.name, []).append(p)
    rows, saved = [], {}
    for i, f in enumerate(feats, start=1):
        props = f.get("properties") or {} if isinstance(f, dict) else {}
        place = by_id.get(props.get("id")) if isinstance(props.get("id"), int) else None
        if place is None and isinstance(props.get("name"), str):
            same = by_name.get(props["name"].strip(), [])
            if len(same) > 1:
                rows.append({"row": i, "column": "name", "message": _(
                    "%(name)s names %(n)d places here: give its id.") % {"name": props["name"], "n": len(same)}})
                continue
            place = same[0] if same else None
        if place is None:
            rows.append({"row": i, "column": "name", "message": _(
                "No building or compound here is called %(name)s.") % {"name": str(props.get("name", props.get("id")))[:40]}})
            continue
        problem = check_geometry(f.get("geometry"))
        if problem:
            rows.append({"row": i, "column": "geometry", "message": f"{place.name}{pgettext('a label and what it says', ': ')}{problem}"})
            continue
        saved[place.id] = f["geometry"]
    if rows:
        raise Invalid(ngettext("Nothing was saved: %(n)d feature has errors.",
                               "Nothing was saved: %(n)d features have errors.", len(rows)) % {"n": len(rows)},
                      fields={"geojson": [r["message"] for r in rows[:20]]}, rows=rows)
    now = timezone.now()
    with transaction.atomic():
        for pid, geometry in saved.items():
            Shape.objects.update_or_create(place_id=pid, defaults={"geometry": geometry, "updated_at": now})
        record(actor, "zones.shapes", root, {"shapes": len(saved)})
    return len(saved)


def _closed(geometry):
    """A drawn outline's ring closed (its last corner back to the first), as GeoJSON wants."""
    if isinstance(geometry, dict) and geometry.get("type") == "Polygon":
        rings = geometry.get("coordinates")
        if isinstance(rings, list):
            closed = []
            for ring in rings:
                if isinstance(ring, list) and len(ring) >= 3 and ring[0] != ring[-1]:
                    ring = [*ring, ring[0]]
                closed.append(ring)
            return {"type": "Polygon", "coordinates": closed}
    return geometry


def check_place(place: Place):
    if place.kind not in MAPPED:
        raise Invalid(fields={"place": [_("Only compounds, buildings, gates, sampling points and "
                                         "shops are drawn on the map.")]})


def save_shape(actor, place: Place, geometry) -> Shape:
    """`place`'s outline (a Polygon of at least 3 corners) or point, drawn on the map page
    (`geometry`: GeoJSON as text or a dict); replaces the one it had."""
    access.require(actor, access.MANAGE, place)
    check_place(place)
    if isinstance(geometry, str):
        if len(geometry) > 200_000:
            raise Invalid(fields={"geometry": [_("This shape has too many corners.")]})
        try:
            geometry = json.loads(geometry) if geometry.strip() else None
        except ValueError:
            geometry = "?"
    if geometry is None:
        raise Invalid(fields={"geometry": [_("Tap the map first: the corners of the outline, or "
                                            "the point.")]})
    geometry = _closed(geometry)
    problem = check_geometry(geometry)
    if not problem and geometry["type"] == "Polygon" and len(geometry["coordinates"][0]) > MAX_VERTICES:
        problem = _("This shape has too many corners.")
    if problem:
        raise Invalid(fields={"geometry": [problem]})
    with transaction.atomic():
        shape, created = Shape.objects.update_or_create(
            place_id=place.id, defaults={"geometry": geometry, "updated_at": timezone.now()})
        record(actor, "zones.shape", place, {"type": geometry["type"], "replaced": not created})
    return shape


def remove_shape(actor, place: Place) -> bool:
    """Take `place` off the map (its households and zones are untouched). Idempotent."""
    access.require(actor, access.MANAGE, place)
    with transaction.atomic():
        n, _x = Shape.objects.filter(place_id=place.id).delete()
        if n:
            record(actor, "zones.shape.remove", place, {})
    return bool(n)


def read_geojson_file(content: bytes) -> str:
    """An uploaded GeoJSON file's text (UTF-8, with or without a BOM; the upload was read
    within `MAX_BYTES` by `core.uploads.read_upload`)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(fields={"geojson": [_("This file is not GeoJSON text (UTF-8).")]}) from None
