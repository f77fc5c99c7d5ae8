from django.apps import AppConfig


class ServicesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fangkong.services"
    verbose_name = "Sealed-area services"

    def ready(self):
        from fangkong.registry.signals import home_door_outcome, home_sampled
        from fangkong.volunteers.signals import member_joined
        from fangkong.zones.signals import case_recorded

        case_recorded.connect(_terminal_disinfection, dispatch_uid="services.terminal_disinfection")
        # screening found a home-sampling request's people swabbed at home: done once all are
        home_sampled.connect(_home_sampled, dispatch_uid="services.home_sampled")
        # and found no swab at the door of such a request's person: the family told, once
        home_door_outcome.connect(_home_door, dispatch_uid="services.home_door_outcome")
        # a volunteer added to a team is told of the work already given to it
        member_joined.connect(_member_joined, dispatch_uid="services.member_joined")


def _terminal_disinfection(sender, case, actor, **kwargs):
    """A confirmed case in a building: its terminal disinfection is scheduled; what the case
    message says of it is returned (a renderable, `case_words`)."""
    from .actions.disinfection import after_case, case_words

    return case_words(after_case(actor, case))


def _home_sampled(sender, **kwargs):
    from .actions.home_sampled import sampled

    return sampled(sender, **kwargs)


def _home_door(sender, **kwargs):
    from .actions.home_door import door_outcome

    return door_outcome(sender, **kwargs)


def _member_joined(sender, **kwargs):
    from .actions.team_news import member_joined

    return member_joined(sender, **kwargs)
