from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fangkong.accounts"
    label = "accounts"

    def ready(self):
        from . import middleware  # noqa: F401 - its user_logged_in receiver stamps sessions
