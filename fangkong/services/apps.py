from django.apps import AppConfig


class ServicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fangkong.services"
    verbose_name = "Sealed-area services"

    def ready(self):
        from fangkong.zones.signals import case_recorded

        case_recorded.connect(_terminal_disinfection, dispatch_uid="services.terminal_disinfection")


def _terminal_disinfection(sender, case, actor, **kwargs):
    """A confirmed case in a building: its terminal disinfection is scheduled."""
    from .actions.disinfection import after_case

    after_case(actor, case)
