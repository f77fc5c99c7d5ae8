from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "fangkong.screening"
    label = "screening"

    def ready(self):
        from fangkong.zones.evidence import register_rounds

        from .zone_evidence import rounds_over

        register_rounds(rounds_over)  # the lifting rules' final rounds
