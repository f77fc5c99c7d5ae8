"""Why the worker could not publish a scheduled adjustment, kept as message codes
(`core.said`) so that the reason is said in each reader's language, naming the place and
the other adjustment that zoned it meanwhile."""

from django.utils.translation import gettext_noop

from fangkong.core.said import define

DESIGNATED = define("zones.failed.designated", gettext_noop(
    "%(place)s was made a %(zone)s meanwhile by %(other)s; this adjustment makes it a %(ours)s. "
    "Change or remove that place here, then publish or schedule it again."))
CHANGED = define("zones.failed.changed", gettext_noop(
    "The zone of %(place)s was changed meanwhile by %(other)s. Check that place here, then publish "
    "or schedule it again."))
