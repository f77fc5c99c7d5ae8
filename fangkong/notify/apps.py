from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "fangkong.notify"
    label = "notify"
