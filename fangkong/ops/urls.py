from django.urls import path

from . import health, status

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("ops/", status.ops_status, name="ops_status"),
]
