from django.urls import path

from . import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<id:pk>/", views.open_notification, name="inbox_open"),
    path("inbox/badge/", views.badge, name="inbox_badge"),
    path("inbox/read/", views.read_all, name="inbox_read_all"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<id:pk>/retry/", views.retry, name="outbox_retry"),
    path("outbox/groups/<id:pk>/active/", views.group_active, name="outbox_group_active"),
]
