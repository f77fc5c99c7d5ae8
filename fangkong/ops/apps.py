from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "fangkong.ops"
    label = "ops"
    verbose_name = "Operations"
