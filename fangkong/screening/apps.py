from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "fangkong.screening"
    label = "screening"

    def ready(self):
        from fangkong.registry.signals import home_sampling_asked, home_sampling_withdrawn
        from fangkong.zones.evidence import register_rounds

        from .zone_evidence import rounds_over

        register_rounds(rounds_over)  # the lifting rules' final rounds
        # a family's home-sampling request (services): on the rounds' home lists, or off them
        home_sampling_asked.connect(_asked, dispatch_uid="screening.home_sampling_asked")
        home_sampling_withdrawn.connect(_withdrawn, dispatch_uid="screening.home_sampling_withdrawn")


def _asked(sender, **kwargs):
    from .actions.home_request import asked

    return asked(sender, **kwargs)


def _withdrawn(sender, **kwargs):
    from .actions.home_request import withdrawn

    return withdrawn(sender, **kwargs)
