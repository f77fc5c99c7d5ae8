"""What the volunteers' actions tell people: the call's text, and the inbox and group
channels (through notify, imported when used: notify sits beside volunteers)."""

import re

from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Call


def notify_users(actor, users, **kw) -> int:
    """notify.actions.notify: each user's inbox and personal channels."""
    from fangkong.notify.actions import notify

    return notify(actor, users, **kw)


def announce(actor, place, **kw) -> int:
    """notify.actions.announce: the group channels of the place and above."""
    from fangkong.notify.actions import announce

    return announce(actor, place, **kw)


def call_text(call: Call) -> tuple[str, str]:
    """(title, body) of the message that announces a call."""
    start = timezone.localtime(call.starts_at)
    end = timezone.localtime(call.ends_at)
    if re.search(rf"(?<!\d){call.slots}\s*(人|名|people|persons)", call.title):  # says it already
        title = _("Call: %(title)s") % {"title": call.title}
    else:
        title = _("Call: %(title)s, %(n)d people") % {"title": call.title, "n": call.slots}
    body = _("%(task)s at %(place)s, %(start)s–%(end)s. %(briefing)s") % {
        "task": call.get_task_display(), "place": call.place.name,
        "start": start.strftime("%m-%d %H:%M"), "end": end.strftime("%H:%M"),
        "briefing": call.briefing[:300]}
    return title, body.strip()
