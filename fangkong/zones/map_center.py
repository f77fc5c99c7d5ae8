"""Where the zones map opens while a place has no outlines yet: FANGKONG_MAP_CENTER,
"latitude,longitude" in degrees (default Taiyuan, 37.87,112.55). Read here once, checked at
start — a wrong value fails `manage.py check` (and so migrate, runserver, the worker) with
fangkong.E002 instead of a map opening in the sea — and handed to the page as the map
element's `data-center` (zones-map.js reads it; the CSP allows no inline script)."""

import math

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext as _

DEFAULT = "37.87,112.55"


def parse(value: str) -> tuple[float, float]:
    """(latitude, longitude) from "lat,lng"; ValueError with the reason otherwise."""
    parts = [p.strip() for p in str(value).split(",")]
    if len(parts) != 2:
        raise ValueError(_("it must be two numbers, latitude then longitude, separated by a comma"))
    try:
        lat, lng = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(_("it must be two numbers, latitude then longitude, separated by a comma")) from None
    if not (math.isfinite(lat) and math.isfinite(lng)) or not -90 <= lat <= 90 or not -180 <= lng <= 180:
        raise ValueError(_("the latitude must be between -90 and 90 and the longitude between -180 and 180"))
    return lat, lng


def map_center() -> str:
    """The configured centre as the page gives it to the script: "lat,lng" (a wrong value,
    which the check has already refused, opens at the default rather than failing the page)."""
    try:
        lat, lng = parse(getattr(settings, "FANGKONG_MAP_CENTER", DEFAULT))
    except ValueError:
        lat, lng = parse(DEFAULT)
    return f"{lat},{lng}"


@checks.register()
def check_map_center(app_configs=None, **kwargs):
    value = getattr(settings, "FANGKONG_MAP_CENTER", DEFAULT)
    try:
        parse(value)
    except ValueError as e:
        return [checks.Error(
            _("FANGKONG_MAP_CENTER is %(value)r: %(reason)s.") % {"value": value, "reason": e},
            hint=_("Set it to the installation's town as latitude,longitude in degrees, "
                   "e.g. 37.87,112.55 (Taiyuan, the default)."),
            id="fangkong.E002")]
    return []
