from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "fangkong.notify"
    label = "notify"

    def ready(self):
        from fangkong.zones.signals import tell

        tell.connect(_tell, dispatch_uid="notify.zones_tell")


def _tell(sender, actor, messages, **kwargs):
    """A lower app (zones: a publication) asks for people to be told: each message queued
    as every other (`actions.notify`: in each reader's language, once per key), inside the
    sender's transaction, sent by the worker after it commits."""
    from .actions import notify

    for m in messages:
        notify(actor, m["users"], kind=m["kind"], title=m["title"], body=m["body"], url=m["url"],
               place=m["place"], key=m["key"])
