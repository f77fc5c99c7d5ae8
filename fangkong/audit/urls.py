from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.xlsx", views.audit_export, name="audit_export"),
]
