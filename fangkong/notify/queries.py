"""Reads of notifications: a user's own inbox; deliveries and group channels in scope."""

from fangkong.accounts.roles import Perm
from fangkong.core.access import one
from fangkong.registry.models import Place

from .models import Delivery, GroupChannel, Notification


def inbox(user, *, unread=False):
    qs = Notification.objects.filter(user=user)
    return qs.filter(read_at=None) if unread else qs


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def get_notification(user, pk) -> Notification:
    return one(Notification.objects.filter(user=user), pk)


def deliveries(scope, *, status=None):
    qs = Delivery.objects.filter(scope.q(Perm.MANAGE_NOTIFY))
    return qs.filter(status=status) if status else qs


def delivery_counts(scope) -> dict[str, int]:
    from django.db.models import Count

    rows = Delivery.objects.filter(scope.q(Perm.MANAGE_NOTIFY)).values("status") \
        .annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def get_delivery(scope, pk) -> Delivery:
    return one(deliveries(scope), pk)


def group_channels(scope):
    places = Place.objects.filter(scope.place_q(Perm.MANAGE_NOTIFY))
    return GroupChannel.objects.filter(place__in=places).select_related("place")


def get_group_channel(scope, pk) -> GroupChannel:
    return one(group_channels(scope), pk)
