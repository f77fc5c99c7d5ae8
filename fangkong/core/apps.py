from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fangkong.core"
    label = "core"

    def ready(self):
        from . import deploy  # noqa: F401 - registers the system checks on the keys
