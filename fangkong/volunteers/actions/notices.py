"""What the volunteers' actions tell people: the call's text, and the inbox and group
channels (through notify, imported when used: notify sits beside volunteers)."""

import re
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.when import short_end, short_time

from ..models import Call


def notify_users(actor, users, **kw) -> int:
    """notify.actions.notify: each user's inbox and personal channels, each in the user's
    language (title and body: callables, rendered per reader; see notify.actions.Text)."""
    from fangkong.notify.actions import notify

    return notify(actor, users, **kw)


def announce(actor, place, **kw) -> int:
    """notify.actions.announce: the group channels of the place and above."""
    from fangkong.notify.actions import announce

    return announce(actor, place, **kw)


def call_text(call: Call, ask=False) -> tuple[Callable[[], str], Callable[[], str]]:
    """(title, body) of the message that announces a call: each renders the words in the
    active language (notify renders them in each reader's). `ask`: the call going out, so
    the body ends with how and by when to answer (the link follows it: the channels make it
    absolute with FANGKONG_PUBLIC_URL; without it no link can follow, and the body does not
    point to one)."""
    from fangkong.notify.channels import links_absolute

    start, end, deadline = call.starts_at, call.ends_at, call.deadline
    says_n = re.search(rf"(?<!\d){call.slots}\s*(人|名|people|persons?)", call.title)

    def title():
        if says_n:  # the title says how many already
            return _("Call: %(title)s") % {"title": call.title}
        return ngettext("Call: %(title)s, %(n)d person", "Call: %(title)s, %(n)d people",
                        call.slots) % {"title": call.title, "n": call.slots}

    def body():
        text = (_("%(task)s at %(place)s, %(start)s–%(end)s. %(briefing)s") % {
            "task": call.get_task_display(), "place": call.place.name,
            "start": short_time(start), "end": short_end(start, end),
            "briefing": call.briefing[:300]}).strip()
        if ask:  # "at the link below" only when a text can carry the link (its channel drops a path)
            answer = (_("Answer by %(deadline)s at the link below.") if links_absolute()
                      else _("Answer by %(deadline)s on the call's page."))
            text += "\n" + answer % {"deadline": short_time(deadline)}
        return text

    return title, body


def default_title(task: str, place_name: str) -> str:
    """The title of a call published without one, in the active language: its kind at its
    place ("3号楼采样协助"), never the kind alone (the page shows the kind beside the title,
    and read "采样协助 采样协助")."""
    from ..models import Task

    kind = dict(Task.choices).get(task)
    if not kind:
        return ""
    return _("%(task)s at %(place)s") % {"task": kind, "place": place_name}


def moved_title(call: Call, was_place) -> str:
    """The title after a move from `was_place`: a default title (`default_title`, in any of
    the site's languages) names the new place; a title someone wrote stays as it is."""
    from django.conf import settings
    from django.utils import translation

    if was_place is None or was_place.pk == call.place_id:
        return call.title
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            if call.title == default_title(call.task, was_place.name):
                return default_title(call.task, call.place.name)[:100]
    return call.title
