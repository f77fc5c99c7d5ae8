from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZonesConfig(AppConfig):
    name = "fangkong.zones"
    label = "zones"
    verbose_name = _("Risk zones")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from fangkong.registry.signals import households_placed

        from . import map_center  # noqa: F401 - registers the check of FANGKONG_MAP_CENTER
        from .actions.follow import households_placed as follow

        # a household created or moved gets the zone in force over its place
        households_placed.connect(follow, dispatch_uid="zones.households_placed")
