from django.apps import AppConfig


class ServicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fangkong.services"
    verbose_name = "Sealed-area services"

    def ready(self):
        from fangkong.registry.signals import home_sampled
        from fangkong.zones.signals import case_recorded

        case_recorded.connect(_terminal_disinfection, dispatch_uid="services.terminal_disinfection")
        # screening found a home-sampling request's people swabbed at home: done once all are
        home_sampled.connect(_home_sampled, dispatch_uid="services.home_sampled")


def _terminal_disinfection(sender, case, actor, **kwargs):
    """A confirmed case in a building: its terminal disinfection is scheduled."""
    from .actions.disinfection import after_case

    after_case(actor, case)


def _home_sampled(sender, **kwargs):
    from .actions.home_sampled import sampled

    return sampled(sender, **kwargs)
