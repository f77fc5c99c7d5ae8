from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fangkong.core"
    label = "core"

    def ready(self):
        from django.apps import apps
        from django.db.models.signals import pre_save
        from django.urls import register_converter

        from fangkong.core.access import RowId
        from fangkong.core.clean import refuse_overlong

        from . import deploy  # noqa: F401 - registers the system checks on the keys

        # The last line of text hygiene (core/clean.py), for the project's own models.
        for model in apps.get_models():
            if model.__module__.startswith("fangkong."):
                pre_save.connect(refuse_overlong, sender=model,
                                 dispatch_uid=f"refuse_overlong:{model._meta.label}")
        register_converter(RowId, "id")  # every page's `<id:pk>` (core.access.RowId)
