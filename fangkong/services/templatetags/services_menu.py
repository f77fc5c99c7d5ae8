"""The menu's link to a volunteer's services work (found on the services evening: a team
leader with a hand-off at the gate had no way to it from the menu)."""

from django import template

register = template.Library()


@register.filter
def has_services_work(scope) -> bool:
    """A volunteer with services work: a team that may go out (its runs, requests and
    hand-offs at the gate), or a run, a request or a feeding given to them."""
    from fangkong.services import access
    from fangkong.services.models import Feeding, Request, Run

    if getattr(scope, "user", None) is None or not scope.has_role("volunteer"):
        return False
    if access.team_ids(scope):
        return True
    return (Run.objects.filter(access.given_q(scope, "carrier"), state=Run.State.OPEN).exists()
            or Request.objects.filter(access.given_q(scope, "assignee"), state__in=Request.OPEN).exists()
            or Feeding.objects.filter(access.given_q(scope, "volunteer"), stopped=False).exists())
