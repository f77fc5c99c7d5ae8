from django.urls import path

from . import report_views, views

urlpatterns = [
    path("reports/", views.home, name="reports_home"),
    path("reports/places/<int:pk>/", views.dashboard, name="reports_dashboard"),
    path("reports/places/<int:pk>/refresh/", views.refresh, name="reports_refresh"),
    path("reports/places/<int:pk>/completeness/", views.completeness, name="reports_completeness"),
    path("reports/places/<int:pk>/remind/", views.remind, name="reports_remind"),
    path("reports/places/<int:pk>/history/", views.history, name="reports_history"),
    path("reports/places/<int:pk>/export.<str:fmt>", report_views.export_period, name="reports_export_period"),
    path("reports/places/<int:pk>/days/<str:day>/", report_views.node_day, name="reports_node_day"),
    path("reports/places/<int:pk>/days/<str:day>/start/", report_views.start, name="reports_start"),
    path("reports/<int:pk>/", report_views.report, name="reports_report"),
    path("reports/<int:pk>/remarks/", report_views.remarks, name="reports_remarks"),
    path("reports/<int:pk>/submit/", report_views.submit, name="reports_submit"),
    path("reports/<int:pk>/correct/", report_views.correct, name="reports_correct"),
    path("reports/<int:pk>/approve/", report_views.approve, name="reports_approve"),
    path("reports/<int:pk>/return/", report_views.return_report, name="reports_return"),
    path("reports/<int:pk>/report.<str:fmt>", report_views.export, name="reports_export"),
]
