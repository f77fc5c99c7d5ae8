from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo builder (no models): its management commands `demo` and `demo_logins`."""

    name = "fangkong.demo"
    label = "demo"
