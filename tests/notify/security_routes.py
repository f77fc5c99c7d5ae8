"""Who may call the notification endpoints (checked by tests/api/test_security.py)."""

from fangkong.core.actor import Actor
from fangkong.notify.models import Delivery, GroupChannel, Notification
from tests.api.routes import ANY_USER, MISSING, Route

MODELS = [Notification, Delivery, GroupChannel]


def queued_delivery(w):
    """An outbound message about community A, waiting to be sent."""
    from fangkong.notify.actions import notify
    from fangkong.notify.models import Delivery

    notify(Actor.system(), [w.users.staff], kind="test", title="核酸通知", place=w.community)
    return Delivery.objects.get(kind="test")


ROUTES = {
    # notifications: everyone has an inbox; outbound deliveries are for staff and command
    ("GET", "/me/notifications"): Route(lambda w: "/api/v1/me/notifications", **ANY_USER),
    ("POST", "/me/notifications/read"): Route(
        lambda w: "/api/v1/me/notifications/read", body=lambda w: {"ids": None}, **ANY_USER),
    ("GET", "/notify/deliveries"): Route(
        lambda w: "/api/v1/notify/deliveries", leader=404, resident=404, other_staff=200),
    ("POST", "/notify/deliveries/{delivery_id}/retry"): Route(
        lambda w: f"/api/v1/notify/deliveries/{w.delivery.id}/retry",
        setup=lambda w: setattr(w, "delivery", queued_delivery(w)),
        missing=lambda w: f"/api/v1/notify/deliveries/{MISSING}/retry",
        leader=404, resident=404),
}
