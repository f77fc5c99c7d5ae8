from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    name = "fangkong.volunteers"
    label = "volunteers"
